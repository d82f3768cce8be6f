"""The alert ledger: which alert is owed to which destination, and what became of it.

States: pending -> sending -> sent, with pending again (backoff) after a failed send, given_up
after too many, uncertain after an ambiguous outcome on a channel that cannot be retried safely,
and superseded when a newer alert about the same event replaces one never sent. Rows are created
in the run's write transaction (with their events) and each transition is its own short write,
so a crash is recovered from the states alone (see `recover_interrupted`).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from flows.store.db import insert_rows, utcnow

# Channels where re-sending after a crash mid-send is acceptable (at-least-once): a duplicate
# email carries the same X-Treatywatch-Alert-Id header; Slack offers no way to check, so never.
RESEND_AFTER_CRASH = frozenset({"email", "generic", "console"})
# A `sending` claim older than this is interrupted even if its process seems alive (pid reuse, another host).
CLAIM_LEASE = timedelta(minutes=30)


def new_claimant() -> str:
    """This delivery's identity in `alerts.claimed_by`: host, pid, and a token unique to the call."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_is_dead(claimed_by: str | None, me: str) -> bool:
    """True when the delivery that claimed a row cannot still be sending it."""
    if not claimed_by:
        return True  # claimed before claims were recorded
    host, _, rest = claimed_by.partition(":")
    pid, _, token = rest.partition(":")
    my_host, my_pid, my_token = me.split(":", 2)
    if host != my_host or not pid.isdigit():
        return False  # cannot check another host: only the lease ends it
    if pid == my_pid:
        return token != my_token  # an earlier delivery of this same process has ended
    return not _pid_alive(int(pid))


@dataclass(frozen=True, slots=True)
class LedgerRow:
    alert_id: str
    kind: str  # event | update | health
    subject_id: str
    change: str
    destination_key: str
    destination: str
    tag: str
    mode: str = "immediate"
    event_id: str | None = None
    payload: dict[str, Any] | None = None
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class DueAlert:
    alert_id: str
    kind: str
    subject_id: str
    event_id: str | None
    change: str
    payload: dict[str, Any] | None
    destination_key: str
    destination: str
    tag: str
    mode: str
    attempts: int


@dataclass(frozen=True, slots=True)
class WaitingAlert:
    """A pending alert not yet due: its retry backoff (attempts > 0), debounce or digest time is ahead."""

    alert_id: str
    destination: str  # privacy-masked
    attempts: int
    next_attempt_at: datetime
    last_error: str | None  # scrubbed of secrets when it was recorded

    @property
    def why(self) -> str:
        if self.attempts:
            return f"attempt {self.attempts} failed: {self.last_error or 'unknown error'}"
        return "held for its debounce or digest time"


def waiting(con: duckdb.DuckDBPyConnection, now: datetime, limit: int = 50) -> list[WaitingAlert]:
    """Pending alerts whose next attempt is after `now`, soonest first."""
    rows = con.execute(
        "SELECT alert_id, destination, attempts, not_before, last_error FROM alerts"
        " WHERE status = 'pending' AND not_before > $1 ORDER BY not_before, alert_id LIMIT $2",
        [now, limit],
    ).fetchall()
    return [WaitingAlert(*r) for r in rows]


_COLUMNS = (
    "alert_id",
    "kind",
    "subject_id",
    "event_id",
    "change",
    "payload",
    "destination_key",
    "destination",
    "tag",
    "mode",
    "status",
    "attempts",
    "created_at",
    "not_before",
)


def insert(con: duckdb.DuckDBPyConnection, rows: Sequence[LedgerRow], *, now: datetime | None = None) -> int:
    """Queue rows (idempotent by alert_id); an unsent older alert on the same subject+destination is
    superseded, and the newcomer keeps its kind `event` so nobody gets an update without the alert."""
    if not rows:
        return 0
    now = now or utcnow()
    first_unsent = _supersede(con, rows)
    out = []
    for r in rows:
        kind, change = r.kind, r.change
        if (r.subject_id, r.destination_key) in first_unsent and r.kind == "update":
            kind, change = "event", "new"
        out.append(
            (
                r.alert_id,
                kind,
                r.subject_id,
                r.event_id,
                change,
                json.dumps(r.payload) if r.payload else None,
                r.destination_key,
                r.destination,
                r.tag,
                r.mode,
                "pending",
                0,
                now,
                r.not_before,
            )
        )
    return insert_rows(con, "alerts", _COLUMNS, out, or_mode="OR IGNORE")


def _supersede(con: duckdb.DuckDBPyConnection, rows: Sequence[LedgerRow]) -> set[tuple[str, str]]:
    """Mark never-attempted pending alerts on the same (subject, destination) superseded; return the
    pairs whose superseded row was a first alert."""
    keys = [(r.subject_id, r.destination_key) for r in rows if r.kind in ("event", "update")]
    if not keys:
        return set()
    found = con.execute(
        "UPDATE alerts SET status = 'superseded' FROM (SELECT UNNEST($1) AS s, UNNEST($2) AS d) k"
        " WHERE alerts.subject_id = k.s AND alerts.destination_key = k.d AND alerts.status = 'pending'"
        " AND alerts.attempts = 0 AND alerts.kind IN ('event', 'update') AND alerts.mode = 'immediate'"
        " RETURNING alerts.subject_id, alerts.destination_key, alerts.kind",
        [[k[0] for k in keys], [k[1] for k in keys]],
    ).fetchall()
    return {(s, d) for s, d, kind in found if kind == "event"}


def due(con: duckdb.DuckDBPyConnection, now: datetime) -> list[DueAlert]:
    rows = con.execute(
        "SELECT alert_id, kind, subject_id, event_id, change, payload, destination_key, destination, tag, mode, attempts"
        " FROM alerts WHERE status = 'pending' AND (not_before IS NULL OR not_before <= $1)"
        " ORDER BY created_at, alert_id",
        [now],
    ).fetchall()
    return [DueAlert(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else None, *r[6:]) for r in rows]


def recover_interrupted(
    con: duckdb.DuckDBPyConnection,
    channels: dict[str, str],
    claimant: str | None = None,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Rows left `sending` by a crash: resend where a duplicate is tolerable, else mark `uncertain`.
    Returns the alert ids marked uncertain (a health notice tells a person to check).

    A row another live delivery is sending right now (an overlapping run) is not touched.
    """
    me, stale_before = claimant or new_claimant(), (now or utcnow()) - CLAIM_LEASE
    found = con.execute(
        "SELECT alert_id, destination_key, claimed_by, last_attempt_at FROM alerts WHERE status = 'sending'"
    ).fetchall()
    rows = [(a, key) for a, key, by, at in found if claim_is_dead(by, me) or at is None or at < stale_before]
    uncertain = [a for a, key in rows if channels.get(key) not in RESEND_AFTER_CRASH]
    retry = [a for a, key in rows if channels.get(key) in RESEND_AFTER_CRASH]
    _set_status(con, retry, "pending", error="interrupted while sending; sending again")
    _set_status(con, uncertain, "uncertain", error="interrupted while sending; delivery unknown, not re-sent")
    return uncertain


def _set_status(con: duckdb.DuckDBPyConnection, ids: Sequence[str], status: str, *, error: str | None = None) -> None:
    if ids:
        con.execute(
            "UPDATE alerts SET status = $1, last_error = coalesce($2, last_error) WHERE alert_id IN (SELECT UNNEST($3))",
            [status, error, list(ids)],
        )


def mark_sending(con: duckdb.DuckDBPyConnection, ids: Sequence[str], claimant: str | None = None) -> list[str]:
    """Compare-and-set pending -> sending in one statement; returns the ids THIS call moved.

    Only those may be sent: a row another run claimed first is not in the list.
    """
    rows = con.execute(
        "UPDATE alerts SET status = 'sending', last_attempt_at = $1, claimed_by = $2"
        " WHERE alert_id IN (SELECT UNNEST($3)) AND status = 'pending' RETURNING alert_id",
        [utcnow(), claimant, list(ids)],
    ).fetchall()
    return [r[0] for r in rows]


def release(con: duckdb.DuckDBPyConnection, ids: Sequence[str], claimant: str) -> None:
    """Give back rows this delivery claimed but did not send (nothing to render yet)."""
    if ids:
        con.execute(
            "UPDATE alerts SET status = 'pending' WHERE alert_id IN (SELECT UNNEST($1)) AND status = 'sending'"
            " AND claimed_by = $2",
            [list(ids), claimant],
        )


def mark_sent(con: duckdb.DuckDBPyConnection, ids: Sequence[str], *, digest_id: str | None = None) -> None:
    con.execute(
        "UPDATE alerts SET status = 'sent', attempts = attempts + 1, sent_at = $1, last_error = NULL, digest_id = $2"
        " WHERE alert_id IN (SELECT UNNEST($3)) AND status IN ('pending', 'sending')",
        [utcnow(), digest_id, list(ids)],
    )


def mark_failed(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], error: str, *, max_attempts: int, retry_in: timedelta
) -> list[str]:
    """Record a failed attempt; rows past `max_attempts` become given_up. Returns the given-up ids."""
    rows = con.execute(
        "UPDATE alerts SET attempts = attempts + 1, last_error = $1, not_before = $2,"
        " status = CASE WHEN attempts + 1 >= $3 THEN 'given_up' ELSE 'pending' END"
        " WHERE alert_id IN (SELECT UNNEST($4)) AND status IN ('pending', 'sending') RETURNING alert_id, status",
        [error[:500], utcnow() + retry_in, max_attempts, list(ids)],
    ).fetchall()
    return [a for a, status in rows if status == "given_up"]


def mark_uncertain(con: duckdb.DuckDBPyConnection, ids: Sequence[str], error: str) -> None:
    con.execute(
        "UPDATE alerts SET status = 'uncertain', attempts = attempts + 1, last_error = $1"
        " WHERE alert_id IN (SELECT UNNEST($2))",
        [error[:500], list(ids)],
    )


def requeue(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> None:
    """A person checked the channel and wants these alerts sent again: pending, attempts reset."""
    con.execute(
        "UPDATE alerts SET status = 'pending', attempts = 0, not_before = NULL,"
        " last_error = 'queued again by hand' WHERE alert_id IN (SELECT UNNEST($1))",
        [list(ids)],
    )


def orphan_destinations(con: duckdb.DuckDBPyConnection, known_keys: set[str]) -> list[str]:
    """Pending rows whose destination is no longer configured: they cannot be sent, say so."""
    rows = con.execute(
        "SELECT DISTINCT destination FROM alerts WHERE status = 'pending'"
        " AND destination_key NOT IN (SELECT UNNEST($1))",
        [sorted(known_keys)],
    ).fetchall()
    return [r[0] for r in rows]
