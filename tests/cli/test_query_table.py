"""`query` table output: laid out by flows/cli/output.py (not Rich's Table), so it must still look like
the table users knew, keep every cell verbatim and aligned, and stay a table at thousands of rows."""

from __future__ import annotations

import io
import json

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner

from flows.cli.app import app
from flows.cli.output import PlainConsole, print_table
from flows.store import db, storage


def render(names, rows, width=80) -> str:
    out = io.StringIO()
    print_table(names, rows, Console(file=out, width=width))
    return out.getvalue()


def rich_render(names, rows, width=80) -> str:
    """What Rich's own Table drew for the same cells (the look the plain renderer keeps)."""
    out = io.StringIO()
    table = Table(show_lines=False)
    for name in names:
        table.add_column(Text(name, style="bold"))
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    console = Console(file=out, width=width)
    console.print(table)
    console.print(Text(f"{len(rows)} row(s)", style="dim"))
    return out.getvalue()


@pytest.mark.parametrize(
    "names, rows",
    [
        (["party", "type", "confidence"], [("NO", "termination", 0.8), ("RU", None, 1)]),
        (["страна", "text"], [("Россия", "денонсировала соглашение"), ("日本", "防衛協定")]),
        (["a"], []),
    ],
)
def test_table_that_fits_is_drawn_as_rich_drew_it(names, rows):
    assert render(names, rows) == rich_render(names, rows)


def test_wide_characters_keep_the_bars_aligned():
    text = render(["name", "x"], [("日本の防衛協定", "1"), ("ab", "2")])
    lines = [line for line in text.splitlines() if line.startswith(("│", "┃"))]
    assert len({cell_len(line) for line in lines}) == 1


def test_cells_are_verbatim_and_control_characters_cannot_reach_the_terminal():
    text = render(["a", "b"], [("[bold]x[/] :x:", "\x1b[31mred\x07")])
    assert "[bold]x[/] :x:" in text and "❌" not in text
    assert "\x1b" not in text and "\x07" not in text and "\ufffd[31mred" in text


def test_a_newline_in_a_cell_continues_the_cell_on_the_next_line():
    lines = render(["a", "b"], [("one\ntwo", "x")]).splitlines()
    assert "│ one │ x │" in lines and "│ two │   │" in lines


def test_many_rows_that_do_not_fit_are_cut_with_an_ellipsis_to_the_width():
    rows = [(f"row {i}", "x" * 200, "y" * 50) for i in range(3000)]
    lines = render(["id", "long", "other"], rows, width=100).splitlines()
    assert lines[-1] == "3000 row(s)"
    body = [line for line in lines if line.startswith("│")]
    assert len(body) == 3000 and all(len(line) == 100 for line in body)
    assert body[0].startswith("│ row 0 ") and "x…" in body[0] and "y…" in body[0]


def test_narrow_non_ascii_cells_are_cut_to_the_width_like_wide_ones():
    rows = [("Россия", "денонсировала соглашение " * 9), ("日本", "防衛協定" * 30), ("e\u0301", "é" * 99)] * 4
    body = [line for line in render(["страна", "text"], rows, width=70).splitlines() if line.startswith("│")]
    assert len(body) == 12 and {cell_len(line) for line in body} == {70}
    assert all(line.endswith("… │") for line in body)


def test_columns_whose_minimums_do_not_fit_overflow_rather_than_vanish():
    names = [f"column_{c}" for c in "abcdefgh"]
    rows = [tuple("v" * 40 for _ in names) for _ in range(10)]
    header = next(line for line in render(names, rows, width=60).splitlines() if line.startswith("┃"))
    assert all(name in header for name in names)  # every column at its legible minimum, wider than 60


@pytest.mark.parametrize(
    "names, rows, width",
    [
        (["party", "type", "confidence"], [("NO", "termination", 0.8), ("RU", None, 1)], 80),
        (["страна", "text"], [("Россия", "денонсировала соглашение " * 6), ("日本", "防衛協定" * 12)] * 8, 60),
        (["a", "b"], [("one\ntwo", "\x1b[31mred\x07\tx"), ("日本の防衛協定", "é" * 90)] * 7, 50),
        (["id", "long", "other"], [("r", "x" * 200, "y" * 50)] * 3, 40),  # a few rows: one block per record
        (["a"], [], 80),
    ],
)
def test_a_pipe_gets_what_rich_printed_there_without_importing_its_console(names, rows, width):
    piped = io.StringIO()
    print_table(names, rows, PlainConsole(piped, width))
    assert piped.getvalue() == render(names, rows, width)


@pytest.fixture
def events_db(tmp_path):
    path = tmp_path / "q.duckdb"
    with db.connect(path) as con:
        storage.write_run(con, storage.RunRecord(run_id="r1", started_at=db.utcnow()))
        con.execute(
            "CREATE TABLE t AS SELECT range AS n, 'Соглашение №' || range AS s, [range, 2] AS l FROM range(2500)"
        )
    return path


def test_query_prints_every_row_in_every_format(events_db):
    sql = "SELECT n, s, l FROM t ORDER BY n"
    table = CliRunner().invoke(app, ["query", sql, "--db", str(events_db)], env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    assert "│ 2499 │ Соглашение №2499 │ [2499, 2] │" in table.output and "2500 row(s)" in table.output
    as_json = CliRunner().invoke(app, ["query", sql, "--db", str(events_db), "--format", "json"])
    assert [json.loads(line)["n"] for line in as_json.stdout.splitlines()] == list(range(2500))
    as_csv = CliRunner().invoke(app, ["query", sql, "--db", str(events_db), "--format", "csv"])
    assert as_csv.stdout.splitlines()[-1] == '2499,Соглашение №2499,"[2499, 2]"'


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York"])
def test_numbers_and_times_fetched_as_text_read_as_their_python_values(tmp_path, zone):
    """The table fetches numbers and times as DuckDB's text (flows/cli/query.py _SAME_TEXT, _TIMESTAMPTZ):
    every cell must read exactly as the typed fetch printed it (str() of the value), NULLs and order kept."""
    import duckdb

    from flows.cli.output import cell
    from flows.cli.query import _as_text_sql

    con = duckdb.connect(str(tmp_path / "types.duckdb"))
    con.execute(f"SET TimeZone = '{zone}'")
    con.execute(
        "CREATE TABLE v AS SELECT * FROM (VALUES "
        "(1, 2::TINYINT, 3::HUGEINT, 0.1 + 0.2, 1e20::DOUBLE, 1234567.0::DOUBLE, 0.1::FLOAT, 1.50::DECIMAL(5,2),"
        " DATE '2026-01-02', TIMESTAMP '2026-01-02 03:04:05', TIMESTAMP '2026-01-02 03:04:05.5',"
        " TIMESTAMPTZ '2026-12-02 18:37:47.17267+00', TIMESTAMPTZ '2026-07-02 03:04:05+00', 'x', [1, 2]),"
        "(NULL, NULL, NULL, NULL, 'nan'::DOUBLE, '-inf'::DOUBLE, NULL, NULL, NULL, NULL, NULL, NULL,"
        " TIMESTAMPTZ '1999-01-01 00:00:00.000001+00', NULL, NULL)"
        ") t(i, ti, hi, dec, d, d2, f, dc, dt, ts, ts2, tz, tz2, s, l)"
    )
    sql = "SELECT i AS same, ti AS same, * FROM v ORDER BY i NULLS FIRST -- a trailing comment"
    typed = con.execute(sql).fetchall()
    types = [row[1] for row in con.execute(f"DESCRIBE\n{sql}\n").fetchall()]
    as_text = con.execute(_as_text_sql(sql, types)).fetchall()
    assert [[cell(v) for v in row] for row in as_text] == [[cell(v) for v in row] for row in typed]
    assert all(isinstance(v, str) for v in as_text[1][3:14] if v is not None)  # fetched as text, not converted


def test_table_query_falls_back_to_the_statement_as_typed(events_db):
    """A statement DESCRIBE cannot wrap still prints (and its errors read as before)."""
    out = io.StringIO()
    from flows.cli.query import run_table_query

    assert run_table_query(events_db, "SELECT 1 AS one UNION ALL SELECT 2", PlainConsole(out, 80)) == 2
    result = CliRunner().invoke(app, ["query", "SELECT nope FROM t", "--db", str(events_db)])
    assert result.exit_code != 0 and "nope" in result.output
