"""Read-only ad-hoc SQL over the DuckDB file, for analysts and scripts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import duckdb

from flows.cli.output import PlainConsole, print_table, write_csv, write_json
from flows.store import db
from flows.store.db import ReadOnlyQueryError
from parsers.errors import TreatywatchError

if TYPE_CHECKING:
    from rich.console import Console

# DuckDB's parser classifies (SHOW, DESCRIBE, SUMMARIZE, VALUES, FROM-first all parse as SELECT).
# EXPLAIN and PRAGMA are refused: EXPLAIN ANALYZE runs its statement (COPY ... TO included), and the
# parser does not say what it wraps; use `SELECT * FROM pragma_table_info('items')` instead of PRAGMA.
READ_ONLY_STATEMENTS = frozenset({"SELECT"})
FETCH_BATCH = 2048  # rows per fetchmany: DuckDB's vector size, few Python round trips, bounded memory

# Column types DuckDB casts to exactly the text str() gives their Python value (checked in
# tests/cli/test_query_table.py): the table fetches those as text, so no Python int, float, Decimal or
# datetime is built per cell only to be turned into a string (~40 % of a 6,000-row table's Python work).
_SAME_TEXT = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
    | {"UHUGEINT", "DOUBLE", "DATE"}
)
# Python prints a datetime with microseconds only when there are some, and an offset as +HH:MM
_STRFTIME = (
    "CASE WHEN microsecond({ref}) % 1000000 = 0 THEN strftime({ref}, '{whole}') ELSE strftime({ref}, '{frac}') END"
)
_TIMESTAMP = _STRFTIME.format(ref="{ref}", whole="%Y-%m-%d %H:%M:%S", frac="%Y-%m-%d %H:%M:%S.%f")
_TIMESTAMPTZ = (
    "regexp_replace("
    + _STRFTIME.format(ref="{ref}", whole="%Y-%m-%d %H:%M:%S%z", frac="%Y-%m-%d %H:%M:%S.%f%z")
    + r", '([+-][0-9][0-9])$', '\1:00')"
)


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """Exactly one SELECT, by DuckDB's own parser; returns it without a trailing semicolon.

    The sandboxed read-only connection (db.SANDBOX_CONFIG) is the second guard: even a SELECT
    cannot read files (read_text, glob, read_csv) or load extensions.
    """
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise TreatywatchError(f"cannot parse SQL: {exc}") from exc
    if not statements:
        raise TreatywatchError("no SQL statement given")
    if len(statements) > 1:
        raise ReadOnlyQueryError(f"`query` takes one statement, got {len(statements)}")
    kind = statements[0].type.name
    if kind not in READ_ONLY_STATEMENTS:
        raise ReadOnlyQueryError(f"`query` is read-only: {kind} statements are refused (only SELECT)")
    return sql.strip().rstrip(";").strip()


def run_sandboxed(
    con: duckdb.DuckDBPyConnection, sql: str, where: Path | str = "the database"
) -> duckdb.DuckDBPyConnection:
    """Execute on a sandboxed connection, turning DuckDB's refusals into our read-only error."""
    try:
        return con.execute(sql)
    except (duckdb.PermissionException, duckdb.InvalidInputException) as exc:
        raise ReadOnlyQueryError(
            f"`query` is read-only and cannot touch files or settings: {str(exc).splitlines()[0]}"
        ) from exc
    except duckdb.Error as exc:
        if problem := db.storage_problem(exc, where):
            raise db.StorageError(problem) from exc
        if "read-only" in str(exc).lower():
            raise ReadOnlyQueryError(f"`query` is read-only: {exc}") from exc
        raise TreatywatchError(f"query failed: {str(exc).splitlines()[0]}") from exc


def run_query(db_path: Path, sql: str, fmt: str, console: Console | PlainConsole, out: TextIO) -> int:
    """Print the result in `fmt`; returns the row count.

    Rows are streamed from DuckDB in batches while they are written, so a large CSV or JSON result
    never sits in memory whole (the table needs every row's text to size its columns)."""
    if fmt not in ("json", "csv"):
        return run_table_query(db_path, sql, console)
    with db.connect(db_path, read_only=True, config=db.SANDBOX_CONFIG) as con:
        cur = run_sandboxed(con, check_read_only(con, sql), db_path)
        names = [d[0] for d in cur.description or []]
        if fmt == "json":
            return write_json(names, _batches(cur), out)
        return write_csv(names, _batches(cur), out)


def run_table_query(db_path: Path, sql: str, console: Console | PlainConsole) -> int:
    """The table: every row at once (columns are sized from all of them), numbers and times fetched as
    the text the table shows (see _SAME_TEXT); anything the rewrite cannot handle runs as typed."""
    with db.connect(db_path, read_only=True, config=db.SANDBOX_CONFIG) as con:
        checked = check_read_only(con, sql)
        try:
            described = con.execute(f"DESCRIBE\n{checked}\n").fetchall()
            cur = con.execute(_as_text_sql(checked, [row[1] for row in described]))
            names = [row[0] for row in described]
        except duckdb.Error:  # the original statement gives the error (or the result) a person expects
            cur = run_sandboxed(con, checked, db_path)
            names = [d[0] for d in cur.description or []]
        return print_table(names, cur.fetchall(), console)


def _as_text_sql(sql: str, types: list[str]) -> str:
    """`sql` wrapped so the columns of _SAME_TEXT and timestamp types come back as text (by position:
    names may repeat); the newlines end a trailing -- comment."""
    columns = []
    for n, kind in enumerate(types, 1):
        ref = f"#{n}"
        if kind in _SAME_TEXT or kind.startswith("DECIMAL"):
            columns.append(f"CAST({ref} AS VARCHAR)")
        elif kind == "FLOAT":  # Python holds it as a double: 0.1::FLOAT reads 0.10000000149011612
            columns.append(f"CAST(CAST({ref} AS DOUBLE) AS VARCHAR)")
        elif kind == "TIMESTAMP WITH TIME ZONE":
            columns.append(_TIMESTAMPTZ.format(ref=ref))
        elif kind == "TIMESTAMP":
            columns.append(_TIMESTAMP.format(ref=ref))
        else:
            columns.append(ref)
    return f"SELECT {', '.join(columns)} FROM (\n{sql}\n)"


def _batches(cur: duckdb.DuckDBPyConnection, size: int = FETCH_BATCH) -> Iterator[tuple[Any, ...]]:
    while batch := cur.fetchmany(size):
        yield from batch
