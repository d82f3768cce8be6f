"""Read-only ad-hoc SQL over the DuckDB file, for analysts and scripts."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import duckdb
from rich.console import Console

from flows.cli.output import print_table, write_csv, write_json
from flows.store import db
from flows.store.db import ReadOnlyQueryError
from parsers.errors import TreatywatchError

READ_ONLY_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA"}


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but reads before running it (the read-only connection is the second guard)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise TreatywatchError(f"cannot parse SQL: {exc}") from exc
    if not statements:
        raise TreatywatchError("no SQL statement given")
    for st in statements:
        kind = st.type.name
        if kind not in READ_ONLY_STATEMENTS:
            raise ReadOnlyQueryError(f"`query` is read-only: {kind} statements are refused")


def run_query(db_path: Path, sql: str, fmt: str, console: Console, out: TextIO) -> int:
    """Print the result in `fmt`; returns the row count."""
    with db.connect(db_path, read_only=True) as con:
        check_read_only(con, sql)
        try:
            cur = con.execute(sql)
        except duckdb.Error as exc:
            if "read-only" in str(exc).lower():
                raise ReadOnlyQueryError(f"`query` is read-only: {exc}") from exc
            raise TreatywatchError(f"query failed: {exc}") from exc
        names = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    if fmt == "json":
        write_json(names, rows, out)
    elif fmt == "csv":
        write_csv(names, rows, out)
    else:
        print_table(names, rows, console)
    return len(rows)
