"""`query` is read-only for real and `export` writes only the file named on the command line.

Every bypass below is refused: DuckDB's parser classifies the statement (one SELECT only) and the
connection itself is read-only with external access, extension autoload/autoinstall off and its
configuration locked. Real DuckDB files, real CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from flows.cli.app import app
from flows.cli.export import export
from flows.cli.query import run_query
from flows.store import db
from parsers.errors import TreatywatchError


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """A migrated database with two items, and a path no statement may create."""
    path = tmp_path / "tw.duckdb"
    with db.connect(path) as con:
        con.execute(
            "INSERT INTO items (item_id, source_id, url, title, content_hash, first_seen_at, fetched_at) "
            "VALUES ('i1', 's', 'http://x/1', 'One', 'h1', now(), now()), "
            "('i2', 's', 'http://x/2', 'Two', 'h2', now(), now())"
        )
    return path, tmp_path / "pwned"


BYPASSES = [
    "EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'",
    "EXPLAIN COPY (SELECT 1) TO '{out}'",
    "COPY (SELECT 1) TO '{out}'",
    "COPY items TO '{out}' (FORMAT parquet)",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM glob('/root/*')",
    "SELECT * FROM glob('{out}*')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd', header = false)",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM read_json('/etc/passwd')",
    "SELECT * FROM read_parquet('/etc/passwd')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "SELECT * FROM read_text('http://127.0.0.1:9/x')",
    "SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')",
    "ATTACH '{out}' AS x",
    "ATTACH ':memory:' AS m",
    "DETACH tw",
    "INSTALL httpfs",
    "LOAD httpfs",
    "FORCE INSTALL json",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "PRAGMA enable_profiling",
    "PRAGMA table_info('items')",
    "CALL pragma_version()",
    "CHECKPOINT",
    "VACUUM",
    "CREATE TEMP TABLE t AS SELECT 1",
    "CREATE TEMP VIEW v AS SELECT 1",
    "CREATE MACRO m() AS 1",
    "SELECT 1; COPY (SELECT 1) TO '{out}'",
    "SELECT 1 /* ; */ ; ATTACH '{out}' AS x",
    "/* hide */ COPY (SELECT 1) TO '{out}' -- SELECT",
    "SELECT 1\n;\nCOPY (SELECT 1) TO '{out}'",
    "WITH x AS (COPY (SELECT 1) TO '{out}') SELECT 1",
    "SELECT * FROM (COPY (SELECT 1) TO '{out}')",
    "EXPORT DATABASE '{out}'",
    "IMPORT DATABASE '{out}'",
    "DELETE FROM items",
    "UPDATE items SET title = 'x'",
    "INSERT INTO items SELECT * FROM items",
    "DROP TABLE items",
    "ALTER TABLE items ADD COLUMN z INT",
    "BEGIN TRANSACTION",
    "USE memory",
    "PIVOT items ON source_id USING count(*)",
]


@pytest.mark.parametrize("sql", BYPASSES)
def test_query_refuses_every_bypass(world: tuple[Path, Path], sql: str) -> None:
    path, out = world
    buffer = io.StringIO()
    with pytest.raises(TreatywatchError):
        run_query(path, sql.format(out=out), "json", Console(file=io.StringIO()), buffer)
    assert not out.exists() and "root:" not in buffer.getvalue()
    assert [p.name for p in path.parent.iterdir() if p.name not in ("tw.duckdb", "tw.duckdb.wal")] == []


def test_query_cli_exits_2_and_writes_nothing(world: tuple[Path, Path]) -> None:
    path, out = world
    result = CliRunner().invoke(app, ["query", f"EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'", "--db", str(path)])
    assert result.exit_code == 2 and "read-only" in result.output and not out.exists()


@pytest.mark.parametrize(
    "sql,rows",
    [
        ("SELECT item_id FROM items ORDER BY 1", 2),
        ("FROM items", 2),
        ("SHOW TABLES", None),
        ("DESCRIBE items", None),
        ("SELECT * FROM pragma_table_info('items')", None),
        ("SELECT count(*) FROM v_events;", 1),
        ("-- a comment\nSELECT 1 AS one /* fine */", 1),
        ("WITH a AS (SELECT 1) SELECT * FROM a", 1),
    ],
)
def test_query_still_answers_reads(world: tuple[Path, Path], sql: str, rows: int | None) -> None:
    path, _ = world
    count = run_query(path, sql, "json", Console(file=io.StringIO()), io.StringIO())
    assert count == rows if rows is not None else count > 0


@pytest.mark.parametrize("what", ["items", "v_events", "SELECT item_id, title FROM items ORDER BY item_id"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_export_writes_the_named_file(world: tuple[Path, Path], tmp_path: Path, what: str, suffix: str) -> None:
    path, _ = world
    out = tmp_path / f"out{suffix}"
    n = export(path, what, out)
    reader = {".csv": "read_csv", ".parquet": "read_parquet", ".json": "read_json"}[suffix]
    back = duckdb.connect().execute(f"SELECT count(*) FROM {reader}('{out}')").fetchone()[0]
    assert n == back == (0 if what == "v_events" else 2)


def test_export_json_is_one_object_per_row(world: tuple[Path, Path], tmp_path: Path) -> None:
    path, _ = world
    out = tmp_path / "rows.json"
    result = CliRunner().invoke(
        app, ["export", "SELECT item_id FROM items ORDER BY 1", "--to", str(out), "--db", str(path)]
    )
    assert result.exit_code == 0 and "2 row(s)" in result.output
    assert [json.loads(line) for line in out.read_text().splitlines()] == [{"item_id": "i1"}, {"item_id": "i2"}]


@pytest.mark.parametrize(
    "what",
    [
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT 1 -- ) TO '{out}' (FORMAT csv)",
        "SELECT 1; COPY (SELECT 1) TO '{out}'",
        "COPY items TO '{out}'",
        "items; DROP TABLE items",
        "SELECT * FROM glob('/root/*')",
        "EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'",
    ],
)
def test_export_refuses_what_query_refuses(world: tuple[Path, Path], tmp_path: Path, what: str) -> None:
    path, out = world
    target = tmp_path / "ok.csv"
    try:
        export(path, what.format(out=out), target)
    except TreatywatchError:
        pass
    assert not out.exists()
    if target.exists():  # only the harmless comment case may write, and only the named file
        assert target.read_text().strip().splitlines() == ["1", "1"]


def test_export_will_not_overwrite_without_force(world: tuple[Path, Path], tmp_path: Path) -> None:
    path, _ = world
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    with pytest.raises(TreatywatchError, match="--force"):
        export(path, "items", out)
    assert out.read_text() == "precious\n"
    assert export(path, "items", out, overwrite=True) == 2
