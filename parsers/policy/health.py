"""Source health: a weighted failure score, backoff between runs, auto-disable, and transitions.

A source that keeps failing should cost less and less (backoff, then a daily probe once disabled)
and tell a person once, not every run: only *transitions* (failing, disabled, recovered) become
rows in `source_health_events`, which the alert side routes with the apprise tag `health`.
Scores weigh failures: a dead host counts 1, a soft failure (403, an HTML page or broken XML where
a feed was expected, a feed gone empty) counts less, because those are often temporary or ours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from parsers.ids import short_hash
from parsers.policy.backoff import backoff_delay

HARD, SOFT = 1.0, 0.5
SOFT_KINDS = frozenset({"not_a_feed", "parse", "empty", "challenge"})
SOFT_STATUSES = frozenset({401, 403, 429})
HAND_DISABLED = "disabled_by_hand"  # `treatywatch sources --disable`: never fetched, not even the daily probe


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """Thresholds in score points (hard failure = 1) and delays in seconds."""

    failing_at: float = 3.0  # a `failing` transition (health alert) when the score reaches this
    disable_at: float = 10.0  # auto-disable; then only a probe every `disabled_probe_s`
    backoff_after: float = 2.0  # below this score a failing source is still tried every run
    backoff_base_s: float = 900.0
    backoff_cap_s: float = 6 * 3600.0
    disabled_probe_s: float = 24 * 3600.0
    jitter: float = 0.25


DEFAULT_HEALTH = HealthPolicy()  # the defaults Settings starts from (frozen: a constant, not state)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What health remembers of one source between runs (a `source_health` row)."""

    source_id: str
    state: str = "new"  # new | ok | failing | disabled | disabled_by_hand
    score: float = 0.0
    next_attempt_at: datetime | None = None
    last_items: int | None = None
    first_success_at: datetime | None = None
    consecutive_failures: int = 0

    @property
    def first_run(self) -> bool:
        """No success yet: this run's items are the source's history."""
        return self.first_success_at is None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt's result as health sees it."""

    error_kind: str | None
    status: int = 0
    items: int | None = None  # parsed entries; None when unchanged (304 / same body)
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class HealthEvent:
    """A transition worth telling a person about."""

    health_event_id: str
    source_id: str
    kind: str  # failing | disabled | recovered; enabled (only by hand)
    message: str
    score: float
    run_id: str | None  # None for a change made by hand
    created_at: datetime


def failure_weight(error_kind: str | None, status: int = 0) -> float:
    """0 for success, SOFT for likely-temporary or policy failures, HARD for the rest."""
    if error_kind is None:
        return 0.0
    if error_kind in SOFT_KINDS or (error_kind == "http_status" and status in SOFT_STATUSES):
        return SOFT
    return HARD


def is_due(health: SourceHealth, now: datetime) -> bool:
    """Whether the source may be fetched in a run starting at `now` (never while disabled by hand)."""
    if health.state == HAND_DISABLED:
        return False
    return health.next_attempt_at is None or health.next_attempt_at <= now


def went_empty(health: SourceHealth, items: int | None) -> bool:
    """A feed that parsed to zero entries after having had some: a soft failure, not a quiet success."""
    return items == 0 and bool(health.last_items)


def _event(prev: SourceHealth, kind: str, message: str, score: float, run_id: str, now: datetime) -> HealthEvent:
    return HealthEvent(short_hash(prev.source_id, kind, run_id), prev.source_id, kind, message, score, run_id, now)


def _next_attempt(
    score: float, failures: int, outcome: Outcome, now: datetime, policy: HealthPolicy, rng: random.Random
) -> datetime | None:
    """Backoff once the score passes `backoff_after`; a server's Retry-After always counts."""
    delay = outcome.retry_after or 0.0
    if score >= policy.disable_at:
        delay = max(delay, policy.disabled_probe_s)
    elif score >= policy.backoff_after:
        delay = backoff_delay(
            failures,
            base=policy.backoff_base_s,
            cap=policy.backoff_cap_s,
            jitter=policy.jitter,
            retry_after=outcome.retry_after,
            rng=rng,
        )
    return now + timedelta(seconds=delay) if delay > 0 else None


def assess(
    prev: SourceHealth,
    outcome: Outcome,
    *,
    now: datetime,
    run_id: str,
    policy: HealthPolicy,
    rng: random.Random | None = None,
) -> tuple[SourceHealth, list[HealthEvent]]:
    """New health after one attempt, plus the transitions it caused (at most one)."""
    rng = rng or random.Random()
    if outcome.error_kind is None:
        items = prev.last_items if outcome.items is None else outcome.items
        after = replace(
            prev,
            state="ok",
            score=0.0,
            next_attempt_at=None,
            last_items=items,
            consecutive_failures=0,
            first_success_at=prev.first_success_at or now,
        )
        if prev.state in ("failing", "disabled"):
            return after, [
                _event(
                    prev, "recovered", f"source {prev.source_id} recovered (score was {prev.score:g})", 0.0, run_id, now
                )
            ]
        return after, []
    score = prev.score + failure_weight(outcome.error_kind, outcome.status)
    failures = prev.consecutive_failures + 1
    state = "disabled" if score >= policy.disable_at else "failing" if score >= policy.failing_at else prev.state
    after = replace(
        prev,
        state=state,
        score=score,
        consecutive_failures=failures,
        next_attempt_at=_next_attempt(score, failures, outcome, now, policy, rng),
    )
    if state != prev.state and state in ("failing", "disabled"):
        verb = "is failing" if state == "failing" else "was disabled after repeated failures"
        message = (
            f"source {prev.source_id} {verb}: {failures} failures in a row, score {score:g}, "
            f"last {outcome.error_kind}" + (f" (HTTP {outcome.status})" if outcome.status else "")
        )
        return after, [_event(prev, state, message, score, run_id, now)]
    return after, []


def by_hand(prev: SourceHealth, *, enable: bool, now: datetime) -> tuple[SourceHealth, HealthEvent]:
    """An operator's enable (a fresh start: ok, score 0, fetched next run) or disable (never fetched).

    Disabling keeps the score and counters as the record of why; the event says it was done by hand
    so nobody mistakes it for the automatic disable.
    """
    if enable:
        after = replace(prev, state="ok", score=0.0, next_attempt_at=None, consecutive_failures=0)
        message = (
            f"source {prev.source_id} enabled by hand (was {prev.state}, score {prev.score:g}); "
            "it is fetched on the next run"
        )
    else:
        after = replace(prev, state=HAND_DISABLED, next_attempt_at=None)
        message = (
            f"source {prev.source_id} disabled by hand (was {prev.state}, score {prev.score:g}); "
            f"not fetched until `treatywatch sources --enable {prev.source_id}`"
        )
    kind = "enabled" if enable else "disabled"
    key = short_hash(prev.source_id, kind, "by-hand", now.isoformat())
    return after, HealthEvent(key, prev.source_id, kind, message, after.score, None, now)
