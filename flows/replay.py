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

Scale: items stream from one read-only connection (DuckDB memory capped) in batches of BATCH, each
batch is extracted and diffed and then dropped, so memory stays flat at a million stored items. The
CLI shows the first `--limit` changes and a summary; `--out FILE` gets every change as CSV (.csv)
or a JSON array (any other name). With --apply the appearing events are spilled to a temporary
file during the read and written afterwards, one transaction per batch (an interrupted apply is
completed by running it again: the event ids are the same). The read connection is held for the
whole pass, so a `treatywatch run` started meanwhile waits for it.
"""

from __future__ import annotations

import csv
import json
import pickle
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.text import Text

from flows.extractor_cache import load_cached_extractor
from flows.store import db, storage
from parsers.config.routing import load_policy
from parsers.extract.engine import Extractor, extract_items
from parsers.models import Item
from parsers.policy.routing import AlertPolicy

_ITEMS_SQL = (
    "SELECT item_id, source_id, url, title, text, lang, published FROM items"
    " WHERE $1::TIMESTAMPTZ IS NULL OR coalesce(published, fetched_at) >= $1::TIMESTAMPTZ ORDER BY item_id"
)
# the streamed read: no ORDER BY (sorting a million 4 KB texts is what made replay need gigabytes)
_STREAM_SQL = (
    "SELECT item_id, source_id, url, title, text, lang, published FROM items"
    " WHERE $1::TIMESTAMPTZ IS NULL OR coalesce(published, fetched_at) >= $1::TIMESTAMPTZ"
)
BATCH = 2000
DUCKDB_MEMORY = "256MB"  # DuckDB's own buffers during a replay; Python's batch comes on top
# a DuckDB instance of the replay's own, so the cap does not stay on the process's shared one (db._Host)
REPLAY_CONFIG = {"memory_limit": DUCKDB_MEMORY}
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

    more_appeared: int = 0  # counted but not kept (replay keeps only the first `limit` changes)
    more_disappeared: int = 0

    @property
    def n_appeared(self) -> int:
        return len(self.appeared) + self.more_appeared

    @property
    def n_disappeared(self) -> int:
        return len(self.disappeared) + self.more_disappeared

    def merge(self, part: ReplayDiff, keep: int | None = None) -> None:
        """Add one batch's diff to this one, keeping at most `keep` rows per list (all are counted)."""
        self.items += part.items
        self.unchanged += part.unchanged
        self.extractor_version = part.extractor_version or self.extractor_version
        room = len(part.appeared) if keep is None else max(0, keep - len(self.appeared))
        self.appeared.extend(part.appeared[:room])
        self.more_appeared += part.n_appeared - len(part.appeared[:room])
        room = len(part.disappeared) if keep is None else max(0, keep - len(self.disappeared))
        self.disappeared.extend(part.disappeared[:room])
        self.more_disappeared += part.n_disappeared - len(part.disappeared[:room])


def load_items(con: duckdb.DuckDBPyConnection, since: datetime | None) -> list[Item]:
    """Stored items, optionally only those published (else fetched) at or after `since`."""
    return [_item(r) for r in con.execute(_ITEMS_SQL, [since]).fetchall()]


def _item(r: tuple) -> Item:
    return Item(id=r[0], source_id=r[1], url=r[2] or "", title=r[3] or "", text=r[4] or "", lang=r[5], published=r[6])


def stream_diff(
    con: duckdb.DuckDBPyConnection, extractor: Extractor, since: datetime | None = None, batch: int = BATCH
) -> Iterator[ReplayDiff]:
    """One diff per batch of stored items, read as a stream (open `con` with REPLAY_CONFIG: memory capped)."""
    events = db.cursor(con)  # its own cursor: a query on `con` would end the stream
    result = con.execute(_STREAM_SQL, [since])
    while rows := result.fetchmany(batch):
        items = sorted(map(_item, rows), key=lambda i: i.id)
        yield diff(
            load_events(events, [i.id for i in items]), extract_items(extractor, items), len(items), extractor.version
        )


def load_events(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str]) -> list[StoredRow]:
    if not item_ids:
        return []
    return [
        StoredRow(r[0], r[1], r[2], r[3], tuple(r[4]), r[5], r[6], r[7], r[8])
        for r in con.execute(_EVENTS_SQL, [list(item_ids)]).fetchall()
    ]


def diff(
    stored: Sequence[StoredRow], fresh: Sequence[storage.StoredEvent], items: int = 0, version: str = ""
) -> ReplayDiff:
    """Appeared = fresh ids not stored; disappeared = stored ids the rules no longer produce."""
    old = {r.event_id for r in stored}
    new = {e.event_id for e in fresh}
    return ReplayDiff(
        items=items,
        appeared=[e for e in fresh if e.event_id not in old],
        disappeared=[r for r in stored if r.event_id not in new],
        unchanged=len(old & new),
        extractor_version=version,
    )


def compute(db_path: Path, extractor: Extractor, since: datetime | None = None, batch: int = BATCH) -> ReplayDiff:
    """The whole diff in memory (tests, small databases); the CLI streams it instead (`replay`)."""
    total = ReplayDiff(extractor_version=extractor.version)
    with db.connect(db_path, read_only=True, config=REPLAY_CONFIG) as con:
        for part in stream_diff(con, extractor, since, batch):
            total.merge(part)
    total.appeared.sort(key=lambda e: (e.item_id, e.event_id))
    total.disappeared.sort(key=lambda r: (r.item_id, r.event_id))
    return total


def apply(
    con: duckdb.DuckDBPyConnection,
    result: ReplayDiff,
    within: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> list[storage.StoredEvent]:
    """Store the appeared events in one transaction; return them (the events alerts must be planned for).

    `within` runs inside that transaction: pass the alert planner to queue their alerts atomically.
    """
    if result.appeared or within is not None:
        run = storage.RunRecord(
            run_id="replay-" + uuid.uuid4().hex, started_at=db.utcnow(), events=list(result.appeared)
        )
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


_COLUMNS = ("change", "item", "type", "actor", "counterparts", "conf", "rule", "alert", "evidence")


def change_rows(part: ReplayDiff, policy: AlertPolicy) -> Iterator[tuple[str, ...]]:
    """One row per change, in the columns of `--out` (the terminal shows the same fields as blocks)."""
    for se in part.appeared:
        e = se.event
        yield (
            "appears",
            se.item_id,
            e.type,
            e.actor,
            ",".join(e.counterparts),
            f"{e.confidence:.2f}",
            e.rule,
            alert_note(se, policy),
            e.evidence,
        )
    for r in part.disappeared:
        yield (
            "disappears",
            r.item_id,
            r.type,
            r.actor,
            ",".join(r.counterparts),
            f"{r.confidence:.2f}",
            r.rule,
            "none (already stored; kept)",
            r.evidence,
        )


class DiffFile:
    """Every change, written as it is found: CSV for a .csv name, else one JSON array."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._fh) if path.suffix.lower() == ".csv" else None
        if self._csv is not None:
            self._csv.writerow(_COLUMNS)
        else:
            self._fh.write("[")
        self.rows = 0

    def write(self, rows: Iterator[tuple[str, ...]]) -> None:
        for row in rows:
            if self._csv is not None:
                self._csv.writerow(row)
            else:
                self._fh.write(
                    ("," if self.rows else "")
                    + "\n"
                    + json.dumps(dict(zip(_COLUMNS, row, strict=False)), ensure_ascii=False)
                )
            self.rows += 1

    def close(self) -> None:
        if self._csv is None:
            self._fh.write("\n]\n")
        self._fh.close()


def print_diff(
    result: ReplayDiff,
    console: Console,
    policy: AlertPolicy,
    *,
    applied: bool,
    limit: int | None = None,
    alerting: int | None = None,
    out: Path | None = None,
) -> None:
    """One short block per change (at most `limit`; readable at 80 columns and when piped), then a
    summary line that says what was (or would be) written."""
    shown = 0
    for row in change_rows(result, policy):
        if limit is not None and shown >= limit:
            break
        if not shown:
            console.print(Text(f"replay with {result.extractor_version}", style="bold"))
        appears = row[0] == "appears"
        _print_change(console, "+ appears" if appears else "- disappears", "green" if appears else "red", *row[1:])
        shown += 1
    changes = result.n_appeared + result.n_disappeared
    if alerting is None:
        alerting = sum(not alert_note(se, policy).startswith("none") for se in result.appeared)
    console.print(
        f"items: {result.items} | appear: {result.n_appeared} (would alert: {alerting}) | "
        f"disappear: {result.n_disappeared} | unchanged: {result.unchanged}",
        highlight=False,
    )
    if shown < changes:
        console.print(
            f"showing {shown} of {changes} changes"
            + (f"; all of them in {out}" if out else "; --out FILE.csv (or .json) writes all of them"),
            highlight=False,
        )
    if applied:
        console.print(
            f"written: {result.n_appeared} new events. They are alerted by the next "
            "`treatywatch run`; disappeared events are kept.",
            highlight=False,
        )
    elif result.appeared:
        console.print("nothing written: add --apply to store the events that appear.", highlight=False)


def _print_change(
    console: Console,
    change: str,
    colour: str,
    item_id: str,
    type_: str,
    actor: str,
    counterparts: str,
    confidence: str,
    rule: str,
    alert: str,
    evidence: str,
) -> None:
    """A change (a row of change_rows) as a few labelled lines; text from feeds is printed verbatim, never as markup."""
    head = Text(change, style=colour)
    head.append(f"  {type_}: {actor} -> {counterparts or '-'}  (confidence {confidence})")
    console.print(head, highlight=False)
    for label, value in (("item", item_id), ("rule", rule), ("alert", alert), ("evidence", evidence[:300])):
        line = Text(f"    {label + ':':<10}", style="dim")
        line.append(value)
        console.print(line, highlight=False, overflow="fold")
    console.print()


def replay(
    db_path: Path,
    config_dir: Path,
    routing_file: Path | None,
    since: datetime | None,
    do_apply: bool,
    console: Console,
    *,
    limit: int = 50,
    out: Path | None = None,
    batch: int = BATCH,
) -> ReplayDiff:
    """The CLI's whole job, streamed: diff batch by batch, print a capped table, write the rest to `out`.

    Returns a summary whose lists hold only the first `limit` changes (n_appeared/n_disappeared count all).
    """
    extractor = load_cached_extractor(config_dir)
    policy = load_policy(routing_file)
    summary = ReplayDiff(extractor_version=extractor.version)
    sink = DiffFile(out) if out is not None else None
    spill = tempfile.TemporaryFile() if do_apply else None  # noqa: SIM115 - closed in the finally below
    alerting = 0
    try:
        with db.connect(db_path, read_only=True, config=REPLAY_CONFIG) as con:
            for part in stream_diff(con, extractor, since, batch):
                summary.merge(part, keep=limit)
                alerting += sum(not alert_note(se, policy).startswith("none") for se in part.appeared)
                if sink is not None:
                    sink.write(change_rows(part, policy))
                if spill is not None and part.appeared:
                    pickle.dump(part.appeared, spill)
        if spill is not None:
            _apply_spilled(db_path, spill)
    finally:
        if sink is not None:
            sink.close()
        if spill is not None:
            spill.close()
    print_diff(summary, console, policy, applied=do_apply, limit=limit, alerting=alerting, out=out)
    return summary


def _apply_spilled(db_path: Path, spill) -> None:
    """Write the spilled appearing events, one transaction per batch, in one short write connection."""
    spill.seek(0)
    with db.connect(db_path) as con:
        while True:
            try:
                events = pickle.load(spill)
            except EOFError:
                break
            apply(con, ReplayDiff(appeared=events))
