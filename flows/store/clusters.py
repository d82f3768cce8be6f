"""Clusters in DuckDB: load the open ones a new mention may join, save what clustering returns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import duckdb

from flows.store.db import insert_rows
from parsers.policy.cluster import Assignment, Cluster

_COLUMNS = (
    "cluster_id",
    "family",
    "type",
    "actor",
    "parties",
    "domain",
    "stage",
    "official",
    "confidence",
    "mentions",
    "sources",
    "first_seen_at",
    "last_seen_at",
    "alerted_parties",
    "alerted_stage",
    "alerted_official",
    "instrument_text",
    "instrument_id",
    "instrument_kind",
)


def load_open(con: duckdb.DuckDBPyConnection, families: Iterable[str], since: datetime) -> list[Cluster]:
    """Clusters of these families seen since `since`, with per-source confidence rebuilt from events."""
    fams = sorted(set(families))
    if not fams:
        return []
    rows = con.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM clusters WHERE family IN (SELECT UNNEST($1)) AND last_seen_at >= $2",
        [fams, since],
    ).fetchall()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    per_source: dict[str, dict[str, float]] = {}
    for cid, source_id, conf in con.execute(
        "SELECT e.cluster_id, i.source_id, max(e.confidence) FROM events e JOIN items i USING (item_id)"
        " WHERE e.cluster_id IN (SELECT UNNEST($1)) GROUP BY ALL",
        [ids],
    ).fetchall():
        per_source.setdefault(cid, {})[source_id] = conf
    return [_cluster(r, per_source.get(r[0], {})) for r in rows]


def _cluster(r: tuple, per_source: dict[str, float]) -> Cluster:
    return Cluster(
        cluster_id=r[0],
        family=r[1],
        type=r[2],
        actor=r[3],
        parties=frozenset(r[4]),
        domain=r[5],
        stage=r[6],
        official=r[7],
        confidence=r[8],
        mentions=r[9],
        sources=frozenset(r[10]),
        first_seen_at=r[11],
        last_seen_at=r[12],
        source_confidence=tuple(sorted(per_source.items())),
        alerted_parties=frozenset(r[13]) if r[13] is not None else None,
        alerted_stage=r[14],
        alerted_official=r[15],
        instrument_text=r[16] or "",
        instrument_id=r[17],
        instrument_kind=r[18],
    )


def save(con: duckdb.DuckDBPyConnection, clusters: Sequence[Cluster], assignments: Sequence[Assignment]) -> None:
    """Upsert clusters and point each assigned event at its cluster (inside the caller's transaction)."""
    insert_rows(
        con,
        "clusters",
        _COLUMNS,
        [
            (
                c.cluster_id,
                c.family,
                c.type,
                c.actor,
                sorted(c.parties),
                c.domain,
                c.stage,
                c.official,
                c.confidence,
                c.mentions,
                sorted(c.sources),
                c.first_seen_at,
                c.last_seen_at,
                sorted(c.alerted_parties) if c.alerted_parties is not None else None,
                c.alerted_stage,
                c.alerted_official,
                c.instrument_text,
                c.instrument_id,
                c.instrument_kind,
            )
            for c in clusters
        ],
        or_mode="OR REPLACE",
    )
    if assignments:
        con.execute(
            "UPDATE events SET cluster_id = a.cluster_id FROM (SELECT UNNEST($1) AS event_id, UNNEST($2) AS cluster_id) a"
            " WHERE events.event_id = a.event_id",
            [[a.mention.event_id for a in assignments], [a.cluster_id for a in assignments]],
        )
