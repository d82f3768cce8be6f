"""The instrument in DuckDB: events and clusters keep it, v_events and v_clusters show it."""

from __future__ import annotations

import pathlib
from datetime import UTC, datetime

from flows.store import clusters as cluster_store
from flows.store import db, storage
from parsers.extract.engine import load_extractor
from parsers.models import ExtractionInput, Item, Source, event_id
from parsers.policy import cluster

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SOURCE = Source(id="wire", kind="rss", url="http://127.0.0.1/feed.xml", lang="en")
TEXTS = {  # written for this test: one state leaves two treaties on one day, reported by three items
    "i1": "Russia formally withdrew from the Treaty on Conventional Armed Forces in Europe on Tuesday.",
    "i2": "Russia formally withdrew from the Treaty on Open Skies on Tuesday.",
    "i3": "Россия в тот же день вышла из ДОВСЕ и Договора по открытому небу.",
}


def _stored() -> tuple[list[storage.StoredItem], list[storage.StoredEvent]]:
    extractor = load_extractor(ROOT / "config")
    items, events = [], []
    for item_id, text in TEXTS.items():
        item = Item(id=item_id, source_id="wire", url=f"http://127.0.0.1/{item_id}", title="", text=text, published=NOW)
        items.append(storage.StoredItem(item, item.content_hash))
        for e in extractor.extract(ExtractionInput(text=text, published=NOW)):
            events.append(storage.StoredEvent(event_id(item_id, e), item_id, e))
    return items, events


def test_two_treaties_left_on_one_day_are_two_stored_clusters(tmp_path: pathlib.Path) -> None:
    items, events = _stored()
    mentions = [cluster.Mention(se.event_id, "wire", "news", NOW, se.event) for se in events]
    assignments, touched = cluster.assign(mentions, [], cluster.ClusterPolicy())
    run = storage.RunRecord(run_id="r1", started_at=NOW, sources=[SOURCE], items=items, events=events)
    with db.connect(tmp_path / "t.duckdb") as con:
        storage.write_run(con, run, within=lambda c: cluster_store.save(c, list(touched.values()), assignments))
        rows = con.execute(
            "SELECT item_id, type, counterparts, instrument_text, instrument_id, instrument_kind"
            " FROM v_events ORDER BY item_id"
        ).fetchall()
        clusters = con.execute(
            "SELECT instrument_id, instrument_kind, parties, len(event_ids) FROM v_clusters ORDER BY instrument_id"
        ).fetchall()
        reloaded = cluster_store.load_open(con, ["termination"], NOW)
    assert sorted(rows) == [
        ("i1", "withdrawal", ["CFE"], "the Treaty on Conventional Armed Forces in Europe", "CFE", "multilateral"),
        ("i2", "withdrawal", ["OPEN_SKIES"], "the Treaty on Open Skies", "OPEN_SKIES", "multilateral"),
        ("i3", "withdrawal", ["CFE"], "ДОВСЕ", "CFE", "multilateral"),
        ("i3", "withdrawal", ["OPEN_SKIES"], "Договора по открытому небу", "OPEN_SKIES", "multilateral"),
    ]
    assert clusters == [
        ("CFE", "multilateral", ["CFE", "RU"], 2),
        ("OPEN_SKIES", "multilateral", ["OPEN_SKIES", "RU"], 2),
    ]
    assert sorted(c.instrument_id for c in reloaded) == ["CFE", "OPEN_SKIES"]


def test_alert_view_and_title_name_the_instrument(tmp_path: pathlib.Path) -> None:
    """What an analyst reads: 'Withdrawal: Russia (RU) withdraws from the CFE Treaty (multilateral)'."""
    from flows.alerts.render import render, title_for
    from flows.alerts.views import instrument_labels, load_views
    from flows.store.ledger import DueAlert

    items, events = _stored()
    mentions = [cluster.Mention(se.event_id, "wire", "news", NOW, se.event) for se in events]
    assignments, touched = cluster.assign(mentions, [], cluster.ClusterPolicy())
    run = storage.RunRecord(run_id="r1", started_at=NOW, sources=[SOURCE], items=items, events=events)
    cfe = next(a for a in assignments if a.mention.event.instrument.id == "CFE")
    due = DueAlert(
        "a1",
        "event",
        cfe.cluster_id,
        cfe.mention.event_id,
        "new",
        None,
        "k",
        "mailto://x",
        "termination",
        "immediate",
        0,
    )
    with db.connect(tmp_path / "t.duckdb") as con:
        storage.write_run(con, run, within=lambda c: cluster_store.save(c, list(touched.values()), assignments))
        view = load_views(con, [due], db_hint="t.duckdb", labels=instrument_labels(ROOT / "config"))["a1"]
    assert (view.instrument_id, view.instrument_kind, view.instrument_label) == (
        "CFE",
        "multilateral",
        "the CFE Treaty",
    )
    assert title_for(view) == "Withdrawal: Russia (RU) withdraws from the CFE Treaty (multilateral)"
    body = render(view, "console").body
    assert 'instrument:   the CFE Treaty (multilateral, registry id CFE), as written: "' in body


def test_migration_005_keeps_events_stored_before_it(tmp_path: pathlib.Path) -> None:
    """A v3 file keeps its events through v4 (feedback) and v5 (instrument): NULLs, working views."""
    import duckdb

    migrations = ROOT / "flows" / "store" / "migrations"
    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)")
    for n, name in ((1, "001_init.sql"), (2, "002_source_health.sql"), (3, "003_operator.sql")):
        con.execute((migrations / name).read_text(encoding="utf-8"))
        con.execute("INSERT INTO schema_migrations VALUES (?, now())", [n])
    con.execute(
        "INSERT INTO items (item_id, source_id, content_hash, first_seen_at, fetched_at)"
        " VALUES ('i0', 'wire', 'h', now(), now())"
    )
    con.execute(
        "INSERT INTO events (event_id, item_id, family, type, actor, counterparts, domain, evidence, confidence,"
        " rule, flags, detected_at) VALUES ('e0', 'i0', 'termination', 'withdrawal', 'RU', [], 'other', 'x',"
        " 0.9, 'r', [], now())"
    )
    con.close()
    with db.connect(path) as con:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (db._migrations()[-1][0],)
        assert con.execute(
            "SELECT event_id, instrument_text, instrument_id, instrument_kind FROM v_events"
        ).fetchall() == [("e0", None, None, None)]
        assert con.execute("SELECT count(*) FROM v_clusters WHERE instrument_id IS NULL").fetchone() == (0,)
