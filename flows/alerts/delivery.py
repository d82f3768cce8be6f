"""Send every due alert, each marked in its own short write around its own send.

Order per alert: `sending` (committed) -> apprise send -> `sent` / `pending` with backoff /
`uncertain` (committed). A crash between the send and the mark leaves `sending`, which the next
run resolves by channel (see ledger.recover_interrupted). Immediate alerts go one by one; digest
alerts due for one destination go as one message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console

from flows.alerts import payload
from flows.alerts.destinations import Destination
from flows.alerts.plan import Pacer, health_rows
from flows.alerts.render import Notice, RenderedAlert, render, render_digest, render_notice
from flows.alerts.send import DeliveryOutcome, send
from flows.alerts.views import load_views
from flows.stopping import Stop
from flows.store import db, ledger
from parsers.ids import short_hash
from parsers.policy.routing import AlertPolicy

_RATE_LIMITED = re.compile(r"\b429\b|too many requests|rate.?limit", re.IGNORECASE)
# The request may have reached the service: re-posting could duplicate (Slack has no idempotency key).
_AMBIGUOUS = re.compile(r"read timed out|timed out|timeout", re.IGNORECASE)


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    uncertain: int = 0
    still_pending: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)
    unroutable: list[str] = field(default_factory=list)
    waiting: list[ledger.WaitingAlert] = field(default_factory=list)  # pending, next attempt later


@dataclass(slots=True)
class Session:
    """What the deliveries of one run share: pacing per destination, the destinations paused after a
    rate limit, and the alerts already tried (each is tried at most once per run, as before)."""

    pacer: Pacer
    paused: set[str] = field(default_factory=set)
    tried: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Unit:
    """What one send carries: one immediate alert, or every due digest alert of one destination."""

    destination: Destination
    alerts: tuple[ledger.DueAlert, ...]


def deliver(
    db_path: Path,
    destinations: Sequence[Destination],
    policy: AlertPolicy,
    *,
    now: datetime | None = None,
    console: Console | None = None,
    pacer: Pacer | None = None,
    labels: Mapping[str, str] | None = None,
    stop: Stop | None = None,
    immediate_only: bool = False,
    session: Session | None = None,
) -> DeliveryReport:
    """Send what is due now; never raises for a failed send (it is recorded and retried).

    Each alert is sent only by the delivery whose compare-and-set moved it to `sending`, so two
    overlapping runs (a lock bypassed) still send it once. A run that delivers after each stored
    batch passes one `session` to every call, and `immediate_only` until its last: digests then go
    once, at the end, and no alert or paused destination is tried twice in one run.
    """
    now = now or db.utcnow()
    report = DeliveryReport()
    by_key = {d.key: d for d in destinations}
    session = session or Session(pacer or Pacer(policy.min_interval))
    pacer, paused = session.pacer, session.paused
    me = ledger.new_claimant()
    with db.connect(db_path) as con:
        uncertain = ledger.recover_interrupted(con, {k: d.channel for k, d in by_key.items()}, me)
        if uncertain:
            ledger.insert(con, health_rows([_uncertain_notice(a) for a in uncertain], destinations))
        due = ledger.due(con, now)
        report.unroutable = ledger.orphan_destinations(con, set(by_key))
        views = load_views(con, [a for a in due if a.kind in ("event", "update")], db_hint=str(db_path), labels=labels)
    due = [a for a in due if a.alert_id not in session.tried]
    if immediate_only:  # digests and unknown destinations are left to the run's last delivery
        due = [a for a in due if a.mode != "digest" and a.destination_key in by_key]
    for unit in _units(due, by_key, report):
        if stop is not None and stop.requested():  # SIGTERM: what is not sent stays pending for the next run
            report.still_pending += len(unit.alerts)
            continue
        if unit.destination.key in paused:
            report.deferred += len(unit.alerts)
            continue
        unit = _claim(db_path, unit, me)  # only what this delivery moved from pending to sending
        if not unit.alerts:
            continue  # an overlapping run claimed it first and sends it
        session.tried.update(a.alert_id for a in unit.alerts)
        rendered = _render(unit, views)
        if rendered is None:
            _release(db_path, unit, me)
            report.still_pending += len(unit.alerts)
            continue
        if unit.destination.channel != "console":  # pacing protects remote services, not a terminal
            pacer.wait(unit.destination.key)
        _record(db_path, unit, _send(unit, rendered, console, views), policy, report, paused, destinations)
    with db.connect(db_path, read_only=False) as con:
        report.waiting = ledger.waiting(con, now)
    return report


def merged(first: DeliveryReport, then: DeliveryReport) -> DeliveryReport:
    """One report for two deliveries of a run sharing a Session: what each did is added up (an alert is
    tried by one of them only); what is deferred, unroutable or waiting is as the later one saw it."""
    return DeliveryReport(
        sent=first.sent + then.sent,
        failed=first.failed + then.failed,
        given_up=first.given_up + then.given_up,
        uncertain=first.uncertain + then.uncertain,
        still_pending=first.still_pending + then.still_pending,
        deferred=then.deferred,
        errors=first.errors + then.errors,
        unroutable=then.unroutable,
        waiting=then.waiting,
    )


def _units(due: Sequence[ledger.DueAlert], by_key: dict[str, Destination], report: DeliveryReport) -> list[Unit]:
    units: list[Unit] = []
    digests: dict[str, list[ledger.DueAlert]] = {}
    for a in due:
        dest = by_key.get(a.destination_key)
        if dest is None:
            report.still_pending += 1
        elif a.mode == "digest":
            digests.setdefault(a.destination_key, []).append(a)
        else:
            units.append(Unit(dest, (a,)))
    units += [Unit(by_key[k], tuple(rows)) for k, rows in digests.items()]
    return units


def _render(unit: Unit, views: dict) -> RenderedAlert | None:
    channel = unit.destination.channel
    if len(unit.alerts) > 1 or unit.alerts[0].mode == "digest":
        found = [views[a.alert_id] for a in unit.alerts if a.alert_id in views]
        return render_digest(found, channel) if found else None
    a = unit.alerts[0]
    if a.kind == "health":
        payload = a.payload or {}
        return render_notice(
            Notice(str(payload.get("title", "treatywatch health")), str(payload.get("message", ""))), channel
        )
    view = views.get(a.alert_id)
    return render(view, channel) if view is not None else None


def _claim(db_path: Path, unit: Unit, me: str) -> Unit:
    """The unit reduced to the alerts this delivery claimed (committed before anything is sent)."""
    with db.connect(db_path) as con:
        claimed = set(ledger.mark_sending(con, [a.alert_id for a in unit.alerts], me))
    return Unit(unit.destination, tuple(a for a in unit.alerts if a.alert_id in claimed))


def _release(db_path: Path, unit: Unit, me: str) -> None:
    with db.connect(db_path) as con:
        ledger.release(con, [a.alert_id for a in unit.alerts], me)


def _send(unit: Unit, rendered: RenderedAlert, console: Console | None, views: dict) -> DeliveryOutcome:
    """Send a claimed unit; webhooks (generic JSON) also get the structured fields programs need."""
    ids = [a.alert_id for a in unit.alerts]
    extra = payload.fields(unit.alerts, views) if unit.destination.channel == "generic" else None
    return send(
        unit.destination,
        rendered,
        console=console,
        alert_id=",".join(ids) if len(ids) == 1 else short_hash(*ids),
        fields=extra,
    )


def _record(
    db_path: Path,
    unit: Unit,
    outcome: DeliveryOutcome,
    policy: AlertPolicy,
    report: DeliveryReport,
    paused: set[str],
    destinations: Sequence[Destination],
) -> None:
    ids = [a.alert_id for a in unit.alerts]
    dest = unit.destination
    with db.connect(db_path) as con:
        if outcome.ok:
            ledger.mark_sent(con, ids, digest_id=short_hash(*ids) if len(ids) > 1 else None)
            report.sent += len(ids)
            return
        error = outcome.error or "unknown error"
        report.errors.append(f"{dest.display}: {error}")
        if dest.channel == "slack" and _AMBIGUOUS.search(error):
            ledger.mark_uncertain(con, ids, error)
            ledger.insert(con, health_rows([_uncertain_notice(i) for i in ids], destinations))
            report.uncertain += len(ids)
            return
        rate_limited = bool(_RATE_LIMITED.search(error))
        if rate_limited:
            paused.add(dest.key)
        retry_in = policy.retry_delay(max(a.attempts for a in unit.alerts) + 1)
        if rate_limited:
            retry_in = max(retry_in, timedelta(seconds=policy.rate_limited_backoff))
        given_up = ledger.mark_failed(con, ids, error, max_attempts=policy.max_attempts, retry_in=retry_in)
        if given_up:
            notices = [
                Notice(
                    "treatywatch gave up on an alert",
                    f"Alert {i} to {dest.display} failed {policy.max_attempts} times; last error: {error}",
                    subject=i,
                    reason="given_up",
                    unique=i,
                )
                for i in given_up
            ]
            ledger.insert(con, health_rows(notices, [d for d in destinations if d.key != dest.key]))
        report.failed += len(ids)
        report.given_up += len(given_up)
        report.still_pending += len(ids) - len(given_up)


def _uncertain_notice(alert_id: str) -> Notice:
    return Notice(
        "treatywatch: an alert may not have been delivered",
        f"Alert {alert_id} was interrupted mid-send on a channel that cannot be checked; it was not "
        f're-sent to avoid a duplicate. Check the channel; `treatywatch query "SELECT * FROM v_alerts '
        f"WHERE alert_id = '{alert_id}'\"` shows it.",
        subject=alert_id,
        reason="uncertain",
        unique=alert_id,
    )
