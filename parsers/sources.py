"""Load and validate config/sources.yaml, so a typo fails at start-up with file, source and field."""

from __future__ import annotations

import pathlib
import re
from typing import Any
from urllib.parse import urlsplit

import soupsieve
import yaml

from parsers.errors import ConfigError
from parsers.models import Source

# Kinds a source may declare; only IMPLEMENTED_KINDS have a parser today, the rest are reserved.
KNOWN_KINDS = frozenset({"rss", "pravo", "html"})
IMPLEMENTED_KINDS = frozenset({"rss"})
FULL_TEXT_MODES = frozenset({"auto", "always", "never"})
FIELDS = frozenset({"id", "kind", "url", "lang", "group", "enabled", "body_selectors", "full_text"})
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}$")
DROP_PREFIX = "!"  # same convention as parsers.html_text: "!sel" removes elements before extraction


def _read_yaml(path: pathlib.Path) -> Any:
    """Parse the file, turning I/O and YAML errors into ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read sources file: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc


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


def _source(path: pathlib.Path, index: int, raw: Any) -> Source:
    """Validate one entry and build its Source."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: source #{index + 1}: must be a mapping, got {type(raw).__name__}")
    check = _Checker(path, index, raw)
    unknown = sorted(set(map(str, raw)) - FIELDS)
    if unknown:
        raise check.fail(unknown[0], f"unknown field (allowed: {sorted(FIELDS)})")
    return Source(
        id=check.pattern("id", ID_PATTERN, required=True) or "",
        kind=check.choice("kind", KNOWN_KINDS),
        url=check.url(),
        lang=check.pattern("lang", LANG_PATTERN),
        group=check.text("group", "news") or "news",
        enabled=check.flag("enabled", True),
        body_selectors=check.selectors(),
        full_text=check.choice("full_text", FULL_TEXT_MODES, "auto"),
    )


def load_sources(path: pathlib.Path) -> list[Source]:
    """All sources of a YAML file (enabled or not), validated; raises ConfigError on any problem."""
    path = pathlib.Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise ConfigError(f"{path}: field 'sources': the file must hold a mapping with a 'sources' list")
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
