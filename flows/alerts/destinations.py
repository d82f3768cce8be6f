"""Where alerts go: apprise URLs from a YAML config and/or TREATYWATCH_APPRISE_URLS, with their tags.

Each URL is parsed by apprise itself (one entry at a time, so an error can name the entry) and
becomes a `Destination`. `key` identifies a destination in the alert ledger, so it is hashed from
the URL as the operator wrote it (plus its YAML options), not from apprise's canonical form, which
may change between apprise versions. `url` is apprise's canonical form of the URL with our
default `cto`/`rto` timeouts filled in when the operator set none. `display` is apprise's privacy-masked URL with query values
that look like credentials masked as well (apprise leaves e.g. json:// `+Header=` values readable).
No URL at all means one console destination, so a default run prints instead of failing.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import apprise
import yaml
from apprise.config.base import ConfigBase
from apprise.plugins.base import NotifyBase
from apprise.plugins.email.base import NotifyEmail
from apprise.plugins.slack import NotifySlack

from parsers.config.yamlio import YamlError, load_yaml
from parsers.errors import ConfigError
from parsers.ids import short_hash
from parsers.models import FAMILY_OF

HEALTH_TAG = "health"
DEFAULT_TAGS: frozenset[str] = frozenset({*FAMILY_OF.values(), HEALTH_TAG})
# apprise's own "always" tag: such a service is notified whatever the filter.
ALWAYS_TAG = "always"
ENV_NAME = "TREATYWATCH_APPRISE_URLS"
# Per-request timeouts (seconds) when a URL sets no `cto`/`rto`; for SMTP `cto` bounds every socket
# operation. apprise's own defaults are 4 s for HTTP and 15 s for SMTP.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
_SECRET_PARAM = re.compile(r"^[+:-]|token|secret|pass|pwd|key|auth|sig|cred", re.IGNORECASE)
_MASK = "****"
_PARTIAL_MASK = re.compile(r"[^\s/:@]\.\.\.[^\s/:@]")


class AlertConfigError(ConfigError):
    """An alert destination could not be loaded; `source` is the file or variable, `index` the entry."""

    def __init__(self, source: str, message: str, index: int | None = None) -> None:
        self.source = source
        self.index = index
        where = source if index is None else f"{source}: entry {index}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Destination:
    key: str  # sha256 of the URL as written (plus YAML options), first 16 hex; the ledger's id
    tags: frozenset[str]
    channel: str  # "email" | "slack" | "console" | "generic"
    display: str  # privacy-masked URL, safe to log and store
    url: str = field(repr=False)  # the real URL (apprise canonical form), never logged or stored


CONSOLE = Destination(key="console", tags=DEFAULT_TAGS, channel="console", display="console://", url="console://")


def routes(destinations: Iterable[Destination], tag: str) -> list[Destination]:
    """Destinations that receive `tag` (apprise's `always` tag receives everything)."""
    return [d for d in destinations if tag in d.tags or ALWAYS_TAG in d.tags]


def load_destinations(alerts_file: Path | None, env_urls: str | None) -> list[Destination]:
    """Destinations from the YAML file and the env variable, merged by key; [CONSOLE] when there are none."""
    found: list[Destination] = []
    if alerts_file is not None:
        found += _from_yaml_file(Path(alerts_file))
    if env_urls and env_urls.strip():
        found += _from_env(env_urls)
    merged: dict[str, Destination] = {}
    for dest in found:
        old = merged.get(dest.key)
        merged[dest.key] = (
            dest
            if old is None
            else Destination(
                key=old.key, tags=old.tags | dest.tags, channel=old.channel, display=old.display, url=old.url
            )
        )
    return list(merged.values()) or [CONSOLE]


def channel_of(service: NotifyBase) -> str:
    """The template family a plugin gets: mail and Slack have their own, everything else markdown."""
    if isinstance(service, NotifyEmail):
        return "email"
    if isinstance(service, NotifySlack):
        return "slack"
    return "generic"


def masked_display(service: NotifyBase) -> str:
    """apprise's privacy URL, plus masking of credential-like query values apprise prints in clear."""
    return mask_query(service.url(privacy=True))


def mask_query(url: str) -> str:
    """Mask values of query parameters whose names look like headers, payload fields or secrets."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [
        (k, _MASK if v and _SECRET_PARAM.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="*@")))


def url_secrets(url: str, keep: str = "") -> set[str]:
    """Parts of `url` that may be secret (user info, host, path segments, query values) and not in `keep`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return {url}
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    candidates = {user, hostport.rsplit(":", 1)[0], *parts.path.split("/"), *parts.fragment.split("/")}
    candidates |= {pair.partition("=")[2] for pair in parts.query.split("&")}
    out = {c for c in candidates | {unquote(c) for c in candidates} if len(c) >= 3 and c not in keep}
    if password:
        out |= {password, unquote(password)}
    return out


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in `text` (longest first, so a secret's own parts do not leak)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, _MASK)
    return text


def _key(raw: str) -> str:
    return short_hash(raw, chars=16)


def _destination(service: NotifyBase, key_source: str, default_tags: frozenset[str]) -> Destination:
    """A Destination whose URL carries our default timeouts unless the operator set `cto`/`rto`."""
    if not re.search(r"\bcto\b", key_source):
        service.socket_connect_timeout = CONNECT_TIMEOUT
    if not re.search(r"\brto\b", key_source):
        service.socket_read_timeout = READ_TIMEOUT
    if isinstance(service, NotifySlack):
        service.use_blocks = True  # see deliver.py: only Block Kit passes our mrkdwn through as written
    tags = frozenset(str(t) for t in service.tags) or default_tags
    return Destination(
        key=_key(key_source),
        tags=tags,
        channel=channel_of(service),
        display=masked_display(service),
        url=service.url(privacy=False),
    )


KNOWN_TAGS: frozenset[str] = DEFAULT_TAGS | {ALWAYS_TAG}


def _check_tags(dest: Destination, source: str, index: int) -> Destination:
    """A tag no alert is ever sent with is a typo that silently starves the destination: refuse it."""
    unknown = sorted(dest.tags - KNOWN_TAGS)
    if not unknown:
        return dest
    hints = [
        f"{t!r} (did you mean {close[0]!r}?)" if (close := difflib.get_close_matches(t, KNOWN_TAGS, n=1)) else repr(t)
        for t in unknown
    ]
    raise AlertConfigError(
        source,
        f"unknown tag(s) {', '.join(hints)} on {dest.display}; known tags: {', '.join(sorted(KNOWN_TAGS))}",
        index,
    )


def _schema_hint(raw: str) -> str:
    schema = raw.split("://", 1)[0] if "://" in raw else ""
    return f"{schema}://…" if re.fullmatch(r"[A-Za-z0-9+.-]{1,32}", schema) else "the URL"


def _load_failure(source: str, index: int, raw: str, log: str) -> AlertConfigError:
    """An error naming the entry and apprise's reason, with every part of the URL masked."""
    lines = [line.split(" - ", 2)[-1] for line in log.splitlines() if " - WARNING - " in line or " - ERROR - " in line]
    # Lines that quote the URL (even apprise's "p...s" masking) are dropped; the rest are scrubbed too.
    reasons = [line for line in lines if "://" not in line and not _PARTIAL_MASK.search(line)]
    reason = scrub("; ".join(reasons[:2]), url_secrets(raw)) if reasons else "unknown schema or invalid URL"
    return AlertConfigError(source, f"apprise could not load {_schema_hint(raw)}: {reason}", index)


def _parse(parser: Any, content: str) -> tuple[list[Any], str]:
    """Run an apprise config parser and return its services and its warnings/errors."""
    with apprise.LogCapture(level=logging.WARNING) as captured:
        services, _includes = parser(content)
        return services, captured.getvalue()


def _from_env(text: str) -> list[Destination]:
    out: list[Destination] = []
    for index, token in enumerate(text.split(), start=1):
        head, sep, tail = token.partition("=")
        raw = tail if sep and "://" not in head and "://" in tail else token
        services, log = _parse(ConfigBase.config_parse_text, token)
        if len(services) != 1 or not isinstance(services[0], NotifyBase):
            raise _load_failure(ENV_NAME, index, raw, log)
        out.append(_check_tags(_destination(services[0], raw, DEFAULT_TAGS), ENV_NAME, index))
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    """The YAML document as a mapping; errors name the line but never echo the file's text."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AlertConfigError(str(path), f"cannot read alerts config ({exc.strerror or exc})") from None
    try:
        doc = load_yaml(text, str(path))
    except YamlError as exc:  # the key of a repeated URL entry may hold a secret: never named here
        problem = "duplicate key" if exc.key is not None else exc.problem
        where = (
            ""
            if exc.line is None
            else f" at line {exc.line}" + ("" if exc.column is None else f", column {exc.column}")
        )
        raise AlertConfigError(str(path), f"{problem}{where}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise AlertConfigError(str(path), "an apprise YAML config must be a mapping with a `urls:` list")
    if doc.get("version", 1) != 1:
        raise AlertConfigError(str(path), "only apprise YAML `version: 1` is supported")
    if doc.get("include"):
        raise AlertConfigError(str(path), "`include:` is not supported; list every URL in this file")
    if not isinstance(doc.get("urls", []) or [], list):
        raise AlertConfigError(str(path), "`urls:` must be a list")
    return doc


def _entry_keys(entry: Any) -> tuple[str, list[str]]:
    """The URL as written and one key source per service the entry expands to (YAML options included)."""
    if isinstance(entry, str):
        return entry, [entry]
    if isinstance(entry, dict) and len(entry) == 1 and "://" in str(next(iter(entry))):
        raw, opts = next(iter(entry.items()))
        items = opts if isinstance(opts, list) else [opts or {}]
        sources = []
        for item in items:
            extra = (
                {k: v for k, v in (item or {}).items() if k not in ("tag", "tags")} if isinstance(item, dict) else {}
            )
            sources.append(raw if not extra else raw + "\n" + json.dumps(extra, sort_keys=True, default=str))
        return str(raw), sources
    return json.dumps(entry, sort_keys=True, default=str), [json.dumps(entry, sort_keys=True, default=str)]


def _from_yaml_file(path: Path) -> list[Destination]:
    doc = _read_yaml(path)
    out: list[Destination] = []
    for index, entry in enumerate(doc.get("urls") or [], start=1):
        raw, key_sources = _entry_keys(entry)
        one = yaml.safe_dump({**doc, "urls": [entry]}, allow_unicode=True, sort_keys=False)
        services, log = _parse(ConfigBase.config_parse_yaml, one)
        if len(services) != len(key_sources) or not all(isinstance(s, NotifyBase) for s in services):
            raise _load_failure(str(path), index, raw, log)
        out += [
            _check_tags(_destination(s, k, DEFAULT_TAGS), str(path), index)
            for s, k in zip(services, key_sources, strict=False)
        ]
    return out


def describe(destinations: Sequence[Destination]) -> list[str]:
    """One safe line per destination for logs and `--dry-run` output."""
    return [f"{d.channel:8} {','.join(sorted(d.tags)):40} {d.display}" for d in destinations]
