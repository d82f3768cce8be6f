"""Structured fields for machine destinations (apprise `json://`): what a program needs to act on an alert.

apprise's JSON plugin posts {version, title, message, attachments, type}; its `payload_extras` (the
`:key=value` URL extension) add keys to that object. We add one key, `treatywatch`, per send on the
one-URL plugin instance we build for it, so every POST carries the alert's ids, type, parties (ISO
code and name), confidence, evidence, source and a de-duplication key that is the same for every
destination and every retry of one real-world change. An operator's own `:treatywatch=...` wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flows.alerts.labels import party
from flows.alerts.render import AlertView
from flows.store.ledger import DueAlert
from parsers.ids import short_hash

PAYLOAD_KEY = "treatywatch"
SCHEMA = 1


def _party(code: str) -> dict[str, str]:
    shown, name = party(code)
    return {"code": shown, "name": name}


def dedup_key(alert: DueAlert) -> str:
    """One key per real-world change (cluster or source, and what changed), whatever the destination."""
    return short_hash(alert.kind, alert.subject_id, alert.change)


def event_fields(alert: DueAlert, view: AlertView) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "dedup_key": dedup_key(alert),
        "kind": alert.kind,
        "change": view.change or "new",
        "cluster_id": view.cluster_id,
        "event_id": view.event_id,
        "family": view.family,
        "type": view.type,
        "stage": view.stage,
        "domain": view.domain,
        "actor": _party(view.actor),
        "counterparts": [_party(c) for c in view.counterparts],
        "confidence": round(view.confidence, 3),
        "evidence": view.evidence,
        "flags": list(view.flags),
        "official": view.official,
        "source_id": view.source_id,
        "source_url": view.item_url,
        "source_title": view.item_title,
        "published": view.published.isoformat() if view.published else None,
        "detected_at": view.detected_at.isoformat(),
        "sources": [{"source_id": m.source_id, "url": m.url} for m in view.mentions],
    }


def fields(alerts: Sequence[DueAlert], views: Mapping[str, AlertView]) -> dict[str, Any]:
    """The `treatywatch` object for one send: one alert (event, update, health) or a digest of several."""
    if len(alerts) == 1 and alerts[0].mode != "digest":
        a = alerts[0]
        if a.kind == "health":
            payload = a.payload or {}
            body = {
                "alert_id": a.alert_id,
                "dedup_key": dedup_key(a),
                "kind": "health",
                "subject": a.subject_id,
                "reason": a.change,
                "title": str(payload.get("title", "")),
                "message": str(payload.get("message", "")),
            }
        else:
            body = event_fields(a, views[a.alert_id]) if a.alert_id in views else {"alert_id": a.alert_id}
        return {"schema": SCHEMA, **body}
    events = [event_fields(a, views[a.alert_id]) for a in alerts if a.alert_id in views]
    return {
        "schema": SCHEMA,
        "kind": "digest",
        "dedup_key": short_hash(*(a.alert_id for a in alerts)),
        "alerts": events,
    }
