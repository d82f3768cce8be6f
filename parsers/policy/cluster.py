"""Group mentions of the same real-world event, and decide which changes deserve an alert.

Five outlets, two languages and a week of updates about one act are one event with many mentions.
A mention joins a cluster of the same family whose parties it shares (same actor for the
termination family, where direction matters; overlapping party sets, subset either way, for
partnerships) within a time window, and whose instrument it shares when both name a registry one
(a state leaving the CFE and the Open Skies treaties on one day makes two events). A cluster is alerted once; it is alerted again only when a
change matters: new parties, a later lifecycle stage, or a first confirmation by an official
legal portal. Pure: the flow loads candidate clusters and stores what this returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from parsers.ids import short_hash
from parsers.models import Event

STAGES = ("announced", "authorized", "signed", "ratified", "in_force")
_STAGE_RANK = {s: i for i, s in enumerate(STAGES)}
# When mentions disagree on the type, the later step of the lifecycle (or the harder act) wins.
_TYPE_RANK = {
    "partnership_strengthened": 0,
    "partnership_signed": 1,
    "suspension": 0,
    "termination": 1,
    "withdrawal": 1,
}
OFFICIAL_GROUPS = frozenset({"legal"})


@dataclass(frozen=True, slots=True)
class Mention:
    """One stored event, with where and when it was seen."""

    event_id: str
    source_id: str
    source_group: str
    seen_at: datetime
    event: Event

    @property
    def official(self) -> bool:
        return self.source_group in OFFICIAL_GROUPS


@dataclass(frozen=True, slots=True)
class Cluster:
    cluster_id: str
    family: str
    type: str
    actor: str
    parties: frozenset[str]
    domain: str
    stage: str
    official: bool
    confidence: float
    mentions: int
    sources: frozenset[str]
    first_seen_at: datetime
    last_seen_at: datetime
    # Best confidence per source: independent sources raise the cluster's confidence.
    source_confidence: tuple[tuple[str, float], ...] = ()
    alerted_parties: frozenset[str] | None = None
    alerted_stage: str | None = None
    alerted_official: bool | None = None
    # The instrument of the mentions (the first registry one seen, else the first named one).
    instrument_text: str = ""
    instrument_id: str | None = None
    instrument_kind: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """An alert-worthy difference between a cluster and what was last alerted about it."""

    kind: str  # "event" for the first alert, "update" after it
    reason: str  # new | parties:+XX,YY | stage:ratified | official

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.reason}"


@dataclass(frozen=True, slots=True)
class ClusterPolicy:
    window: timedelta = timedelta(days=21)
    min_overlap: float = 0.5
    official_bonus: float = 0.1


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _parties(e: Event) -> frozenset[str]:
    return frozenset((e.actor, *e.counterparts))


def same_event(cluster: Cluster, m: Mention, policy: ClusterPolicy) -> bool:
    """Same family, compatible parties, close in time."""
    e = m.event
    if e.family != cluster.family:
        return False
    if abs(m.seen_at - cluster.last_seen_at) > policy.window and abs(m.seen_at - cluster.first_seen_at) > policy.window:
        return False
    if e.family == "termination" and e.actor != cluster.actor:
        return False
    mine = e.instrument.id if e.instrument is not None else None
    if mine and cluster.instrument_id and mine != cluster.instrument_id:
        return False  # two treaties, even with the same depositary body (two CoE conventions)
    parties = _parties(e)
    if e.family == "termination":  # compare counterparts: the actor is already equal
        parties, theirs = parties - {e.actor}, cluster.parties - {cluster.actor}
    else:
        theirs = cluster.parties
    if not parties or not theirs:  # "X left a treaty" with no party named: only like joins like
        return parties == theirs and e.type == cluster.type
    return parties <= theirs or theirs <= parties or jaccard(parties, theirs) >= policy.min_overlap


def combined_confidence(per_source: Iterable[float], official: bool, policy: ClusterPolicy) -> float:
    """1 - prod(1 - c) over independent sources, plus a bonus for an official portal; capped."""
    miss = 1.0
    for c in per_source:
        miss *= 1.0 - min(max(c, 0.0), 0.99)
    return round(min(0.99, 1.0 - miss + (policy.official_bonus if official else 0.0)), 4)


def cluster_id_for(m: Mention) -> str:
    return "c_" + short_hash(m.event_id, chars=20)


def start(m: Mention, policy: ClusterPolicy) -> Cluster:
    e = m.event
    return Cluster(
        cluster_id=cluster_id_for(m),
        family=e.family,
        type=e.type,
        actor=e.actor,
        parties=_parties(e),
        domain=e.domain,
        stage=e.stage if e.stage in _STAGE_RANK else "announced",
        official=m.official,
        confidence=combined_confidence([e.confidence], m.official, policy),
        mentions=1,
        sources=frozenset({m.source_id}),
        first_seen_at=m.seen_at,
        last_seen_at=m.seen_at,
        source_confidence=((m.source_id, e.confidence),),
        **_instrument_fields(e),
    )


def _instrument_fields(e: Event) -> dict[str, Any]:
    i = e.instrument
    if i is None:
        return {}
    return {"instrument_text": i.text, "instrument_id": i.id, "instrument_kind": i.kind}


def _better_instrument(c: Cluster, e: Event) -> dict[str, Any]:
    """The cluster keeps its instrument unless the mention names one it lacks (an id, or any text)."""
    i = e.instrument
    if i is None or c.instrument_id:
        return {}
    return _instrument_fields(e) if i.id or (i.text and not c.instrument_text) else {}


def absorb(c: Cluster, m: Mention, policy: ClusterPolicy) -> Cluster:
    """The cluster after one more mention: union of parties, furthest stage, best per-source confidence."""
    e = m.event
    per_source = dict(c.source_confidence)
    per_source[m.source_id] = max(per_source.get(m.source_id, 0.0), e.confidence)
    stage = max(c.stage, e.stage if e.stage in _STAGE_RANK else "announced", key=_STAGE_RANK.__getitem__)
    official = c.official or m.official
    return replace(
        c,
        type=max(c.type, e.type, key=lambda t: _TYPE_RANK.get(t, 0)),
        parties=c.parties | _parties(e),
        domain=c.domain if c.domain != "other" else e.domain,
        stage=stage,
        official=official,
        confidence=combined_confidence(per_source.values(), official, policy),
        mentions=c.mentions + 1,
        sources=c.sources | {m.source_id},
        first_seen_at=min(c.first_seen_at, m.seen_at),
        last_seen_at=max(c.last_seen_at, m.seen_at),
        source_confidence=tuple(sorted(per_source.items())),
        **_better_instrument(c, e),
    )


def pending_change(c: Cluster, min_confidence: float) -> Change | None:
    """What, if anything, the cluster owes its subscribers now."""
    if c.confidence < min_confidence:
        return None
    if c.alerted_parties is None:
        return Change("event", "new")
    added = c.parties - c.alerted_parties
    if added:
        return Change("update", "parties:+" + ",".join(sorted(added)))
    if _STAGE_RANK[c.stage] > _STAGE_RANK.get(c.alerted_stage or "announced", 0):
        return Change("update", f"stage:{c.stage}")
    if c.official and not c.alerted_official:
        return Change("update", "official")
    return None


def mark_alerted(c: Cluster) -> Cluster:
    return replace(c, alerted_parties=c.parties, alerted_stage=c.stage, alerted_official=c.official)


@dataclass(frozen=True, slots=True)
class Assignment:
    mention: Mention
    cluster_id: str


def assign(
    mentions: Sequence[Mention],
    existing: Sequence[Cluster],
    policy: ClusterPolicy,
) -> tuple[list[Assignment], dict[str, Cluster]]:
    """Put each mention (oldest first) into a cluster; returns assignments and every touched cluster."""
    pool: dict[str, Cluster] = {c.cluster_id: c for c in existing}
    touched: dict[str, Cluster] = {}
    out: list[Assignment] = []
    for m in sorted(mentions, key=lambda m: (m.seen_at, m.event_id)):
        match = _best(pool.values(), m, policy)
        cluster = absorb(match, m, policy) if match else start(m, policy)
        pool[cluster.cluster_id] = touched[cluster.cluster_id] = cluster
        out.append(Assignment(m, cluster.cluster_id))
    return out, touched


def _best(candidates: Iterable[Cluster], m: Mention, policy: ClusterPolicy) -> Cluster | None:
    """The compatible cluster sharing most parties (ties: the most recently seen)."""
    fits = [c for c in candidates if same_event(c, m, policy)]
    if not fits:
        return None
    parties = _parties(m.event)
    return max(fits, key=lambda c: (len(c.parties & parties), c.last_seen_at))
