"""The `monitor` flow: fetch every source, extract events from new items, store, alert.

source -> FetchedDocument -> Item -> Event -> DuckDB rows -> alerts. One failing source never
stops the others: its failure is a row in `fetches` and a line in the run summary.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from prefect import flow, get_run_logger

from flows import replay
from flows.store import runlock
from flows.store import ledger
from flows.store import storage
from flows.store import db
from flows.alerts.plan import HealthNotice, ItemMeta, PlanReport, health_rows, heartbeat_notice, plan
from flows.alerts.destinations import load_destinations
from flows.artifacts import publish_run_artifacts
from flows.alerts.delivery import DeliveryReport, deliver
from flows.ingest.health import HealthEvent
from flows.ingest.run import Ingested, SourceFetch, ingest
from flows.settings import load_settings
from flows.extractor_cache import load_cached_extractor
from parsers.extract.engine import Extractor
from parsers.models import ExtractionInput, Item, Source
from parsers.config.routing import load_policy
from parsers.config.sources import IMPLEMENTED_KINDS, load_sources


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

    @property
    def failed_sources(self) -> list[SourceFetch]:
        return [f for f in self.fetches if not f.record.ok]


def runnable_sources(sources: Sequence[Source]) -> tuple[list[Source], list[Source]]:
    """Enabled sources of a kind we can fetch, and the enabled ones we must skip (reserved kinds)."""
    enabled = [s for s in sources if s.enabled]
    return [s for s in enabled if s.kind in IMPLEMENTED_KINDS], [s for s in enabled if s.kind not in IMPLEMENTED_KINDS]


def in_groups(sources: Sequence[Source], groups: Sequence[str] | None) -> list[Source]:
    """The sources of the given groups (one schedule per group); all of them when `groups` is empty."""
    return [s for s in sources if not groups or s.group in groups]


def extract_all(items: Sequence[Item], extractor: Extractor) -> list[storage.StoredEvent]:
    out = []
    for item in items:
        doc = ExtractionInput(text=item.text, title=item.title, lang=item.lang, published=item.published, id=item.id)
        for event in extractor.extract(doc):
            out.append(storage.StoredEvent(storage.event_id(item.id, event), item.id, event))
    return out


@flow(name="monitor", log_prints=False, validate_parameters=False)
@runlock.exclusive(on_skip=lambda why: RunSummary(run_id="", skipped=why))
def monitor(sources: str | None = None, alerts: str | None = None, db_path: str | None = None,
            config_dir: str | None = None, groups: list[str] | None = None) -> RunSummary:
    """One pass over every configured source; secrets are read from the environment, not parameters."""
    settings = load_settings(sources=sources, alerts=alerts, db=db_path, config_dir=config_dir)
    logger = get_run_logger()
    run = storage.RunRecord(run_id=uuid.uuid4().hex, started_at=db.utcnow())
    summary = RunSummary(run.run_id)

    source_list, skipped = runnable_sources(in_groups(load_sources(settings.sources_file), groups))
    for s in skipped:
        logger.warning("source %s: kind %r is not implemented yet; skipped", s.id, s.kind)
    extractor = load_cached_extractor(settings.config_dir)
    destinations = load_destinations(settings.alerts_file, settings.apprise_urls)
    policy = load_policy(settings.routing_file)
    with db.connect(settings.db_path) as con:
        last_success = storage.last_successful_run(con)

    got = ingest(source_list, settings, run_id=run.run_id)
    summary.fetches, summary.ingested = got.fetches, got
    events = extract_all(got.items, extractor)
    with db.connect(settings.db_path) as con:
        known_events = storage.existing_event_ids(con, (e.event_id for e in events))
    summary.new_events = [e for e in events if e.event_id not in known_events]

    run.sources = source_list
    run.fetches, run.items, run.health = got.records, got.stored_items, got.health_rows
    run.events = events
    group_of = {s.id: s.group for s in source_list}
    meta = {i.id: ItemMeta(i.source_id, group_of.get(i.source_id, ""), i.published or run.started_at) for i in got.items}
    notices = [health_notice(t) for t in got.transitions]
    if beat := heartbeat_notice(last_success, run.started_at, policy.max_silence):
        notices.append(beat)

    def queue_alerts(con) -> None:
        # Every stored event never planned: this run's new ones plus any written by `replay --apply`.
        unplanned = replay.unplanned_events(con)
        missing = {e.item_id for e in unplanned} - set(meta)
        for item_id, (source_id, group, seen) in storage.item_origins(con, missing).items():
            meta[item_id] = ItemMeta(source_id, group, seen)
        summary.plan = plan(con, unplanned, meta, destinations, policy, now=run.started_at,
                            quiet_items=got.quiet_item_ids)
        summary.alerts_queued = ledger.insert(con, summary.plan.rows + health_rows(notices, destinations))

    with db.connect(settings.db_path) as con:
        storage.write_run(con, run, within=queue_alerts)
    summary.new_items = len(got.items)
    if failed := summary.failed_sources:  # one line; the details are in `fetches` and the run summary
        logger.warning("%d of %d sources failed: %s", len(failed), len(summary.fetches),
                       ", ".join(f"{f.source.id} ({f.record.error_kind})" for f in failed))

    summary.delivery = deliver(settings.db_path, destinations, policy)
    with db.connect(settings.db_path) as con:
        con.execute("UPDATE runs SET alerts_sent = ?, alerts_failed = ?, finished_at = ? WHERE run_id = ?",
                    [summary.delivery.sent, summary.delivery.failed, db.utcnow(), run.run_id])
    publish_run_artifacts(summary)
    return summary


def health_notice(t: HealthEvent) -> HealthNotice:
    """A source's health transition (failing, disabled, recovered) as a `health` alert."""
    return HealthNotice(subject=t.source_id, reason=t.kind, title=f"treatywatch source {t.source_id}: {t.kind}",
                        message=t.message, unique=t.health_event_id)
