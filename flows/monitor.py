"""The `monitor` flow: fetch every source, extract events from new items, store, alert.

source -> FetchedDocument -> Item -> Event -> DuckDB rows -> alerts. One failing source never
stops the others: its failure is a row in `fetches` and a line in the run summary.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from prefect import flow, get_run_logger
from prefect.states import Failed

from flows.alerts.delivery import DeliveryReport, Session, deliver, merged
from flows.alerts.destinations import load_destinations
from flows.alerts.plan import ItemMeta, Pacer, PlanReport, health_rows, heartbeat_notice, plan
from flows.alerts.render import Notice
from flows.alerts.views import instrument_labels
from flows.artifacts import publish_report, publish_run_artifacts
from flows.extractor_cache import load_cached_extractor
from flows.ingest.collect import SourceFetch
from flows.ingest.run import Ingested, ingest, run_http
from flows.settings import load_settings
from flows.stopping import Stop
from flows.store import db, ledger, pages, runlock, storage
from parsers.config.routing import load_policy
from parsers.config.sources import load_sources
from parsers.extract.engine import Extractor, extract_items
from parsers.models import Source
from parsers.policy.health import HealthEvent


@dataclass(slots=True)
class RunSummary:
    """What a person (or the Prefect UI) needs to know about one run."""

    run_id: str
    fetches: list[SourceFetch] = field(default_factory=list)
    new_items: int = 0
    new_events: list[storage.StoredEvent] = field(default_factory=list)
    alerts_queued: int = 0
    plan: PlanReport = field(default_factory=PlanReport)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    ingested: Ingested = field(default_factory=Ingested)
    skipped: str = ""  # why the run did not happen (another run held the database), else ""
    not_enabled: list[str] = field(default_factory=list)  # ids with `enabled: false` in the sources file
    horizon_days: int | None = None  # first-run alert horizon (settings), for the summary's explanation
    interrupted: int | None = None  # the signal that stopped the run early (finished batches are stored)

    @property
    def failed_sources(self) -> list[SourceFetch]:
        return [f for f in self.fetches if not f.record.ok]

    @property
    def blocked(self) -> int:
        """Feed redirects and article links refused by the SSRF guard (error kind 'blocked')."""
        return sum(1 for r in self.ingested.records if r.error_kind == "blocked")


def in_groups(sources: Sequence[Source], groups: Sequence[str] | None) -> list[Source]:
    """The sources of the given groups (one schedule per group); all of them when `groups` is empty."""
    return [s for s in sources if not groups or s.group in groups]


@flow(name="monitor", log_prints=False, validate_parameters=False)
@runlock.exclusive(on_skip=lambda why: RunSummary(run_id="", skipped=why))
def monitor(
    sources: str | None = None,
    alerts: str | None = None,
    db_path: str | None = None,
    config_dir: str | None = None,
    groups: list[str] | None = None,
) -> RunSummary:
    """One pass over every configured source; secrets are read from the environment, not parameters."""
    settings = load_settings(sources=sources, alerts=alerts, db=db_path, config_dir=config_dir)
    logger = get_run_logger()
    try:
        return _run(settings, logger, groups)
    except db.StorageError as exc:  # disk full, read-only, damaged: one line, no traceback in the log
        logger.error("%s", exc)
        return Failed(message=str(exc), data=exc)


def _run(settings, logger, groups: list[str] | None) -> RunSummary:
    """The run itself: batches of sources fetched, stored with their alerts, then delivery."""
    run = storage.RunRecord(run_id=uuid.uuid4().hex, started_at=db.utcnow())
    summary = RunSummary(run.run_id)

    configured = in_groups(load_sources(settings.sources_file), groups)
    source_list = [s for s in configured if s.enabled]
    summary.not_enabled = [s.id for s in configured if not s.enabled]
    summary.horizon_days = settings.alert_horizon_days
    extractor = load_cached_extractor(settings.config_dir)
    destinations = load_destinations(settings.alerts_file, settings.apprise_urls)
    policy = load_policy(settings.routing_file)
    with db.connect(settings.db_path) as con:
        last_success = storage.last_successful_run(con)

    stop, pages_left = Stop(), settings.max_pages_per_run
    labels = instrument_labels(settings.config_dir)
    # every delivery of the run shares one session: an alert is tried once, a paused destination stays paused
    send = functools.partial(
        deliver,
        settings.db_path,
        destinations,
        policy,
        stop=stop,
        labels=labels,
        session=Session(Pacer(policy.min_interval)),
    )
    with stop.handling(), run_http(settings, stop) as http:
        parts = batches(source_list, settings.commit_every)
        for number, batch in enumerate(parts):
            if stop.requested():
                break
            got = ingest(batch, settings, run_id=run.run_id, stop=stop, page_allowance=max(pages_left, 0), http=http)
            pages_left -= got.pages_fetched
            beat = heartbeat_notice(last_success, run.started_at, policy.max_silence) if number == 0 else None
            queued = summary.alerts_queued
            _store_batch(settings, run, batch, got, summary, extractor, destinations, policy, beat)
            if summary.alerts_queued > queued and number + 1 < len(parts) and not stop.requested():
                # what this batch stored goes out now, not after every other source (time-to-alert)
                summary.delivery = merged(summary.delivery, send(immediate_only=True))
        summary.interrupted = stop.signal
        if failed := summary.failed_sources:  # one line; the details are in `fetches` and the run summary
            logger.warning(
                "%d of %d sources failed: %s",
                len(failed),
                len(summary.fetches),
                ", ".join(f"{f.source.id} ({f.record.error_kind})" for f in failed),
            )
        if stop.requested():
            logger.warning(
                "stopped by signal %s: %d source(s) stored; the rest and pending alerts wait for the next run",
                stop.signal,
                len(summary.fetches),
            )
        else:
            summary.delivery = merged(summary.delivery, send())
    feeds = storage.feed_fetches([f.record for f in summary.fetches])
    with db.connect(settings.db_path) as con:  # the run's totals over all batches (each commit wrote its own)
        storage.finish_run(
            con,
            run.run_id,
            sources_ok=sum(f.ok for f in feeds),
            sources_failed=sum(not f.ok for f in feeds),
            new_items=summary.new_items,
            new_events=len(summary.new_events),
            sent=summary.delivery.sent,
            failed=summary.delivery.failed,
        )
    publish_run_artifacts(summary)
    publish_report(settings, extractor, now=run.started_at)
    from flows.cli.summary import one_line

    logger.info("run summary%s: %s", f" ({', '.join(groups)})" if groups else "", one_line(summary))
    return summary


def batches(sources: Sequence[Source], size: int) -> list[list[Source]]:
    """Sources in commit batches: each batch is stored before the next is fetched (at least one batch)."""
    size = max(size, 1)
    return [list(sources[i : i + size]) for i in range(0, len(sources), size)] or [[]]


def _store_batch(
    settings,
    run: storage.RunRecord,
    batch: Sequence[Source],
    got: Ingested,
    summary: RunSummary,
    extractor: Extractor,
    destinations,
    policy,
    beat: Notice | None,
) -> None:
    """Extract, then store one batch with its alerts queued and its page backlog, in one transaction."""
    events = extract_items(extractor, got.items)
    group_of = {s.id: s.group for s in batch}
    meta = {
        i.id: ItemMeta(i.source_id, group_of.get(i.source_id, ""), i.published or run.started_at) for i in got.items
    }
    with db.connect(settings.db_path) as con:  # one open for the reads and the write (~50 ms each)
        known_events = storage.existing_event_ids(con, (e.event_id for e in events))
        earlier = storage.unplanned_events(con)  # stored by `replay --apply` since: planned with this batch's
        missing = {e.item_id for e in earlier} - set(meta)
        for item_id, (source_id, group, seen) in storage.item_origins(con, missing).items():
            meta[item_id] = ItemMeta(source_id, group, seen)
        new_events = [e for e in events if e.event_id not in known_events]
        summary.new_events += new_events
        # Every event never planned, oldest first (as stored): the earlier ones, then this batch's new ones.
        unplanned = _first_per_id([*earlier, *sorted(new_events, key=lambda e: e.event_id)])
        run.sources = batch
        run.fetches, run.items, run.health = got.records, got.stored_items, got.health
        run.events = events
        notices = [health_notice(t) for t in got.transitions] + ([beat] if beat else [])

        def queue_alerts(tx) -> None:
            report = plan(tx, unplanned, meta, destinations, policy, now=run.started_at, quiet_items=got.quiet_item_ids)
            summary.plan = _merge_plans(summary.plan, report)
            summary.alerts_queued += ledger.insert(tx, report.rows + health_rows(notices, destinations))
            pages.save(tx, got.pages_deferred, got.pages_done)

        storage.write_run(con, run, within=queue_alerts)
    _absorb(summary, got)


def _first_per_id(events: Sequence[storage.StoredEvent]) -> list[storage.StoredEvent]:
    """One event per id, the first one (the one `INSERT OR IGNORE` keeps), in order."""
    seen: set[str] = set()
    return [e for e in events if not (e.event_id in seen or seen.add(e.event_id))]


def _merge_plans(total: PlanReport, more: PlanReport) -> PlanReport:
    """One report for the run out of per-batch reports (list fields concatenated, counters added)."""
    merged = {}
    for f in dataclasses.fields(total):
        a, b = getattr(total, f.name), getattr(more, f.name)
        merged[f.name] = a + b if isinstance(a, (list, int)) and not isinstance(a, bool) else b
    return dataclasses.replace(total, **merged)


def _absorb(summary: RunSummary, got: Ingested) -> None:
    """Add one stored batch to the run's summary."""
    total = summary.ingested
    summary.fetches += got.fetches
    summary.new_items += len(got.items)
    for name in ("fetches", "items", "skipped", "page_failures", "pages_deferred", "pages_done", "transitions"):
        getattr(total, name).extend(getattr(got, name))
    total.feed_hashes.update(got.feed_hashes)
    total.quiet_item_ids |= got.quiet_item_ids
    total.pages_fetched += got.pages_fetched


def health_notice(t: HealthEvent) -> Notice:
    """A source's health transition (failing, disabled, recovered) as a `health` alert."""
    return Notice(
        subject=t.source_id,
        reason=t.kind,
        title=f"treatywatch source {t.source_id}: {t.kind}",
        message=t.message,
        unique=t.health_event_id,
    )
