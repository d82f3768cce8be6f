"""Backoff between attempts: exponential, capped, jittered, never sooner than the server asked."""

from __future__ import annotations

import random


def backoff_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    jitter: float = 0.25,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds before attempt `attempt + 1`: exponential, capped, jittered, never below Retry-After.

    Jitter spreads many failing sources over time so they do not all come back in the same second.
    """
    raw = min(cap, base * (2 ** max(attempt - 1, 0)))
    spread = (rng or random.Random()).uniform(1 - jitter, 1 + jitter)
    return max(raw * spread, retry_after or 0.0)
