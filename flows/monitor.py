"""The `monitor` flow: fetch every source, extract events from new items, store, alert.

source -> FetchedDocument -> Item -> Event -> DuckDB rows -> alerts. One failing source never
stops the others: its failure is a row in `fetches` and a line in the run summary.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.futures import PrefectFuture

from flows import db, storage
from flows.alerting import DeliveryReport, deliver_pending, ledger_entries
from flows.alerts.destinations import load_destinations
from flows.fetch import FetchPolicy, make_client
from flows.ingest import SourceFetch, failed_fetch, fetch_full_text, fetch_source
from flows.settings import Settings, load_settings
from parsers.extract import Extractor, load_extractor
from parsers.models import ExtractionInput, Item, Source
from parsers.sources import IMPLEMENTED_KINDS, load_sources


@dataclass(slots=True)
class RunSummary:
    """What a person (or the Prefect UI) needs to know about one run."""

    run_id: str
    fetches: list[SourceFetch] = field(default_factory=list)
    new_items: int = 0
    new_events: list[storage.StoredEvent] = field(default_factory=list)
    alerts_queued: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    @property
    def failed_sources(self) -> list[SourceFetch]:
        return [f for f in self.fetches if not f.record.ok]


def runnable_sources(sources: Sequence[Source]) -> tuple[list[Source], list[Source]]:
    """Enabled sources of a kind we can fetch, and the enabled ones we must skip (reserved kinds)."""
    enabled = [s for s in sources if s.enabled]
    return [s for s in enabled if s.kind in IMPLEMENTED_KINDS], [s for s in enabled if s.kind not in IMPLEMENTED_KINDS]


def policy_of(settings: Settings) -> FetchPolicy:
    return FetchPolicy(connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
                       total_timeout=settings.total_timeout, max_bytes=settings.max_bytes)


def _resolve(future: PrefectFuture, source: Source) -> SourceFetch:
    future.wait()
    state = future.state
    if state.is_completed():
        return future.result()
    return failed_fetch(source, state.result(raise_on_failure=False))


def fetch_all(sources: Sequence[Source], states: dict[str, storage.SourceState], settings: Settings) -> list[SourceFetch]:
    """Fetch all sources concurrently on the flow's thread-pool task runner."""
    policy = policy_of(settings)
    task = fetch_source.with_options(retries=settings.fetch_retries,
                                     retry_delay_seconds=list(settings.fetch_retry_delays))
    with make_client(policy) as client:
        futures = [(s, task.submit(s, states.get(s.id, storage.SourceState()), client, policy,
                                   settings.sources_file.parent.resolve())) for s in sources]
        return [_resolve(f, s) for s, f in futures]


def new_or_changed(fetches: Sequence[SourceFetch], db_path: Path) -> tuple[list[Item], dict[str, int]]:
    """Items never stored, or stored with other content; plus the count of new items per source."""
    candidates = {i.id: i for f in fetches for i in f.items}  # one id seen twice in a run is one item
    with db.connect(db_path) as con:
        known = storage.known_content_hashes(con, candidates)
    fresh = [i for i in candidates.values() if known.get(i.id) != i.content_hash]
    per_source: dict[str, int] = {}
    for i in fresh:
        per_source[i.source_id] = per_source.get(i.source_id, 0) + 1
    return fresh, per_source


def complete_texts(items: Sequence[Item], sources: dict[str, Source], settings: Settings) -> list[Item]:
    """Fetch article bodies for summary-only items; an item whose page fails keeps its summary."""
    policy = policy_of(settings)
    with make_client(policy) as client:
        futures = [(i, fetch_full_text.submit(i, sources[i.source_id], client, policy) if i.needs_full_text and i.url else None)
                   for i in items]
        out = []
        for item, fut in futures:
            if fut is None:
                out.append(item)
                continue
            fut.wait()
            out.append(fut.result() if fut.state.is_completed() else item)
        return out


def extract_all(items: Sequence[Item], extractor: Extractor) -> list[storage.StoredEvent]:
    out = []
    for item in items:
        doc = ExtractionInput(text=item.text, title=item.title, lang=item.lang, published=item.published, id=item.id)
        for event in extractor.extract(doc):
            out.append(storage.StoredEvent(storage.event_id(item.id, event), item.id, event))
    return out


@flow(name="monitor", log_prints=False, validate_parameters=False)
def monitor(sources: str | None = None, alerts: str | None = None, db_path: str | None = None,
            config_dir: str | None = None) -> RunSummary:
    """One pass over every configured source; secrets are read from the environment, not parameters."""
    settings = load_settings(sources=sources, alerts=alerts, db=db_path, config_dir=config_dir)
    logger = get_run_logger()
    run = storage.RunRecord(run_id=uuid.uuid4().hex, started_at=db.utcnow())
    summary = RunSummary(run.run_id)

    source_list, skipped = runnable_sources(load_sources(settings.sources_file))
    for s in skipped:
        logger.warning("source %s: kind %r is not implemented yet; skipped", s.id, s.kind)
    extractor = load_extractor(settings.config_dir)
    destinations = load_destinations(settings.alerts_file, settings.apprise_urls)
    with db.connect(settings.db_path) as con:
        states = storage.load_source_states(con)

    summary.fetches = fetch_all(source_list, states, settings)
    fresh, per_source = new_or_changed(summary.fetches, settings.db_path)
    fresh_hashes = {i.id: i.content_hash for i in fresh}  # hash of the feed's version, before page fetches
    fresh = complete_texts(fresh, {s.id: s for s in source_list}, settings)
    events = extract_all(fresh, extractor)

    with db.connect(settings.db_path) as con:
        known_events = storage.existing_event_ids(con, (e.event_id for e in events))
    summary.new_events = [e for e in events if e.event_id not in known_events]
    run.sources = source_list
    run.fetches = [_with_new(f, per_source) for f in summary.fetches]
    run.items = [storage.StoredItem(i, fresh_hashes[i.id]) for i in fresh]
    run.events = events
    run.ledger = ledger_entries(summary.new_events, destinations, min_confidence=settings.min_alert_confidence)
    with db.connect(settings.db_path) as con:
        storage.write_run(con, run)
    summary.new_items, summary.alerts_queued = len(fresh), len(run.ledger)
    for f in summary.failed_sources:
        logger.warning("source %s failed: %s: %s", f.source.id, f.record.error_kind, f.record.error)

    summary.delivery = deliver_pending(settings.db_path, destinations, max_attempts=settings.max_alert_attempts)
    with db.connect(settings.db_path) as con:
        con.execute("UPDATE runs SET alerts_sent = ?, alerts_failed = ?, finished_at = ? WHERE run_id = ?",
                    [summary.delivery.sent, summary.delivery.failed, db.utcnow(), run.run_id])
    return summary


def _with_new(f: SourceFetch, per_source: dict[str, int]) -> storage.FetchRecord:
    return dataclasses.replace(f.record, new_items=per_source.get(f.source.id, 0))
