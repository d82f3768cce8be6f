"""What the report shows, read from DuckDB in a handful of set-based queries (no per-cluster round trips)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from flows.store import db

MENTIONS_PER_CLUSTER = 5  # the report lists the newest few; `v_events` has them all
EVIDENCE_MAX = 320


@dataclass(frozen=True, slots=True)
class Scope:
    """The report's filters, applied in SQL so a 10,000-cluster DB stays fast and the file small."""

    since: datetime | None = None
    until: datetime | None = None
    country: str | None = None
    type: str | None = None

    @property
    def params(self) -> list[Any]:
        return [self.since, self.until, self.country.upper() if self.country else None, self.type]


@dataclass(slots=True)
class ReportData:
    scope: Scope
    generated_at: datetime
    clusters: list[dict[str, Any]] = field(default_factory=list)
    mentions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    event_counts: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    precision: list[dict[str, Any]] = field(default_factory=list)


# A cluster is in the period when it was reported (published) or detected in it: a first run that
# finds an older story still shows it, marked as not new.
SCOPED = """
WITH d AS (SELECT cluster_id, min(detected_at) AS detected_first, max(detected_at) AS detected_last
           FROM events WHERE cluster_id IS NOT NULL GROUP BY cluster_id)
SELECT c.*, d.detected_first, d.detected_last FROM v_clusters c JOIN d USING (cluster_id)
WHERE ($1::TIMESTAMPTZ IS NULL OR greatest(c.last_seen_at, d.detected_last) >= $1)
  AND ($2::TIMESTAMPTZ IS NULL OR least(c.first_seen_at, d.detected_first) < $2)
  AND ($3::VARCHAR IS NULL OR list_contains(c.parties, $3)) AND ($4::VARCHAR IS NULL OR c.type = $4)
"""

CLUSTERS_SQL = f"""
WITH s AS ({SCOPED})
SELECT s.cluster_id AS id, s.family, s.type, s.actor, s.parties, s.domain, s.stage, s.official,
       round(s.confidence, 2) AS confidence, s.mentions, len(s.sources) AS n_sources,
       s.first_seen_at AS first_seen, s.last_seen_at AS last_seen, s.alerted_parties IS NOT NULL AS alerted,
       ($1::TIMESTAMPTZ IS NULL OR s.detected_first >= $1) AS is_new,
       s.review, s.review_note, s.type_reviewed, s.actor_reviewed, s.parties_reviewed,
       s.instrument_text, s.instrument_id, s.instrument_kind
FROM s ORDER BY greatest(s.last_seen_at, s.detected_last) DESC, s.cluster_id
"""

MENTIONS_SQL = f"""
WITH s AS ({SCOPED})
SELECT * FROM (
    SELECT e.cluster_id, e.event_id, e.type, e.actor, e.counterparts, e.evidence, round(e.confidence, 2) AS confidence,
           e.rule, e.flags, e.lang, e.detected_at, i.source_id, i.title, i.url, i.published,
           row_number() OVER (PARTITION BY e.cluster_id ORDER BY e.detected_at DESC, e.event_id) AS rn
    FROM events e JOIN items i USING (item_id) WHERE e.cluster_id IN (SELECT cluster_id FROM s)
) WHERE rn <= {MENTIONS_PER_CLUSTER}
ORDER BY cluster_id, rn
"""

EVENT_COUNTS_SQL = """
SELECT e.family, e.type, count(*) AS n FROM events e JOIN clusters c USING (cluster_id)
WHERE ($1::TIMESTAMPTZ IS NULL OR e.detected_at >= $1) AND ($2::TIMESTAMPTZ IS NULL OR e.detected_at < $2)
  AND ($3::VARCHAR IS NULL OR list_contains(c.parties, $3)) AND ($4::VARCHAR IS NULL OR c.type = $4)
GROUP BY ALL ORDER BY e.family, e.type
"""

SOURCES_SQL = """
SELECT source_id AS id, kind, source_group AS "group", state, round(score, 1) AS score, items,
       last_success_at, last_attempt_at, last_error_kind, next_attempt_at
FROM v_source_health ORDER BY state <> 'ok', source_id
"""

RUNS_SQL = """
SELECT CAST(date_trunc('day', started_at) AS DATE) AS day, count(*) AS runs, sum(new_items) AS items,
       sum(new_events) AS events, sum(alerts_sent) AS alerts, sum(alerts_failed) AS alerts_failed,
       sum(sources_failed) AS source_failures
FROM runs WHERE ($1::TIMESTAMPTZ IS NULL OR started_at >= $1) AND ($2::TIMESTAMPTZ IS NULL OR started_at < $2)
GROUP BY ALL ORDER BY day
"""

PRECISION_SQL = "SELECT * FROM v_precision ORDER BY dimension, reviewed DESC, value"


def load(db_path: Path, scope: Scope, now: datetime) -> ReportData:
    """Everything the report needs, read-only, in one short connection."""
    data = ReportData(scope=scope, generated_at=now)
    with db.connect(db_path, read_only=True) as con:
        data.clusters = _dicts(con, CLUSTERS_SQL, scope.params)
        for m in _dicts(con, MENTIONS_SQL, scope.params):
            m.pop("rn", None)
            if m["evidence"] and len(m["evidence"]) > EVIDENCE_MAX:
                m["evidence"] = m["evidence"][: EVIDENCE_MAX - 1] + "…"
            data.mentions.setdefault(m.pop("cluster_id"), []).append(m)
        data.event_counts = _dicts(con, EVENT_COUNTS_SQL, scope.params)
        data.sources = _dicts(con, SOURCES_SQL, [])
        data.runs = _dicts(con, RUNS_SQL, scope.params[:2])
        data.precision = _dicts(con, PRECISION_SQL, [])
    return data


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
