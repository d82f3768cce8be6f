"""Analysts' marks on clusters: stored with history, and what they change (a `wrong` cluster stops alerting)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from flows.store.db import insert_rows
from parsers.ids import short_hash

VERDICTS = ("correct", "wrong", "parties", "type")
RETRACTED = "marked wrong by an analyst"


@dataclass(frozen=True, slots=True)
class Mark:
    """One analyst verdict on one cluster; corrections only with `parties` / `type`."""

    cluster_id: str
    verdict: str
    marked_by: str
    marked_at: datetime
    actor: str | None = None
    counterparts: tuple[str, ...] | None = None
    type: str | None = None
    note: str | None = None


def record(con: duckdb.DuckDBPyConnection, mark: Mark) -> list[str]:
    """Store the mark; for `wrong`, supersede the cluster's unsent alerts. Returns the alert ids stopped."""
    fid = short_hash("feedback", mark.cluster_id, mark.verdict, mark.marked_at.isoformat(), mark.marked_by)
    insert_rows(
        con,
        "feedback",
        ("feedback_id", "cluster_id", "verdict", "actor", "counterparts", "type", "note", "marked_by", "marked_at"),
        [
            (
                fid,
                mark.cluster_id,
                mark.verdict,
                mark.actor,
                list(mark.counterparts) if mark.counterparts is not None else None,
                mark.type,
                mark.note,
                mark.marked_by,
                mark.marked_at,
            )
        ],
    )
    if mark.verdict != "wrong":
        return []
    rows = con.execute(
        "UPDATE alerts SET status = 'superseded', last_error = $1 WHERE subject_id = $2"
        " AND status = 'pending' RETURNING alert_id",
        [RETRACTED, mark.cluster_id],
    ).fetchall()
    return sorted(r[0] for r in rows)


def wrong_clusters(con: duckdb.DuckDBPyConnection, cluster_ids: Sequence[str]) -> set[str]:
    """Those of `cluster_ids` whose mark in force is `wrong`: they must never be alerted again."""
    if not cluster_ids:
        return set()
    rows = con.execute(
        "SELECT cluster_id FROM v_feedback WHERE verdict = 'wrong' AND cluster_id IN (SELECT UNNEST($1))",
        [list(cluster_ids)],
    ).fetchall()
    return {r[0] for r in rows}
