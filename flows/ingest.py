"""Prefect tasks that fetch sources and article pages: thin typed shells over flows.fetch + parsers.

Only transient failures (timeouts, 5xx, 429) raise, so Prefect retries them; every other outcome
comes back as data and ends as a classified failure of that one source.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

import httpx
from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.fetch import FetchPolicy, fetch
from flows.storage import FetchRecord, SourceState
from parsers.errors import TreatywatchError
from parsers.feeds import parse_feed
from parsers.html_text import extract_article
from parsers.models import FetchedDocument, Item, Source


class TransientFetchError(TreatywatchError):
    """A failure worth retrying now; carries the document so the last attempt can be logged."""

    def __init__(self, doc: FetchedDocument) -> None:
        assert doc.error is not None
        super().__init__(f"{doc.error.kind}: {doc.error.message}")
        self.doc = doc


@dataclass(frozen=True, slots=True)
class SourceFetch:
    """A source's document and the items parsed from it (empty when unchanged or failed)."""

    source: Source
    record: FetchRecord
    items: tuple[Item, ...] = ()
    warnings: tuple[str, ...] = ()


def _retry_transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's callback signature
    try:
        state.result()
    except TransientFetchError:
        return True
    except Exception:
        return False
    return False


def fetch_record(source: Source, doc: FetchedDocument, *, items: int = 0, error_kind: str | None = None,
                 error: str | None = None) -> FetchRecord:
    """The fetch-log row for one attempt; the document's own error wins over a parse error."""
    if doc.error is not None:
        error_kind, error = doc.error.kind, doc.error.message
    return FetchRecord(
        source_id=source.id, url=source.url, started_at=doc.fetched_at, status=doc.status,
        latency_ms=doc.elapsed_ms, bytes=len(doc.body), items=items, new_items=0,
        error_kind=error_kind, error=error,
        etag=doc.etag if error_kind is None else None,
        last_modified=doc.last_modified if error_kind is None else None,
        body_hash=hashlib.sha256(doc.body).hexdigest()[:32] if error_kind is None and doc.body else None,
    )


@task(name="fetch-source", cache_policy=NO_CACHE, retry_condition_fn=_retry_transient, task_run_name="fetch-{source.id}")
def fetch_source(source: Source, state: SourceState, client: httpx.Client, policy: FetchPolicy, base_dir: Path) -> SourceFetch:
    doc = fetch(client, source.url, policy, etag=state.etag, last_modified=state.last_modified,
                base_dir=base_dir, allow_local=True)
    if doc.error is not None and doc.error.transient:
        raise TransientFetchError(doc)
    return parse_source(source, state, doc)


def parse_source(source: Source, state: SourceState, doc: FetchedDocument) -> SourceFetch:
    """Turn a fetched document into items, skipping the parse when the body is provably unchanged."""
    if doc.error is not None:
        return SourceFetch(source, fetch_record(source, doc))
    record = fetch_record(source, doc)
    if doc.status == 304 or (state.body_hash and record.body_hash == state.body_hash):
        return SourceFetch(source, record)
    parsed = parse_feed(doc, source)
    if parsed.error is not None:
        return SourceFetch(source, fetch_record(source, doc, error_kind=parsed.error.kind, error=parsed.error.message),
                           warnings=parsed.warnings)
    return SourceFetch(source, dataclasses.replace(record, items=len(parsed.items)), parsed.items, parsed.warnings)


def failed_fetch(source: Source, exc: BaseException) -> SourceFetch:
    """A source whose task failed for good (retries used up, or a bug): log it, do not stop the run."""
    if isinstance(exc, TransientFetchError):
        return SourceFetch(source, fetch_record(source, exc.doc))
    from flows.db import utcnow

    record = FetchRecord(source_id=source.id, url=source.url, started_at=utcnow(), status=0, latency_ms=0, bytes=0,
                         items=0, new_items=0, error_kind="internal", error=f"{type(exc).__name__}: {exc}"[:500])
    return SourceFetch(source, record)


def charset_of(content_type: str) -> str | None:
    """The charset a server declared, so pages without a <meta charset> decode right."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"\' ')
    return None


@task(name="fetch-full-text", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2,
      retry_condition_fn=_retry_transient, task_run_name="page-{item.source_id}")
def fetch_full_text(item: Item, source: Source, client: httpx.Client, policy: FetchPolicy) -> Item:
    """Replace a summary with the article body; on any failure keep the summary (never lose the item)."""
    doc = fetch(client, item.url, policy, allow_local=False)
    if doc.error is not None:
        if doc.error.transient:
            raise TransientFetchError(doc)
        return item
    body = extract_article(doc.body, selectors=source.body_selectors, encoding=charset_of(doc.content_type))
    if len(body) <= len(item.text):
        return item
    return dataclasses.replace(item, text=body, summary=item.summary or item.text, needs_full_text=False)
