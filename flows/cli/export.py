"""`treatywatch export`: a table, view or SELECT to a CSV, Parquet or JSON file named on the command line.

`query` cannot write files (its connection has no file access at all), so analysts get files out
this way: the user's SQL is validated as ONE SELECT by DuckDB's parser, and the COPY that writes is
composed by this module on a sandboxed connection whose only reachable path is the output file.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from flows.cli.query import check_read_only, run_sandboxed
from flows.store import db
from parsers.errors import TreatywatchError

FORMATS = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet", "json": "FORMAT json"}
SUFFIXES = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_of(path: Path, fmt: str | None) -> str:
    """The output format: given, or from the file's suffix."""
    chosen = fmt or SUFFIXES.get(path.suffix.lower())
    if chosen not in FORMATS:
        raise TreatywatchError(f"cannot tell the format of {path}: use --format csv, parquet or json")
    return chosen


def _relation_sql(con: duckdb.DuckDBPyConnection, what: str) -> str | None:
    """`SELECT * FROM "name"` when `what` names a table or view of the database, else None."""
    if not NAME.match(what):
        return None
    found = con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = $1 UNION ALL "
        "SELECT 1 FROM duckdb_views() WHERE view_name = $1 AND NOT internal",
        [what],
    ).fetchall()
    return f'SELECT * FROM "{what}"' if found else None


def export(db_path: Path, what: str, to: Path, fmt: str | None = None, *, overwrite: bool = False) -> int:
    """Write `what` (table, view or SELECT) to `to`; returns the number of rows written."""
    kind = format_of(to, fmt)
    out = to.expanduser().resolve()
    if not out.parent.is_dir():
        raise TreatywatchError(f"cannot write {to}: directory {out.parent} does not exist")
    if out.exists() and not overwrite:
        raise TreatywatchError(f"{to} exists; pass --force to overwrite it")
    with db.connect(
        db_path,
        read_only=True,
        config={
            k: v
            for k, v in db.SANDBOX_CONFIG.items()
            if k in ("autoinstall_known_extensions", "autoload_known_extensions")
        },
    ) as con:
        # the one file this connection may touch, and the tmp_ file DuckDB writes first when replacing it
        con.execute("SET allowed_paths = $1", [[str(out), str(out.with_name(f"tmp_{out.name}"))]])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        sql = _relation_sql(con, what) or check_read_only(con, what)
        quoted = str(out).replace("'", "''")
        copy = f"COPY (\n{sql}\n) TO '{quoted}' ({FORMATS[kind]})"  # newlines end any trailing -- comment
        statements = con.extract_statements(copy)
        if len(statements) != 1 or statements[0].type.name != "COPY":
            raise TreatywatchError("the SELECT could not be wrapped for export; simplify it")
        row = run_sandboxed(con, copy, db_path).fetchone()
    return int(row[0]) if row else 0
