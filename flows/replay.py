"""`treatywatch replay`: re-run the current rules over stored items and show what would change.

Rules change; items stay. Replay reads items (optionally only those published, or fetched when no
date is known, since a date), extracts them again with the rules in the config directory and diffs
the result against the stored events by event identity (`flows.store.storage.event_id`: item + type +
parties). Nothing is written unless `--apply` is given; then only the events that appear are
stored, through `flows.store.storage.write_run`, in one transaction.

Alerts: replay creates no ledger rows itself. `apply(con, diff, within=...)` returns the appeared
events and runs `within(con)` inside the write transaction, so the alert planner can queue their
alerts atomically (the same hook `write_run` offers `treatywatch run`). Events that disappear are
reported, never deleted: they may already have been alerted, and an analyst decides about them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from flows.store import storage
from flows.store import db
from flows.extractor_cache import load_cached_extractor
from parsers.extract.engine import Extractor
from parsers.models import Event, ExtractionInput, Item, Official
from parsers.config.routing import AlertPolicy, load_policy

_ITEMS_SQL = (
    "SELECT item_id, source_id, url, title, text, lang, published FROM items"
    " WHERE $1::TIMESTAMPTZ IS NULL OR coalesce(published, fetched_at) >= $1::TIMESTAMPTZ ORDER BY item_id"
)
_EVENTS_SQL = (
    "SELECT event_id, item_id, type, actor, counterparts, confidence, rule, evidence, domain FROM events"
    " WHERE item_id IN (SELECT UNNEST($1)) ORDER BY item_id, event_id"
)


@dataclass(frozen=True, slots=True)
class StoredRow:
    """An event as the database holds it (enough to show and to identify it)."""

    event_id: str
    item_id: str
    type: str
    actor: str
    counterparts: tuple[str, ...]
    confidence: float
    rule: str
    evidence: str
    domain: str


@dataclass(slots=True)
class ReplayDiff:
    """What the current rules would add and drop, over `items` stored items."""

    items: int = 0
    appeared: list[storage.StoredEvent] = field(default_factory=list)
    disappeared: list[StoredRow] = field(default_factory=list)
    unchanged: int = 0
    extractor_version: str = ""


def load_items(con: duckdb.DuckDBPyConnection, since: datetime | None) -> list[Item]:
    """Stored items, optionally only those published (else fetched) at or after `since`."""
    rows = con.execute(_ITEMS_SQL, [since]).fetchall()
    return [Item(id=r[0], source_id=r[1], url=r[2] or "", title=r[3] or "", text=r[4] or "", lang=r[5],
                 published=r[6]) for r in rows]


def load_events(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str]) -> list[StoredRow]:
    if not item_ids:
        return []
    return [StoredRow(r[0], r[1], r[2], r[3], tuple(r[4]), r[5], r[6], r[7], r[8])
            for r in con.execute(_EVENTS_SQL, [list(item_ids)]).fetchall()]


def extract_items(items: Sequence[Item], extractor: Extractor) -> list[storage.StoredEvent]:
    """The current rules' events for the items, with the ids `treatywatch run` would give them."""
    out: list[storage.StoredEvent] = []
    for item in items:
        doc = ExtractionInput(text=item.text, title=item.title, lang=item.lang, published=item.published, id=item.id)
        out.extend(storage.StoredEvent(storage.event_id(item.id, e), item.id, e) for e in extractor.extract(doc))
    return out


def diff(stored: Sequence[StoredRow], fresh: Sequence[storage.StoredEvent], items: int = 0,
         version: str = "") -> ReplayDiff:
    """Appeared = fresh ids not stored; disappeared = stored ids the rules no longer produce."""
    old = {r.event_id for r in stored}
    new = {e.event_id for e in fresh}
    return ReplayDiff(items=items, appeared=[e for e in fresh if e.event_id not in old],
                      disappeared=[r for r in stored if r.event_id not in new],
                      unchanged=len(old & new), extractor_version=version)


def compute(db_path: Path, extractor: Extractor, since: datetime | None = None) -> ReplayDiff:
    """Read (one short read-only connection), then extract in memory: the file is never held long."""
    with db.connect(db_path, read_only=True) as con:
        items = load_items(con, since)
        stored = load_events(con, [i.id for i in items])
    return diff(stored, extract_items(items, extractor), len(items), extractor.version)


def apply(con: duckdb.DuckDBPyConnection, result: ReplayDiff,
          within: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> list[storage.StoredEvent]:
    """Store the appeared events in one transaction; return them (the events alerts must be planned for).

    `within` runs inside that transaction: pass the alert planner to queue their alerts atomically.
    """
    if result.appeared or within is not None:
        run = storage.RunRecord(run_id="replay-" + uuid.uuid4().hex, started_at=db.utcnow(),
                                events=list(result.appeared))
        storage.write_run(con, run, within=within)
    return list(result.appeared)


def unplanned_events(con: duckdb.DuckDBPyConnection) -> list[storage.StoredEvent]:
    """Stored events no alert was ever planned for (no cluster, no ledger row): what replay added.

    The hook for `treatywatch run`: its planner takes these with its own new events, so events
    written by `replay --apply` are alerted by the next run, once.
    """
    rows = con.execute(
        "SELECT event_id, item_id, family, type, actor, counterparts, domain, stage, evidence, span_start, span_end,"
        " confidence, rule, flags, officials, dates, lang, extractor_version FROM events e"
        " WHERE cluster_id IS NULL AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.event_id = e.event_id)"
        " ORDER BY detected_at, event_id"
    ).fetchall()
    return [storage.StoredEvent(r[0], r[1], _event_of(r)) for r in rows]


def _event_of(r: tuple) -> Event:
    officials = tuple(Official(o["name"], o.get("role", ""), o.get("country")) for o in json.loads(r[14] or "[]"))
    return Event(family=r[2], type=r[3], actor=r[4], counterparts=tuple(r[5]), domain=r[6], stage=r[7] or "announced",
                 evidence=r[8], span=(r[9], r[10]), confidence=r[11], rule=r[12], flags=tuple(r[13] or ()),
                 officials=officials, dates=tuple(r[15] or ()), lang=r[16] or "en", extractor_version=r[17] or "")


def alert_note(event: storage.StoredEvent, policy: AlertPolicy) -> str:
    """Which alert the event would cause under the routing policy (by family tag), or why none."""
    e = event.event
    tag = policy.tag(e.family)
    if tag.accepts(confidence=e.confidence, domain=e.domain, parties=frozenset({e.actor, *e.counterparts})):
        return f"{e.family} ({tag.mode})"
    if e.confidence < tag.min_confidence:
        return f"none: confidence < {tag.min_confidence}"
    return "none: filtered by routing"


def print_diff(result: ReplayDiff, console: Console, policy: AlertPolicy, *, applied: bool) -> None:
    """One table of changes and a summary line that says what was (or would be) written."""
    table = Table(title=f"replay with {result.extractor_version}", title_justify="left")
    for col in ("change", "item", "type", "actor", "counterparts", "conf", "rule", "alert", "evidence"):
        table.add_column(col, overflow="fold", ratio=3 if col == "evidence" else None)
    for se in result.appeared:
        e = se.event
        table.add_row("[green]+ appears[/]", se.item_id, e.type, e.actor, ",".join(e.counterparts),
                      f"{e.confidence:.2f}", e.rule, alert_note(se, policy), e.evidence[:120])
    for r in result.disappeared:
        table.add_row("[red]- disappears[/]", r.item_id, r.type, r.actor, ",".join(r.counterparts),
                      f"{r.confidence:.2f}", r.rule, "none (already stored; kept)", r.evidence[:120])
    if result.appeared or result.disappeared:
        console.print(table)
    alerting = sum(not alert_note(se, policy).startswith("none") for se in result.appeared)
    console.print(f"items: {result.items} | appear: {len(result.appeared)} (would alert: {alerting}) | "
                  f"disappear: {len(result.disappeared)} | unchanged: {result.unchanged}", highlight=False)
    if applied:
        console.print(f"written: {len(result.appeared)} new events. They are alerted by the next "
                      "`treatywatch run`; disappeared events are kept.", highlight=False)
    elif result.appeared:
        console.print("nothing written: add --apply to store the events that appear.", highlight=False)


def replay(db_path: Path, config_dir: Path, routing_file: Path | None, since: datetime | None,
           do_apply: bool, console: Console) -> ReplayDiff:
    """The CLI's whole job: compute, print, and on `do_apply` write in one short connection."""
    result = compute(db_path, load_cached_extractor(config_dir), since)
    if do_apply and result.appeared:
        with db.connect(db_path) as con:
            apply(con, result)
    print_diff(result, console, load_policy(routing_file), applied=do_apply)
    return result
