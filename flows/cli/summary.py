"""The run summary printed at the end of `treatywatch run`: what worked, what failed, what was sent."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from flows.monitor import RunSummary


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
        status = "[green]ok[/]" if r.ok else f"[red]{r.error_kind}[/]"
        if r.ok and r.status == 304:
            status = "[green]not modified[/]"
        table.add_row(f.source.id, status, str(r.items), str(r.new_items), str(r.latency_ms),
                      "" if r.ok else (r.error or "")[:160])
    console.print(table)
    d = summary.delivery
    failed = len(summary.failed_sources)
    console.print(
        f"sources: {len(summary.fetches) - failed} ok, {failed} failed | new items: {summary.new_items} | "
        f"new events: {len(summary.new_events)} | alerts: {d.sent} sent, {d.failed} failed, {d.still_pending} pending"
        + (f", {d.uncertain} uncertain" if d.uncertain else "") + (f", {d.given_up} given up" if d.given_up else ""),
        highlight=False,
    )
    records = [f.record for f in summary.fetches]
    if dropped := sum(getattr(r, "dropped", 0) for r in records):
        console.print(f"[yellow]entries not stored:[/] {dropped} (over the per-feed cap, no identity or repeated; "
                      "why: SELECT source_id, dropped, note FROM fetches)", highlight=False)
    if odd := [r.source_id for r in records if "charset mismatch" in (getattr(r, "note", None) or "")]:
        console.print(f"[yellow]charset label wrong, corrected:[/] {', '.join(odd)}", highlight=False)
    if blocked := getattr(summary, "blocked", 0):
        console.print(f"[yellow]blocked:[/] {blocked} link(s) or redirect(s) to non-public addresses refused "
                      "(set allow_private_links: true on a source to allow them)", highlight=False)
    print_held_back(summary, console)
    for line in d.errors:
        console.print(f"[yellow]alert not delivered[/] {line}", highlight=False)
    for dest in d.unroutable:
        console.print(f"[yellow]pending alerts for a destination no longer configured:[/] {dest}", highlight=False)


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
            console.print(f"  ... {len(pages) - 20} more: SELECT * FROM fetches WHERE kind = 'page'", highlight=False,
                          markup=False)
