"""Analysts' feedback: `mark` stores verdicts with history, `wrong` stops alerts for good, marks export as eval data."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flows.cli.app import app
from tests.alerts.test_delivery import World
from tests.report.factory import make_db
from tests.support import REPO, db_rows, free_port

SCORER = REPO.parent / "shared" / "eval" / "score.py"


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def world(tmp_path, httpserver, monkeypatch) -> World:
    return World(tmp_path, httpserver, monkeypatch)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_marking_a_cluster_wrong_stops_its_follow_up_alerts(world, smtp_server):
    world.serve("wire-a.xml", "wire-b.xml", "wire-c.xml")
    world.configure([(smtp_server.url(), "termination, partnership")])
    first = world.run()
    assert len(smtp_server.messages) == 1 and first.plan.clusters_new == 1
    [(cid,)] = world.rows("SELECT cluster_id FROM clusters")

    code, out = cli("mark", cid, "wrong", "--note", "an old story", "--db", str(world.db))
    assert code == 0 and f"marked {cid} wrong" in out

    world.serve("wire-d-followup.xml")  # a new party would normally send "Update – …"
    world.configure([(smtp_server.url(), "termination, partnership")])
    second = world.run()
    assert second.delivery.sent == 0 and len(smtp_server.messages) == 1
    assert world.rows("SELECT kind FROM alerts") == [("event",)]  # no update row was ever queued
    assert world.rows("SELECT mentions FROM clusters") == [(4,)]  # the mention is still stored and clustered
    assert world.rows("SELECT review, review_note FROM v_clusters") == [("wrong", "an old story")]


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_wrong_stops_an_alert_still_waiting_for_delivery(world, smtp_server):
    down = f"mailto://127.0.0.1:{free_port()}?from=a@example.com&to=b@example.com&cto=1"
    world.serve("wire-a.xml")
    world.configure([(down, "termination")])
    world.run()
    assert world.rows("SELECT status FROM alerts") == [("pending",)]  # SMTP unreachable: kept for the next run
    [(cid,)] = world.rows("SELECT cluster_id FROM clusters")

    code, out = cli("mark", cid, "wrong", "--db", str(world.db))
    assert code == 0 and "1 unsent alert(s) stopped" in out

    world.configure([(smtp_server.url(), "termination")])  # the server is back: still nothing goes out
    assert world.run().delivery.sent == 0 and smtp_server.messages == []
    assert world.rows("SELECT status, last_error FROM alerts") == [("superseded", "marked wrong by an analyst")]


def test_latest_mark_wins_and_history_is_kept(tmp_path):
    path = make_db(tmp_path / "tw.duckdb", 5, seed=1)
    [(cid, actor)] = db_rows(path, "SELECT cluster_id, actor FROM clusters ORDER BY cluster_id LIMIT 1")
    assert cli("mark", cid, "wrong", "--db", str(path))[0] == 0
    code, out = cli("mark", cid, "parties", "--counterparts", "fr, de", "--note", "two partners", "--db", str(path))
    assert code == 0, out
    assert db_rows(path, f"SELECT count(*) FROM feedback WHERE cluster_id = '{cid}'") == [(2,)]
    [(review, parties)] = db_rows(path, f"SELECT review, parties_reviewed FROM v_clusters WHERE cluster_id = '{cid}'")
    assert review == "parties" and parties == sorted({actor, "DE", "FR"})


@pytest.mark.parametrize(
    "args, words",
    [
        (("c_nope", "wrong"), "no such cluster"),
        (("{cid}", "maybe"), "unknown verdict 'maybe'"),
        (("{cid}", "parties"), "needs --actor and/or --counterparts"),
        (("{cid}", "type"), "needs --type"),
        (("{cid}", "type", "--type", "divorce"), "unknown type 'divorce'"),
    ],
)
def test_mark_refuses_what_it_cannot_store(tmp_path, args, words):
    path = make_db(tmp_path / "tw.duckdb", 2, seed=1)
    cid = db_rows(path, "SELECT min(cluster_id) FROM clusters")[0][0]
    code, out = cli("mark", *(a.format(cid=cid) for a in args), "--db", str(path))
    assert code == 2 and words in out and "Traceback" not in out


def test_review_lists_unmarked_clusters_newest_first_in_80_columns(tmp_path):
    path = make_db(tmp_path / "tw.duckdb", 6, seed=2)
    ids = [r[0] for r in db_rows(path, "SELECT cluster_id FROM clusters ORDER BY last_seen_at DESC, cluster_id")]
    cli("mark", ids[0], "correct", "--db", str(path))
    code, out = cli("review", "--db", str(path))
    assert code == 0
    assert ids[0] not in out and all(i in out for i in ids[1:])
    assert [out.index(i) for i in ids[1:]] == sorted(out.index(i) for i in ids[1:])
    assert max(len(line) for line in out.splitlines()) <= 80


def test_export_round_trips_through_the_eval_scorer(tmp_path):
    path = make_db(tmp_path / "tw.duckdb", 6, seed=5, mentions_max=1)
    rows = db_rows(path, "SELECT cluster_id, type, actor, parties FROM clusters ORDER BY cluster_id")
    cli("mark", rows[0][0], "correct", "--db", str(path))
    cli("mark", rows[1][0], "wrong", "--db", str(path))
    other = "NO" if "NO" not in rows[2][3] else "SE"
    cli("mark", rows[2][0], "parties", "--counterparts", other, "--db", str(path))
    out = tmp_path / "feedback.jsonl"
    code, said = cli("feedback", "export", "--out", str(out), "--db", str(path))
    assert code == 0 and "exported 3 item(s)" in said
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {tuple(sorted(i)) for i in items} == {("events", "id", "label_class", "lang", "published", "text", "title")}
    by_events = sorted(len(i["events"]) for i in items)
    assert by_events == [0, 1, 1]  # the wrong one is a negative now
    corrected = next(i for i in items if i["events"] and i["events"][0]["counterparts"] == [other])
    assert corrected["events"][0]["actor"] == rows[2][2]
    if not SCORER.exists():
        pytest.skip(f"{SCORER} not found (../shared/eval is beside the repository only for developers and CI)")
    pred = tmp_path / "pred.jsonl"
    with pred.open("w", encoding="utf-8") as fh:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "flows.cli.app",
                "extract",
                "--jsonl",
                str(out),
                "--config-dir",
                str(REPO / "config"),
            ],
            stdout=fh,
            check=True,
            cwd=REPO,
        )
    scored = subprocess.run(
        [sys.executable, str(SCORER), str(out), str(pred), "--json"], capture_output=True, text=True, check=True
    )
    report, _ = json.JSONDecoder().raw_decode(scored.stdout)  # the scorer read the export as a gold set
    assert report["documents"] == 3 and report["missing_predictions"] == 0
    lenient = report["lenient"]
    assert lenient["tp"] + lenient["fn"] == 2  # the two real events; the wrong-marked item is a negative
    assert 0.0 <= report["false_alarm_rate"] <= 1.0
