"""From new events to promised alerts (the ledger), and from due ledger rows to apprise deliveries.

`plan` runs inside the run's write transaction: it clusters the new mentions with recent ones,
asks each touched cluster whether it owes an alert (first report, new parties, later stage,
official confirmation), applies each tag's filters and queues one row per destination. `deliver`
runs afterwards and sends everything due, including what earlier runs could not send.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows.alerts.destinations import HEALTH_TAG, Destination, routes
from flows.alerts.render import Notice
from flows.store import clusters as cluster_store
from flows.store import feedback
from flows.store.ledger import LedgerRow
from flows.store.storage import StoredEvent
from parsers.ids import short_hash
from parsers.policy import cluster
from parsers.policy.routing import AlertPolicy


@dataclass(frozen=True, slots=True)
class ItemMeta:
    """Where and when an item was seen: clustering needs the source group and the time."""

    source_id: str
    group: str
    seen_at: datetime


@dataclass(slots=True)
class PlanReport:
    rows: list[LedgerRow] = field(default_factory=list)
    clusters_touched: int = 0
    clusters_new: int = 0


def plan(
    con,
    events: Sequence[StoredEvent],
    meta: Mapping[str, ItemMeta],
    destinations: Sequence[Destination],
    policy: AlertPolicy,
    *,
    now: datetime,
    quiet_items: frozenset[str] = frozenset(),
) -> PlanReport:
    """Cluster new mentions, queue the alerts they cause; call inside the run's write transaction."""
    report = PlanReport()
    mentions = [
        cluster.Mention(
            e.event_id, meta[e.item_id].source_id, meta[e.item_id].group, min(meta[e.item_id].seen_at, now), e.event
        )
        for e in events
    ]
    if not mentions:
        return report
    cpolicy = cluster.ClusterPolicy(window=policy.cluster_window)
    since = min(m.seen_at for m in mentions) - policy.cluster_window
    existing = cluster_store.load_open(con, {m.event.family for m in mentions}, since)
    assignments, touched = cluster.assign(mentions, existing, cpolicy)
    known = {c.cluster_id for c in existing}
    trigger = {a.cluster_id: a.mention for a in assignments}  # the newest mention of each cluster
    quiet = {e.event_id for e in events if e.item_id in quiet_items}
    loud = {a.cluster_id for a in assignments if a.mention.event_id not in quiet}
    retracted = feedback.wrong_clusters(con, list(touched))  # an analyst said "no such event"
    for cid, c in list(touched.items()):
        change = cluster.pending_change(c, policy.min_confidence)
        if change is None or cid in retracted:
            continue
        if cid in loud:
            report.rows += _rows_for(c, change, trigger[cid].event_id, destinations, policy, now)
        touched[cid] = cluster.mark_alerted(c)  # quiet (historic) clusters are settled silently
    cluster_store.save(con, list(touched.values()), assignments)
    report.clusters_touched, report.clusters_new = len(touched), len(set(touched) - known)
    return report


def _rows_for(
    c: cluster.Cluster,
    change: cluster.Change,
    event_id: str,
    destinations: Sequence[Destination],
    policy: AlertPolicy,
    now: datetime,
) -> list[LedgerRow]:
    tag = policy.tag(c.family)
    if not tag.accepts(confidence=c.confidence, domain=c.domain, parties=c.parties):
        return []
    if tag.mode == "digest":
        not_before = policy.next_digest(now)
    else:
        not_before = now + tag.debounce if tag.debounce else None
    return [
        LedgerRow(
            alert_id=short_hash(c.cluster_id, change.key, ",".join(sorted(c.parties)), d.key),
            kind=change.kind,
            subject_id=c.cluster_id,
            change=change.reason,
            destination_key=d.key,
            destination=d.display,
            tag=c.family,
            mode=tag.mode,
            event_id=event_id,
            not_before=not_before,
        )
        for d in routes(destinations, c.family)
    ]


def health_rows(notices: Sequence[Notice], destinations: Sequence[Destination]) -> list[LedgerRow]:
    """One `health` row per notice and destination that takes the `health` tag."""
    return [
        LedgerRow(
            alert_id=short_hash("health", n.subject, n.reason, n.unique, d.key),
            kind="health",
            subject_id=n.subject,
            change=n.reason,
            destination_key=d.key,
            destination=d.display,
            tag=HEALTH_TAG,
            payload={"title": n.title, "message": n.message},
        )
        for n in notices
        for d in routes(destinations, HEALTH_TAG)
    ]


def heartbeat_notice(last_success: datetime | None, now: datetime, max_silence: timedelta) -> Notice | None:
    """The dead man's switch: no successful run for longer than `max_silence` before this one."""
    if last_success is None or now - last_success <= max_silence:
        return None
    hours = (now - last_success).total_seconds() / 3600
    return Notice(
        subject="runs",
        reason="silent",
        title=f"treatywatch was silent for {hours:.1f} h",
        message=(
            f"No successful monitor run between {last_success:%Y-%m-%d %H:%M} UTC and {now:%Y-%m-%d %H:%M} UTC "
            f"(limit {max_silence.total_seconds() / 3600:g} h). Events published meanwhile are picked up now "
            "if the feeds still list them; check the scheduler or worker."
        ),
        unique=last_success.isoformat(),
    )


Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass
class Pacer:
    """At most one send per `interval` seconds per destination (Slack allows about one a second)."""

    interval: float
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic
    last: dict[str, float] = field(default_factory=dict)

    def wait(self, key: str) -> None:
        if key in self.last:
            gap = self.interval - (self.clock() - self.last[key])
            if gap > 0:
                self.sleep(gap)
        self.last[key] = self.clock()
