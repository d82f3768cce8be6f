"""Query results printed verbatim: Rich lays them out but never reads cell text as markup or emoji codes.

Wide results stay usable: a few rows that do not fit the terminal print as one record per block
(`name  value` lines, like psql's expanded mode); more rows print as a table whose every column keeps
a legible minimum width and cuts long values with "…".
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

VERTICAL_MAX_ROWS = 5  # at most this many rows that do not fit print one record per block
MIN_COLUMN = 10  # columns are never squeezed below this many characters (or their header)


def jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def cell(value: Any) -> str:
    """A value as one line of text: lists and maps as JSON, None as empty."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(jsonable(value), ensure_ascii=False)
    return str(value)


def write_json(names: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    for row in rows:
        out.write(json.dumps(dict(zip(names, map(jsonable, row), strict=False)), ensure_ascii=False) + "\n")


def write_csv(names: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    """RFC 4180 quoting with "\\n" line endings (what Unix tools expect)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([[cell(v) if isinstance(v, (list, tuple, dict)) else v for v in r] for r in rows])


def print_table(names: Sequence[str], rows: Sequence[Sequence[Any]], console: Console) -> None:
    """A table, or one block per record when a few rows would not fit; then the row count."""
    table = _table(names, rows)
    natural = _natural_width(names, rows)
    if rows and len(rows) <= VERTICAL_MAX_ROWS and natural > console.width:
        _print_vertical(names, rows, console)
    else:
        if natural > console.width:
            for col, name in zip(table.columns, names, strict=False):
                col.no_wrap, col.overflow, col.min_width = True, "ellipsis", max(len(name), MIN_COLUMN)
        console.print(table)
    console.print(Text(f"{len(rows)} row(s)", style="dim"))


def _natural_width(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Width of the table with no cell cut or wrapped: widest cell per column plus the borders."""
    widths = [max([len(n)] + [len(cell(r[i])) for r in rows]) for i, n in enumerate(names)]
    return sum(widths) + 3 * len(widths) + 1


def _table(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    table = Table(show_lines=False)
    for name in names:
        table.add_column(Text(name, style="bold"))
    for row in rows:
        table.add_row(*(Text(cell(v)) for v in row))
    return table


def _print_vertical(names: Sequence[str], rows: Sequence[Sequence[Any]], console: Console) -> None:
    width = max(len(n) for n in names)
    for index, row in enumerate(rows, 1):
        console.print(
            Text(f"-[ record {index} ]" + "-" * max(0, min(console.width, 60) - 14 - len(str(index))), style="dim")
        )
        for name, value in zip(names, row, strict=False):
            line = Text(f"{name:<{width}} | ", style="bold")
            line.append(cell(value))
            console.print(line, overflow="fold")
