"""The `monitor` flow: fetch every source, extract events from new items, store, alert.

source -> FetchedDocument -> Item -> Event -> DuckDB rows -> alerts. One failing source never
stops the others: its failure is a row in `fetches` and a line in the run summary.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from prefect import flow, get_run_logger

from flows import db, storage
from flows.alerting import DeliveryReport, deliver_pending, ledger_entries
from flows.alerts.destinations import load_destinations
from flows.ingest import Ingested, SourceFetch, ingest
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
    ingested: Ingested = field(default_factory=Ingested)

    @property
    def failed_sources(self) -> list[SourceFetch]:
        return [f for f in self.fetches if not f.record.ok]


def runnable_sources(sources: Sequence[Source]) -> tuple[list[Source], list[Source]]:
    """Enabled sources of a kind we can fetch, and the enabled ones we must skip (reserved kinds)."""
    enabled = [s for s in sources if s.enabled]
    return [s for s in enabled if s.kind in IMPLEMENTED_KINDS], [s for s in enabled if s.kind not in IMPLEMENTED_KINDS]


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
    got = ingest(source_list, settings, run_id=run.run_id)
    summary.fetches, summary.ingested = got.fetches, got
    fresh = got.items
    events = extract_all(fresh, extractor)

    with db.connect(settings.db_path) as con:
        known_events = storage.existing_event_ids(con, (e.event_id for e in events))
    summary.new_events = [e for e in events if e.event_id not in known_events]
    run.sources = source_list
    run.fetches, run.items, run.health = got.records, got.stored_items, got.health_rows
    run.events = events
    alertable = [e for e in summary.new_events if e.item_id not in got.quiet_item_ids]  # no history flood
    run.ledger = ledger_entries(alertable, destinations, min_confidence=settings.min_alert_confidence)
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
