"""Load and validate config/sources.yaml, so a typo fails at start-up with file, source and field."""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import soupsieve

from parsers.config.yamlio import load_yaml, read_error
from parsers.documents import json_api
from parsers.documents.listing import validate_spec
from parsers.documents.pravo import BLOCKS, DOCUMENTS_PAGE_SIZES, RSS_PAGE_SIZES
from parsers.errors import ConfigError
from parsers.models import Source

# Kinds a source may declare; each has a parser in parsers/documents/.
KNOWN_KINDS = frozenset({"rss", "pravo", "html", "json"})
FULL_TEXT_MODES = frozenset({"auto", "always", "never"})
FIELDS = frozenset(
    {
        "id",
        "kind",
        "url",
        "lang",
        "group",
        "enabled",
        "body_selectors",
        "full_text",
        "horizon_days",
        "listing",
        "pravo",
        "json",
        "notes",
        "allow_private_links",
    }
)
PRAVO_FIELDS = frozenset({"block", "mode", "document_types", "names", "days", "page_size", "max_pages"})
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}$")
DROP_PREFIX = "!"  # same convention as parsers.documents.html_text: "!sel" removes elements before extraction


def _read_yaml(path: pathlib.Path) -> Any:
    """Parse the file, turning I/O and YAML errors into ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: sources file: {read_error(exc)}") from exc
    return load_yaml(text, str(path))  # YamlError names the file, line and problem


class _Checker:
    """Validation helpers bound to one source entry, so every message names file, id and field."""

    def __init__(self, path: pathlib.Path, index: int, raw: dict[str, Any]) -> None:
        self.path, self.raw = path, raw
        sid = raw.get("id")
        self.where = f"source {sid!r}" if isinstance(sid, str) and sid else f"source #{index + 1}"

    def fail(self, field: str, problem: str) -> ConfigError:
        """An error that says where and what."""
        return ConfigError(f"{self.path}: {self.where}: field {field!r}: {problem}")

    def text(self, field: str, default: str | None = None, required: bool = False) -> str | None:
        """A string field (stripped); missing is an error only when required."""
        value = self.raw.get(field, default)
        if value is None:
            if required:
                raise self.fail(field, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"must be a non-empty string, got {value!r}")
        return value.strip()

    def choice(self, field: str, allowed: frozenset[str], default: str | None = None) -> str:
        """A string field that must be one of `allowed`."""
        value = self.text(field, default, required=default is None)
        if value not in allowed:
            raise self.fail(field, f"must be one of {sorted(allowed)}, got {value!r}")
        return value

    def pattern(self, field: str, regex: re.Pattern[str], required: bool = False) -> str | None:
        """A string field that must match `regex`."""
        value = self.text(field, required=required)
        if value is not None and not regex.match(value):
            raise self.fail(field, f"{value!r} does not match {regex.pattern}")
        return value

    def url(self) -> str:
        """http(s) URL with a host, or a local path/file: URL (allowed for our own config only)."""
        value = self.text("url", required=True) or ""
        try:
            parts = urlsplit(value)
        except ValueError as exc:
            raise self.fail("url", f"unparseable: {exc}") from exc
        scheme = parts.scheme.lower()
        if scheme in ("http", "https") and parts.hostname:
            return value
        if scheme in ("", "file") and parts.path:
            return value
        raise self.fail("url", f"must be an http(s) URL or a local path, got {value!r}")

    def flag(self, field: str, default: bool) -> bool:
        """A real YAML boolean (not the string 'false')."""
        value = self.raw.get(field, default)
        if not isinstance(value, bool):
            raise self.fail(field, f"must be true or false, got {value!r}")
        return value

    def selectors(self) -> tuple[str, ...]:
        """A list of CSS selectors, compiled now so a bad one fails at load, not mid-run."""
        value = self.raw.get("body_selectors", [])
        if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
            raise self.fail("body_selectors", f"must be a list of CSS selector strings, got {value!r}")
        for sel in value:
            try:
                soupsieve.compile(sel.strip().removeprefix(DROP_PREFIX))
            except soupsieve.SelectorSyntaxError as exc:
                raise self.fail("body_selectors", f"bad CSS selector {sel!r}: {exc}") from exc
        return tuple(s.strip() for s in value)

    def horizon(self) -> int | None:
        """Days of history a first run stores without alerting; a whole number >= 0."""
        value = self.raw.get("horizon_days")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise self.fail("horizon_days", f"must be a whole number of days >= 0, got {value!r}")
        return value

    def listing(self, kind: str) -> tuple[tuple[str, str], ...]:
        """`listing:` selectors, required for kind html and compiled now."""
        raw = self.raw.get("listing")
        if kind != "html":
            if raw is not None:
                raise self.fail("listing", "only sources of kind 'html' take listing selectors")
            return ()
        problems = validate_spec(raw)
        if problems:
            raise self.fail("listing", "; ".join(problems))
        for key, sel in raw.items():
            if sel.strip() != ":scope":
                try:
                    soupsieve.compile(sel.strip())
                except soupsieve.SelectorSyntaxError as exc:
                    raise self.fail("listing", f"key {key!r}: bad CSS selector {sel!r}: {exc}") from exc
        return tuple(sorted((k, v.strip()) for k, v in raw.items()))

    def pravo(self, kind: str) -> tuple[tuple[str, object], ...]:
        """`pravo:` query (block, mode, document_types, days, page_size, max_pages), required for kind pravo."""
        raw = self.raw.get("pravo")
        if kind != "pravo":
            if raw is not None:
                raise self.fail("pravo", "only sources of kind 'pravo' take a pravo query")
            return ()
        if not isinstance(raw, dict):
            raise self.fail("pravo", f"must be a mapping with at least 'block', got {raw!r}")
        unknown = sorted(set(map(str, raw)) - PRAVO_FIELDS)
        if unknown:
            raise self.fail("pravo", f"unknown key {unknown[0]!r} (allowed: {sorted(PRAVO_FIELDS)})")
        if raw.get("block") not in BLOCKS:
            raise self.fail("pravo", f"key 'block' must be one of {sorted(BLOCKS)}, got {raw.get('block')!r}")
        mode = raw.get("mode", "documents")
        if mode not in ("documents", "rss"):
            raise self.fail("pravo", f"key 'mode' must be 'documents' or 'rss', got {mode!r}")
        sizes = RSS_PAGE_SIZES if mode == "rss" else DOCUMENTS_PAGE_SIZES
        if raw.get("page_size", 100) not in sizes:
            raise self.fail("pravo", f"key 'page_size' must be one of {sorted(sizes)} in mode {mode}")
        for key, low in (("days", 1), ("max_pages", 1)):
            value = raw.get(key, low)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise self.fail("pravo", f"key {key!r} must be a whole number >= {low}, got {value!r}")
        lists = {}
        for key in ("document_types", "names"):
            values = raw.get(key, [])
            if not isinstance(values, list) or not all(isinstance(t, str) and t.strip() for t in values):
                raise self.fail("pravo", f"key {key!r} must be a list of non-empty strings, got {values!r}")
            lists[key] = tuple(t.strip() for t in values)
        query = {**raw, "mode": mode, **lists}
        return tuple(sorted(query.items()))

    def json_spec(self, kind: str) -> tuple[tuple[str, object], ...]:
        """`json:` mapping (items, id, title, url, date, text, paging), required for kind json."""
        raw = self.raw.get("json")
        if kind != "json":
            if raw is not None:
                raise self.fail("json", "only sources of kind 'json' take a json mapping")
            return ()
        problems = json_api.validate_spec(raw)
        if problems:
            raise self.fail("json", "; ".join(problems))
        frozen = {
            k: tuple(sorted(v.items())) if isinstance(v, dict) else tuple(v) if isinstance(v, list) else v
            for k, v in raw.items()
        }
        return tuple(sorted(frozen.items()))


def _source(path: pathlib.Path, index: int, raw: Any) -> Source:
    """Validate one entry and build its Source."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: source #{index + 1}: must be a mapping, got {type(raw).__name__}")
    check = _Checker(path, index, raw)
    unknown = sorted(set(map(str, raw)) - FIELDS)
    if unknown:
        raise check.fail(unknown[0], f"unknown field (allowed: {sorted(FIELDS)})")
    kind = check.choice("kind", KNOWN_KINDS)
    options = tuple(
        (key, value)
        for key, value in (
            ("listing", check.listing(kind)),
            ("pravo", check.pravo(kind)),
            ("json", check.json_spec(kind)),
        )
        if value
    )
    if "notes" in raw and not isinstance(raw["notes"], str):
        raise check.fail("notes", "must be a string (what an operator should know about this source)")
    return Source(
        id=check.pattern("id", ID_PATTERN, required=True) or "",
        kind=kind,
        url=check.url(),
        lang=check.pattern("lang", LANG_PATTERN),
        group=check.text("group", "news") or "news",
        enabled=check.flag("enabled", True),
        body_selectors=check.selectors(),
        full_text=check.choice("full_text", FULL_TEXT_MODES, "auto"),
        horizon_days=check.horizon(),
        options=options,
        allow_private_links=check.flag("allow_private_links", False),
    )


HOST_FIELDS = frozenset({"timeout", "concurrency", "min_interval", "user_agent", "notes"})
HOST_PATTERN = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?$")


@dataclass(frozen=True, slots=True)
class HostSettings:
    """Per-host fetch manners (`hosts:` in sources.yaml): slow or touchy servers get their own."""

    timeout: float | None = None  # total seconds per request (connect, headers and body)
    concurrency: int | None = None  # requests in flight to this host at once
    min_interval: float = 0.0  # seconds between the starts of two requests to this host
    user_agent: str | None = None  # e.g. a browser-like one for a firewall that blocks bots


def load_hosts(path: pathlib.Path) -> dict[str, HostSettings]:
    """The `hosts:` section of a sources file (host[:port] -> settings), validated; {} when absent."""
    path = pathlib.Path(path)
    data = _read_yaml(path)
    raw = data.get("hosts") if isinstance(data, dict) else None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: field 'hosts': must map host names to settings, got {type(raw).__name__}")
    return {str(host): _host(path, str(host), value) for host, value in raw.items()}


def _host(path: pathlib.Path, host: str, raw: Any) -> HostSettings:
    where = f"{path}: hosts: {host!r}"
    if not HOST_PATTERN.match(host):
        raise ConfigError(f"{where}: not a host name (lowercase, optional :port, no scheme)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a mapping of {sorted(HOST_FIELDS)}")
    unknown = sorted(set(map(str, raw)) - HOST_FIELDS)
    if unknown:
        raise ConfigError(f"{where}: field {unknown[0]!r}: unknown (allowed: {sorted(HOST_FIELDS)})")

    def number(key: str, low: float, whole: bool = False) -> Any:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or value < low:
            kind = "a whole number" if whole else "a number"
            raise ConfigError(f"{where}: field {key!r}: must be {kind} >= {low:g}, got {value!r}")
        return value

    agent = raw.get("user_agent")
    if agent is not None and (not isinstance(agent, str) or not agent.strip() or "\n" in agent or "\r" in agent):
        raise ConfigError(f"{where}: field 'user_agent': must be one line of text")
    return HostSettings(
        timeout=number("timeout", 1),
        concurrency=number("concurrency", 1, whole=True),
        min_interval=float(number("min_interval", 0) or 0.0),
        user_agent=agent.strip() if agent else None,
    )


def load_sources(path: pathlib.Path) -> list[Source]:
    """All sources of a YAML file (enabled or not), validated; raises ConfigError on any problem."""
    path = pathlib.Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise ConfigError(f"{path}: field 'sources': the file must hold a mapping with a 'sources' list")
    extra = sorted(set(map(str, data)) - {"sources", "hosts"})
    if extra:
        raise ConfigError(f"{path}: field {extra[0]!r}: unknown top-level key (allowed: sources, hosts)")
    sources: list[Source] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(data["sources"]):
        source = _source(path, index, raw)
        if source.id in first_index:
            raise ConfigError(
                f"{path}: source {source.id!r}: field 'id': duplicate "
                f"(entries #{first_index[source.id] + 1} and #{index + 1})"
            )
        first_index[source.id] = index
        sources.append(source)
    return sources
