"""What an alert shows, read from DuckDB at send time: the cluster as it is now, not as it was.

An alert queued when one outlet reported an event and sent after two more did lists all three,
with the union of parties and the furthest stage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from flows.alerts.render import AlertView, MentionRef
from flows.store.ledger import DueAlert
from flows.store.storage import officials_of
from parsers.extract.registry import load_registry

_SQL = """
SELECT a.alert_id, c.cluster_id, c.family, c.type, c.actor, c.parties, c.domain, c.stage, c.official, c.confidence,
       e.event_id, e.evidence, e.rule, e.flags, e.officials, e.detected_at,
       coalesce(i.title, ''), coalesce(i.url, ''), i.source_id, i.published, a.change,
       coalesce(c.instrument_text, e.instrument_text, ''), coalesce(c.instrument_id, e.instrument_id),
       coalesce(c.instrument_kind, e.instrument_kind)
FROM (SELECT UNNEST($1) AS alert_id, UNNEST($2) AS cluster_id, UNNEST($3) AS event_id, UNNEST($4) AS change) a
JOIN clusters c ON c.cluster_id = a.cluster_id
JOIN events e ON e.event_id = a.event_id
JOIN items i ON i.item_id = e.item_id
"""

_MENTIONS = """
SELECT e.cluster_id, i.source_id, coalesce(i.title, ''), coalesce(i.url, ''), i.published
FROM events e JOIN items i USING (item_id)
WHERE e.cluster_id IN (SELECT UNNEST($1))
ORDER BY coalesce(i.published, e.detected_at), e.event_id
"""


def instrument_labels(config_dir: Path) -> dict[str, str]:
    """Registry id -> English label ("CFE" -> "the CFE Treaty") from config_dir/registry, for alert wording."""
    directory = Path(config_dir) / "registry"
    return {b.id: b.label for b in load_registry(directory)} if directory.is_dir() else {}


def load_views(
    con: duckdb.DuckDBPyConnection, alerts: Sequence[DueAlert], *, db_hint: str, labels: Mapping[str, str] | None = None
) -> dict[str, AlertView]:
    """AlertView per event/update alert id; alerts whose cluster or event vanished are left out."""
    alerts = [a for a in alerts if a.event_id]
    if not alerts:
        return {}
    rows = con.execute(
        _SQL,
        [
            [a.alert_id for a in alerts],
            [a.subject_id for a in alerts],
            [a.event_id for a in alerts],
            [a.change if a.kind == "update" else "" for a in alerts],
        ],
    ).fetchall()
    mentions: dict[str, list[MentionRef]] = {}
    seen: set[tuple[str, str, str]] = set()
    for cid, source_id, title, url, published in con.execute(_MENTIONS, [sorted({r[1] for r in rows})]).fetchall():
        key = (cid, source_id, url or title)
        if key not in seen:  # one item may hold two mentions of the same event
            seen.add(key)
            mentions.setdefault(cid, []).append(MentionRef(source_id, title, url, published))
    return {r[0]: _view(r, tuple(mentions.get(r[1], ())), db_hint, labels or {}) for r in rows}


def _view(r: tuple, mentions: tuple[MentionRef, ...], db_hint: str, labels: Mapping[str, str]) -> AlertView:
    (
        _,
        cid,
        family,
        type_,
        actor,
        parties,
        domain,
        stage,
        official,
        confidence,
        event_id,
        evidence,
        rule,
        flags,
        officials,
        detected_at,
        title,
        url,
        source_id,
        published,
        change,
        inst_text,
        inst_id,
        inst_kind,
    ) = r
    return AlertView(
        event_id=event_id,
        family=family,
        type=type_,
        actor=actor,
        counterparts=tuple(p for p in parties if p != actor),
        domain=domain,
        evidence=evidence,
        confidence=confidence,
        rule=rule,
        flags=tuple(flags),
        stage=stage,
        officials=officials_of(officials),
        item_title=title,
        item_url=url,
        source_id=source_id,
        published=published,
        detected_at=detected_at,
        db_hint=db_hint,
        cluster_id=cid,
        change=change or "",
        mentions=mentions,
        official=official,
        instrument_text=inst_text,
        instrument_id=inst_id,
        instrument_kind=inst_kind,
        instrument_label=labels.get(inst_id or "", ""),
    )
