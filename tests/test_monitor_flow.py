"""The `monitor` flow end to end with real parts: a local HTTP server, aiosmtpd, a json:// endpoint,
a real DuckDB file and Prefect's engine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.support import FIXTURES, REPO, free_port, start_smtp
from tests.support import db_rows as rows

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

SEED_FEED = REPO / "seeds" / "russia-terminates-military-agreements.xml"
SEED_COUNTERPARTS = {"BG", "DE", "PL", "RO", "DK", "NO", "GB", "NL", "HR", "BE", "CZ"}


def serve_news(server: HTTPServer) -> None:
    server.expect_request("/news.xml").respond_with_data(
        (FIXTURES / "flow" / "news.xml").read_bytes(), content_type="application/rss+xml"
    )
    server.expect_request("/article/oslo-ends-defence-pact").respond_with_data(
        (FIXTURES / "flow" / "article-oslo.html").read_bytes(), content_type="text/html; charset=utf-8"
    )
    server.expect_request("/article/football-sponsorship").respond_with_data(
        "<html><body><article><p>Short.</p></article></body></html>", content_type="text/html"
    )
    server.expect_request("/missing.xml").respond_with_data("gone", status=404)
    server.expect_request("/hook", method="POST").respond_with_data("ok")


def write_sources(tmp: Path, server: HTTPServer, *, extra: str = "") -> Path:
    dead_port = free_port()  # nothing listens here: a connection error
    path = tmp / "sources.yaml"
    path.write_text(
        f"""
sources:
  - {{id: seed, kind: rss, url: "{SEED_FEED}", lang: en, group: seed, full_text: never}}
  - {{id: testwire, kind: rss, url: "{server.url_for("/news.xml")}", lang: en}}
  - {{id: gone, kind: rss, url: "{server.url_for("/missing.xml")}"}}
  - {{id: dead, kind: rss, url: "http://127.0.0.1:{dead_port}/feed.xml"}}
{extra}""",
        encoding="utf-8",
    )
    return path


def write_alerts(tmp: Path, *urls_and_tags: tuple[str, str]) -> Path:
    lines = ["version: 1", "urls:"]
    for url, tags in urls_and_tags:
        lines += [f'  - "{url}":', f"      - tag: {tags}"]
    path = tmp / "alerts.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


FAST_ROUTING = """
delivery: {backoff_seconds: [0], min_interval_seconds: 0}
"""


def run(tmp: Path, sources: Path, alerts: Path, monkeypatch: pytest.MonkeyPatch, routing: str = FAST_ROUTING):
    from flows.monitor import monitor

    (tmp / "routing.yaml").write_text(routing, encoding="utf-8")
    monkeypatch.setenv("TREATYWATCH_ROUTING", str(tmp / "routing.yaml"))
    monkeypatch.setenv("TREATYWATCH_ALERT_HORIZON_DAYS", "off")  # fixture items have fixed dates
    monkeypatch.setenv("TREATYWATCH_FETCH_RETRIES", "0")
    monkeypatch.delenv("TREATYWATCH_APPRISE_URLS", raising=False)
    return monitor(
        sources=str(sources), alerts=str(alerts), db_path=str(tmp / "tw.duckdb"), config_dir=str(REPO / "config")
    )


def test_end_to_end_alerts_once_and_isolates_failing_sources(tmp_path, httpserver, smtp_server, monkeypatch):
    serve_news(httpserver)
    sources = write_sources(tmp_path, httpserver)
    alerts = write_alerts(
        tmp_path,
        (smtp_server.url(), "termination, partnership"),
        (f"json://127.0.0.1:{httpserver.port}/hook", "termination"),
    )

    first = run(tmp_path, sources, alerts, monkeypatch)

    status = {f.source.id: f.record.error_kind for f in first.fetches}
    assert status == {"seed": None, "testwire": None, "gone": "http_status", "dead": "connect"}
    db = tmp_path / "tw.duckdb"
    events = rows(db, "SELECT type, actor, counterparts, source_id FROM v_events ORDER BY type, actor")
    by_source = {(t, a, s): set(c) for t, a, c, s in events}
    assert by_source[("termination", "RU", "seed")] == SEED_COUNTERPARTS
    assert set(by_source[("partnership_signed", "RU", "seed")]) | {"RU"} == {"RU", "IN"}
    # the Oslo event is only in the article page: proves the full-text fetch
    assert by_source[("termination", "NO", "testwire")] == {"RU"}
    assert not any(s == "testwire" and t.startswith("partnership") for t, a, s in by_source)

    families = [f for (f,) in rows(db, "SELECT e.family FROM events e")]
    assert len(smtp_server.messages) == len(families)
    hooks = [json.loads(req.get_data()) for req, _ in httpserver.log if req.path == "/hook"]
    assert len(hooks) == families.count("termination")
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert any("Russia" in s and "India" in s for s in subjects), subjects
    assert rows(db, "SELECT count(*) FROM alerts WHERE status <> 'sent'") == [(0,)]
    failures = dict(rows(db, "SELECT source_id, consecutive_failures FROM sources"))
    assert failures == {"seed": 0, "testwire": 0, "gone": 1, "dead": 1}

    second = run(tmp_path, sources, alerts, monkeypatch)

    assert second.new_items == 0 and second.new_events == [] and second.delivery.sent == 0
    assert len(smtp_server.messages) == len(families)
    assert rows(db, "SELECT count(*) FROM items") == [(3,)]
    assert rows(db, "SELECT count(*) FROM events") == [(len(families),)]
    assert rows(db, "SELECT count(*) FROM runs") == [(2,)]
    assert dict(rows(db, "SELECT source_id, consecutive_failures FROM sources"))["gone"] == 2


def test_smtp_down_keeps_alerts_pending_then_delivers_exactly_once(tmp_path, httpserver, monkeypatch):
    httpserver.expect_request("/none").respond_with_data("", status=404)
    port = free_port()
    sources = tmp_path / "sources.yaml"
    sources.write_text(f'sources:\n  - {{id: seed, kind: rss, url: "{SEED_FEED}", full_text: never}}\n')
    alerts = write_alerts(
        tmp_path, (f"mailto://127.0.0.1:{port}?from=a@example.com&to=b@example.com&cto=1", "termination, partnership")
    )
    db = tmp_path / "tw.duckdb"

    down = run(tmp_path, sources, alerts, monkeypatch)

    assert len(down.new_events) == 3
    assert down.delivery.sent == 0 and down.delivery.failed == 3
    assert rows(db, "SELECT status, attempts FROM alerts") == [("pending", 1)] * 3
    assert all(err for (err,) in rows(db, "SELECT last_error FROM alerts"))

    down_again = run(tmp_path, sources, alerts, monkeypatch)
    assert down_again.delivery.failed == 3
    assert rows(db, "SELECT DISTINCT status, attempts FROM alerts") == [("pending", 2)]

    sink, controller = start_smtp(port)
    try:
        up = run(tmp_path, sources, alerts, monkeypatch)
        again = run(tmp_path, sources, alerts, monkeypatch)
    finally:
        controller.stop()

    assert up.delivery.sent == 3 and again.delivery.sent == 0
    assert len(sink.messages) == 3
    assert rows(db, "SELECT DISTINCT status FROM alerts") == [("sent",)]


def test_transient_source_failure_is_retried_then_recorded(tmp_path, httpserver, monkeypatch):
    calls = []

    def flaky(request):
        calls.append(request.path)
        return Response("busy", status=503)

    httpserver.expect_request("/flaky.xml").respond_with_handler(flaky)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: flaky, kind: rss, url: "{httpserver.url_for("/flaky.xml")}"}}\n'
        f'  - {{id: seed, kind: rss, url: "{SEED_FEED}", full_text: never}}\n'
    )
    alerts = write_alerts(tmp_path, (f"json://127.0.0.1:{httpserver.port}/hook", "health"))
    from flows.monitor import monitor

    monkeypatch.setenv("TREATYWATCH_FETCH_RETRIES", "1")
    monkeypatch.setenv("TREATYWATCH_FETCH_RETRY_DELAYS", "0.05")
    summary = monitor.with_options()(
        sources=str(sources), alerts=str(alerts), db_path=str(tmp_path / "tw.duckdb"), config_dir=str(REPO / "config")
    )

    assert len(calls) == 2  # one retry for a 503
    status = {f.source.id: (f.record.error_kind, f.record.status) for f in summary.fetches}
    assert status["flaky"] == ("http_status", 503)
    assert status["seed"] == (None, 200)
    assert len(summary.new_events) == 3


def test_events_stored_between_runs_are_planned_once_by_the_next_run(tmp_path, httpserver, monkeypatch):
    """What `replay --apply` stores (an event with no cluster and no alert) is alerted by the next run, once,
    alongside that run's own new events."""
    from dataclasses import replace

    from flows.store import db as store_db
    from flows.store import storage
    from parsers.models import StoredEvent, event_id

    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    sources = tmp_path / "sources.yaml"
    sources.write_text(f'sources:\n  - {{id: seed, kind: rss, url: "{SEED_FEED}", full_text: never}}\n')
    alerts = write_alerts(tmp_path, (f"json://127.0.0.1:{httpserver.port}/hook", "termination, partnership"))
    db = tmp_path / "tw.duckdb"
    run(tmp_path, sources, alerts, monkeypatch)
    with store_db.connect(db) as con:
        item_ids = [r[0] for r in con.execute("SELECT item_id FROM items").fetchall()]
        seed = next(e for e in storage.load_events(con, item_ids) if e.event.type == "termination")
        late = replace(seed.event, actor="FI", counterparts=("SE",))  # as if new rules found one more event
        late_id = event_id(seed.item_id, late)
        assert storage.store_events(con, [StoredEvent(late_id, seed.item_id, late)]) == 1
    hooks_before = sum(req.path == "/hook" for req, _ in httpserver.log)

    second = run(tmp_path, sources, alerts, monkeypatch)

    assert second.new_events == [] and second.plan.clusters_new == 1
    assert rows(db, f"SELECT count(*) FROM alerts WHERE event_id = '{late_id}'") == [(1,)]
    assert rows(db, f"SELECT cluster_id IS NOT NULL FROM events WHERE event_id = '{late_id}'") == [(True,)]
    assert sum(req.path == "/hook" for req, _ in httpserver.log) == hooks_before + 1
    third = run(tmp_path, sources, alerts, monkeypatch)
    assert third.alerts_queued == 0 and rows(db, f"SELECT count(*) FROM alerts WHERE event_id = '{late_id}'") == [(1,)]


def _summary_text(summary) -> str:
    import io

    from rich.console import Console

    from flows.cli.summary import print_summary

    out = io.StringIO()
    print_summary(summary, Console(file=out, width=200))
    return out.getvalue()


def test_summary_counts_every_source_once_and_shows_waiting_alerts(tmp_path, httpserver, monkeypatch):
    httpserver.expect_request("/missing.xml").respond_with_data("gone", status=404)
    port = free_port()
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: seed, kind: rss, url: "{SEED_FEED}", full_text: never}}\n'
        f'  - {{id: gone, kind: rss, url: "{httpserver.url_for("/missing.xml")}"}}\n'
        f'  - {{id: parked, kind: rss, url: "{httpserver.url_for("/parked.xml")}", enabled: false}}\n'
    )
    alerts = write_alerts(
        tmp_path,
        (
            f"mailto://user:s3cretpw@127.0.0.1:{port}?from=a@example.com&to=b@example.com&cto=1",
            "termination, partnership",
        ),
    )

    summary = run(
        tmp_path, sources, alerts, monkeypatch, routing="delivery: {backoff_seconds: [600], min_interval_seconds: 0}\n"
    )
    text = _summary_text(summary)

    assert "sources: 1 ok, 1 failed, 1 disabled in config |" in text
    assert "alerts: 0 sent, 3 failed, 3 waiting to retry" in text
    assert "alerts waiting (3):" in text and text.count("next attempt 20") == 3
    assert "Socket Exception: [Errno 111] Connection refused" in text  # the cause apprise logged at DEBUG
    assert "s3cretpw" not in text


def test_summary_explains_events_held_back_by_the_first_run_horizon(tmp_path, httpserver, monkeypatch):
    serve_news(httpserver)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: testwire, kind: rss, url: "{httpserver.url_for("/news.xml")}", lang: en}}\n'
    )
    alerts = write_alerts(tmp_path, (f"json://127.0.0.1:{httpserver.port}/hook", "termination, partnership"))
    from flows.monitor import monitor

    (tmp_path / "routing.yaml").write_text(FAST_ROUTING, encoding="utf-8")
    monkeypatch.setenv("TREATYWATCH_ROUTING", str(tmp_path / "routing.yaml"))
    monkeypatch.setenv("TREATYWATCH_ALERT_HORIZON_DAYS", "7")  # the fixture items are dated 2026-11-02
    summary = monitor(
        sources=str(sources), alerts=str(alerts), db_path=str(tmp_path / "tw.duckdb"), config_dir=str(REPO / "config")
    )
    text = _summary_text(summary)

    assert summary.new_events and summary.delivery.sent == 0
    held = len(summary.new_events)
    assert f"new events: {held} ({held} held back by the first-run horizon)" in text
    assert f"{held} new event(s) not alerted: their items are older than the first-run horizon (7 days" in text


def test_cli_run_exits_4_when_nothing_could_be_fetched(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli.app import app

    sources = tmp_path / "sources.yaml"
    sources.write_text(f'sources:\n  - {{id: dead, kind: rss, url: "http://127.0.0.1:{free_port()}/feed.xml"}}\n')
    monkeypatch.setenv("TREATYWATCH_FETCH_RETRIES", "0")
    result = CliRunner().invoke(
        app,
        ["run", "--sources", str(sources), "--db", str(tmp_path / "tw.duckdb"), "--config-dir", str(REPO / "config")],
        env={"COLUMNS": "200", "PREFECT_HOME": os.environ.get("PREFECT_HOME") or str(tmp_path / "p")},
    )
    assert result.exit_code == 4, result.output
    assert "sources: 0 ok, 1 failed |" in result.output


def test_json_webhook_gets_structured_fields(tmp_path, httpserver, monkeypatch):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    sources = tmp_path / "sources.yaml"
    sources.write_text(f'sources:\n  - {{id: seed, kind: rss, url: "{SEED_FEED}", full_text: never, group: seed}}\n')
    alerts = write_alerts(tmp_path, (f"json://127.0.0.1:{httpserver.port}/hook", "termination"))

    run(tmp_path, sources, alerts, monkeypatch)

    [post] = [json.loads(req.get_data()) for req, _ in httpserver.log if req.path == "/hook"]
    assert set(post) == {"version", "title", "message", "attachments", "type", "treatywatch"}  # apprise's + ours
    tw = post["treatywatch"]
    assert set(tw) == {
        "schema",
        "alert_id",
        "dedup_key",
        "kind",
        "change",
        "cluster_id",
        "event_id",
        "family",
        "type",
        "stage",
        "domain",
        "actor",
        "counterparts",
        "confidence",
        "evidence",
        "flags",
        "official",
        "source_id",
        "source_url",
        "source_title",
        "published",
        "detected_at",
        "sources",
    }
    db = tmp_path / "tw.duckdb"
    [(alert_id, cluster_id)] = rows(db, "SELECT alert_id, subject_id FROM alerts")
    [(event_id, evidence, item_url, confidence)] = rows(
        db, f"SELECT event_id, evidence, item_url, confidence FROM v_events WHERE cluster_id = '{cluster_id}'"
    )
    assert (tw["schema"], tw["kind"], tw["change"], tw["family"], tw["type"]) == (
        1,
        "event",
        "new",
        "termination",
        "termination",
    )
    assert (tw["alert_id"], tw["cluster_id"], tw["event_id"]) == (alert_id, cluster_id, event_id)
    assert tw["actor"] == {"code": "RU", "name": "Russia"}
    assert {c["code"] for c in tw["counterparts"]} == SEED_COUNTERPARTS
    assert {"code": "GB", "name": "United Kingdom"} in tw["counterparts"]
    assert (tw["evidence"], tw["source_url"], tw["confidence"]) == (evidence, item_url, round(confidence, 3))
    assert len(tw["dedup_key"]) == 24 and tw["sources"] == [{"source_id": "seed", "url": item_url}]


def _two_batches(tmp: Path, server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed (treaty events) in the first stored batch, a second source after it."""
    server.expect_request("/later.xml").respond_with_data(
        (FIXTURES / "flow" / "news.xml").read_bytes(), content_type="application/rss+xml"
    )
    monkeypatch.setenv("TREATYWATCH_COMMIT_EVERY", "1")
    sources = tmp / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: seed, kind: rss, url: "{SEED_FEED}", full_text: never}}\n'
        f'  - {{id: later, kind: rss, url: "{server.url_for("/later.xml")}", full_text: never}}\n',
        encoding="utf-8",
    )
    return sources


def test_an_alert_goes_out_when_its_batch_is_stored_not_after_every_source(tmp_path, httpserver, monkeypatch):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    sources = _two_batches(tmp_path, httpserver, monkeypatch)
    alerts = write_alerts(tmp_path, (f"json://127.0.0.1:{httpserver.port}/hook", "termination"))

    summary = run(tmp_path, sources, alerts, monkeypatch)

    paths = [req.path for req, _ in httpserver.log]
    assert "/hook" in paths and paths.index("/hook") < paths.index("/later.xml")
    assert summary.delivery.sent == paths.count("/hook") > 0
    assert rows(tmp_path / "tw.duckdb", "SELECT count(*) FROM alerts WHERE status <> 'sent'") == [(0,)]


def test_a_failed_early_send_is_not_tried_again_in_the_same_run(tmp_path, httpserver, monkeypatch):
    """Delivering after each batch must not turn one attempt per run into two (backoff 0 here)."""
    httpserver.expect_request("/hook", method="POST").respond_with_data("down", status=503)
    sources = _two_batches(tmp_path, httpserver, monkeypatch)
    alerts = write_alerts(tmp_path, (f"json://127.0.0.1:{httpserver.port}/hook", "termination"))

    summary = run(tmp_path, sources, alerts, monkeypatch)

    attempts = rows(tmp_path / "tw.duckdb", "SELECT DISTINCT attempts FROM alerts WHERE kind = 'event'")
    assert attempts == [(1,)]
    assert summary.delivery.failed == sum(1 for req, _ in httpserver.log if req.path == "/hook") > 0
    assert summary.delivery.still_pending == summary.delivery.failed
