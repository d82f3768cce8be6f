"""One alert per real-world event, routed, never duplicated, never lost: through the real flow, a real
SMTP server, a real local webhook and Slack's real payload posted to a local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from email.header import decode_header, make_header
from pathlib import Path

import duckdb
import pytest
from apprise.plugins.slack import NotifySlack
from werkzeug import Response

from tests.support import FIXTURES, REPO, db_rows

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

SLACK = "slack://T000AAAA/B000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX/#alerts"
FAST = {"delivery": {"backoff_seconds": [0], "min_interval_seconds": 0, "rate_limited_backoff_seconds": 0}}


class World:
    """A tmp project: sources served from 127.0.0.1, an apprise config, a routing policy, a DuckDB file."""

    def __init__(self, tmp: Path, httpserver, monkeypatch) -> None:
        self.tmp, self.server, self.monkeypatch = tmp, httpserver, monkeypatch
        self.db = tmp / "tw.duckdb"
        self.feeds: list[str] = []

    def serve(self, *names: str) -> None:
        for name in names:
            self.server.expect_request(f"/{name}").respond_with_data(
                (FIXTURES / "alerting" / name).read_bytes(), content_type="application/rss+xml"
            )
            self.feeds.append(name)

    def configure(self, urls: list[tuple[str, str]], routing: dict | None = None) -> None:
        sources = "\n".join(
            f'  - {{id: "{n.split(".")[0]}", kind: rss, url: "{self.server.url_for("/" + n)}", full_text: never}}'
            for n in self.feeds
        )
        (self.tmp / "sources.yaml").write_text("sources:\n" + sources + "\n", encoding="utf-8")
        lines = ["version: 1", "urls:"] + [f'  - "{u}":\n      - tag: {t}' for u, t in urls]
        (self.tmp / "alerts.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (self.tmp / "routing.yaml").write_text(json.dumps(_merge(FAST, routing or {})), encoding="utf-8")

    def run(self):
        from flows.monitor import monitor

        for key, value in self.env().items():
            self.monkeypatch.setenv(key, value)
        return monitor(
            sources=str(self.tmp / "sources.yaml"),
            alerts=str(self.tmp / "alerts.yml"),
            db_path=str(self.db),
            config_dir=str(REPO / "config"),
        )

    def env(self) -> dict[str, str]:
        return {
            "TREATYWATCH_ROUTING": str(self.tmp / "routing.yaml"),
            "TREATYWATCH_ALERT_HORIZON_DAYS": "off",
            "TREATYWATCH_FETCH_RETRIES": "0",
        }

    def rows(self, sql: str) -> list[tuple]:
        return db_rows(self.db, sql)


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out.get(k, {}), v) if isinstance(v, dict) else v
    return out


@pytest.fixture
def world(tmp_path, httpserver, monkeypatch) -> World:
    return World(tmp_path, httpserver, monkeypatch)


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def slack_posts(httpserver) -> list[dict]:
    return [json.loads(r.get_data()) for r, _ in httpserver.log if r.path.startswith("/services")]


def test_three_outlets_one_alert_then_one_follow_up_for_a_new_party(world, smtp_server):
    world.serve("wire-a.xml", "wire-b.xml", "wire-c.xml")
    world.configure([(smtp_server.url(), "termination, partnership")])

    first = world.run()

    assert len(first.new_events) == 3 and first.plan.clusters_new == 1
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert subject(mail).startswith("Termination: Russia (RU) ends")
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert all(f"wire-{x}" in html for x in "abc")  # all three reports in the one alert
    assert mail["X-Treatywatch-Alert-Id"]
    assert world.rows("SELECT count(*), max(mentions), max(array_length(sources)) FROM clusters") == [(1, 3, 3)]

    world.serve("wire-d-followup.xml")
    world.configure([(smtp_server.url(), "termination, partnership")])
    second = world.run()

    assert second.delivery.sent == 1 and len(smtp_server.messages) == 2
    follow_up = smtp_server.messages[1]
    assert subject(follow_up).startswith("Update – Termination") and "Portugal" in subject(follow_up)
    assert world.rows("SELECT kind, change FROM alerts ORDER BY created_at") == [
        ("event", "new"),
        ("update", "parties:+PT"),
    ]

    third = world.run()
    assert third.delivery.sent == 0 and len(smtp_server.messages) == 2


def test_slack_429_then_success_and_markup_arrives_escaped(world, httpserver, monkeypatch, smtp_server):
    answers = iter([Response("rate_limited", status=429, headers={"Retry-After": "1"})])
    httpserver.expect_request("/services/T000AAAA/B000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX").respond_with_handler(
        lambda request: next(answers, Response("ok", status=200))
    )
    monkeypatch.setattr(NotifySlack, "webhook_url", httpserver.url_for("/services"))
    world.serve("markup-title.xml")
    world.configure([(SLACK, "termination"), (smtp_server.url(), "termination")])

    limited = world.run()
    assert limited.delivery.sent == 1 and limited.delivery.failed == 1  # email went, Slack said 429
    assert world.rows("SELECT status, attempts FROM alerts ORDER BY status") == [("pending", 1), ("sent", 1)]

    ok = world.run()
    assert ok.delivery.sent == 1 and len(smtp_server.messages) == 1
    posts = slack_posts(httpserver)
    assert len(posts) == 2  # the 429 and the success: nothing else
    # feedparser + our HTML-to-text drop the tags; what survives is escaped for each channel
    text = json.dumps(posts[-1], ensure_ascii=False)
    assert "|Ministry R&amp;D ends pact with Paris>" in text
    assert "<!channel" not in text and "script" not in text and "evil.example" not in text
    html = (
        next(p for p in smtp_server.messages[0].walk() if p.get_content_type() == "text/html")
        .get_payload(decode=True)
        .decode()
    )
    assert "Ministry R&amp;D ends pact with Paris" in html and "<script" not in html and "evil.example" not in html


def test_digest_mode_sends_one_message_at_the_digest_time(world, smtp_server):
    world.serve("partnership.xml", "wire-a.xml")
    world.configure(
        [(smtp_server.url(), "termination, partnership")],
        {"tags": {"partnership": {"mode": "digest"}}, "digest": {"every_hours": 24, "at_hour_utc": 7}},
    )

    summary = world.run()

    assert summary.delivery.sent == 1  # the termination, immediately
    assert world.rows("SELECT tag, status, mode FROM alerts ORDER BY tag") == [
        ("partnership", "pending", "digest"),
        ("termination", "sent", "immediate"),
    ]
    from flows.alerts.delivery import deliver
    from flows.alerts.destinations import load_destinations
    from parsers.config.routing import load_policy

    policy = load_policy(world.tmp / "routing.yaml")
    due_at = world.rows("SELECT not_before FROM alerts WHERE mode = 'digest'")[0][0]
    report = deliver(
        world.db, load_destinations(world.tmp / "alerts.yml", None), policy, now=due_at + timedelta(seconds=1)
    )
    assert report.sent == 1
    assert subject(smtp_server.messages[-1]).startswith("treatywatch digest: 1 event")


def test_watch_list_and_domain_filters(world, smtp_server):
    world.serve("wire-a.xml", "partnership.xml")
    world.configure(
        [(smtp_server.url(), "termination, partnership")],
        {"tags": {"termination": {"watch": ["US"]}, "partnership": {"domains": ["economic"]}}},
    )
    summary = world.run()
    assert len(summary.new_events) == 2 and summary.alerts_queued == 0 and smtp_server.messages == []


def test_dead_mans_switch_alerts_health_once(world, smtp_server):
    world.serve("wire-a.xml")
    world.configure([(smtp_server.url(), "health")], {"heartbeat": {"max_silence_hours": 1}})
    world.run()
    con = duckdb.connect(str(world.db))
    con.execute("UPDATE runs SET finished_at = finished_at - INTERVAL 5 HOUR")
    con.close()

    world.run()
    world.run()

    health = [subject(m) for m in smtp_server.messages]
    assert len(health) == 1 and health[0].startswith("treatywatch was silent for 5.")


CRASH = """
import os, sys
from pathlib import Path
from flows.store import ledger
from flows.alerts.destinations import load_destinations
from flows.alerts.delivery import deliver
from parsers.config.routing import load_policy

def crash(*args, **kwargs):
    os._exit(97)   # the process dies right after apprise reported success, before the mark

ledger.mark_sent = crash
if len(sys.argv) > 2:  # Slack's host cannot be reached here: its webhook base points at the test server
    from apprise.plugins.slack import NotifySlack
    NotifySlack.webhook_url = sys.argv[2]
tmp = Path(sys.argv[1])
deliver(tmp / "tw.duckdb", load_destinations(tmp / "alerts.yml", None), load_policy(tmp / "routing.yaml"))
"""


@pytest.mark.parametrize("channel", ["email", "slack"])
def test_crash_between_send_and_mark(world, smtp_server, httpserver, monkeypatch, channel):
    """README: email is re-sent once (at-least-once, same X-Treatywatch-Alert-Id); Slack is never
    re-posted after an interruption: the alert becomes `uncertain` and a health alert says so."""
    httpserver.expect_request("/services/T000AAAA/B000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX").respond_with_data("ok")
    monkeypatch.setattr(NotifySlack, "webhook_url", httpserver.url_for("/services"))
    world.serve("wire-a.xml")
    target = (smtp_server.url(), "termination") if channel == "email" else (SLACK, "termination")
    health_box = (f"json://127.0.0.1:{httpserver.port}/health", "health")
    httpserver.expect_request("/health", method="POST").respond_with_data("ok")
    world.configure([target, health_box])
    blocked = _merge(
        json.loads((world.tmp / "routing.yaml").read_text()), {"tags": {"termination": {"debounce_minutes": 1}}}
    )
    (world.tmp / "routing.yaml").write_text(json.dumps(blocked))
    world.run()  # stores the event; the debounce keeps the alert queued
    assert world.rows("SELECT status FROM alerts") == [("pending",)]
    con = duckdb.connect(str(world.db))
    con.execute("UPDATE alerts SET not_before = now() - INTERVAL 1 MINUTE")
    con.close()

    child = subprocess.run(
        [sys.executable, "-c", CRASH, str(world.tmp), httpserver.url_for("/services")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **world.env()},
        timeout=120,
    )

    assert child.returncode == 97, child.stderr
    sent_before = len(smtp_server.messages) if channel == "email" else len(slack_posts(httpserver))
    assert sent_before == 1
    assert world.rows("SELECT status FROM alerts") == [("sending",)]

    world.run()

    if channel == "email":
        assert len(smtp_server.messages) == 2
        ids = {m["X-Treatywatch-Alert-Id"] for m in smtp_server.messages}
        assert len(ids) == 1  # the duplicate is recognisable as the same alert
        assert world.rows("SELECT status FROM alerts") == [("sent",)]
    else:
        assert len(slack_posts(httpserver)) == 1  # never re-posted
        statuses = dict(world.rows("SELECT kind, status FROM alerts"))
        assert statuses == {"event": "uncertain", "health": "sent"}
        notes = [json.loads(r.get_data()) for r, _ in httpserver.log if r.path == "/health"]
        assert "may not have been delivered" in notes[0]["title"]


def test_events_written_by_replay_are_alerted_by_the_next_run_once(world, smtp_server):
    from rich.console import Console

    from flows.replay import replay

    world.serve("wire-a.xml")
    world.configure([(smtp_server.url(), "termination")])
    world.run()
    assert len(smtp_server.messages) == 1
    con = duckdb.connect(str(world.db))  # as if older rules had missed the event entirely
    for table in ("alerts", "clusters", "event_parties", "events"):
        con.execute(f"DELETE FROM {table}")
    con.close()

    replay(world.db, REPO / "config", world.tmp / "routing.yaml", None, True, Console(file=open(os.devnull, "w")))
    assert world.rows("SELECT count(*) FROM events WHERE cluster_id IS NULL") == [(1,)]

    world.run()
    world.run()
    assert len(smtp_server.messages) == 2  # the original alert, and one for the replayed event
    assert world.rows("SELECT count(*) FROM events WHERE cluster_id IS NULL") == [(0,)]
