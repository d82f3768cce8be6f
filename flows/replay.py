"""`treatywatch replay`: re-run the current rules over stored items and show what would change.

Rules change; items stay. Replay reads items (optionally only those published, or fetched when no
date is known, since a date), extracts them again with the rules in the config directory and diffs
the result against the stored events by event identity (`parsers.models.event_id`: item + type +
parties). Nothing is written unless `--apply` is given; then only the events that appear are
stored, through `flows.store.storage.write_run`, in one transaction.

Alerts: replay creates no ledger rows itself. `apply(con, diff, within=...)` returns the appeared
events and runs `within(con)` inside the write transaction, so the alert planner can queue their
alerts atomically (the same hook `write_run` offers `treatywatch run`). Events that disappear are
reported, never deleted: they may already have been alerted, and an analyst decides about them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.text import Text

from flows.store import storage
from flows.store import db
from parsers.extract.engine import Extractor, extract_items, load_extractor
from parsers.models import Item
from parsers.config.routing import load_policy
from parsers.policy.routing import AlertPolicy

_ITEMS_SQL = (
    "SELECT item_id, source_id, url, title, text, lang, published FROM items"
    " WHERE $1::TIMESTAMPTZ IS NULL OR coalesce(published, fetched_at) >= $1::TIMESTAMPTZ ORDER BY item_id"
)


@dataclass(slots=True)
class ReplayDiff:
    """What the current rules would add and drop, over `items` stored items."""

    items: int = 0
    appeared: list[storage.StoredEvent] = field(default_factory=list)
    disappeared: list[storage.StoredEvent] = field(default_factory=list)
    unchanged: int = 0
    extractor_version: str = ""


def load_items(con: duckdb.DuckDBPyConnection, since: datetime | None) -> list[Item]:
    """Stored items, optionally only those published (else fetched) at or after `since`."""
    rows = con.execute(_ITEMS_SQL, [since]).fetchall()
    return [Item(id=r[0], source_id=r[1], url=r[2] or "", title=r[3] or "", text=r[4] or "", lang=r[5],
                 published=r[6]) for r in rows]


def diff(stored: Sequence[storage.StoredEvent], fresh: Sequence[storage.StoredEvent], items: int = 0,
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
        stored = storage.load_events(con, [i.id for i in items])
    return diff(stored, extract_items(extractor, items), len(items), extractor.version)


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
    """One short block per change (readable at 80 columns and when piped), then what was (or would be) written."""
    if result.appeared or result.disappeared:
        console.print(Text(f"replay with {result.extractor_version}", style="bold"))
    for se in result.appeared:
        _print_change(console, "+ appears", "green", se.item_id, se.event.type, se.event.actor, se.event.counterparts,
                      se.event.confidence, se.event.rule, alert_note(se, policy), se.event.evidence)
    for se in result.disappeared:
        _print_change(console, "- disappears", "red", se.item_id, se.event.type, se.event.actor, se.event.counterparts,
                      se.event.confidence, se.event.rule, "none (already stored; kept)", se.event.evidence)
    alerting = sum(not alert_note(se, policy).startswith("none") for se in result.appeared)
    console.print(f"items: {result.items} | appear: {len(result.appeared)} (would alert: {alerting}) | "
                  f"disappear: {len(result.disappeared)} | unchanged: {result.unchanged}", highlight=False)
    if applied:
        console.print(f"written: {len(result.appeared)} new events. They are alerted by the next "
                      "`treatywatch run`; disappeared events are kept.", highlight=False)
    elif result.appeared:
        console.print("nothing written: add --apply to store the events that appear.", highlight=False)


def _print_change(console: Console, change: str, colour: str, item_id: str, type_: str, actor: str,
                  counterparts: Sequence[str], confidence: float, rule: str, alert: str, evidence: str) -> None:
    """A change as a few labelled lines; text from feeds is printed verbatim, never as markup."""
    head = Text(change, style=colour)
    head.append(f"  {type_}: {actor} -> {','.join(counterparts) or '-'}  (confidence {confidence:.2f})")
    console.print(head, highlight=False)
    for label, value in (("item", item_id), ("rule", rule), ("alert", alert), ("evidence", evidence[:300])):
        line = Text(f"    {label + ':':<10}", style="dim")
        line.append(value)
        console.print(line, highlight=False, overflow="fold")
    console.print()


def replay(db_path: Path, config_dir: Path, routing_file: Path | None, since: datetime | None,
           do_apply: bool, console: Console) -> ReplayDiff:
    """The CLI's whole job: compute, print, and on `do_apply` write in one short connection."""
    result = compute(db_path, load_extractor(config_dir), since)
    if do_apply and result.appeared:
        with db.connect(db_path) as con:
            apply(con, result)
    print_diff(result, console, load_policy(routing_file), applied=do_apply)
    return result
