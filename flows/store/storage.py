"""What a run reads from and writes to DuckDB, one batched statement per table.

A run's results land in ONE transaction (fetch log, source state, items, events, parties and the
pending alert ledger rows), so a crash either loses the whole run (it is redone next time) or
keeps it whole with its alerts queued: an event is never stored without its ledger rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from flows.store import health as store_health
from flows.store.db import insert_rows, transaction, utcnow
from flows.store.health import HealthUpdate
from parsers.models import Event, Instrument, Item, Official, Source, StoredEvent
from parsers.urls import redact


@dataclass(frozen=True, slots=True)
class SourceState:
    """Validators kept between runs for conditional GETs and the health counters."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    consecutive_failures: int = 0


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One attempt at one source, as it goes into the `fetches` log."""

    source_id: str
    url: str
    started_at: datetime
    status: int
    latency_ms: int
    bytes: int
    items: int
    new_items: int
    error_kind: str | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    kind: str = "feed"  # feed | page (an article page whose full-text fetch failed)
    item_id: str | None = None  # page rows: the item whose page it was
    dropped: int = 0  # entries not stored: over the per-feed cap, no identity, duplicate id
    note: str | None = None  # handled oddities: a charset label corrected, repeated or recycled ids

    @property
    def ok(self) -> bool:
        return self.error_kind is None


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item with the hash of its feed version (page fetches must not make it look changed)."""

    item: Item
    content_hash: str


@dataclass(slots=True)
class RunRecord:
    """Everything one run wants to write; handed to `write_run` as a unit."""

    run_id: str
    started_at: datetime
    sources: Sequence[Source] = ()
    # Feed fetches, plus failed article pages (kind 'page'): those are logged in `fetches` but never
    # count as the source's success or failure (`sources` counters, `runs.sources_*`, health score).
    fetches: list[FetchRecord] = field(default_factory=list)
    items: list[StoredItem] = field(default_factory=list)
    events: list[StoredEvent] = field(default_factory=list)
    health: HealthUpdate | None = None  # source health and its transitions (parsers.policy.health)


def load_source_states(con: duckdb.DuckDBPyConnection) -> dict[str, SourceState]:
    rows = con.execute("SELECT source_id, etag, last_modified, body_hash, consecutive_failures FROM sources").fetchall()
    return {r[0]: SourceState(r[1], r[2], r[3], r[4]) for r in rows}


def known_content_hashes(con: duckdb.DuckDBPyConnection, item_ids: Iterable[str]) -> dict[str, str]:
    ids = list(set(item_ids))
    if not ids:
        return {}
    rows = con.execute("SELECT item_id, content_hash FROM items WHERE item_id IN (SELECT UNNEST($1))", [ids]).fetchall()
    return dict(rows)


def write_run(
    con: duckdb.DuckDBPyConnection,
    run: RunRecord,
    *,
    finished_at: datetime | None = None,
    within: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """Write a run's results atomically: all tables or none. `within` runs in the same transaction
    (the alert planner), so an event is never committed without the alerts it causes."""
    with transaction(con):
        upsert_sources(con, run.sources)
        _write_fetches(con, run)
        _upsert_items(con, run.items)
        insert_events(con, run.events)
        if run.health is not None:
            store_health.save(con, run.health)
        if within is not None:
            within(con)
        feeds = feed_fetches(run.fetches)
        ok = sum(f.ok for f in feeds)
        con.execute(
            "INSERT OR REPLACE INTO runs (run_id, started_at, finished_at, sources_ok, sources_failed, new_items, new_events)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [run.run_id, run.started_at, finished_at or utcnow(), ok, len(feeds) - ok, len(run.items), len(run.events)],
        )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    sources_ok: int,
    sources_failed: int,
    new_items: int,
    new_events: int,
    sent: int,
    failed: int,
    finished_at: datetime | None = None,
) -> None:
    """The run's totals over all its batches (each batch's commit wrote its own) and the delivery counts."""
    con.execute(
        "UPDATE runs SET sources_ok = ?, sources_failed = ?, new_items = ?, new_events = ?,"
        " alerts_sent = ?, alerts_failed = ?, finished_at = ? WHERE run_id = ?",
        [sources_ok, sources_failed, new_items, new_events, sent, failed, finished_at or utcnow(), run_id],
    )


def store_events(con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> int:
    """Store the events not stored yet, in one transaction (no run, no alerts); returns how many were new."""
    known = existing_event_ids(con, (e.event_id for e in events))
    fresh = [e for e in events if e.event_id not in known]
    with transaction(con):
        insert_events(con, fresh)
    return len(fresh)


def reset_failures(con: duckdb.DuckDBPyConnection, source_ids: Sequence[str]) -> None:
    """Restart the failure counter (backoff grows from it) of sources an operator enabled by hand."""
    con.execute(
        "UPDATE sources SET consecutive_failures = 0 WHERE source_id IN (SELECT UNNEST($1))", [list(source_ids)]
    )


def feed_fetches(records: Iterable[FetchRecord]) -> list[FetchRecord]:
    """The feed attempts only: a failed article page says nothing about whether the source works."""
    return [f for f in records if f.kind == "feed"]


def upsert_sources(con: duckdb.DuckDBPyConnection, sources: Sequence[Source]) -> None:
    """Insert new sources and refresh config fields of known ones, in two statements."""
    if not sources:
        return
    insert_rows(
        con,
        "sources",
        ["source_id", "kind", "url", "lang", "source_group", "first_seen_at"],
        [(s.id, s.kind, redact(s.url), s.lang, s.group, utcnow()) for s in sources],
        or_mode="OR IGNORE",
    )
    con.execute(
        "UPDATE sources SET kind = c.kind, url = c.url, lang = c.lang, source_group = c.grp FROM ("
        " SELECT UNNEST($1) AS id, UNNEST($2) AS kind, UNNEST($3) AS url, UNNEST($4) AS lang, UNNEST($5) AS grp) c"
        " WHERE sources.source_id = c.id",
        [
            [s.id for s in sources],
            [s.kind for s in sources],
            [redact(s.url) for s in sources],
            [s.lang for s in sources],
            [s.group for s in sources],
        ],
    )


def _write_fetches(con: duckdb.DuckDBPyConnection, run: RunRecord) -> None:
    """The fetch log (feeds and failed pages), then each source's validators and failure counter from
    its feed fetch only, batched (500 feeds: 3 statements)."""
    insert_rows(
        con,
        "fetches",
        [
            "run_id",
            "source_id",
            "url",
            "started_at",
            "status",
            "latency_ms",
            "bytes",
            "items",
            "new_items",
            "error_kind",
            "error",
            "kind",
            "item_id",
            "dropped",
            "note",
        ],
        [
            (
                run.run_id,
                f.source_id,
                f.url,
                f.started_at,
                f.status,
                f.latency_ms,
                f.bytes,
                f.items,
                f.new_items,
                f.error_kind,
                f.error,
                f.kind,
                f.item_id,
                f.dropped,
                f.note,
            )
            for f in run.fetches
        ],
    )
    feeds = feed_fetches(run.fetches)
    ok = [f for f in feeds if f.ok]
    if ok:
        con.execute(
            "UPDATE sources SET last_attempt_at = f.at, last_success_at = f.at, consecutive_failures = 0,"
            " last_error_kind = NULL, last_error = NULL, etag = coalesce(f.etag, sources.etag),"
            " last_modified = coalesce(f.lm, sources.last_modified), body_hash = coalesce(f.bh, sources.body_hash)"
            " FROM (SELECT UNNEST($1) AS id, UNNEST($2) AS at, UNNEST($3) AS etag, UNNEST($4) AS lm,"
            " UNNEST($5) AS bh) f WHERE sources.source_id = f.id",
            [
                [f.source_id for f in ok],
                [f.started_at for f in ok],
                [f.etag for f in ok],
                [f.last_modified for f in ok],
                [f.body_hash for f in ok],
            ],
        )
    bad = [f for f in feeds if not f.ok]
    if bad:
        con.execute(
            "UPDATE sources SET last_attempt_at = f.at, consecutive_failures = consecutive_failures + 1,"
            " last_error_kind = f.kind, last_error = f.err"
            " FROM (SELECT UNNEST($1) AS id, UNNEST($2) AS at, UNNEST($3) AS kind, UNNEST($4) AS err) f"
            " WHERE sources.source_id = f.id",
            [
                [f.source_id for f in bad],
                [f.started_at for f in bad],
                [f.error_kind for f in bad],
                [f.error for f in bad],
            ],
        )


def _upsert_items(con: duckdb.DuckDBPyConnection, stored: Sequence[StoredItem]) -> None:
    """Replace changed items, keeping when each was first seen."""
    if not stored:
        return
    now = utcnow()
    ids = [s.item.id for s in stored]
    first_seen = dict(
        con.execute("SELECT item_id, first_seen_at FROM items WHERE item_id IN (SELECT UNNEST($1))", [ids]).fetchall()
    )
    con.execute("DELETE FROM items WHERE item_id IN (SELECT UNNEST($1))", [ids])
    insert_rows(
        con,
        "items",
        [
            "item_id",
            "source_id",
            "url",
            "guid",
            "title",
            "summary",
            "text",
            "lang",
            "published",
            "content_hash",
            "first_seen_at",
            "fetched_at",
        ],
        [
            (
                i.id,
                i.source_id,
                i.url,
                i.guid,
                i.title,
                i.summary,
                i.text,
                i.lang,
                i.published,
                s.content_hash,
                first_seen.get(i.id, now),
                now,
            )
            for s in stored
            for i in (s.item,)
        ],
    )


# The one event <-> row mapping: `insert_events` writes these columns, `event_of` reads them back.
EVENT_COLUMNS = (
    "event_id",
    "item_id",
    "family",
    "type",
    "actor",
    "counterparts",
    "domain",
    "stage",
    "evidence",
    "span_start",
    "span_end",
    "confidence",
    "rule",
    "flags",
    "officials",
    "dates",
    "lang",
    "extractor_version",
    "instrument_text",
    "instrument_id",
    "instrument_kind",
)
_EVENT_SELECT = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events e"


def officials_json(officials: Sequence[Official]) -> str:
    return json.dumps([{"name": o.name, "role": o.role, "country": o.country} for o in officials], ensure_ascii=False)


def officials_of(text: str | None) -> tuple[Official, ...]:
    return tuple(Official(o["name"], o.get("role", ""), o.get("country")) for o in json.loads(text or "[]"))


def _event_row(se: StoredEvent) -> tuple[Any, ...]:
    e = se.event
    return (
        se.event_id,
        se.item_id,
        e.family,
        e.type,
        e.actor,
        list(e.counterparts),
        e.domain,
        e.stage,
        e.evidence,
        e.span[0],
        e.span[1],
        e.confidence,
        e.rule,
        list(e.flags),
        officials_json(e.officials),
        list(e.dates),
        e.lang,
        e.extractor_version,
        *_instrument_row(e),
    )


def event_of(r: Sequence[Any]) -> StoredEvent:
    """A stored event as extraction made it, from a row of EVENT_COLUMNS."""
    event = Event(
        family=r[2],
        type=r[3],
        actor=r[4],
        counterparts=tuple(r[5]),
        domain=r[6],
        stage=r[7] or "announced",
        evidence=r[8],
        span=(r[9], r[10]),
        confidence=r[11],
        rule=r[12],
        flags=tuple(r[13] or ()),
        officials=officials_of(r[14]),
        dates=tuple(r[15] or ()),
        lang=r[16] or "en",
        extractor_version=r[17] or "",
        instrument=Instrument(r[18] or "", r[19], r[20]) if r[20] else None,
    )
    return StoredEvent(r[0], r[1], event)


def insert_events(con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
    now = utcnow()
    parties: list[tuple[str, str, str]] = []
    for se in events:
        parties.append((se.event_id, se.event.actor, "actor"))
        parties.extend((se.event_id, c, "counterpart") for c in se.event.counterparts)
    insert_rows(
        con, "events", [*EVENT_COLUMNS, "detected_at"], [(*_event_row(se), now) for se in events], or_mode="OR IGNORE"
    )
    insert_rows(con, "event_parties", ["event_id", "party", "role"], parties, or_mode="OR IGNORE")


def load_events(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str]) -> list[StoredEvent]:
    """The stored events of these items, by item then event id."""
    if not item_ids:
        return []
    rows = con.execute(
        f"{_EVENT_SELECT} WHERE item_id IN (SELECT UNNEST($1)) ORDER BY item_id, event_id", [list(item_ids)]
    ).fetchall()
    return [event_of(r) for r in rows]


def unplanned_events(con: duckdb.DuckDBPyConnection) -> list[StoredEvent]:
    """Stored events no alert was ever planned for (no cluster, no ledger row): what replay added.

    The hook for `treatywatch run`: its planner takes these with its own new events, so events
    written by `replay --apply` are alerted by the next run, once.
    """
    rows = con.execute(
        f"{_EVENT_SELECT} WHERE cluster_id IS NULL AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.event_id = e.event_id)"
        " ORDER BY detected_at, event_id"
    ).fetchall()
    return [event_of(r) for r in rows]


def _instrument_row(e: Event) -> tuple[str | None, str | None, str | None]:
    """(text, id, kind) of the event's instrument; NULLs for a record made without one."""
    i = e.instrument
    return (i.text, i.id, i.kind) if i is not None else (None, None, None)


def existing_event_ids(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> set[str]:
    ids = list(set(ids))
    if not ids:
        return set()
    return {
        r[0] for r in con.execute("SELECT event_id FROM events WHERE event_id IN (SELECT UNNEST($1))", [ids]).fetchall()
    }


def last_successful_run(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the last run that reached at least one source finished (the dead man's switch reads it)."""
    return con.execute("SELECT max(finished_at) FROM runs WHERE sources_ok > 0").fetchone()[0]


def item_origins(
    con: duckdb.DuckDBPyConnection, item_ids: Iterable[str]
) -> dict[str, tuple[str, str, datetime | None]]:
    """(source id, source group, published or first seen) per stored item, for clustering stored events."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    rows = con.execute(
        "SELECT i.item_id, i.source_id, coalesce(s.source_group, ''), coalesce(i.published, i.first_seen_at)"
        " FROM items i LEFT JOIN sources s USING (source_id) WHERE i.item_id IN (SELECT UNNEST($1))",
        [ids],
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}
