"""When the monitor flow runs, per source group: config/schedules.yaml, validated at load.

Each entry becomes one deployment (`monitor/<name>`) that runs the flow for its groups only, so
legal portals can be polled every 30 minutes and news every 10 without one slow group holding up
the other. Errors name the file, the entry and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from parsers.config.yamlio import YamlError, load_yaml, read_error
from parsers.errors import ConfigError

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")
FIELDS = frozenset({"name", "groups", "interval", "cron", "timezone", "enabled"})
MIN_INTERVAL_S = 10


@dataclass(frozen=True, slots=True)
class Schedule:
    """One group schedule: an interval in seconds or a cron string (exactly one of the two)."""

    name: str
    groups: tuple[str, ...]
    interval_s: int | None = None
    cron: str | None = None
    timezone: str | None = None
    enabled: bool = True

    @property
    def interval(self) -> timedelta | None:
        return timedelta(seconds=self.interval_s) if self.interval_s else None

    @property
    def deployment_name(self) -> str:
        return f"monitor-{self.name}"

    def describe(self) -> str:
        when = f"every {self.interval_s}s" if self.interval_s else f"cron {self.cron!r}"
        return f"{self.deployment_name}: groups {', '.join(self.groups)} {when}"


def _fail(path: Path, where: str, field: str, problem: str) -> ConfigError:
    return ConfigError(f"{path}: {where}: field {field!r}: {problem}")


def _entry(path: Path, index: int, raw: Any) -> Schedule:
    where = f"schedule #{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {where}: expected a mapping, got {type(raw).__name__}")
    if isinstance(raw.get("name"), str):
        where = f"schedule {raw['name']!r}"
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise _fail(path, where, unknown[0], f"unknown field (allowed: {', '.join(sorted(FIELDS))})")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise _fail(path, where, "name", "required; lowercase letters, digits and dashes")
    groups = raw.get("groups")
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) and g for g in groups):
        raise _fail(path, where, "groups", "required; a list of source groups, e.g. [legal]")
    interval, cron = raw.get("interval"), raw.get("cron")
    if (interval is None) == (cron is None):
        raise _fail(path, where, "interval", "give exactly one of interval (seconds) or cron")
    if interval is not None and (
        isinstance(interval, bool) or not isinstance(interval, int) or interval < MIN_INTERVAL_S
    ):
        raise _fail(path, where, "interval", f"whole seconds, at least {MIN_INTERVAL_S}")
    if cron is not None and (
        not isinstance(cron, str) or len(cron.split()) != 5 or not all(CRON_FIELD.match(f) for f in cron.split())
    ):
        raise _fail(path, where, "cron", "five fields, e.g. '*/30 * * * *'")
    tz = raw.get("timezone")
    if tz is not None and not isinstance(tz, str):
        raise _fail(path, where, "timezone", "an IANA name such as 'Europe/Berlin'")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _fail(path, where, "enabled", "true or false")
    return Schedule(name, tuple(groups), interval, cron, tz, enabled)


def load_schedules(path: Path) -> list[Schedule]:
    """Every schedule in the file (disabled ones included); ConfigError naming file and field."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, YamlError) as exc:
        raise ConfigError(f"{path}: schedules file: {read_error(exc)}") from exc
    entries = data.get("schedules") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected a top-level 'schedules:' list with at least one entry")
    out = [_entry(path, i, raw) for i, raw in enumerate(entries)]
    names = [s.name for s in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{path}: schedule name {dupes[0]!r} is used twice")
    return out


def coverage(schedules: list[Schedule], source_groups: set[str]) -> tuple[set[str], set[str]]:
    """(groups with sources but no enabled schedule, scheduled groups that have no source)."""
    scheduled = {g for s in schedules if s.enabled for g in s.groups}
    return source_groups - scheduled, scheduled - source_groups
