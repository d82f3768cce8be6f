"""The run summary printed at the end of `treatywatch run`: what worked, what failed, what was sent."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the flow imports this module for its one-line summary: no import cycle at run time
    from flows.monitor import RunSummary


def source_buckets(summary: RunSummary) -> dict[str, int]:
    """Every configured source of the run in exactly one bucket, in a fixed order (README "Run summary")."""
    from parsers.policy.health import HAND_DISABLED

    fetched = [f.record for f in summary.fetches]
    states = [s.state for s in summary.ingested.skipped]
    return {
        "ok": sum(r.ok and r.status != 304 for r in fetched),
        "not modified": sum(r.ok and r.status == 304 for r in fetched),
        "failed": sum(not r.ok for r in fetched),
        "backing off": sum(st not in ("disabled", HAND_DISABLED) for st in states),
        "auto-disabled": sum(st == "disabled" for st in states),
        "disabled by hand": sum(st == HAND_DISABLED for st in states),
        "disabled in config": len(summary.not_enabled),
    }


def nothing_fetched(summary: RunSummary) -> bool:
    """No source returned a feed although at least one was enabled: the run's exit code is 4."""
    if summary.skipped:
        return False
    b = source_buckets(summary)
    enabled = sum(b.values()) - b["disabled in config"]
    return enabled > 0 and b["ok"] + b["not modified"] == 0


def held_by_horizon(summary: RunSummary) -> int:
    """New events from items stored as history on a source's first run (older than the horizon): never alerted."""
    quiet = summary.ingested.quiet_item_ids
    return sum(e.item_id in quiet for e in summary.new_events)


def print_summary(summary: RunSummary, console: Console) -> None:
    """Per-source table, totals, sources held back by health, failed pages and undelivered alerts."""
    if getattr(summary, "skipped", ""):
        console.print(f"[yellow]run skipped:[/] {summary.skipped}", highlight=False)
        return
    table = Table(title=f"treatywatch run {summary.run_id[:8]}", title_justify="left")
    for col in ("source", "status", "items", "new", "ms", "problem"):
        table.add_column(col, no_wrap=col != "problem", overflow="fold")
    for f in summary.fetches:
        r = f.record
        status = Text("ok", "green") if r.ok else Text(r.error_kind or "failed", "red")
        if r.ok and r.status == 304:
            status = Text("not modified", "green")
        table.add_row(
            Text(f.source.id),
            status,
            str(r.items),
            str(r.new_items),
            str(r.latency_ms),
            Text("" if r.ok else (r.error or "")[:160]),
        )
    console.print(table)
    console.print(one_line(summary), highlight=False, markup=False)
    held = held_by_horizon(summary)
    if held:
        days = summary.horizon_days
        console.print(
            f"{held} new event(s) not alerted: their items are older than the first-run horizon "
            f"({days} days; TREATYWATCH_ALERT_HORIZON_DAYS or a source's horizon_days), so they are "
            f"stored as history, not news",
            highlight=False,
            markup=False,
        )
    records = [f.record for f in summary.fetches]
    if dropped := sum(getattr(r, "dropped", 0) for r in records):
        console.print(
            Text.assemble(
                ("entries not stored: ", "yellow"),
                f"{dropped} (over the per-feed cap, no "
                "identity or repeated; why: SELECT source_id, dropped, note FROM fetches)",
            )
        )
    if odd := [r.source_id for r in records if "charset mismatch" in (getattr(r, "note", None) or "")]:
        console.print(Text.assemble(("charset label wrong, corrected: ", "yellow"), ", ".join(odd)))
    if blocked := getattr(summary, "blocked", 0):
        console.print(
            Text.assemble(
                ("blocked: ", "yellow"),
                f"{blocked} link(s) or redirect(s) to non-public "
                "addresses refused (set allow_private_links: true on a source to allow them)",
            )
        )
    print_held_back(summary, console)
    d = summary.delivery
    for line in d.errors:
        console.print(Text.assemble(("alert not delivered ", "yellow"), line), highlight=False)
    print_waiting(d.waiting, console)
    for dest in d.unroutable:
        console.print(
            Text.assemble(("pending alerts for a destination no longer configured: ", "yellow"), dest), highlight=False
        )


def one_line(summary: RunSummary) -> str:
    """The run in one line: sources by bucket, items, events, alerts (also what `serve` prints per run)."""
    if summary.skipped:
        return f"run skipped: {summary.skipped}"
    b = source_buckets(summary)
    shown = ", ".join(f"{n} {name}" for name, n in b.items() if n or name in ("ok", "failed"))
    d = summary.delivery
    waiting = getattr(d, "waiting", [])
    retrying = sum(w.attempts > 0 for w in waiting)
    alerts = (
        f"{d.sent} sent, {d.failed} failed"
        + (f", {retrying} waiting to retry" if retrying else "")
        + (f", {len(waiting) - retrying} waiting (debounce/digest)" if len(waiting) > retrying else "")
        + (f", {d.still_pending} pending" if d.still_pending else "")
        + (f", {d.uncertain} uncertain" if d.uncertain else "")
        + (f", {d.given_up} given up" if d.given_up else "")
    )
    held = held_by_horizon(summary)
    return (
        f"sources: {shown} | new items: {summary.new_items} | new events: {len(summary.new_events)}"
        + (f" ({held} held back by the first-run horizon)" if held else "")
        + f" | alerts: {alerts}"
    )


def print_waiting(waiting: list, console: Console) -> None:
    """Alerts waiting for their next attempt: when, and why the last one failed (secrets already masked)."""
    if not waiting:
        return
    console.print(Text(f"alerts waiting ({len(waiting)}):", "yellow"), highlight=False)
    for w in waiting[:20]:
        console.print(
            f"  {w.alert_id} to {w.destination}: next attempt {w.next_attempt_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z; {w.why}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def print_held_back(summary: RunSummary, console: Console) -> None:
    """Sources not fetched this run (backing off, disabled, disabled by hand) with their next attempt,
    and article pages that failed (their items keep the feed summary): neither is in the table above."""
    skipped = summary.ingested.skipped
    if skipped:
        console.print(f"[yellow]not fetched this run ({len(skipped)}):[/]", highlight=False)
        for s in skipped:
            console.print(f"  {s.source.id}: {s.why}", highlight=False, markup=False)
    pages = summary.ingested.page_failures
    if pages:
        console.print(f"[yellow]article pages failed ({len(pages)}), summaries kept:[/]", highlight=False)
        for r in pages[:20]:
            console.print(f"  {r.source_id}: {r.url} ({r.error_kind})", highlight=False, markup=False, soft_wrap=True)
        if len(pages) > 20:
            console.print(
                f"  ... {len(pages) - 20} more: SELECT * FROM fetches WHERE kind = 'page'",
                highlight=False,
                markup=False,
            )
