"""Prefect artifacts of a monitor run: a markdown summary, a table of new events and a link to the report.

Rendering is plain functions over the run summary (tested without Prefect); `publish_run_artifacts`
is the thin Prefect edge. Feed text is untrusted: it is escaped before it goes into markdown.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flows.settings import Settings
    from parsers.extract.engine import Extractor

SUMMARY_KEY = "monitor-summary"  # artifact keys: lowercase letters, digits, dashes
EVENTS_KEY = "monitor-new-events"
REPORT_KEY = "monitor-report"
MAX_TABLE_ROWS = 500
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


class SummaryLike(Protocol):
    """What the artifacts read from `flows.monitor.RunSummary` (kept loose: the summary grows)."""

    run_id: str
    fetches: list[Any]
    new_items: int
    new_events: list[Any]
    alerts_queued: int
    delivery: Any


def md_escape(text: object, limit: int = 200) -> str:
    """One line of untrusted text made inert in markdown (no links, images, HTML or table breaks)."""
    flat = " ".join(str(text or "").split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _MD_SPECIAL.sub(r"\\\1", flat)


def counts(summary: SummaryLike) -> dict[str, int]:
    """The run's numbers, by name (also what the tests and the bench read)."""
    d = summary.delivery
    failed = [f for f in summary.fetches if not f.record.ok]
    return {
        "sources_ok": len(summary.fetches) - len(failed),
        "sources_failed": len(failed),
        "new_items": summary.new_items,
        "new_events": len(summary.new_events),
        "alerts_queued": summary.alerts_queued,
        "alerts_sent": getattr(d, "sent", 0),
        "alerts_failed": getattr(d, "failed", 0),
        "alerts_pending": getattr(d, "still_pending", 0),
    }


def summary_markdown(summary: SummaryLike) -> str:
    """The run at a glance: counts, then each failed source with its error."""
    skipped = getattr(summary, "skipped", "")
    if skipped:
        return f"# treatywatch run skipped\n\n{md_escape(skipped, 500)}\n"
    c = counts(summary)
    lines = [
        f"# treatywatch run `{summary.run_id[:8]}`",
        "",
        "| sources ok | sources failed | new items | new events | alerts sent | alerts failed | alerts pending |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {c['sources_ok']} | {c['sources_failed']} | {c['new_items']} | {c['new_events']} | {c['alerts_sent']}"
        f" | {c['alerts_failed']} | {c['alerts_pending']} |",
    ]
    failed = [f for f in summary.fetches if not f.record.ok]
    if failed:
        lines += ["", "## Failed sources", ""]
        lines += [
            f"- **{md_escape(f.source.id)}**: {md_escape(f.record.error_kind)}: {md_escape(f.record.error)}"
            for f in failed
        ]
    ingested = getattr(summary, "ingested", None)
    held = getattr(ingested, "skipped", None) or []
    if held:
        lines += ["", "## Not fetched this run (source health)", ""]
        lines += [f"- **{md_escape(h.source.id)}**: {md_escape(h.why)}" for h in held]
    pages = getattr(ingested, "page_failures", None) or []
    if pages:
        lines += ["", f"## Article pages that failed ({len(pages)}; items keep the feed summary)", ""]
        lines += [f"- {md_escape(r.source_id)}: {md_escape(r.error_kind)}: {md_escape(r.url, 120)}" for r in pages[:20]]
    return "\n".join(lines) + "\n"


def event_rows(summary: SummaryLike, titles: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per new event: what happened, between whom, how sure, from which item."""
    titles = titles if titles is not None else item_titles(summary)
    rows = []
    for se in summary.new_events[:MAX_TABLE_ROWS]:
        e = se.event
        rows.append(
            {
                "type": e.type,
                "actor": e.actor,
                "counterparts": ", ".join(e.counterparts),
                "instrument": _instrument(e),
                "confidence": round(float(e.confidence), 2),
                "evidence": md_escape(e.evidence, 160),
                "item": md_escape(titles.get(se.item_id, se.item_id), 120),
            }
        )
    return rows


def _instrument(e: Any) -> str:
    """'Treaty on Open Skies (multilateral, OPEN_SKIES)'; '' when the event names none."""
    i = getattr(e, "instrument", None)
    if i is None or not (i.text or i.id):
        return ""
    return md_escape(f"{i.text or i.id} ({i.kind}" + (f", {i.id})" if i.id else ")"), 120)


def item_titles(summary: SummaryLike) -> dict[str, str]:
    ingested = getattr(summary, "ingested", None)
    return {i.id: i.title for i in getattr(ingested, "items", [])}


def publish_run_artifacts(summary: SummaryLike) -> None:
    """Attach the summary and the new-events table to the current flow run (the latest under a key)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(summary_markdown(summary), key=SUMMARY_KEY, description="treatywatch run summary")
    # always published, even empty: the latest table under the key must be this run's, not an older one's
    create_table_artifact(event_rows(summary), key=EVENTS_KEY, description="new events of this run")


def publish_report(settings: Settings, extractor: Extractor, *, now: datetime) -> Path | None:
    """Rewrite the HTML report (last `report_days` days) and link it as an artifact; never fails the run."""
    if settings.report_path is None:
        return None
    from prefect import get_run_logger
    from prefect.artifacts import create_link_artifact

    from flows.alerts.views import instrument_labels
    from flows.report.build import build_report, default_cache_dir
    from flows.report.data import Scope

    path = settings.report_path.resolve()
    try:
        got = build_report(
            settings.db_path,
            path,
            Scope(since=now - timedelta(days=settings.report_days)),
            extractor=extractor,
            cache_dir=default_cache_dir(),
            now=now,
            labels=instrument_labels(settings.config_dir),
        )
    except Exception as exc:  # the report is a view: a failure is logged, the run's work stands
        get_run_logger().warning("report not written to %s: %s", path, exc)
        return None
    create_link_artifact(
        path.as_uri(),
        link_text=f"report: {got['clusters']} clusters, last {settings.report_days} days",
        key=REPORT_KEY,
        description="treatywatch HTML report (self-contained file)",
    )
    return path
