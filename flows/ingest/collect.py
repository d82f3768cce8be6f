"""Fetch and parse one source of any kind (rss, html listing, pravo API) or one article page.

Plain functions without Prefect, so a Prefect task can run many of them on a thread pool and tests
can call them directly. Every outcome is a `SourceFetch` whose record is the `fetches` row; only
`transient` tells the caller that retrying now could help.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pathlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from flows.ingest.fetch import FetchPolicy, HostLimiter, fetch, redact
from flows.stopping import Stop
from flows.store.db import utcnow
from flows.store.storage import FetchRecord, SourceState
from parsers.documents import json_api, pravo
from parsers.documents.feeds import parse_feed
from parsers.documents.html_text import extract_article
from parsers.documents.listing import charset_of, parse_listing
from parsers.models import FetchedDocument, FetchError, Item, ParseResult, Source

Parser = Callable[[FetchedDocument, Source], ParseResult]
PARSERS: dict[str, Parser] = {"rss": parse_feed, "html": parse_listing}


@dataclass
class SourceBudgets:
    """Wall-clock seconds each source may spend on requests this run (feed, pravo pages, article pages).

    A source's clock starts at its first request; built per run and passed in, shared by threads.
    """

    seconds: float | None = None
    _ends: dict[str, float] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def left(self, source_id: str) -> float | None:
        """Seconds left for the source (None: unlimited)."""
        if self.seconds is None:
            return None
        with self._guard:
            end = self._ends.setdefault(source_id, time.monotonic() + self.seconds)
        return end - time.monotonic()


@dataclass(frozen=True, slots=True)
class FetchContext:
    """What every fetch of a run shares: one pooled client, limits, the per-host limiter, the clock."""

    client: httpx.Client
    policy: FetchPolicy
    base_dir: pathlib.Path
    limiter: HostLimiter
    now: datetime
    budgets: SourceBudgets = field(default_factory=SourceBudgets)
    stop: Stop | None = None  # a stop request (SIGTERM): no new request is made
    max_items_per_feed: int | None = None  # entries kept per feed document; the rest are counted as dropped


@dataclass(frozen=True, slots=True)
class SourceFetch:
    """A source's fetch-log row and the items parsed (empty when unchanged or failed)."""

    source: Source
    record: FetchRecord
    items: tuple[Item, ...] = ()
    warnings: tuple[str, ...] = ()
    transient: bool = False  # retrying now could help (timeout, connect, 5xx, 429 with a short wait)
    retry_after: float | None = None  # seconds the server asked us to wait
    unchanged: bool = False  # 304 or the same body as last time: nothing was parsed


def _hash(body: bytes) -> str | None:
    return hashlib.sha256(body).hexdigest()[:32] if body else None


def fetch_record(
    source: Source, doc: FetchedDocument, *, items: int = 0, error_kind: str | None = None, error: str | None = None
) -> FetchRecord:
    """The fetch-log row for one attempt; the document's own error wins over a parse error."""
    if doc.error is not None:
        error_kind, error = doc.error.kind, doc.error.message
    ok = error_kind is None
    return FetchRecord(
        source_id=source.id,
        url=doc.url or redact(source.url),
        started_at=doc.fetched_at or utcnow(),
        status=doc.status,
        latency_ms=doc.elapsed_ms,
        bytes=len(doc.body),
        items=items,
        new_items=0,
        error_kind=error_kind,
        error=error,
        etag=doc.etag if ok else None,
        last_modified=doc.last_modified if ok else None,
        body_hash=_hash(doc.body) if ok else None,
    )


def _failed(source: Source, doc: FetchedDocument) -> SourceFetch:
    """A fetch that failed at the HTTP level, with what a retry decision needs."""
    assert doc.error is not None
    return SourceFetch(
        source, fetch_record(source, doc), transient=doc.error.transient, retry_after=doc.error.retry_after
    )


def parse_source(source: Source, state: SourceState, doc: FetchedDocument, parser: Parser) -> SourceFetch:
    """Turn a fetched document into items, skipping the parse when the body is provably unchanged."""
    if doc.error is not None:
        return _failed(source, doc)
    record = fetch_record(source, doc)
    if doc.status == 304 or (state.body_hash and record.body_hash == state.body_hash):
        return SourceFetch(source, record, unchanged=True)
    parsed = parser(doc, source)
    if parsed.error is not None:
        failed = fetch_record(source, doc, error_kind=parsed.error.kind, error=parsed.error.message)
        return SourceFetch(source, failed, warnings=parsed.warnings)
    record = dataclasses.replace(
        record, items=len(parsed.items), dropped=int(parsed.extra.get("dropped") or 0), note=note_of(parsed.warnings)
    )
    return SourceFetch(source, record, parsed.items, parsed.warnings)


def note_of(warnings: tuple[str, ...]) -> str | None:
    """The parse warnings worth keeping with the fetch row (distinct, bounded)."""
    distinct = list(dict.fromkeys(warnings))
    return "; ".join(distinct)[:500] or None


def _get(
    ctx: FetchContext,
    url: str,
    state: SourceState | None = None,
    *,
    source: Source | None = None,
    local: bool = False,
    link: bool = False,
) -> FetchedDocument:
    """One GET through the run's client and host limiter (conditional when a state is given).

    The request's deadline never exceeds what is left of the source's time budget. With `link`,
    `url` came from fetched content: it may reach a private address only on the source's own
    origin or when the source sets `allow_private_links`.
    """
    if ctx.stop is not None and ctx.stop.requested():
        return _not_requested(url, FetchError("interrupted", "run stopping (SIGTERM/SIGINT); not requested"))
    left = ctx.budgets.left(source.id) if source is not None else None
    if left is not None and left <= 0:
        return _over_budget(url, ctx.budgets.seconds or 0)
    doc = fetch(
        ctx.client,
        url,
        ctx.policy,
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
        base_dir=ctx.base_dir,
        allow_local=local,
        limiter=ctx.limiter,
        origin=source.url if link and source else None,
        allow_private=bool(link and source and source.allow_private_links),
        budget_s=left,
    )
    if doc.error is not None and ctx.stop is not None and ctx.stop.requested():  # we cut it, not the server
        return dataclasses.replace(doc, error=FetchError("interrupted", "run stopping (SIGTERM/SIGINT); cut off"))
    return doc


def _over_budget(url: str, seconds: float) -> FetchedDocument:
    """A request not made: its source spent its time budget for this run."""
    return _not_requested(
        url, FetchError("timeout", f"source time budget of {seconds:g}s for this run spent; not requested", False)
    )


def _not_requested(url: str, error: FetchError) -> FetchedDocument:
    return FetchedDocument(url=redact(url), final_url=redact(url), status=0, body=b"", fetched_at=utcnow(), error=error)


def _pravo_documents(source: Source, state: SourceState, ctx: FetchContext) -> SourceFetch:
    """Type GUIDs from /DocumentTypes, then /Documents pages until the last or `max_pages`."""
    query = pravo.PravoQuery.of(source)
    type_ids: tuple[str, ...] = ()
    if query.document_types:
        doc = _get(ctx, pravo.document_types_url(source.url, query.block), source=source)
        if doc.error is not None:
            return _failed(source, doc)
        type_ids, error = pravo.document_type_ids(doc, query.document_types)
        if error is not None:
            return SourceFetch(source, fetch_record(source, doc, error_kind=error.kind, error=error.message))
    today = pravo.moscow_today(ctx.now)
    items: list[Item] = []
    warnings: list[str] = []
    bodies: list[bytes] = []
    latency = 0
    for day, name in pravo.window(query, today):
        for index in range(1, query.max_pages + 1):
            doc = _get(ctx, pravo.documents_url(source.url, query, type_ids, day, index, name), source=source)
            latency += doc.elapsed_ms
            if doc.error is not None:
                return _failed(source, doc)
            page = pravo.parse_documents(doc, source)
            if page.result.error is not None:
                err = page.result.error
                return SourceFetch(source, fetch_record(source, doc, error_kind=err.kind, error=err.message))
            items += page.result.items
            warnings += page.result.warnings
            bodies.append(doc.body)
            if not page.has_more:
                break
        else:
            warnings.append(f"{day:%d.%m.%Y}{' ' + name if name else ''}: stopped after max_pages={query.max_pages}")
    return _pages_done(source, state, doc, items, warnings, bodies, latency)


def _json_pages(source: Source, state: SourceState, ctx: FetchContext) -> SourceFetch:
    """Pages of a JSON API until the last one, an empty one, or `max_pages`."""
    spec = json_api.JsonSpec.of(source)
    items: list[Item] = []
    warnings: list[str] = []
    bodies: list[bytes] = []
    latency, index = 0, 0
    while True:
        doc = _get(ctx, json_api.page_url(source.url, spec, index), state if index == 0 else None, source=source)
        latency += doc.elapsed_ms
        if doc.error is not None:
            return _failed(source, doc)
        if index == 0 and doc.status == 304:
            return SourceFetch(source, fetch_record(source, doc), unchanged=True)
        page = json_api.parse_json(doc, source, index)
        if page.result.error is not None:
            err = page.result.error
            return SourceFetch(source, fetch_record(source, doc, error_kind=err.kind, error=err.message))
        items += page.result.items
        warnings += page.result.warnings
        bodies.append(doc.body)
        if not page.has_more:
            break
        index += 1
    return _pages_done(source, state, doc, items, warnings, bodies, latency)


def _pages_done(
    source: Source,
    state: SourceState,
    last: FetchedDocument,
    items: list[Item],
    warnings: list[str],
    bodies: list[bytes],
    latency: int,
) -> SourceFetch:
    """One fetch row for a multi-request source; unchanged when all its answers hash as last time."""
    record = dataclasses.replace(
        fetch_record(source, last, items=len(items)),
        latency_ms=latency,
        bytes=sum(map(len, bodies)),
        body_hash=_hash(b"\x00".join(bodies)),
    )
    if state.body_hash and record.body_hash == state.body_hash:
        return SourceFetch(source, dataclasses.replace(record, items=0), unchanged=True)
    return SourceFetch(source, record, tuple({i.id: i for i in items}.values()), tuple(warnings))


def collect_source(source: Source, state: SourceState, ctx: FetchContext) -> SourceFetch:
    """Fetch and parse one source; never raises for network, HTTP or content trouble."""
    if source.kind == "json":
        return _json_pages(source, state, ctx)
    if source.kind == "pravo":
        query = pravo.PravoQuery.of(source)
        if query.mode == "documents":
            return _pravo_documents(source, state, ctx)
        return parse_source(
            source, state, _get(ctx, pravo.rss_url(source.url, query), state, source=source), pravo.parse_rss
        )
    doc = _get(ctx, source.url, state, source=source, local=True)  # local paths only ever come from our config
    return cap_items(parse_source(source, state, doc, PARSERS[source.kind]), ctx.max_items_per_feed)


def cap_items(result: SourceFetch, cap: int | None) -> SourceFetch:
    """Keep the first `cap` entries of a feed (feeds list newest first); count the rest as dropped."""
    if cap is None or len(result.items) <= cap:
        return result
    extra = len(result.items) - cap
    record = dataclasses.replace(result.record, items=cap, dropped=result.record.dropped + extra)
    warning = f"feed has {len(result.items)} entries; kept the first {cap} (TREATYWATCH_MAX_ITEMS_PER_FEED)"
    warnings = (*result.warnings, warning)
    record = dataclasses.replace(record, note=note_of(warnings))
    return dataclasses.replace(result, record=record, items=result.items[:cap], warnings=warnings)


@dataclass(frozen=True, slots=True)
class PageFetch:
    """An item after its page fetch; `failure` is the `fetches` row (kind 'page') when the page failed."""

    item: Item
    failure: FetchRecord | None = None
    transient: bool = False  # the page failed in a way a retry now could fix


def page_failure(item: Item, error: FetchError, doc: FetchedDocument | None = None) -> FetchRecord:
    """The fetch-log row of a failed article page: the item's source and id, kind 'page'."""
    return FetchRecord(
        source_id=item.source_id,
        url=(doc.url if doc else "") or item.url,
        started_at=(doc.fetched_at if doc else None) or utcnow(),
        status=doc.status if doc else 0,
        latency_ms=doc.elapsed_ms if doc else 0,
        bytes=len(doc.body) if doc else 0,
        items=0,
        new_items=0,
        error_kind=error.kind,
        error=error.message,
        kind="page",
        item_id=item.id,
    )


def complete_item(item: Item, source: Source, ctx: FetchContext) -> PageFetch:
    """Replace a summary with the page's article body; on failure keep the summary and log why.

    Page links come from remote feeds, so only http(s) is fetched (never local files).
    """
    doc = _get(ctx, item.url, source=source, link=True)
    if doc.error is not None:
        return PageFetch(item, page_failure(item, doc.error, doc), doc.error.transient)
    body = extract_article(doc.body, selectors=source.body_selectors, encoding=charset_of(doc.content_type))
    if len(body) <= len(item.text):
        return PageFetch(item)
    return PageFetch(dataclasses.replace(item, text=body, summary=item.summary or item.text, needs_full_text=False))
