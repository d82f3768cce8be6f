"""An HTML listing page (a site without a feed) -> Items, driven by CSS selectors from config.

Pure: bytes in, Items out. Links are resolved against the page's final URL and only http(s) links
are kept, as for feeds; a page where the item selector matches nothing is reported as `not_a_feed`
(the site changed its layout or served an anti-bot page) so source health notices.
"""

from __future__ import annotations

import warnings as pywarnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag

from parsers.documents.feeds import needs_full_text, parse_date, safe_link
from parsers.documents.html_text import html_to_text
from parsers.documents.identity import item_id
from parsers.extract.lang import detect_lang
from parsers.models import FetchedDocument, FetchError, Item, ParseResult, Source

LISTING_FIELDS = frozenset({"item", "title", "link", "date", "summary"})


@dataclass(frozen=True, slots=True)
class ListingSpec:
    """Selectors of a listing: `item` per story; the others are relative to one item element."""

    item: str
    title: str = "a"
    link: str = "a[href]"
    date: str | None = None
    summary: str | None = None

    @classmethod
    def of(cls, source: Source) -> ListingSpec:
        """The spec a source's validated `listing:` options describe."""
        return cls(**dict(source.option("listing") or ()))


def _first(el: Tag, selector: str | None) -> Tag | None:
    """First match of a selector inside an item ("" or ":scope" mean the item itself)."""
    if not selector:
        return None
    if selector == ":scope":
        return el
    return el.select_one(selector)


def _date(el: Tag | None) -> datetime | None:
    """A <time datetime>, a data-date/content attribute, or the element text."""
    if el is None:
        return None
    for attr in ("datetime", "content", "data-date"):
        value = el.get(attr)
        if isinstance(value, str) and (parsed := parse_date(value)):
            return parsed
    return parse_date(el.get_text(" ", strip=True)) or _dotted_date(el.get_text(" ", strip=True))


def _dotted_date(text: str) -> datetime | None:
    """Russian sites write 19.12.2025 (optionally with a time); day-first, date only."""
    head = text.strip()[:10]
    try:
        return datetime.strptime(head, "%d.%m.%Y").replace(tzinfo=UTC)
    except ValueError:
        return None


def _href(el: Tag | None) -> str:
    """The link of an element: its own href or its first descendant <a href>."""
    if el is None:
        return ""
    href = el.get("href")
    if not isinstance(href, str):
        inner = el.find("a", href=True)
        href = inner.get("href") if isinstance(inner, Tag) else ""
    return href if isinstance(href, str) else ""


def _item(el: Tag, spec: ListingSpec, base: str, source: Source, warnings: list[str]) -> Item | None:
    """One matched element -> Item, or None when it has neither a link nor a title."""
    title_el = _first(el, spec.title)
    title = " ".join(title_el.get_text(" ", strip=True).split()) if title_el else ""
    raw_link = _href(_first(el, spec.link))
    url, warning = safe_link(urljoin(base, raw_link) if raw_link else "")
    if warning:
        warnings.append(warning)
    if not (url or title):
        return None
    summary_el = _first(el, spec.summary)
    summary = html_to_text(str(summary_el)) if summary_el is not None else ""
    return Item(
        id=item_id(source.id, None, url or None, title),
        source_id=source.id,
        url=url,
        title=title,
        text=summary,
        summary=summary,
        published=_date(_first(el, spec.date)),
        lang=source.lang or detect_lang(f"{title}\n{summary}"),
        needs_full_text=needs_full_text(source, url, summary, False),
    )


def parse_listing(doc: FetchedDocument, source: Source, spec: ListingSpec | None = None) -> ParseResult:
    """Items of a listing page; never raises on bad markup."""
    if doc.error is not None:
        return ParseResult(items=(), error=doc.error)
    if doc.status == 304:
        return ParseResult(items=(), extra={"not_modified": True})
    spec = spec or ListingSpec.of(source)
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(doc.body, "lxml", from_encoding=charset_of(doc.content_type))
    elements = soup.select(spec.item)
    if not elements:
        return ParseResult(items=(), error=FetchError("not_a_feed", f"listing selector {spec.item!r} matched nothing"))
    warnings: list[str] = []
    seen: dict[str, Item] = {}
    for el in elements:
        item = _item(el, spec, doc.final_url or doc.url, source, warnings)
        if item is not None:
            seen.setdefault(item.id, item)
    if len(seen) < len(elements):
        warnings.append(f"kept {len(seen)} of {len(elements)} listing entries (no link/title, or repeated)")
    return ParseResult(items=tuple(seen.values()), warnings=tuple(warnings))


def charset_of(content_type: str) -> str | None:
    """The charset a server declared, so cp1251 pages without <meta charset> decode right."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def validate_spec(raw: Any) -> list[str]:
    """Problems with a `listing:` mapping (empty when fine); used by parsers.config.sources at load."""
    if not isinstance(raw, dict):
        return [f"must be a mapping of {sorted(LISTING_FIELDS)}, got {raw!r}"]
    problems = [f"unknown key {k!r} (allowed: {sorted(LISTING_FIELDS)})" for k in raw if k not in LISTING_FIELDS]
    if not isinstance(raw.get("item"), str) or not raw["item"].strip():
        problems.append("key 'item' (CSS selector of one story) is required")
    problems += [
        f"key {k!r} must be a CSS selector string"
        for k, v in raw.items()
        if k in LISTING_FIELDS and not (isinstance(v, str) and v.strip())
    ]
    return problems
