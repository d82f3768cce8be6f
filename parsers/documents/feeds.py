"""RSS/Atom/RDF bytes to Items; a broken feed becomes warnings or a classified error, never a crash."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from parsers.documents.charset import decode_plan
from parsers.documents.html_text import html_to_text
from parsers.documents.identity import item_id, variant_id
from parsers.extract.lang import detect_lang
from parsers.models import FetchedDocument, FetchError, Item, ParseResult, Source

SHORT_TEXT_CHARS = 600  # below this, and without <content>, the feed gave us a lead, not the story
# feedparser flags these as `bozo` although the feed is fine (e.g. text/xml without charset).
BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=", re.I)
TZ_COLON = re.compile(r"([+-]\d\d):(\d\d)\s*$")
CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")
YEAR_TOKEN = re.compile(r"(?<!\d)(\d{4})(?!\d)")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # no news feed entry is older; year 0001 is a placeholder
FUTURE_SLACK = timedelta(days=1)  # time zones and clock skew; more is a wrong or hostile date


def _sniff_charset(body: bytes, content_type: str) -> str | None:
    """Guess cp1251 for undeclared non-UTF-8 Russian feeds (feedparser would fall back to cp1252)."""
    if "charset=" in content_type.lower() or XML_ENCODING.match(body[:200]):
        return None
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    text = body.decode("cp1251", errors="replace")
    high = [ch for ch in text if ord(ch) > 127]
    cyr = sum(1 for ch in high if CYRILLIC.match(ch))
    return "windows-1251" if high and cyr / len(high) >= 0.8 else None


def _response_headers(doc: FetchedDocument, body: bytes, content_type: str) -> dict[str, str]:
    """Headers for feedparser: the base URL for relative links and the declared (or sniffed) charset."""
    headers = {"content-location": doc.final_url or doc.url}
    charset = _sniff_charset(body, content_type)
    if charset:
        content_type = f"{content_type.split(';')[0].strip() or 'application/xml'}; charset={charset}"
    if content_type:
        headers["content-type"] = content_type
    return headers


def parse_date(raw: str | None, parsed: Any = None) -> datetime | None:
    """Timezone-aware date keeping the feed's own offset (pravo's midnight +03:00 stays that day)."""
    if raw:
        text = raw.strip()
        try:
            dt = parsedate_to_datetime(TZ_COLON.sub(r"\1\2", text))
        except (TypeError, ValueError, IndexError):
            dt = None
        if dt is None:
            try:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                dt = None
        if dt is not None:
            return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    if parsed:
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None


def plausible_date(
    published: datetime | None,
    raw: str | None,
    fetched_at: datetime | None,
) -> tuple[datetime | None, str | None]:
    """The date, or the fetch time with a note when the date cannot be true (before 1970, after the
    fetch, or a 4-digit year the parser read differently: "0001" comes back as 2001). A date far in
    the future would otherwise pass the first-run history horizon and sort above everything."""
    if published is None or fetched_at is None:
        return published, None
    written = YEAR_TOKEN.search(raw or "")
    misread = written is not None and int(written.group(1)) != published.year
    if misread or published < EARLIEST or published > fetched_at + FUTURE_SLACK:
        return fetched_at, f"implausible date {str(raw or published)[:40]!r} set to the fetch time"
    return published, None


def safe_link(link: str | None) -> tuple[str, str | None]:
    """Keep only http(s) links: a feed must not point us at file:, javascript: or data: URLs."""
    link = (link or "").strip()
    if not link:
        return "", None
    try:
        scheme = urlsplit(link).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme in ("http", "https"):
        return link, None
    return "", f"dropped non-http(s) link {link[:120]!r}"


def _title(entry: Any) -> str:
    """Entry title as plain text (Atom titles may be HTML)."""
    raw = entry.get("title", "") or ""
    detail = entry.get("title_detail") or {}
    if "html" in (detail.get("type") or "") or "<" in raw:
        return html_to_text(raw)
    return " ".join(raw.split())


def _texts(entry: Any) -> tuple[str, str, bool]:
    """(text, summary, has_content): the richest body text, the summary text, whether <content> existed."""
    summary = html_to_text(entry.get("summary", "") or "")
    contents = [html_to_text(c.get("value", "") or "") for c in entry.get("content") or ()]
    contents = [c for c in contents if c]
    text = max([summary, *contents], key=len)
    return text, summary, bool(contents)


def needs_full_text(source: Source, url: str, text: str, has_content: bool) -> bool:
    """Whether the page must be fetched for the body (never without a safe URL)."""
    if not url or source.full_text == "never":
        return False
    if source.full_text == "always":
        return True
    return not has_content and len(text) < SHORT_TEXT_CHARS


def _entry_to_item(entry: Any, source: Source, warnings: list[str], fetched_at: datetime | None = None) -> Item | None:
    """One feedparser entry -> Item, or None (with a warning) when nothing identifies it."""
    url, warning = safe_link(entry.get("link"))
    if warning:
        warnings.append(warning)
    title = _title(entry)
    text, summary, has_content = _texts(entry)
    guid = (entry.get("id") or "").strip() or None
    if not (guid or url or title):
        warnings.append("skipped an entry with no guid, link or title")
        return None
    raw_date = entry.get("published") or entry.get("updated")
    published = parse_date(raw_date, entry.get("published_parsed") or entry.get("updated_parsed"))
    published, date_note = plausible_date(published, raw_date, fetched_at)
    if date_note:
        warnings.append(date_note)
    return Item(
        id=item_id(source.id, guid, url, title),
        source_id=source.id,
        url=url,
        title=title,
        text=text,
        guid=guid,
        summary=summary,
        published=published,
        lang=source.lang or detect_lang(f"{title}\n{text}"),
        needs_full_text=needs_full_text(source, url, text, has_content),
        date_doubtful=date_note is not None,
    )


def _unique(items: Iterable[Item | None]) -> tuple[tuple[Item, ...], dict[str, int]]:
    """Items in feed order, with counts: entries without identity (dropped), exact repeats of an id
    (dropped: feeds do list one story twice), and entries reusing an id with DIFFERENT content (kept
    under a variant id: a recycled GUID must not lose a story)."""
    seen: dict[str, Item] = {}
    counts = {"no_identity": 0, "duplicate": 0, "variant": 0}
    for item in items:
        if item is None:
            counts["no_identity"] += 1
            continue
        first = seen.get(item.id)
        if first is not None and first.content_hash != item.content_hash:
            item = dataclasses.replace(item, id=variant_id(item.id, item.content_hash))
            first = seen.get(item.id)
            counts["variant"] += first is None
        if first is None:
            seen[item.id] = item
        else:
            counts["duplicate"] += 1
    return tuple(seen.values()), counts


def _count_notes(counts: dict[str, int]) -> list[str]:
    words = {
        "no_identity": "entries with no guid, link or title dropped",
        "duplicate": "repeated entries (same id, same content) dropped",
        "variant": "entries reusing an id with different content kept as separate items",
    }
    return [f"{n} {words[k]}" for k, n in counts.items() if n]


# Markers of anti-bot interstitials seen in public scraper reports (mid.ru's "bobcmn" script,
# Cloudflare, AWS WAF): an operator must tell "blocked" from "the site changed its layout".
CHALLENGE_MARKERS = (
    b"bobcmn",
    b"cf-chl",
    b"challenge-platform",
    b"Just a moment...",
    b"awswaf",
    b"captcha-delivery",
    b"Access denied",
)


def challenge_marker(body: bytes) -> str | None:
    """The bot-challenge marker an HTML answer carries, if any (first 64 KB)."""
    head = body[:65536]
    return next((m.decode() for m in CHALLENGE_MARKERS if m in head), None)


def _empty_result(doc: FetchedDocument, parsed: Any) -> ParseResult:
    """No entries: tell an empty feed from an HTML page and from broken XML."""
    exc = parsed.get("bozo_exception")
    real_problem = parsed.get("bozo") and not isinstance(exc, BENIGN_BOZO)
    looks_html = bool(HTML_START.match(doc.body[:2048])) or "html" in doc.content_type.lower()
    if looks_html and not parsed.get("version"):
        if marker := challenge_marker(doc.body):
            return ParseResult(items=(), error=FetchError("challenge", f"a bot challenge page ({marker}), not a feed"))
        return ParseResult(items=(), error=FetchError("not_a_feed", "got an HTML page, not a feed"))
    if real_problem:
        return ParseResult(items=(), error=FetchError("parse", f"unparseable feed: {exc}"))
    if not parsed.get("version"):
        return ParseResult(items=(), error=FetchError("not_a_feed", "no RSS/Atom structure found"))
    return ParseResult(items=(), extra={"encoding": parsed.get("encoding")})


def parse_feed(doc: FetchedDocument, source: Source) -> ParseResult:
    """Parse a fetched feed into Items with warnings; never raises on bad input."""
    if doc.error is not None:
        return ParseResult(items=(), error=doc.error)
    if doc.status == 304:
        return ParseResult(items=(), extra={"not_modified": True})
    plan = decode_plan(doc.body, doc.content_type)  # a lying charset label is found and corrected
    try:
        # A stream, not bytes: feedparser tries open() on bytes, so a body that is a local path
        # (b"/etc/passwd") would make it read our own files.
        parsed = feedparser.parse(
            io.BytesIO(plan.body), response_headers=_response_headers(doc, plan.body, plan.content_type)
        )
    except Exception as exc:  # feedparser promises not to raise; we make sure
        return ParseResult(items=(), error=FetchError("parse", f"feedparser failed: {exc!r}"))
    if not parsed.entries:
        return _empty_result(doc, parsed)
    warnings: list[str] = [plan.note] if plan.note else []
    exc = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(exc, BENIGN_BOZO):
        warnings.append(f"malformed feed, kept {len(parsed.entries)} recovered entries: {exc}")
    kept, counts = _unique(_entry_to_item(e, source, warnings, doc.fetched_at) for e in parsed.entries)
    warnings += _count_notes(counts)
    extra = {
        "encoding": parsed.get("encoding"),
        "feed_version": parsed.get("version"),
        "dropped": counts["no_identity"] + counts["duplicate"],
        "charset_mismatch": plan.note,
    }
    return ParseResult(items=kept, warnings=tuple(warnings), extra=extra)
