"""treatywatch's alert policy (config/routing.yaml): what deserves an alert and when it goes out.

apprise decides where alerts go; this decides which clusters a tag accepts (confidence, domains,
watched states), whether a tag is sent at once or collected into a digest, debounce, retries and
the heartbeat. Validated at load, errors name the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from parsers.errors import ConfigError
from parsers.config.yamlio import load_yaml, read_error

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
        now = now.astimezone(timezone.utc)
        slot = now.replace(hour=self.digest_at_hour, minute=0, second=0, microsecond=0)
        while slot > now:
            slot -= self.digest_every
        while slot < now:
            slot += self.digest_every
        return slot


class _Reader:
    """Typed access to one YAML mapping that names the file and the field on error."""

    def __init__(self, path: Path, data: Any, where: str = "") -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: {where or 'top level'}: expected a mapping")
        self.path, self.data, self.where = path, data, where

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: field '{self.where}{key}': {message}")

    def number(self, key: str, default: float, lo: float = 0.0, hi: float = float("inf")) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise self.fail(key, f"expected a number in [{lo}, {hi}], got {value!r}")
        return float(value)

    def codes(self, key: str, allowed: tuple[str, ...] | None = None) -> frozenset[str]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"expected a list of strings, got {value!r}")
        if allowed and (bad := [v for v in value if v not in allowed]):
            raise self.fail(key, f"unknown value(s) {bad}; expected some of {list(allowed)}")
        return frozenset(v if allowed else v.upper() for v in value)

    def sub(self, key: str) -> _Reader:
        return _Reader(self.path, self.data.get(key) or {}, f"{self.where}{key}.")


def load_policy(path: Path | None) -> AlertPolicy:
    """The policy in `path`, or the built-in defaults when there is no file."""
    if path is None or not path.exists():
        return AlertPolicy()
    try:
        root = _Reader(path, load_yaml(path.read_text(encoding="utf-8")) or {})
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {read_error(exc)}") from exc
    floor = root.number("min_confidence", 0.5, 0.0, 1.0)
    tags = {name: _tag(root.sub("tags").sub(name), name, floor) for name in (root.data.get("tags") or {})}
    digest, beat, clus, dlv = root.sub("digest"), root.sub("heartbeat"), root.sub("clustering"), root.sub("delivery")
    backoff = dlv.data.get("backoff_seconds", [60, 300, 900, 3600])
    if not isinstance(backoff, list) or not backoff or not all(isinstance(b, (int, float)) and b >= 0 for b in backoff):
        raise dlv.fail("backoff_seconds", f"expected a non-empty list of seconds, got {backoff!r}")
    return AlertPolicy(
        min_confidence=floor, tags=tags,
        digest_every=timedelta(hours=digest.number("every_hours", 24, 1, 24 * 7)),
        digest_at_hour=int(digest.number("at_hour_utc", 7, 0, 23)),
        max_silence=timedelta(hours=beat.number("max_silence_hours", 6, 0.1)),
        cluster_window=timedelta(days=clus.number("window_days", 21, 0, 365)),
        max_attempts=int(dlv.number("max_attempts", 10, 1, 1000)),
        backoff=tuple(float(b) for b in backoff),
        min_interval=dlv.number("min_interval_seconds", 1.1, 0, 60),
        rate_limited_backoff=dlv.number("rate_limited_backoff_seconds", 30, 0, 86400),
    )


def _tag(r: _Reader, name: str, floor: float) -> TagPolicy:
    mode = r.data.get("mode", "immediate")
    if mode not in MODES:
        raise r.fail("mode", f"expected one of {list(MODES)}, got {mode!r}")
    unknown = set(r.data) - {"mode", "debounce_minutes", "min_confidence", "domains", "watch"}
    if unknown:
        raise r.fail(sorted(unknown)[0], "unknown field")
    return TagPolicy(
        mode=mode, debounce=timedelta(minutes=r.number("debounce_minutes", 0, 0, 24 * 60)),
        min_confidence=r.number("min_confidence", floor, 0.0, 1.0),
        domains=r.codes("domains", DOMAINS), watch=r.codes("watch"),
    )
