"""The registry of organisations and treaty regimes: one list of bodies, read from config/registry/.

The gazetteer takes their names from here (so a body is recognised in text), the engine takes the
rest: which instrument an event is about (`Event.instrument`), the code to put among the
counterparts, and the seat (a host state named only as the seat is never actor or counterpart).
Validation is strict: every error names the file, the entry and the field.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from parsers.errors import ConfigError

KINDS = ("organisation", "multilateral treaty", "bilateral treaty")
# what an event's instrument.kind says for an instrument of each registry kind
INSTRUMENT_KIND = {
    "organisation": "organisation",
    "multilateral treaty": "multilateral",
    "bilateral treaty": "bilateral",
}
REGIONS = ("Africa", "Americas", "Asia", "Europe", "Eurasia", "Middle East", "Oceania", "Global")
FIELDS = frozenset({"id", "kind", "code", "label", "en", "ru", "party", "parties", "seat", "region"})
REQUIRED = ("id", "kind", "label", "en", "ru", "region")
_ID = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ISO2 = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class Body:
    """One organisation or treaty regime."""

    id: str
    kind: str  # organisation | multilateral treaty | bilateral treaty
    code: str  # what stands among an event's counterparts
    label: str  # English display name ("the CFE Treaty")
    names: tuple[str, ...]  # every alias, English then Russian
    party: bool = False  # the code also acts as a party the way a state does (EU, NATO, ...)
    parties: tuple[str, ...] = ()  # bilateral treaties: the two states
    seat: str | None = None
    region: str = "Global"

    @property
    def instrument_kind(self) -> str:
        return INSTRUMENT_KIND[self.kind]


class Registry:
    """Bodies by id and by alias (as written in the registry: the gazetteer reports that label)."""

    def __init__(self, bodies: Iterable[Body]) -> None:
        self.bodies: tuple[Body, ...] = tuple(bodies)
        self.by_id = {b.id: b for b in self.bodies}
        self._by_alias = {name: b for b in self.bodies for name in b.names}

    def __iter__(self) -> Iterator[Body]:
        return iter(self.bodies)

    def __len__(self) -> int:
        return len(self.bodies)

    def for_alias(self, alias: str) -> Body | None:
        """The body a gazetteer mention label (an alias exactly as configured) names."""
        return self._by_alias.get(alias)

    def codes(self) -> frozenset[str]:
        return frozenset(b.code for b in self.bodies)


def _is_country(code: str) -> bool:
    import pycountry  # the gazetteer's source of state codes

    return pycountry.countries.get(alpha_2=code) is not None


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: field {field!r} must be a non-empty list of names")
    return tuple(v.strip() for v in value)


def _body(raw: Any, where: str) -> Body:
    """One validated entry; `where` is "file: entry N (ID)"."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: an entry must be a mapping")
    unknown = set(raw) - FIELDS
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {sorted(unknown)}")
    for name in REQUIRED:
        if raw.get(name) in (None, "", []):
            raise ConfigError(f"{where}: field {name!r} is required")
    ident, kind = raw["id"], raw["kind"]
    if not isinstance(ident, str) or not _ID.match(ident):
        raise ConfigError(f"{where}: field 'id' must be UPPER_SNAKE, got {ident!r}")
    if kind not in KINDS:
        raise ConfigError(f"{where}: field 'kind' must be one of {list(KINDS)}, got {kind!r}")
    code = raw.get("code", ident)
    if not isinstance(code, str) or not _CODE.match(code):
        raise ConfigError(f"{where}: field 'code' must be a short code, got {code!r}")
    if _ISO2.match(code) and _is_country(code):
        raise ConfigError(
            f"{where}: field 'code' {code!r} is a state's ISO code; counterparts would read it as that state"
        )
    if raw["region"] not in REGIONS:
        raise ConfigError(f"{where}: field 'region' must be one of {list(REGIONS)}, got {raw['region']!r}")
    seat = raw.get("seat")
    if seat is not None and (not isinstance(seat, str) or not _ISO2.match(seat)):
        raise ConfigError(f"{where}: field 'seat' must be an ISO 3166-1 alpha-2 code, got {seat!r}")
    parties = raw.get("parties") or []
    if (kind == "bilateral treaty") != bool(parties):
        raise ConfigError(f"{where}: field 'parties' is required for a bilateral treaty and only there")
    if parties and (len(parties) != 2 or not all(isinstance(p, str) and _ISO2.match(p) for p in parties)):
        raise ConfigError(f"{where}: field 'parties' must list two ISO alpha-2 codes, got {parties!r}")
    if not isinstance(raw.get("party", False), bool):
        raise ConfigError(f"{where}: field 'party' must be true or false")
    if not isinstance(raw["label"], str):
        raise ConfigError(f"{where}: field 'label' must be a string")
    names = _strings(raw["en"], where, "en") + _strings(raw["ru"], where, "ru")
    return Body(
        id=ident,
        kind=kind,
        code=code,
        label=raw["label"],
        names=names,
        party=raw.get("party", False),
        parties=tuple(parties),
        seat=seat,
        region=raw["region"],
    )


def parse_registry(data: Any, source: str) -> list[Body]:
    """Entries of one registry document (`{"entries": [...]}`)."""
    if not isinstance(data, dict) or set(data) != {"entries"} or not isinstance(data["entries"], list):
        raise ConfigError(f"{source}: top level must be a mapping with one key 'entries' (a list)")
    out = []
    for n, raw in enumerate(data["entries"], 1):
        label = raw.get("id") if isinstance(raw, dict) else None
        out.append(_body(raw, f"{source}: entry {n}" + (f" ({label})" if label else "")))
    return out


def build_registry(documents: Iterable[tuple[str, Any]]) -> Registry:
    """Validate parsed documents (name, data) together: ids and aliases are unique across files."""
    bodies: list[Body] = []
    ids: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for source, data in documents:
        for body in parse_registry(data, source):
            if body.id in ids:
                raise ConfigError(f"{source}: entry ({body.id}): field 'id' duplicates one in {ids[body.id]}")
            ids[body.id] = source
            for name in body.names:
                key = name.casefold()
                if aliases.get(key, body.id) != body.id:
                    raise ConfigError(f"{source}: entry ({body.id}): name {name!r} is also a name of {aliases[key]}")
                aliases[key] = body.id
            bodies.append(body)
    return Registry(bodies)


def registry_files(directory: pathlib.Path) -> list[pathlib.Path]:
    return sorted(directory.glob("*.yaml"))


def load_registry(directory: pathlib.Path) -> Registry:
    """Read every config/registry/*.yaml; ConfigError names the file (and entry, field) on failure."""
    from parsers.config.yamlio import load_yaml  # only a build reads YAML

    docs = []
    for path in registry_files(directory):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read registry: {exc}") from exc
        docs.append((str(path), load_yaml(text, str(path))))
    return build_registry(docs)
