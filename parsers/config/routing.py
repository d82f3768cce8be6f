"""Reading config/routing.yaml into the alert policy (parsers.policy.routing).

Validated at load: errors name the file and the field.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from parsers.config.yamlio import load_yaml, read_error
from parsers.errors import ConfigError
from parsers.policy.routing import DOMAINS, MODES, AlertPolicy, TagPolicy


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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {read_error(exc)}") from exc
    root = _Reader(path, load_yaml(text, str(path)) or {})  # YamlError names the file, line and problem
    floor = root.number("min_confidence", 0.5, 0.0, 1.0)
    tags = {name: _tag(root.sub("tags").sub(name), name, floor) for name in (root.data.get("tags") or {})}
    digest, beat, clus, dlv = root.sub("digest"), root.sub("heartbeat"), root.sub("clustering"), root.sub("delivery")
    backoff = dlv.data.get("backoff_seconds", [60, 300, 900, 3600])
    if not isinstance(backoff, list) or not backoff or not all(isinstance(b, (int, float)) and b >= 0 for b in backoff):
        raise dlv.fail("backoff_seconds", f"expected a non-empty list of seconds, got {backoff!r}")
    return AlertPolicy(
        min_confidence=floor,
        tags=tags,
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
        mode=mode,
        debounce=timedelta(minutes=r.number("debounce_minutes", 0, 0, 24 * 60)),
        min_confidence=r.number("min_confidence", floor, 0.0, 1.0),
        domains=r.codes("domains", DOMAINS),
        watch=r.codes("watch"),
    )
