"""The alert ledger: which alert is owed to which destination, and whether it went out.

Rows are created `pending` in the same transaction as their event (see storage.write_run). A row
becomes `sent` only after apprise reported success for that destination, in its own short write,
right after the send. A crash between the send and that write re-sends once on the next run
(at-least-once); a failed send stays `pending` and is retried next run until `max_attempts`,
then becomes `given_up`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from flows.db import utcnow
from parsers.models import Official


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """A ledger row joined with what a template needs to render it."""

    alert_id: str
    destination_key: str
    tag: str
    attempts: int
    event_id: str
    family: str
    type: str
    actor: str
    counterparts: tuple[str, ...]
    domain: str
    stage: str
    evidence: str
    confidence: float
    rule: str
    flags: tuple[str, ...]
    officials: tuple[Official, ...]
    item_title: str
    item_url: str
    source_id: str
    published: datetime | None
    detected_at: datetime


_PENDING_SQL = """
SELECT a.alert_id, a.destination_key, a.tag, a.attempts,
       e.event_id, e.family, e.type, e.actor, e.counterparts, e.domain, coalesce(e.stage, ''), e.evidence,
       e.confidence, e.rule, e.flags, e.officials,
       coalesce(i.title, ''), coalesce(i.url, ''), i.source_id, i.published, e.detected_at
FROM alerts a
JOIN events e USING (event_id)
JOIN items i ON i.item_id = e.item_id
WHERE a.status = 'pending'
ORDER BY a.created_at, a.alert_id
"""


def pending_alerts(con: duckdb.DuckDBPyConnection) -> list[PendingAlert]:
    out = []
    for r in con.execute(_PENDING_SQL).fetchall():
        officials = tuple(Official(**o) for o in json.loads(r[15] or "[]"))
        out.append(PendingAlert(
            alert_id=r[0], destination_key=r[1], tag=r[2], attempts=r[3], event_id=r[4], family=r[5], type=r[6],
            actor=r[7], counterparts=tuple(r[8]), domain=r[9], stage=r[10], evidence=r[11], confidence=r[12],
            rule=r[13], flags=tuple(r[14]), officials=officials, item_title=r[16], item_url=r[17],
            source_id=r[18], published=r[19], detected_at=r[20],
        ))
    return out


def mark_sent(con: duckdb.DuckDBPyConnection, alert_id: str) -> None:
    now = utcnow()
    con.execute(
        "UPDATE alerts SET status = 'sent', attempts = attempts + 1, last_attempt_at = ?, sent_at = ?, last_error = NULL"
        " WHERE alert_id = ? AND status = 'pending'",
        [now, now, alert_id],
    )


def mark_failed(con: duckdb.DuckDBPyConnection, alert_id: str, error: str, *, max_attempts: int) -> str:
    """Record a failed attempt; returns the new status (`pending` or `given_up`)."""
    row = con.execute(
        "UPDATE alerts SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?,"
        " status = CASE WHEN attempts + 1 >= ? THEN 'given_up' ELSE 'pending' END"
        " WHERE alert_id = ? AND status = 'pending' RETURNING status",
        [utcnow(), error[:500], max_attempts, alert_id],
    ).fetchone()
    return row[0] if row else "missing"


def orphan_destinations(con: duckdb.DuckDBPyConnection, known_keys: set[str]) -> list[str]:
    """Pending rows whose destination is no longer configured: they cannot be sent, say so."""
    rows = con.execute("SELECT DISTINCT destination FROM alerts WHERE status = 'pending' AND destination_key NOT IN (SELECT UNNEST($1))",
                       [sorted(known_keys)]).fetchall()
    return [r[0] for r in rows]
