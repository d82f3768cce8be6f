"""Source health in DuckDB: what health remembers between runs, and the transitions it recorded.

Health itself is decided in `parsers.policy.health`; this module only reads and writes its two
tables, inside the caller's transaction (the run's, or an operator's hand change).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from flows.store.db import insert_rows
from parsers.policy.health import HealthEvent, SourceHealth


@dataclass(frozen=True, slots=True)
class HealthUpdate:
    """New health of some sources and the transitions that caused, as of `at`: written as a unit."""

    healths: Sequence[SourceHealth]
    events: Sequence[HealthEvent]
    at: datetime


def load_health(con: duckdb.DuckDBPyConnection) -> dict[str, SourceHealth]:
    """Health of every source seen before (sources without a row are `new`)."""
    rows = con.execute(
        "SELECT s.source_id, coalesce(h.state, CASE WHEN s.last_success_at IS NULL THEN 'new' ELSE 'ok' END),"
        " coalesce(h.score, 0), h.next_attempt_at, h.last_items, coalesce(h.first_success_at, s.last_success_at),"
        " s.consecutive_failures FROM sources s LEFT JOIN source_health h USING (source_id)"
    ).fetchall()
    return {r[0]: SourceHealth(r[0], r[1], float(r[2]), r[3], r[4], r[5], int(r[6] or 0)) for r in rows}


def save(con: duckdb.DuckDBPyConnection, update: HealthUpdate) -> None:
    """Replace each source's health row and record its transitions (idempotent by event id)."""
    insert_rows(
        con,
        "source_health",
        ["source_id", "state", "score", "next_attempt_at", "last_items", "first_success_at", "updated_at"],
        [
            (h.source_id, h.state, h.score, h.next_attempt_at, h.last_items, h.first_success_at, update.at)
            for h in update.healths
        ],
        or_mode="OR REPLACE",
    )
    insert_rows(
        con,
        "source_health_events",
        ["health_event_id", "source_id", "kind", "message", "score", "run_id", "created_at"],
        [(e.health_event_id, e.source_id, e.kind, e.message, e.score, e.run_id, e.created_at) for e in update.events],
        or_mode="OR IGNORE",
    )


def health_transitions(
    con: duckdb.DuckDBPyConnection, *, run_id: str | None = None, since: datetime | None = None
) -> list[HealthEvent]:
    """Recorded transitions (of one run, or since a time), oldest first: what the alert side routes as `health`."""
    sql = (
        "SELECT health_event_id, source_id, kind, message, score, run_id, created_at FROM source_health_events"
        " WHERE ($1::VARCHAR IS NULL OR run_id = $1) AND ($2::TIMESTAMPTZ IS NULL OR created_at >= $2)"
        " ORDER BY created_at, health_event_id"
    )
    return [HealthEvent(*row) for row in con.execute(sql, [run_id, since]).fetchall()]
