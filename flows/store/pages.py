"""The article-page backlog: pages a run did not fetch are fetched by later runs, oldest first.

A feed of 100,000 summary-only entries must not cost 100,000 page requests in one run: runs fetch a
bounded number of pages (per source, per run, within the source's time budget) and leave the rest
here with their summary stored; a transiently failed page goes back too, until MAX_ATTEMPTS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from flows.store.db import insert_rows, utcnow
from parsers.models import Item

MAX_ATTEMPTS = 3  # a page that failed this many runs keeps its summary for good


@dataclass(frozen=True, slots=True)
class Deferred:
    """A page left for a later run, and why."""

    item: Item
    reason: str  # cap | budget | failed
    quiet: bool = False
    failed: bool = False  # counts as an attempt


@dataclass(frozen=True, slots=True)
class Pending:
    """A stored item whose page a later run should fetch; `feed_hash` is its stored content hash."""

    item: Item
    feed_hash: str
    quiet: bool
    attempts: int


def load(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str], limit: int, per_source: int) -> list[Pending]:
    """Backlog items of these sources, oldest first, at most `per_source` each and `limit` in all, as
    stored (summary text, needs_full_text)."""
    if not source_ids or limit <= 0 or per_source <= 0:
        return []
    rows = con.execute(
        "SELECT i.item_id, i.source_id, i.url, i.title, i.text, i.guid, i.summary, i.published, i.lang,"
        " i.content_hash, b.quiet, b.attempts FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY source_id ORDER BY added_at, item_id) AS n FROM page_backlog"
        "  WHERE source_id IN (SELECT UNNEST($1))) b JOIN items i USING (item_id)"
        " WHERE b.n <= $3 ORDER BY b.added_at, b.n, b.item_id LIMIT $2",
        [list(source_ids), limit, per_source],
    ).fetchall()
    return [
        Pending(
            Item(
                id=r[0],
                source_id=r[1],
                url=r[2],
                title=r[3] or "",
                text=r[4] or "",
                guid=r[5],
                summary=r[6] or "",
                published=r[7],
                lang=r[8],
                needs_full_text=True,
            ),
            r[9],
            r[10],
            r[11],
        )
        for r in rows
    ]


def save(
    con: duckdb.DuckDBPyConnection, deferred: Sequence[Deferred], done: Sequence[str], now: datetime | None = None
) -> None:
    """In the run's transaction: drop fetched pages, add or bump deferred ones, give up after MAX_ATTEMPTS."""
    if done:
        con.execute("DELETE FROM page_backlog WHERE item_id IN (SELECT UNNEST($1))", [list(done)])
    if not deferred:
        return
    now = now or utcnow()
    insert_rows(
        con,
        "page_backlog",
        ["item_id", "source_id", "url", "quiet", "reason", "attempts", "added_at"],
        [(d.item.id, d.item.source_id, d.item.url, d.quiet, d.reason, 0, now) for d in deferred],
        or_mode="OR IGNORE",
    )
    failed = [d.item.id for d in deferred if d.failed]
    if failed:
        con.execute(
            "UPDATE page_backlog SET attempts = attempts + 1, reason = 'failed' WHERE item_id IN (SELECT UNNEST($1))",
            [failed],
        )
        con.execute("DELETE FROM page_backlog WHERE attempts >= $1", [MAX_ATTEMPTS])


def count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM page_backlog").fetchone()[0]
