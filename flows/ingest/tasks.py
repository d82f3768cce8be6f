"""Prefect tasks that fetch sources and article pages, chunked per host, retried only when transient.

A task per source costs ~30 ms of API calls on the ephemeral server (500 sources took 16 s), so a
task is a chunk of ONE host's sources run on a thread pool; the run's HostLimiter bounds requests
per host across chunks. Only transient failures (timeouts, 5xx, 429 with a short Retry-After) are
retried, by a per-source task that declares its retries; every other outcome is data.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.futures import PrefectFuture

from flows.ingest.collect import (
    FetchContext,
    PageFetch,
    SourceFetch,
    collect_source,
    complete_item,
    fetch_record,
    page_failure,
)
from flows.ingest.fetch import host_of, redact
from flows.settings import Settings
from flows.store import db, storage
from parsers.errors import TreatywatchError
from parsers.models import FetchedDocument, FetchError, Item, Source

T = TypeVar("T")


class TransientFetchError(TreatywatchError):
    """A failure worth retrying now; carries the result so the last attempt is still logged."""

    def __init__(self, result: Any, error: str, retryable: bool = True) -> None:
        super().__init__(error)
        self.result, self.retryable = result, retryable


def _retry_transient(task, task_run, state) -> bool:
    """Retry only what a retry can fix, and not when the server asked for a longer pause."""
    try:
        state.result()
    except TransientFetchError as exc:
        return exc.retryable
    except Exception:
        return False
    return False


def _last_attempt() -> bool:
    """True on a task's final try: then a transient failure is returned as data, not raised, so
    Prefect does not log an ERROR traceback for what the run summary already reports."""
    ctx = TaskRunContext.get()
    return ctx is None or ctx.task_run.run_count > (ctx.task.retries or 0)


def internal_failure(source: Source, exc: BaseException) -> SourceFetch:
    """A bug or crash while handling one source: log it as that source's failure, keep the run."""
    if isinstance(exc, TransientFetchError) and isinstance(exc.result, SourceFetch):
        return exc.result
    doc = FetchedDocument(
        url=redact(source.url),
        final_url=redact(source.url),
        status=0,
        body=b"",
        fetched_at=db.utcnow(),
        error=FetchError("internal", f"{type(exc).__name__}: {exc}"[:500]),
    )
    return SourceFetch(source, fetch_record(source, doc))


def _guarded(source: Source, state: storage.SourceState, ctx: FetchContext) -> SourceFetch:
    try:
        return collect_source(source, state, ctx)
    except Exception as exc:  # a parser bug must cost one source, not the chunk
        return internal_failure(source, exc)


def _pool_map(fn: Callable[[Any], T], values: Sequence[Any], threads: int) -> list[T]:
    if len(values) <= 1 or threads <= 1:
        return [fn(v) for v in values]
    with ThreadPoolExecutor(min(threads, len(values))) as pool:
        return list(pool.map(fn, values))


@task(name="fetch-sources", cache_policy=NO_CACHE, task_run_name="fetch-{label}")
def fetch_chunk(
    label: str, sources: list[Source], states: dict[str, storage.SourceState], ctx: FetchContext, threads: int
) -> list[SourceFetch]:
    """First attempt for a chunk of one host's sources, `threads` at a time."""
    return _pool_map(lambda s: _guarded(s, states.get(s.id, storage.SourceState()), ctx), sources, threads)


@task(
    name="refetch-source",
    cache_policy=NO_CACHE,
    retry_condition_fn=_retry_transient,
    retry_jitter_factor=0.25,
    task_run_name="refetch-{source.id}",
)
def refetch_source(
    source: Source, state: storage.SourceState, ctx: FetchContext, wait_s: float, max_retry_after: float
) -> SourceFetch:
    """Retry of a transiently failed source; first waits the configured delay or the server's Retry-After."""
    if wait_s > 0:  # pacing the server asked for (capped by max_retry_after), not a test wait
        if ctx.stop is not None:
            ctx.stop.wait(wait_s)  # a stop request ends the pause (and _get then requests nothing)
        else:
            time.sleep(wait_s)
    result = collect_source(source, state, ctx)
    retryable = (result.retry_after or 0.0) <= max_retry_after
    if result.transient and retryable and not _last_attempt():
        raise TransientFetchError(result, f"{result.record.error_kind}: {result.record.error}", retryable)
    return result


@task(name="fetch-pages", cache_policy=NO_CACHE, task_run_name="pages-{label}")
def complete_chunk(
    label: str, items: list[Item], sources: dict[str, Source], ctx: FetchContext, threads: int
) -> list[PageFetch]:
    """Article pages of one host's items; a summary is kept wherever a page fails."""
    return _pool_map(lambda i: _guarded_page(i, sources[i.source_id], ctx), items, threads)


def _guarded_page(item: Item, source: Source, ctx: FetchContext) -> PageFetch:
    try:
        return complete_item(item, source, ctx)
    except Exception as exc:  # an extractor bug must cost one page (logged), not the chunk
        return internal_page_failure(item, exc)


def internal_page_failure(item: Item, exc: BaseException) -> PageFetch:
    """A crash while completing one page: keep the summary and log the crash as that page's failure."""
    if isinstance(exc, TransientFetchError) and isinstance(exc.result, PageFetch):
        return exc.result
    return PageFetch(item, page_failure(item, FetchError("internal", f"{type(exc).__name__}: {exc}"[:500])))


@task(
    name="fetch-full-text",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=2,
    retry_jitter_factor=0.25,
    retry_condition_fn=_retry_transient,
    task_run_name="page-{item.source_id}",
)
def fetch_full_text(item: Item, source: Source, ctx: FetchContext) -> PageFetch:
    """A page that failed transiently in its chunk gets one declared retry."""
    page = complete_item(item, source, ctx)
    if page.transient and not _last_attempt():
        raise TransientFetchError(page, f"{page.failure.error_kind}: {page.failure.error}")
    return page


def chunks(values: Iterable[T], key: Callable[[T], str], size: int) -> list[tuple[str, list[T]]]:
    """Group by host, then cut each host's list into chunks of `size`; labels name host and part."""
    groups: dict[str, list[T]] = {}
    for v in values:
        groups.setdefault(key(v) or "local", []).append(v)
    size = max(size, 1)
    out = []
    for host, members in groups.items():
        parts = [members[i : i + size] for i in range(0, len(members), size)]
        out += [(host if len(parts) == 1 else f"{host}#{n + 1}", part) for n, part in enumerate(parts)]
    return out


def resolve(future: PrefectFuture, fallback: Callable[[BaseException], T]) -> T:
    """A task's result, or the fallback built from its final exception (never raises)."""
    future.wait()
    if future.state.is_completed():
        return future.result()
    return fallback(future.state.result(raise_on_failure=False))


def _first_wait(result: SourceFetch, settings: Settings) -> float:
    """Pause before the first retry: the configured delay (jittered), or the server's Retry-After."""
    base = settings.fetch_retry_delays[0] if settings.fetch_retry_delays else 0.0
    return max(base * random.uniform(0.75, 1.25), result.retry_after or 0.0)


def fetch_all(
    sources: Sequence[Source], states: dict[str, storage.SourceState], settings: Settings, ctx: FetchContext
) -> list[SourceFetch]:
    """One attempt for every source (chunked per host), then declared retries for transient failures."""
    threads = max(1, settings.fetch_per_host)
    futures = [
        (part, fetch_chunk.submit(label, part, states, ctx, threads))
        for label, part in chunks(sources, lambda s: host_of(s.url), settings.fetch_chunk_size)
    ]
    results: dict[str, SourceFetch] = {}
    for part, fut in futures:
        done = resolve(fut, lambda exc, part=part: [internal_failure(s, exc) for s in part])
        results.update((r.source.id, r) for r in done)
    if settings.fetch_retries > 0:
        retry = refetch_source.with_options(
            retries=settings.fetch_retries - 1, retry_delay_seconds=list(settings.fetch_retry_delays[1:]) or 0
        )
        again = [
            (
                r.source,
                retry.submit(
                    r.source,
                    states.get(r.source.id, storage.SourceState()),
                    ctx,
                    _first_wait(r, settings),
                    settings.max_in_run_retry_after,
                ),
            )
            for r in results.values()
            if r.transient and (r.retry_after or 0.0) <= settings.max_in_run_retry_after
        ]
        for source, fut in again:
            results[source.id] = resolve(fut, lambda exc, s=source: internal_failure(s, exc))
    return [results[s.id] for s in sources]


def complete_texts(
    items: Sequence[Item], sources: dict[str, Source], settings: Settings, ctx: FetchContext
) -> tuple[list[Item], list[storage.FetchRecord]]:
    """Article bodies for summary-only items, chunked per host; a failing page keeps its summary.

    Also returns one `fetches` row (kind 'page') per page still failed after the in-run retry, like
    feed rows: one per page and run, the final outcome.
    """
    wanted = [i for i in items if i.needs_full_text and i.url]
    threads = max(1, settings.fetch_per_host)
    futures = [
        (part, complete_chunk.submit(label, part, sources, ctx, threads))
        for label, part in chunks(wanted, lambda i: host_of(i.url), settings.fetch_chunk_size)
    ]
    done: dict[str, PageFetch] = {}
    for part, fut in futures:
        for page in resolve(fut, lambda exc, part=part: [internal_page_failure(i, exc) for i in part]):
            done[page.item.id] = page
    retry = [p.item for p in done.values() if p.transient and settings.fetch_retries > 0]
    # its declared retry waits the first in-run delay (TREATYWATCH_FETCH_RETRY_DELAYS), as feeds do
    delay = settings.fetch_retry_delays[0] if settings.fetch_retry_delays else 0
    again = [
        (i, fetch_full_text.with_options(retry_delay_seconds=delay).submit(i, sources[i.source_id], ctx)) for i in retry
    ]
    for item, fut in again:
        done[item.id] = resolve(fut, lambda exc, i=item: internal_page_failure(i, exc))
    failures = [p.failure for p in done.values() if p.failure is not None]
    return [done[i.id].item if i.id in done else i for i in items], failures
