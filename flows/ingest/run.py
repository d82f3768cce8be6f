"""Ingestion for the monitor flow: due sources -> new or changed items with full text, plus health.

The monitor flow calls `ingest()` and gets everything the run must store about sources: the fetch
log rows, the new items (and the hash of each one's feed version), which of them are history that
must not alert, and the source-health rows and transitions to write in the run's transaction.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
from prefect import get_run_logger

from flows.ingest.collect import FetchContext, SourceBudgets, SourceFetch
from flows.ingest.fetch import FetchPolicy, HostLimiter, host_of, make_client
from flows.ingest.tasks import complete_texts, fetch_all
from flows.settings import Settings
from flows.stopping import Stop
from flows.store import db, pages, storage
from flows.store import health as store_health
from flows.store.health import HealthUpdate
from parsers.config.sources import load_hosts
from parsers.models import Item, Source
from parsers.policy import health
from parsers.policy.health import HealthEvent

HORIZON_EXEMPT_GROUPS = frozenset({"seed"})  # the offline seed must alert on every fresh `make run`


@dataclass(frozen=True, slots=True)
class Skipped:
    """A source that health held back this run, and when it is tried next (None: not until enabled by hand)."""

    source: Source
    state: str
    next_attempt_at: datetime | None

    @property
    def why(self) -> str:
        """One line for the log and the run summary."""
        if self.state == health.HAND_DISABLED:
            return f"disabled by hand; not fetched until `treatywatch sources --enable {self.source.id}`"
        at = self.next_attempt_at
        when = "-" if at is None else f"{at.astimezone(UTC):%Y-%m-%d %H:%M}Z"
        if self.state == "disabled":
            return f"auto-disabled; next probe {when}"
        return f"{self.state}, backing off until {when}"


@dataclass(slots=True)
class Ingested:
    """What one run learned from its sources, ready for extraction and `storage.write_run`."""

    fetches: list[SourceFetch] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)  # new or changed, page text filled in where fetched
    feed_hashes: dict[str, str] = field(default_factory=dict)  # item id -> hash of its feed version
    quiet_item_ids: frozenset[str] = frozenset()  # history on a first run: stored, never alerted
    skipped: list[Skipped] = field(default_factory=list)  # backing off, disabled, disabled by hand
    page_failures: list[storage.FetchRecord] = field(default_factory=list)  # article pages that failed (kind 'page')
    pages_deferred: list[pages.Deferred] = field(default_factory=list)  # left for later runs (caps, budget, failures)
    pages_done: list[str] = field(default_factory=list)  # item ids whose backlog entry is settled
    pages_fetched: int = 0  # page requests attempted this run (the per-run cap counts these)
    health: HealthUpdate | None = None  # every due source's new health, written with the run
    transitions: list[HealthEvent] = field(default_factory=list)

    @property
    def records(self) -> list[storage.FetchRecord]:
        """Every `fetches` row of the run: one per fetched source, then one per failed article page."""
        return [f.record for f in self.fetches] + self.page_failures

    @property
    def stored_items(self) -> list[storage.StoredItem]:
        return [storage.StoredItem(i, self.feed_hashes[i.id]) for i in self.items]


def policy_of(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        total_timeout=settings.total_timeout,
        max_bytes=settings.max_bytes,
    )


@dataclass(frozen=True, slots=True)
class RunHttp:
    """What every batch of a run shares for fetching: one pooled client (connections stay alive from
    one batch to the next; built once, ~20 ms with its TLS context) and one per-host limiter (a host's
    spacing and concurrency hold across batches; sources.yaml's `hosts:` read once, not per batch)."""

    client: httpx.Client
    limiter: HostLimiter


@contextmanager
def run_http(settings: Settings, stop: Stop | None = None) -> Iterator[RunHttp]:
    """The run's RunHttp for the block; the client is closed at its end."""
    with make_client(policy_of(settings), stop) as client:
        yield RunHttp(client, HostLimiter(settings.fetch_per_host, load_hosts(settings.sources_file)))


def health_policy_of(settings: Settings) -> health.HealthPolicy:
    return health.HealthPolicy(
        failing_at=settings.health_failing_at,
        disable_at=settings.health_disable_at,
        backoff_after=settings.health_backoff_after,
    )


def new_or_changed(fetches: Sequence[SourceFetch], con: duckdb.DuckDBPyConnection) -> tuple[list[Item], dict[str, int]]:
    """Items never stored, or stored with other content; plus the count of new items per source."""
    candidates = {i.id: i for f in fetches for i in f.items}  # one id seen twice in a run is one item
    known = storage.known_content_hashes(con, candidates)
    fresh = [i for i in candidates.values() if known.get(i.id) != i.content_hash]
    per_source: dict[str, int] = {}
    for i in fresh:
        per_source[i.source_id] = per_source.get(i.source_id, 0) + 1
    return fresh, per_source


def horizon_exempt(source: Source) -> bool:
    """Group `seed` and local files (only our own config can name them) have no backlog to flood with."""
    return source.group in HORIZON_EXEMPT_GROUPS or (host_of(source.url) == "" and source.kind != "pravo")


def is_history(item: Item, source: Source, was: health.SourceHealth, default_days: int | None, now: datetime) -> bool:
    """Dated before the horizon on the source's first successful run.

    Undated items are not history: we would rather alert once too often than hide a new act. Items
    whose date was impossible (clamped to the fetch time) are: a feed dating its whole backlog in
    the future must not flood the first run with alerts.
    """
    days = source.horizon_days if source.horizon_days is not None else default_days
    if horizon_exempt(source) or days is None or not was.first_run:
        return False
    if item.date_doubtful:  # an impossible date (year 0001, far future) must not get history past the horizon
        return True
    if item.published is None:
        return False
    return item.published < now - timedelta(days=days)


def _empty_is_failure(f: SourceFetch, was: health.SourceHealth) -> SourceFetch:
    """A feed that used to have entries and now parses to none: a soft `empty` failure."""
    if not f.record.ok or f.unchanged or not health.went_empty(was, len(f.items)):
        return f
    record = dataclasses.replace(
        f.record, error_kind="empty", error=f"feed parsed to 0 entries; it had {was.last_items} last time"
    )
    return dataclasses.replace(f, record=record)


def _assess(
    fetches: Sequence[SourceFetch],
    before: dict[str, health.SourceHealth],
    settings: Settings,
    run_id: str,
    now: datetime,
) -> tuple[list[health.SourceHealth], list[health.HealthEvent]]:
    """Health after this run for every fetched source, and the transitions to record."""
    policy, rng = health_policy_of(settings), random.Random()
    after, events = [], []
    for f in fetches:
        outcome = health.Outcome(
            f.record.error_kind, f.record.status, None if f.unchanged else len(f.items), f.retry_after
        )
        state, changed = health.assess(before[f.source.id], outcome, now=now, run_id=run_id, policy=policy, rng=rng)
        after.append(state)
        events += changed
    return after, events


def ingest(
    sources: Sequence[Source],
    settings: Settings,
    *,
    run_id: str,
    now: datetime | None = None,
    stop: Stop | None = None,
    page_allowance: int | None = None,
    http: RunHttp | None = None,
) -> Ingested:
    """Fetch every due source, keep new or changed items, fill in page texts, assess health.

    At most `page_allowance` article pages (default: the per-run cap) and `max_pages_per_source` per
    source are requested; the others, and pages that failed transiently, go to the page backlog,
    which later runs drain. `http` is the run's (`run_http`), shared by its batches; without one
    this call makes its own.
    """
    now = now or db.utcnow()
    with db.connect(settings.db_path) as con:
        states = storage.load_source_states(con)
        before = store_health.load_health(con)
    before = {s.id: before.get(s.id) or health.SourceHealth(s.id) for s in sources}
    due = [s for s in sources if health.is_due(before[s.id], now)]
    out = Ingested(
        skipped=[Skipped(s, before[s.id].state, before[s.id].next_attempt_at) for s in sources if s not in due]
    )
    policy = policy_of(settings)
    allowance = settings.max_pages_per_run if page_allowance is None else page_allowance
    with nullcontext(http) if http is not None else run_http(settings, stop) as shared:
        ctx = FetchContext(
            shared.client,
            policy,
            settings.sources_file.parent.resolve(),
            shared.limiter,
            now,
            SourceBudgets(settings.source_budget_s or None),
            stop,
            settings.max_items_per_feed or None,
        )
        fetches = [
            _empty_is_failure(f, before[f.source.id])
            for f in fetch_all(due, states, settings, ctx)
            if f.record.error_kind != "interrupted"
        ]  # not fetched at all: no row, no health score
        with db.connect(settings.db_path) as con:  # one open for both reads (~50 ms each on a warm run)
            fresh, per_source = new_or_changed(fetches, con)
            ok_ids = [f.source.id for f in fetches if f.record.ok]
            backlog = _backlog(con, settings, ok_ids, {i.id for i in fresh}, allowance)
        out.feed_hashes = {i.id: i.content_hash for i in fresh}  # before page fetches change the text
        by_id = {s.id: s for s in sources}
        quiet = {
            i.id
            for i in fresh
            if is_history(i, by_id[i.source_id], before[i.source_id], settings.alert_horizon_days, now)
        }
        out.feed_hashes.update((p.item.id, p.feed_hash) for p in backlog)
        quiet |= {p.item.id for p in backlog if p.quiet}
        out.quiet_item_ids = frozenset(quiet)
        wanted = [i for i in fresh if i.needs_full_text and i.url] + [p.item for p in backlog]
        chosen, over = choose_pages(wanted, settings.max_pages_per_source, allowance)
        completed, out.page_failures = complete_texts(chosen, by_id, settings, ctx)
    out.pages_fetched = len(chosen)
    _settle_pages(out, fresh, backlog, completed, over)
    out.fetches = [
        dataclasses.replace(f, record=dataclasses.replace(f.record, new_items=per_source.get(f.source.id, 0)))
        for f in fetches
    ]
    # Health is assessed on feed fetches only: a failed article page (out.page_failures) is logged in
    # `fetches` but never scores against its source; one bad article link must not disable a feed.
    after, out.transitions = _assess(out.fetches, before, settings, run_id, now)
    out.health = HealthUpdate(after, out.transitions, now)
    _log(out)
    return out


def _backlog(
    con: duckdb.DuckDBPyConnection, settings: Settings, source_ids: list[str], fresh_ids: set[str], limit: int
) -> list[pages.Pending]:
    """Backlog pages of sources fetched fine this run (not items this run re-read anyway)."""
    found = pages.load(con, source_ids, limit, settings.max_pages_per_source)
    return [p for p in found if p.item.id not in fresh_ids]


def choose_pages(wanted: Sequence[Item], per_source: int, per_run: int) -> tuple[list[Item], list[Item]]:
    """The pages to fetch now (in order, at most `per_source` per source and `per_run` in all), and the rest."""
    taken: dict[str, int] = {}
    chosen, over = [], []
    for item in wanted:
        if len(chosen) < per_run and taken.get(item.source_id, 0) < per_source:
            taken[item.source_id] = taken.get(item.source_id, 0) + 1
            chosen.append(item)
        else:
            over.append(item)
    return chosen, over


RETRY_LATER = frozenset({"timeout", "connect", "io", "interrupted"})


def _later(record: storage.FetchRecord) -> bool:
    """A page failure a later run may fix (not blocked, refused or a 4xx that says it is gone)."""
    return record.error_kind in RETRY_LATER or (
        record.error_kind == "http_status" and (record.status >= 500 or record.status in (408, 429))
    )


def _settle_pages(
    out: Ingested,
    fresh: Sequence[Item],
    backlog: Sequence[pages.Pending],
    completed: Sequence[Item],
    over: Sequence[Item],
) -> None:
    """New items (with page text where fetched), backlog items now complete, and the backlog changes."""
    done = {i.id: i for i in completed}
    failed = {r.item_id: r for r in out.page_failures}
    from_backlog = {p.item.id for p in backlog}
    out.items = [done.get(i.id, i) for i in fresh] + [
        done[p.item.id]
        for p in backlog
        if p.item.id in done and p.item.id not in failed and not done[p.item.id].needs_full_text
    ]
    quiet = out.quiet_item_ids
    out.pages_deferred = [pages.Deferred(i, "cap", i.id in quiet) for i in over] + [
        pages.Deferred(
            done.get(item_id) or _item(item_id, completed),
            "failed",
            item_id in quiet,
            failed=r.error_kind != "interrupted",
        )
        for item_id, r in failed.items()
        if _later(r)
    ]
    retried = {d.item.id for d in out.pages_deferred}
    out.pages_done = [i for i in from_backlog if i not in retried and (i in done or i in failed)]
    out.page_failures = [r for r in out.page_failures if r.error_kind != "interrupted"]


def _item(item_id: str, items: Sequence[Item]) -> Item:
    return next(i for i in items if i.id == item_id)


def _log(out: Ingested) -> None:
    """Say what was skipped and what changed health, in the flow run's log."""
    try:
        logger = get_run_logger()
    except Exception:  # called outside a flow run (tests, scripts)
        return
    for skip in out.skipped:
        logger.info("source %s skipped: %s", skip.source.id, skip.why)
    for page in out.page_failures:
        logger.info("page of item %s (%s) failed: %s; its summary is kept", page.item_id, page.url, page.error_kind)
    if out.pages_deferred:
        logger.info(
            "%d article page(s) left for later runs (page caps, time budget, transient failures)",
            len(out.pages_deferred),
        )
    for event in out.transitions:
        logger.warning("health: %s", event.message)
