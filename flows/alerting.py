"""From new events to ledger rows, and from pending ledger rows to apprise deliveries.

Routing happens when events are stored (the ledger row is the promise to alert); delivery happens
afterwards and for every pending row, so alerts that failed on an earlier run go out now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from flows import db, ledger
from flows.alerts.deliver import send
from flows.alerts.destinations import Destination, routes
from flows.alerts.render import AlertView, render
from flows.storage import LedgerEntry, StoredEvent, alert_id


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    still_pending: int = 0
    errors: list[str] = field(default_factory=list)
    unroutable: list[str] = field(default_factory=list)


def ledger_entries(events: Sequence[StoredEvent], destinations: Sequence[Destination], *, min_confidence: float) -> list[LedgerEntry]:
    """One pending row per (new event, destination whose tags take the event's family)."""
    out = []
    for se in events:
        if se.event.confidence < min_confidence:
            continue
        for dest in routes(destinations, se.event.family):
            out.append(LedgerEntry(alert_id(se.event_id, dest.key), se.event_id, dest.key, dest.display, se.event.family))
    return out


def view_of(p: ledger.PendingAlert, db_hint: str) -> AlertView:
    return AlertView(
        event_id=p.event_id, family=p.family, type=p.type, actor=p.actor, counterparts=p.counterparts,
        domain=p.domain, evidence=p.evidence, confidence=p.confidence, rule=p.rule, flags=p.flags, stage=p.stage,
        officials=p.officials, item_title=p.item_title, item_url=p.item_url, source_id=p.source_id,
        published=p.published, detected_at=p.detected_at, db_hint=db_hint,
    )


def deliver_pending(db_path: Path, destinations: Sequence[Destination], *, max_attempts: int,
                    console: Console | None = None) -> DeliveryReport:
    """Send every pending alert; mark each one right after its own send, in its own short write."""
    report = DeliveryReport()
    by_key = {d.key: d for d in destinations}
    with db.connect(db_path) as con:
        pending = ledger.pending_alerts(con)
        report.unroutable = ledger.orphan_destinations(con, set(by_key))
    for p in pending:
        dest = by_key.get(p.destination_key)
        if dest is None:
            report.still_pending += 1
            continue
        outcome = send(dest, render(view_of(p, str(db_path)), dest.channel), console=console)
        with db.connect(db_path) as con:
            if outcome.ok:
                ledger.mark_sent(con, p.alert_id)
                report.sent += 1
                continue
            status = ledger.mark_failed(con, p.alert_id, outcome.error or "unknown error", max_attempts=max_attempts)
        report.failed += 1
        report.given_up += status == "given_up"
        report.still_pending += status == "pending"
        report.errors.append(f"{dest.display}: {outcome.error}")
    return report
