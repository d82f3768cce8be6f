"""DuckDB storage: migrations, atomic run writes, the alert ledger, read-only queries, lock handling."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime

import duckdb
import pytest
from rich.console import Console

from flows.cli.query import run_query
from flows.store import db, ledger, storage
from parsers.errors import TreatywatchError
from parsers.models import Event, Item, Official, Source, event_id

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SOURCE = Source(id="wire", kind="rss", url="http://127.0.0.1/feed.xml", lang="en")
ITEM = Item(id="i1", source_id="wire", url="http://127.0.0.1/a", title="Oslo ends pact", text="Norway ended it.")
EVENT = Event(
    family="termination",
    type="termination",
    actor="NO",
    counterparts=("RU",),
    domain="military",
    evidence="Norway ended it.",
    span=(16, 32),
    confidence=0.9,
    rule="en.termination.test",
    officials=(Official("Jane Doe", "Minister", "NO"),),
)


def make_run(run_id: str = "r1") -> storage.RunRecord:
    eid = event_id(ITEM.id, EVENT)
    fetch = storage.FetchRecord("wire", SOURCE.url, NOW, 200, 12, 345, 1, 1, etag='"v1"')
    return storage.RunRecord(
        run_id=run_id,
        started_at=NOW,
        sources=[SOURCE],
        fetches=[fetch],
        items=[storage.StoredItem(ITEM, ITEM.content_hash)],
        events=[storage.StoredEvent(eid, ITEM.id, EVENT)],
    )


def queue(*keys: str):
    """A `within` hook that queues one alert per destination key, as the planner does."""
    eid = event_id(ITEM.id, EVENT)

    def hook(con):
        ledger.insert(
            con,
            [
                ledger.LedgerRow(f"a-{k}", "event", "c1", "new", k, f"mailto://{k}", "termination", event_id=eid)
                for k in keys
            ],
        )

    return hook


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_migrations_are_idempotent_and_versioned(tmp_path):
    path = tmp_path / "t.duckdb"
    with db.connect(path) as con:
        first = db.migrate(con)
    with db.connect(path) as con:
        latest = db._migrations()[-1][0]  # every numbered file under flows/migrations, applied once
        assert db.migrate(con) == first == latest
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone() == (len(db._migrations()),)
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {"v_events", "v_alerts", "v_source_health"} <= views


def test_write_run_stores_everything_once(tmp_path):
    path = tmp_path / "t.duckdb"
    with db.connect(path) as con:
        storage.write_run(con, make_run("r1"), within=queue("d1"))
        storage.write_run(con, make_run("r2"), within=queue("d1"))  # same item, event, alert again: no duplicates
        assert [count(con, t) for t in ("items", "events", "event_parties", "alerts", "fetches", "runs")] == [
            1,
            1,
            2,
            1,
            2,
            2,
        ]
        assert storage.load_source_states(con)["wire"].etag == '"v1"'
        row = con.execute("SELECT actor, counterparts, officials::VARCHAR FROM v_events").fetchone()
    assert row[0] == "NO" and row[1] == ["RU"] and "Jane Doe" in row[2]


def test_write_run_is_atomic(tmp_path):
    path = tmp_path / "t.duckdb"

    def crash(con):
        queue("d1")(con)
        raise RuntimeError("planner crashed after queueing")

    with db.connect(path) as con:
        with pytest.raises(RuntimeError):
            storage.write_run(con, make_run(), within=crash)
        assert [count(con, t) for t in ("items", "events", "alerts", "runs")] == [0, 0, 0, 0]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM items",
        "INSERT INTO runs (run_id, started_at) VALUES ('x', now())",
        "DROP TABLE events",
        "SELECT 1; UPDATE alerts SET status = 'sent'",
        "CREATE TABLE t (a INT)",
        "ATTACH 'other.duckdb' AS o",
    ],
)
def test_query_refuses_writes(tmp_path, sql):
    path = tmp_path / "t.duckdb"
    with db.connect(path) as con:
        storage.write_run(con, make_run())
    with pytest.raises(db.ReadOnlyQueryError):
        run_query(path, sql, "table", Console(file=io.StringIO()), io.StringIO())
    with db.connect(path, read_only=True) as con:
        assert count(con, "items") == 1


@pytest.mark.parametrize(
    "fmt,expected",
    [
        ("json", '{"actor": "NO", "counterparts": ["RU"]}\n'),
        ("csv", 'actor,counterparts\nNO,"[""RU""]"\n'),  # \n line endings, not CRLF
    ],
)
def test_query_formats(tmp_path, fmt, expected):
    path = tmp_path / "t.duckdb"
    with db.connect(path) as con:
        storage.write_run(con, make_run())
    out = io.StringIO()
    assert run_query(path, "SELECT actor, counterparts FROM v_events", fmt, Console(file=io.StringIO()), out) == 1
    assert out.getvalue() == expected


def test_locked_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "t.duckdb"
    with db.connect(path) as con:
        storage.write_run(con, make_run())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb,sys; c=duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(db.DatabaseLockedError, match="locked by another process"):
            with db.connect(path, read_only=True, wait_seconds=0.3):
                pass
    finally:
        holder.communicate("", timeout=10)
    with db.connect(path, read_only=True, wait_seconds=0.3) as con:  # released: readable again
        assert count(con, "events") == 1


def test_missing_database_for_query(tmp_path):
    with pytest.raises(TreatywatchError, match="does not exist"):
        run_query(tmp_path / "nope.duckdb", "SELECT 1", "table", Console(file=io.StringIO()), io.StringIO())
