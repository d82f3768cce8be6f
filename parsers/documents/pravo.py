"""publication.pravo.gov.ru: URL building and API JSON -> Items, pure so every schema quirk is testable.

The portal has no official API documentation; the shapes here follow open-source clients (see the
research notes, section 3). So every field is read defensively and a response that does not look
like the documented schema becomes a classified `parse` error, never a crash. Document type GUIDs
are looked up at runtime through /DocumentTypes because clients disagree on them.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from parsers.documents.feeds import parse_feed
from parsers.documents.identity import item_id
from parsers.models import FetchedDocument, FetchError, Item, ParseResult, Source

BLOCKS = frozenset(
    {"president", "government", "council_1", "council_2", "federal_authorities", "court", "international", "subjects"}
)
DOCUMENTS_PAGE_SIZES = frozenset({10, 30, 100, 200})
RSS_PAGE_SIZES = frozenset({10, 100, 200})  # other values reportedly give HTTP 400
MOSCOW = timezone(timedelta(hours=3))  # no DST since 2014; publication dates are Moscow days
PAGE_URL = "https://publication.pravo.gov.ru/document/{eo}"
_META = re.compile(r"^\s*Номер опубликования:")  # a description with only publication metadata
SORT_BY_PUBLISH_DATE = 6  # seen in working clients, with SortDestination=1 for newest first


@dataclass(frozen=True, slots=True)
class PravoQuery:
    """What a `kind: pravo` source asks for; built from its validated `pravo:` options."""

    block: str
    mode: str = "documents"  # documents (JSON API) | rss
    document_types: tuple[str, ...] = ()  # names as /DocumentTypes spells them, matched case-insensitively
    names: tuple[str, ...] = ()  # heading filters (the API's `Name`), e.g. "о ратификации": one query each
    days: int = 3  # publication window ending today (Moscow)
    page_size: int = 100
    max_pages: int = 5

    @classmethod
    def of(cls, source: Source) -> PravoQuery:
        """The query a source's options describe (validated at config load)."""
        opts = dict(source.option("pravo") or ())
        return cls(**opts)


def _api(base: str, path: str, params: list[tuple[str, str]]) -> str:
    """Join the API base (e.g. http://publication.pravo.gov.ru/api) with an endpoint and a query."""
    query = urlencode(params)
    return f"{base.rstrip('/')}/{path}" + (f"?{query}" if query else "")


def document_types_url(base: str, block: str) -> str:
    """Reference list of document types valid in a block."""
    return _api(base, "DocumentTypes", [("block", block)])


def rss_url(base: str, query: PravoQuery) -> str:
    """The portal's RSS for one block."""
    return _api(base, "rss", [("block", query.block), ("pageSize", str(query.page_size))])


def documents_url(
    base: str, query: PravoQuery, type_ids: tuple[str, ...], day: date, index: int, name: str | None = None
) -> str:
    """One page of /Documents for one publication day: block, types, an optional heading filter.

    Working public clients filter by `PeriodType=day&Date=DD.MM.YYYY`; `PublishDateFrom/To` appears
    only on the portal's own search page and ISO dates are reportedly ignored silently.
    """
    params = [("Block", query.block)]
    params += [("DocumentTypes", t) for t in type_ids]
    if name:
        params.append(("Name", name))
    params += [
        ("PeriodType", "day"),
        ("Date", day.strftime("%d.%m.%Y")),
        ("SortedBy", str(SORT_BY_PUBLISH_DATE)),
        ("SortDestination", "1"),
        ("PageSize", str(query.page_size)),
        ("Index", str(index)),  # pages start at 1; the parameter is not called `page`
    ]
    return _api(base, "Documents", params)


def window(query: PravoQuery, today: date) -> list[tuple[date, str | None]]:
    """(day, heading filter) pairs a run asks for: each day of the window, each name (or none), newest first."""
    days = [today - timedelta(days=n) for n in range(max(query.days, 1))]
    return [(d, name) for d in days for name in (query.names or (None,))]


def moscow_today(now: datetime) -> date:
    """The publication day the portal is on at `now`."""
    return now.astimezone(MOSCOW).date()


def _json(doc: FetchedDocument) -> tuple[Any, FetchError | None]:
    """Decode a JSON body or say, classified, why not (HTML anti-bot pages are common)."""
    head = doc.body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return None, FetchError("not_a_feed", "got an HTML page where pravo JSON was expected")
    try:
        return json.loads(doc.body.decode("utf-8-sig")), None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, FetchError("parse", f"pravo API answer is not JSON: {exc}")


def document_type_ids(doc: FetchedDocument, wanted: tuple[str, ...]) -> tuple[tuple[str, ...], FetchError | None]:
    """GUIDs of the wanted type names; an unknown name is a config-vs-portal mismatch, so an error."""
    data, error = _json(doc)
    if error:
        return (), error
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        return (), FetchError("parse", "pravo /DocumentTypes: expected a list of {id, name}")
    by_name = {" ".join(str(t.get("name", "")).split()).casefold(): str(t["id"]) for t in data if t.get("id")}
    found: list[str] = []
    missing: list[str] = []
    for name in wanted:
        key = " ".join(name.split()).casefold()
        # Exact name first; else every type whose name starts with it ("Распоряжение" -> "Распоряжение ...").
        ids = [by_name[key]] if key in by_name else [i for n, i in by_name.items() if n.startswith(key)]
        found += [i for i in ids if i not in found]
        if not ids:
            missing.append(name)
    if missing:
        known = ", ".join(sorted(str(t.get("name")) for t in data)[:12])
        return (), FetchError("parse", f"pravo document types not found: {missing} (portal has: {known})")
    return tuple(found), None


@dataclass(frozen=True, slots=True)
class DocumentsPage:
    """Items of one /Documents page and whether more pages follow."""

    result: ParseResult
    current: int = 1
    total_pages: int = 1

    @property
    def has_more(self) -> bool:
        return self.result.error is None and self.current < self.total_pages


def _published(raw: Any) -> datetime | None:
    """`publishDateShort` is ISO without offset and means a Moscow day: keep that day."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        dt = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = datetime.strptime(raw.strip(), "%d.%m.%Y")
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=MOSCOW)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value else ""


def document_item(raw: dict[str, Any], source: Source) -> Item | None:
    """One API document -> Item: title = complexName, text = name (the heading the rules match)."""
    eo = _text(raw.get("eoNumber"))
    if not eo.isdigit():
        return None
    complex_name = _text(raw.get("complexName"))
    heading = _heading(_text(raw.get("name")), complex_name)
    title = complex_name or heading or eo
    return Item(
        id=item_id(source.id, eo, None, None),
        source_id=source.id,
        url=PAGE_URL.format(eo=eo),
        title=title,
        text=heading or title,
        guid=eo,
        summary=heading,
        published=_published(raw.get("publishDateShort") or raw.get("viewDate")),
        lang="ru",
        needs_full_text=False,  # the text is a PDF; the HTML extractor cannot read it
    )


_QUOTES = "\"'«»„“”"
_ACT_HEAD = re.compile(r"^(.*?№\s*\S+)\s+(.+)$")


def _heading(name: str, complex_name: str) -> str:
    """The act's heading: `name` without the stray quote it may start with, else the tail of complexName.

    complexName reads "Распоряжение … от 17.12.2025 № 3810-р \"О прекращении …\"" on the portal;
    the part after the number is the heading the rules should see.
    """
    if name:
        return name.strip(_QUOTES + " ")
    m = _ACT_HEAD.match(complex_name)
    return m.group(2).strip(_QUOTES + " ") if m else ""


def _split_title(title: str) -> tuple[str, str]:
    """("Распоряжение … № 3901-р", "О прекращении …") from an RSS title that holds both."""
    first, _, rest = title.partition("\n")
    if rest.strip():
        return " ".join(first.split()), rest.strip(_QUOTES + " \n")
    m = _ACT_HEAD.match(" ".join(title.split()))  # feedparser may have folded the line break
    return (m.group(1), m.group(2).strip(_QUOTES + " ")) if m else (title, "")


def parse_documents(doc: FetchedDocument, source: Source) -> DocumentsPage:
    """A /Documents answer -> Items with paging; schema drift becomes a `parse` error."""
    data, error = _json(doc)
    if error:
        return DocumentsPage(ParseResult(items=(), error=error))
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return DocumentsPage(ParseResult(items=(), error=FetchError("parse", "pravo /Documents: no `items` list")))
    warnings: list[str] = []
    items: list[Item] = []
    for raw in data["items"]:
        item = document_item(raw, source) if isinstance(raw, dict) else None
        if item is None:
            warnings.append("skipped a pravo document without a numeric eoNumber")
        else:
            items.append(item)
    current, total = _int(data.get("currentPage"), 1), _int(data.get("pagesTotalCount"), 1)
    return DocumentsPage(ParseResult(items=tuple(items), warnings=tuple(warnings)), current, total)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_rss(doc: FetchedDocument, source: Source) -> ParseResult:
    """The portal RSS through feedparser, links pointed at the canonical document page.

    Real items carry the act in <title> as "type, date, number" and, on the next line, the heading;
    <description> holds only "Номер опубликования: …; Дата опубликования: …". The heading is what the
    rules must see, so it becomes the text (and an old-style description with the heading still works).
    """
    result = parse_feed(doc, source)
    fixed = []
    for item in result.items:
        eo = (item.guid or "").rsplit("/", 1)[-1]
        url = PAGE_URL.format(eo=eo) if eo.isdigit() else item.url
        act, heading = _split_title(item.title)
        text = item.text if _META.match(item.text or "") is None else ""
        if heading:
            text = heading if not text else f"{heading}\n\n{text}"
        fixed.append(
            dataclasses.replace(item, url=url, title=act or item.title, text=text or item.title, needs_full_text=False)
        )
    return ParseResult(items=tuple(fixed), warnings=result.warnings, error=result.error, extra=result.extra)
