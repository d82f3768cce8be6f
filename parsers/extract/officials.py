"""Leaders and officials as data: who held which post for which state, resolved against a date.

`config/officials.yaml` lists people with their EN/RU name forms and terms; a name in a text stands
for the state whose post the person held on the item's publication date ("Rutte" is the Netherlands
in 2023 and NATO in 2025). Without a date the latest term wins.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from parsers.errors import ConfigError

ROLES = frozenset({"head_of_state", "head_of_government", "foreign_minister", "defence_minister", "org_head"})


@dataclass(frozen=True, slots=True)
class Term:
    """One post: `code` is an ISO alpha-2 state (or an organisation code for org_head); end None = in office."""

    code: str
    role: str
    start: date
    end: date | None = None

    def covers(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)

    def distance(self, on: date) -> int:
        """Days between `on` and the term (0 inside it)."""
        if on < self.start:
            return (self.start - on).days
        return 0 if self.end is None or on <= self.end else (on - self.end).days


@dataclass(frozen=True, slots=True)
class Person:
    names: tuple[str, ...]  # every form, EN and RU, full names and the short ones used alone
    terms: tuple[Term, ...]


def resolve(terms: tuple[Term, ...], on: date | None) -> str | None:
    """The code a name stands for on a date: the term in force, else the nearest one; without a date the
    latest. Several codes at once (two people called "Wong" in office) -> None: the name decides nothing."""
    if not terms:
        return None
    if on is None:
        latest = max(t.start for t in terms)
        codes = {t.code for t in terms if t.start == latest}
    else:
        nearest = min(t.distance(on) for t in terms)
        codes = {t.code for t in terms if t.distance(on) == nearest}
    return codes.pop() if len(codes) == 1 else None


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: bad date {value!r} (use YYYY-MM-DD)") from exc


def _person(raw: Any, where: str) -> Person:
    if not isinstance(raw, dict) or not isinstance(raw.get("terms"), list):
        raise ConfigError(f"{where}: each official needs en/ru names and a list of terms")
    names = [str(n) for lang in ("en", "ru") for n in raw.get(lang) or ()]
    if not names:
        raise ConfigError(f"{where}: no names")
    terms = []
    for t in raw["terms"]:
        if not isinstance(t, list) or len(t) not in (3, 4):
            raise ConfigError(f"{where}: a term is [code, role, from] or [code, role, from, to]")
        code, role = str(t[0]), str(t[1])
        if role not in ROLES:
            raise ConfigError(f"{where}: unknown role {role!r} (one of {sorted(ROLES)})")
        end = _date(t[3], where) if len(t) == 4 and t[3] is not None else None
        terms.append(Term(code, role, _date(t[2], where), end))
    return Person(tuple(names), tuple(terms))


def load_officials(path: pathlib.Path) -> list[Person]:
    """Read and validate officials.yaml; a missing file means no officials."""
    from parsers.config.yamlio import YamlError, load_yaml, read_error  # only a build reads YAML

    if not path.exists():
        return []
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path)) or {}
    except (OSError, UnicodeDecodeError, YamlError) as exc:
        raise ConfigError(f"{path}: officials: {read_error(exc)}") from exc
    people = data.get("officials") if isinstance(data, dict) else None
    if not isinstance(people, list):
        raise ConfigError(f"{path}: top level must be a mapping with an 'officials' list")
    return [_person(raw, f"{path}: officials[{i}]") for i, raw in enumerate(people)]
