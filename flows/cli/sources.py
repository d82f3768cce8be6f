"""`treatywatch sources`: every configured source with its health, so an operator sees what is dead.

Read-only (changes by hand live in flows/source_control.py): the configured list (so a source never
fetched still shows) joined with what the DuckDB file knows (last success, failure count and score,
items, next attempt). Works before the first run and on a schema-v1 file (health columns then show
as unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from flows.store import db
from parsers.models import Source

HEALTH_SQL = (
    "SELECT source_id, last_success_at, consecutive_failures, score, items, next_attempt_at, state,"
    " last_error_kind, last_error FROM v_source_health"
)
V1_SQL = (
    "SELECT source_id, last_success_at, consecutive_failures, NULL, items, NULL,"
    " CASE WHEN last_success_at IS NULL THEN 'new' ELSE 'ok' END, last_error_kind, last_error FROM v_source_health"
)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One line of the table."""

    source_id: str
    kind: str
    group: str
    enabled: bool
    state: str = "new"
    last_success: datetime | None = None
    failures: int = 0
    score: float | None = None
    items: int = 0
    next_attempt: datetime | None = None
    last_error: str = ""


def _stored(db_path: Path) -> dict[str, tuple[Any, ...]]:
    """Health rows by source id; empty when the file does not exist yet."""
    if not db_path.exists():
        return {}
    with db.connect(db_path, read_only=True) as con:
        try:
            rows = con.execute(HEALTH_SQL).fetchall()
        except duckdb.Error:  # a file written before migration 002
            rows = con.execute(V1_SQL).fetchall()
    return {r[0]: r for r in rows}


def source_rows(sources: list[Source], db_path: Path) -> list[SourceRow]:
    """Configured sources first (in config order), then sources only the database still remembers."""
    stored = _stored(db_path)
    out = []
    for s in sources:
        r = stored.pop(s.id, None)
        base = SourceRow(s.id, s.kind, s.group, s.enabled)
        out.append(base if r is None else _merge(base, r))
    out += [_merge(SourceRow(sid, "?", "?", False, state="removed"), r) for sid, r in stored.items()]
    return out


def _merge(base: SourceRow, r: tuple[Any, ...]) -> SourceRow:
    error = f"{r[7]}: {r[8]}" if r[7] else ""
    state = base.state if base.state == "removed" else r[6]
    return SourceRow(
        base.source_id,
        base.kind,
        base.group,
        base.enabled,
        state,
        r[1],
        int(r[2] or 0),
        None if r[3] is None else float(r[3]),
        int(r[4] or 0),
        r[5],
        error,
    )


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


STATE_STYLE = {
    "ok": "green",
    "new": "cyan",
    "failing": "yellow",
    "disabled": "red",
    "disabled_by_hand": "magenta",
    "removed": "dim",
}


def print_sources(rows: list[SourceRow], console: Console) -> None:
    """The table: source, kind, group, state, last success, failures (score), items, next attempt, error."""
    table = Table(title="treatywatch sources", title_justify="left")
    for col in ("source", "kind", "group", "state", "last success", "failures", "items", "next attempt", "last error"):
        table.add_column(col, no_wrap=col != "last error", overflow="fold")
    for r in rows:
        state = r.state if r.enabled or r.state == "removed" else f"{r.state} (off in config)"
        style = STATE_STYLE.get(r.state, "white")
        failures = str(r.failures) + (f" ({r.score:g})" if r.score else "")
        next_attempt = _when(r.next_attempt) if r.next_attempt else ("every run" if r.enabled else "-")
        if r.state == "disabled_by_hand":
            next_attempt = "after --enable"
        table.add_row(
            r.source_id,
            r.kind,
            r.group,
            f"[{style}]{state}[/]",
            _when(r.last_success),
            failures,
            str(r.items),
            next_attempt,
            r.last_error[:120],
        )
    console.print(table)
