"""The alert ledger's state machine on a real DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.store import db, ledger

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def row(
    alert_id: str,
    *,
    kind: str = "event",
    subject: str = "c1",
    dest: str = "d1",
    mode: str = "immediate",
    change: str = "new",
) -> ledger.LedgerRow:
    return ledger.LedgerRow(
        alert_id, kind, subject, change, dest, f"mailto://{dest}", "termination", mode=mode, event_id="e1"
    )


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "l.duckdb") as c:
        yield c


def statuses(con) -> dict[str, str]:
    return dict(con.execute("SELECT alert_id, status FROM alerts").fetchall())


def test_insert_is_idempotent(con):
    assert ledger.insert(con, [row("a1")]) == 1
    ledger.insert(con, [row("a1")])
    assert con.execute("SELECT count(*) FROM alerts").fetchone() == (1,)


def test_an_unsent_first_alert_is_superseded_and_its_successor_stays_a_first_alert(con):
    ledger.insert(con, [row("a1"), row("b1", dest="d2")])
    ledger.mark_sent(con, ["b1"])  # d2 already got the first alert
    ledger.insert(
        con, [row("a2", kind="update", change="parties:+PT"), row("b2", kind="update", change="parties:+PT", dest="d2")]
    )
    assert statuses(con) == {"a1": "superseded", "b1": "sent", "a2": "pending", "b2": "pending"}
    kinds = dict(con.execute("SELECT alert_id, kind || ':' || change FROM alerts").fetchall())
    assert kinds["a2"] == "event:new"  # d1 never saw the event: it gets the whole story, not an "update"
    assert kinds["b2"] == "update:parties:+PT"


def test_failures_back_off_then_give_up(con):
    ledger.insert(con, [row("a1")], now=NOW)
    assert ledger.mark_failed(con, ["a1"], "smtp down", max_attempts=2, retry_in=timedelta(minutes=5)) == []
    assert ledger.due(con, db.utcnow()) == []  # backing off
    assert [a.alert_id for a in ledger.due(con, db.utcnow() + timedelta(minutes=6))] == ["a1"]
    assert ledger.mark_failed(con, ["a1"], "smtp down", max_attempts=2, retry_in=timedelta(0)) == ["a1"]
    assert statuses(con) == {"a1": "given_up"}


@pytest.mark.parametrize("channel,expected", [("email", "pending"), ("generic", "pending"), ("slack", "uncertain")])
def test_recovery_of_rows_left_sending_by_a_crash(con, channel, expected):
    ledger.insert(con, [row("a1")])
    ledger.mark_sending(con, ["a1"])
    uncertain = ledger.recover_interrupted(con, {"d1": channel})
    assert statuses(con) == {"a1": expected}
    assert uncertain == (["a1"] if expected == "uncertain" else [])


def test_sent_is_final(con):
    ledger.insert(con, [row("a1")])
    ledger.mark_sent(con, ["a1"])
    ledger.mark_failed(con, ["a1"], "late failure", max_attempts=1, retry_in=timedelta(0))
    ledger.mark_sending(con, ["a1"])
    assert statuses(con) == {"a1": "sent"}
    assert con.execute("SELECT attempts FROM alerts").fetchone() == (1,)


def test_digest_rows_wait_for_their_slot_and_are_never_superseded(con):
    ledger.insert(
        con,
        [
            ledger.LedgerRow(
                "a1",
                "event",
                "c1",
                "new",
                "d1",
                "mailto://d1",
                "partnership",
                mode="digest",
                event_id="e1",
                not_before=NOW + timedelta(hours=3),
            )
        ],
    )
    ledger.insert(con, [row("a2", kind="update", change="stage:ratified")])
    assert [a.alert_id for a in ledger.due(con, NOW)] == ["a2"]
    assert {a.alert_id for a in ledger.due(con, NOW + timedelta(hours=3))} == {"a1", "a2"}
    assert statuses(con)["a1"] == "pending"
