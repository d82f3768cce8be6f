"""`treatywatch alerts`: list the ledger and re-queue uncertain or given-up alerts by hand."""

from __future__ import annotations

from datetime import UTC

import pytest
from typer.testing import CliRunner

from flows.cli.app import app
from flows.store import db, ledger


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "t.duckdb"
    with db.connect(path) as con:
        ledger.insert(
            con,
            [
                ledger.LedgerRow(a, "event", "c1", "new", "d1", "slack://T/B/***", "termination")
                for a in ("a-sent", "a-unsure")
            ],
        )
        ledger.mark_sent(con, ["a-sent"])
        ledger.mark_sending(con, ["a-unsure"])
        ledger.recover_interrupted(con, {"d1": "slack"})
    return path


def test_lists_the_ledger_by_status(db_path):
    result = CliRunner().invoke(app, ["alerts", "--status", "uncertain", "--db", str(db_path)])
    assert result.exit_code == 0 and "a-unsure" in result.output and "a-sent" not in result.output


def test_resend_queues_an_uncertain_alert_once(db_path):
    result = CliRunner().invoke(app, ["alerts", "--resend", "a-unsure", "--db", str(db_path)])
    assert result.exit_code == 0
    with db.connect(db_path, read_only=True) as con:
        assert con.execute("SELECT status, attempts FROM alerts WHERE alert_id = 'a-unsure'").fetchone() == (
            "pending",
            0,
        )


@pytest.mark.parametrize("alert_id,message", [("a-sent", "only uncertain or given_up"), ("nope", "no such alert")])
def test_resend_refuses_what_it_must_not_touch(db_path, alert_id, message):
    result = CliRunner().invoke(app, ["alerts", "--resend", alert_id, "--db", str(db_path)])
    assert result.exit_code == 2 and message in result.output


def test_unknown_status_is_an_error_naming_the_choices(db_path):
    result = CliRunner().invoke(app, ["alerts", "--status", "bogus", "--db", str(db_path)])
    assert result.exit_code == 2
    assert "--status 'bogus': expected one of pending, sending, sent, uncertain, superseded, given_up" in result.output


def test_a_waiting_alert_shows_its_next_attempt_and_why(db_path):
    from datetime import timedelta

    with db.connect(db_path) as con:
        ledger.insert(con, [ledger.LedgerRow("a-wait", "event", "c2", "new", "d2", "mailto://****", "termination")])
        ledger.mark_failed(con, ["a-wait"], "refused", max_attempts=5, retry_in=timedelta(minutes=10))
        (due,) = con.execute("SELECT not_before FROM alerts WHERE alert_id = 'a-wait'").fetchone()
    result = CliRunner().invoke(app, ["alerts", "--status", "pending", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "next attempt" in result.output and "refused" in result.output
    assert f"{due.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z" in result.output
