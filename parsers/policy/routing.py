"""treatywatch's alert policy: which clusters a tag accepts, digest slots, retry backoff (pure decisions).

apprise decides where alerts go; this decides which clusters a tag accepts (confidence, domains,
watched states), whether a tag is sent at once or collected into a digest, debounce, retries and
the heartbeat. Read from config/routing.yaml by `parsers.config.routing.load_policy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

MODES = ("immediate", "digest")
DOMAINS = ("military", "defense", "security", "economic", "other")


@dataclass(frozen=True, slots=True)
class TagPolicy:
    mode: str = "immediate"
    debounce: timedelta = timedelta(0)
    min_confidence: float = 0.5
    domains: frozenset[str] = frozenset()
    watch: frozenset[str] = frozenset()

    def accepts(self, *, confidence: float, domain: str, parties: frozenset[str]) -> bool:
        """Filters of this tag: confidence floor, domain list, watch list (empty lists accept all)."""
        if confidence < self.min_confidence:
            return False
        if self.domains and domain not in self.domains:
            return False
        return not self.watch or bool(self.watch & parties)


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    min_confidence: float = 0.5
    tags: dict[str, TagPolicy] = field(default_factory=dict)
    digest_every: timedelta = timedelta(hours=24)
    digest_at_hour: int = 7
    max_silence: timedelta = timedelta(hours=6)
    cluster_window: timedelta = timedelta(days=21)
    max_attempts: int = 10
    backoff: tuple[float, ...] = (60.0, 300.0, 900.0, 3600.0)
    min_interval: float = 1.1
    rate_limited_backoff: float = 30.0

    def tag(self, name: str) -> TagPolicy:
        return self.tags.get(name) or TagPolicy(min_confidence=self.min_confidence)

    def retry_delay(self, attempts: int) -> timedelta:
        """Backoff after the n-th failed attempt (1-based); the last step repeats."""
        steps = self.backoff or (60.0,)
        return timedelta(seconds=steps[min(max(attempts, 1), len(steps)) - 1])

    def next_digest(self, now: datetime) -> datetime:
        """The next digest slot at or after `now` (slots start at `digest_at_hour` UTC, every period)."""
        now = now.astimezone(UTC)
        slot = now.replace(hour=self.digest_at_hour, minute=0, second=0, microsecond=0)
        while slot > now:
            slot -= self.digest_every
        while slot < now:
            slot += self.digest_every
        return slot
