"""Items from a JSON API through a declarative mapping, so a new API is configuration, not code.

A `kind: json` source says where the list is, which fields hold id, title, url, date and text, and
how to page. Every field is read defensively: a response that does not have the declared shape is a
classified `parse` error (schema drift), an HTML page where JSON was expected is `not_a_feed`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from parsers.documents.html_text import html_to_text
from parsers.documents.identity import item_id
from parsers.models import FetchedDocument, FetchError, Item, ParseResult, Source

SPEC_FIELDS = frozenset({"items", "item", "id", "title", "url", "date", "text", "paging"})
PAGING_FIELDS = frozenset({"param", "size_param", "size", "style", "start", "max_pages", "total"})
_TEMPLATE = re.compile(r"\{([A-Za-z0-9_.]+)\}")


@dataclass(frozen=True, slots=True)
class Paging:
    """How to ask for the next page: an offset (`Skip=50`) or a page number (`page=2`)."""

    param: str
    size_param: str | None = None
    size: int = 50
    style: str = "offset"  # offset | page
    start: int = 0  # the first offset or page number
    max_pages: int = 1
    total: str | None = None  # path of the total item count, to stop early


@dataclass(frozen=True, slots=True)
class JsonSpec:
    """The mapping of one `kind: json` source (validated at config load)."""

    items: str
    id: str
    title: str
    url: str
    date: str | None = None
    text: tuple[str, ...] = ()
    item: str | None = None  # path inside each list element to the record itself
    paging: Paging | None = None

    @classmethod
    def of(cls, source: Source) -> JsonSpec:
        raw = dict(source.option("json") or ())
        paging = raw.pop("paging", None)
        text = raw.pop("text", ())
        return cls(
            **raw,
            text=(text,) if isinstance(text, str) else tuple(text),
            paging=Paging(**dict(paging)) if paging else None,
        )


def validate_spec(raw: Any) -> list[str]:
    """Problems with a `json:` mapping, each naming its key (empty when valid)."""
    if not isinstance(raw, dict):
        return [f"must be a mapping with items, id, title, url, got {raw!r}"]
    problems = [f"unknown key {k!r} (allowed: {sorted(SPEC_FIELDS)})" for k in raw if k not in SPEC_FIELDS]
    for key in ("items", "id", "title", "url"):
        if not isinstance(raw.get(key), str) or (key != "items" and not raw[key].strip()):
            problems.append(f"key {key!r} must be a field path (a string)")
    for key in ("item", "date"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            problems.append(f"key {key!r} must be a field path (a string)")
    text = raw.get("text", [])
    if not (isinstance(text, str) or (isinstance(text, list) and all(isinstance(t, str) and t for t in text))):
        problems.append("key 'text' must be a field path or a list of them")
    paging = raw.get("paging")
    if paging is not None:
        problems += _paging_problems(paging)
    return problems


def _paging_problems(paging: Any) -> list[str]:
    if not isinstance(paging, dict) or not isinstance(paging.get("param"), str):
        return ["key 'paging' must be a mapping with at least 'param' (the offset or page parameter)"]
    out = [f"paging: unknown key {k!r} (allowed: {sorted(PAGING_FIELDS)})" for k in paging if k not in PAGING_FIELDS]
    if paging.get("style", "offset") not in ("offset", "page"):
        out.append("paging: 'style' must be offset or page")
    for key, low in (("size", 1), ("max_pages", 1), ("start", 0)):
        value = paging.get(key, low)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            out.append(f"paging: {key!r} must be a whole number >= {low}")
    return out


def page_url(base: str, spec: JsonSpec, index: int) -> str:
    """The URL of page `index` (0-based); the source URL itself when the API is not paged."""
    p = spec.paging
    if p is None:
        return base
    value = p.start + index * (p.size if p.style == "offset" else 1)
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in (p.param, p.size_param)]
    query.append((p.param, str(value)))
    if p.size_param:
        query.append((p.size_param, str(p.size)))
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True, slots=True)
class JsonPage:
    """Items of one page and whether another page may follow."""

    result: ParseResult
    has_more: bool = False


def parse_json(doc: FetchedDocument, source: Source, index: int = 0) -> JsonPage:
    """One API answer -> Items (a page of them); a wrong shape is an error naming the path."""
    spec = JsonSpec.of(source)
    head = doc.body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return JsonPage(ParseResult((), error=FetchError("not_a_feed", "got an HTML page where JSON was expected")))
    try:
        data = json.loads(doc.body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return JsonPage(ParseResult((), error=FetchError("parse", f"answer is not JSON: {exc}")))
    rows = lookup(data, spec.items)
    if not isinstance(rows, list):
        return JsonPage(ParseResult((), error=FetchError("parse", f"no list at {spec.items or 'the top level'!r}")))
    items, warnings = [], []
    for n, row in enumerate(rows):
        record = lookup(row, spec.item) if spec.item else row
        item = _item(record, spec, source) if isinstance(record, dict) else None
        if item is None:
            warnings.append(f"skipped entry {n}: no {spec.id!r} or {spec.title!r}")
        else:
            items.append(item)
    return JsonPage(ParseResult(tuple(items), tuple(warnings)), _has_more(data, spec, index, len(rows)))


def _has_more(data: Any, spec: JsonSpec, index: int, got: int) -> bool:
    p = spec.paging
    if p is None or got == 0 or index + 1 >= p.max_pages:
        return False
    total = lookup(data, p.total) if p.total else None
    if isinstance(total, int) and not isinstance(total, bool):
        return (index + 1) * p.size < total
    return got >= p.size


def _item(record: dict[str, Any], spec: JsonSpec, source: Source) -> Item | None:
    key, title = _scalar(lookup(record, spec.id)), _clean(lookup(record, spec.title))
    if not key or not title:
        return None
    url = _url(record, spec.url)
    parts = [_clean(lookup(record, path)) for path in spec.text]
    text = "\n\n".join(p for p in [title, *parts] if p)
    return Item(
        id=item_id(source.id, key, None, None),
        source_id=source.id,
        url=url,
        title=title,
        text=text,
        guid=key,
        summary="\n\n".join(p for p in parts if p),
        published=parse_date(lookup(record, spec.date)),
        lang=source.lang,
        needs_full_text=False,
    )


def _url(record: dict[str, Any], spec: str) -> str:
    """A field path, or a template such as `https://host/treaty/{id}` filled from the record."""
    if "{" in spec:
        return _TEMPLATE.sub(lambda m: _scalar(lookup(record, m.group(1))), spec)
    value = _scalar(lookup(record, spec))
    return value if re.match(r"(?i)^https?://", value) else ""  # never a javascript: or relative link


def lookup(data: Any, path: str | None) -> Any:
    """`a.b.0.c` into nested dicts and lists; None when any step is missing."""
    if not path:
        return data
    for step in path.split("."):
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


def _scalar(value: Any) -> str:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value).strip()
    return ""


def _clean(value: Any) -> str:
    """Text from a field: markup stripped, whitespace collapsed; a nested {name: …} reads its name."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("title")
    if isinstance(value, list):
        value = ", ".join(_clean(v) for v in value if _clean(v))
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return ""
    text = str(value)
    if "<" in text:
        text = html_to_text(text)
    return " ".join(text.split())


def parse_date(value: Any) -> datetime | None:
    """ISO 8601 (with or without zone: UTC assumed) or DD.MM.YYYY; anything else is no date."""
    raw = _scalar(value)
    if not raw:
        return None
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = datetime.strptime(raw, "%d.%m.%Y")
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
