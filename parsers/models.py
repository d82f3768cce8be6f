"""Typed records handed from one pipeline stage to the next.

source -> FetchedDocument -> Item -> Event -> stored rows -> alerts. Every stage boundary is one
of these frozen dataclasses, so a stage can be tested with literals and nothing leaks between
stages by accident.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from parsers.ids import short_hash

Family = Literal["termination", "partnership"]
EventType = Literal[
    "termination",
    "suspension",
    "withdrawal",
    "partnership_signed",
    "partnership_strengthened",
]
Domain = Literal["military", "defense", "security", "economic", "other"]

FAMILY_OF: dict[str, Family] = {
    "termination": "termination",
    "suspension": "termination",
    "withdrawal": "termination",
    "partnership_signed": "partnership",
    "partnership_strengthened": "partnership",
}


@dataclass(frozen=True, slots=True)
class Source:
    """One configured feed or portal; `kind` selects the parser, `group` the schedule."""

    id: str
    kind: str
    url: str
    lang: str | None = None
    group: str = "news"
    enabled: bool = True
    # CSS selectors for the article body when the feed carries only a summary.
    body_selectors: tuple[str, ...] = ()
    # "auto": fetch the page when the feed text looks like a summary; "always"; "never".
    full_text: str = "auto"
    # Items older than this many days are stored but not alerted on a source's first run;
    # None = the run's default (Settings.alert_horizon_days). Group "seed" is always exempt.
    horizon_days: int | None = None
    # Kind-specific settings as sorted (key, value) pairs (html `listing`, `pravo` query), validated
    # by parsers.sources; tuples keep Source hashable and frozen.
    options: tuple[tuple[str, Any], ...] = ()
    # Links and redirects found in this source's content may lead to private addresses (an intranet
    # feed); otherwise only the source's own scheme+host+port may, every other host must be public.
    allow_private_links: bool = False

    def option(self, key: str, default: Any = None) -> Any:
        """One kind-specific setting."""
        return dict(self.options).get(key, default)


@dataclass(frozen=True, slots=True)
class FetchError:
    """A classified failure; `kind` is stable (used in SQL and health scoring)."""

    kind: str  # timeout | connect | blocked | http_status | too_large | redirects | not_a_feed | parse | scheme | io
    message: str
    transient: bool = False
    # Seconds the server asked us to wait (HTTP Retry-After on 429/503), when it said so.
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """Raw bytes of one HTTP (or file) fetch plus what we need to fetch politely next time."""

    url: str
    final_url: str
    status: int
    body: bytes
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    elapsed_ms: int = 0
    fetched_at: datetime | None = None
    error: FetchError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Item:
    """One news story or legal act, identified stably across runs."""

    id: str
    source_id: str
    url: str
    title: str
    text: str
    guid: str | None = None
    summary: str = ""
    published: datetime | None = None
    lang: str | None = None
    # True when `text` is only a feed summary and the page should be fetched for the body.
    needs_full_text: bool = False
    # The feed's date could not be true (year 0001, far future): `published` is the fetch time instead.
    date_doubtful: bool = False

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.text}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Official:
    name: str
    role: str = ""
    country: str | None = None


InstrumentKind = Literal["bilateral", "multilateral", "organisation"]


@dataclass(frozen=True, slots=True)
class Instrument:
    """Which treaty, agreement or body an event is about: the analyst must tell the CFE from the WHO."""

    text: str  # as written in the evidence (or title); "" when the text names no instrument
    id: str | None = None  # registry id (config/registry/) when known
    kind: InstrumentKind = "bilateral"

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "id": self.id, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Event:
    """One extracted claim that a state ended or forged an agreement; the JSON contract of `extract`."""

    family: Family
    type: EventType
    actor: str
    counterparts: tuple[str, ...]
    domain: Domain
    evidence: str
    span: tuple[int, int]
    confidence: float
    rule: str
    flags: tuple[str, ...] = ()
    stage: str = "announced"
    lang: str = "en"
    officials: tuple[Official, ...] = ()
    dates: tuple[date, ...] = ()
    agreement: str = ""
    extractor_version: str = ""
    # One entry per `dates` item: "day", "month" or "year" (a month-only date is stored as day 1).
    date_precision: tuple[str, ...] = ()
    # The treaty, agreement or body concerned; the engine always sets it (None only in hand-made records).
    instrument: Instrument | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values, keys in field order: what `asdict` gives, without its recursive deep copy
        (every field is immutable; the nested records are converted below)."""
        out = {name: getattr(self, name) for name in self.__slots__}
        out["counterparts"] = list(self.counterparts)
        out["span"] = list(self.span)
        out["flags"] = list(self.flags)
        out["officials"] = [asdict(o) for o in self.officials]
        out["dates"] = [d.isoformat() for d in self.dates]
        out["date_precision"] = list(self.date_precision)
        out["instrument"] = self.instrument.to_json() if self.instrument is not None else None
        return out

    @property
    def parties(self) -> frozenset[str]:
        return frozenset((self.actor, *self.counterparts))


@dataclass(frozen=True, slots=True)
class ExtractionInput:
    """What the extractor sees of an item; `published` anchors relative dates."""

    text: str
    title: str = ""
    lang: str | None = None
    published: datetime | None = None
    id: str = ""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event tied to its item, with the id that makes re-detection idempotent."""

    event_id: str
    item_id: str
    event: Event


def event_id(item_id: str, event: Event) -> str:
    """Same item + same type + same parties = same event, so re-extraction never re-alerts."""
    return short_hash(item_id, event.type, event.actor, ",".join(sorted(event.counterparts)))


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Items from one document plus non-fatal warnings (feedparser's `bozo`, skipped entries)."""

    items: tuple[Item, ...]
    warnings: tuple[str, ...] = ()
    error: FetchError | None = None
    extra: dict[str, Any] = field(default_factory=dict)
