"""Query results printed verbatim: cell text is never read as markup or emoji codes.

The table is laid out here, not by Rich: widths are measured once per column and every row becomes
one line of text, so thousands of rows print about as fast as DuckDB returns them (Rich's Table
measured and wrapped every cell on its own, ~0.5 ms per row). Rich only styles the header and the
row count. Wide results stay usable: a few rows that do not fit the terminal print as one record per
block (`name  value` lines, like psql's expanded mode); more rows print as a table whose every column
keeps a legible minimum width and cuts long values with "…".

Cell text is shown as it is, except what a table cell cannot hold: a newline starts a new line in
the cell, a tab becomes spaces, and other control characters (escape sequences from a feed could
drive the terminal) are shown as "\ufffd".
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from rich.cells import cell_len, set_cell_size

if TYPE_CHECKING:
    from rich.console import Console

VERTICAL_MAX_ROWS = 5  # at most this many rows that do not fit print one record per block
MIN_COLUMN = 10  # columns are never squeezed below this many characters (or their header)
ELLIPSIS = "…"
TAB_SIZE = 8

# Rich's box.HEAVY_HEAD, the look the table had when Rich drew it: (left, rule, joint, right).
_TOP = ("┏", "━", "┳", "┓")
_HEAD_SEP = ("┡", "━", "╇", "┩")
_BOTTOM = ("└", "─", "┴", "┘")
_HEAD_BAR, _BAR = "┃", "│"

# Control characters a terminal would act on; Rich drops BEL, BS, VT, FF and CR, so do we.
_DROPPED = frozenset((0x07, 0x08, 0x0B, 0x0C, 0x0D))
_CONTROLS: dict[int, str | None] = {
    c: None if c in _DROPPED else "\ufffd" for c in (*range(0x20), *range(0x7F, 0xA0)) if c not in (0x09, 0x0A)
}


class PlainConsole:
    """The part of a Rich Console the table needs, for output nothing will style (a pipe or a file).

    Rich draws no styles there anyway; not importing its console saves ~35 ms of every `query`,
    which is most of what a piped result costs beyond DuckDB itself."""

    def __init__(self, file: TextIO, width: int | None = None) -> None:
        self.file = file
        self.width = width or _columns_from_env()

    def line(self, text: str, style: str | None = None) -> None:
        self.file.write(text + "\n")

    def rich(self) -> Console:
        """A Rich Console on the same file and width, for the few lines that need its folding."""
        from rich.console import Console

        return Console(file=self.file, width=self.width)


def _columns_from_env() -> int:
    """The width Rich gives a console that is not a terminal: $COLUMNS when it is a number, else 80."""
    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 80


def plain_output(file: TextIO) -> bool:
    """True when Rich would print `file` without styles: not a terminal, and colour not forced."""
    forced = any(os.environ.get(k) for k in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"))
    return not forced and not file.isatty()


def _emit(console: Console | PlainConsole, text: str, style: str | None = None) -> None:
    """One line, styled when the console is Rich's (cell text is never read as markup)."""
    if isinstance(console, PlainConsole):
        console.line(text)
        return
    from rich.text import Text

    console.print(Text(text, style=style or ""), soft_wrap=True)


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


def write_json(names: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO) -> int:
    """One JSON object per line; returns the row count (rows may be a stream)."""
    count = 0
    for row in rows:
        out.write(json.dumps(dict(zip(names, map(jsonable, row), strict=False)), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(names: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO) -> int:
    """RFC 4180 quoting with "\\n" line endings (what Unix tools expect); returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    count = 0
    for row in rows:
        writer.writerow([cell(v) if isinstance(v, (list, tuple, dict)) else v for v in row])
        count += 1
    return count


def print_table(names: Sequence[str], rows: Iterable[Sequence[Any]], console: Console | PlainConsole) -> int:
    """A table, or one block per record when a few rows would not fit; then the row count.

    Returns the row count; rows may be a stream. The work is done a column at a time (one type
    check, one width, one padding pass per column), which is what makes large results cheap."""
    by_column = list(zip(*rows, strict=True)) or [() for _ in names]  # no rows: the header alone
    columns = [_Column(name, values) for name, values in zip(names, by_column, strict=True)]
    count = len(columns[0].texts) if columns else 0
    natural = [c.width for c in columns]
    too_wide = _table_width(natural) > console.width
    if count and count <= VERTICAL_MAX_ROWS and too_wide:
        _print_vertical(names, [list(r) for r in zip(*(c.texts for c in columns), strict=True)], console)
    elif columns:
        widths = _fit(names, natural, console.width) if too_wide else natural
        _print_grid(columns, widths, console)
    _emit(console, f"{count} row(s)", "dim")
    return count


class _Column:
    """One result column as printable text, with each cell's width on a terminal and the widest."""

    def __init__(self, name: str, values: Sequence[Any]) -> None:
        kinds = set(map(type, values))
        if kinds <= {str}:
            texts = list(values)
        elif kinds <= {str, type(None)}:
            texts = ["" if v is None else v for v in values]
        else:
            texts = [cell(v) for v in values]
        joined = "".join(texts)
        if not joined.isprintable():
            texts = [_printable(t) for t in texts]
            joined = "".join(texts)
        self.name, self.texts = name, texts
        self.multiline = "\n" in joined
        self.cells: list[int] | None = None if joined.isascii() and not self.multiline else list(map(_width, texts))
        widest = max(self.cells) if self.cells else max(map(len, texts), default=0)
        self.width = max(cell_len(name), widest)

    def fitted(self, width: int) -> list[str]:
        """Every cell padded to `width` cells or cut to it with an ellipsis (multi-line cells stay whole)."""
        if self.cells is None:
            cut = width - 1
            return [t.ljust(width) if len(t) <= width else t[:cut] + ELLIPSIS for t in self.texts]
        cut = width - 1
        return [
            t
            if self.multiline and "\n" in t
            else t + " " * (width - w)
            if w <= width
            else t[:cut] + ELLIPSIS
            if w == len(t)  # every character one cell wide (Cyrillic, accents)
            else _cut(t, width)
            for t, w in zip(self.texts, self.cells, strict=True)
        ]


def _printable(text: str) -> str:
    if text.isprintable():
        return text
    text = text.translate(_CONTROLS)
    return text.expandtabs(TAB_SIZE) if "\t" in text else text


def _width(text: str) -> int:
    """Cells the text takes on a terminal; a cell with newlines is as wide as its widest line."""
    if "\n" in text:
        return max(cell_len(line) for line in text.split("\n"))
    return len(text) if text.isascii() else cell_len(text)


def _table_width(widths: Sequence[int]) -> int:
    """Columns plus one space of padding on each side and a bar between and around them."""
    return sum(widths) + 3 * len(widths) + 1


def _fit(names: Sequence[str], natural: Sequence[int], total: int) -> list[int]:
    """Column widths for a table `total` cells wide: the widest columns are cut first, none below its
    legible minimum (a table whose minimums do not fit is wider than the terminal, never illegible)."""
    room = total - _table_width([0] * len(natural))
    floors = [min(w, max(cell_len(n), MIN_COLUMN)) for n, w in zip(names, natural, strict=True)]
    if sum(floors) >= room:
        return floors

    def capped(cap: int) -> list[int]:
        return [min(w, max(f, cap)) for w, f in zip(natural, floors, strict=True)]

    low, high = 0, max(natural)  # the largest cap that fits: capped(low) fits, capped(high) does not
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if sum(capped(mid)) <= room else (low, mid)
    widths = capped(low)
    spare = room - sum(widths)
    for i, (w, n) in enumerate(zip(widths, natural, strict=True)):
        if spare and w < n:
            widths[i], spare = w + 1, spare - 1
    return widths


def _rule(parts: tuple[str, str, str, str], widths: Sequence[int]) -> str:
    left, line, joint, right = parts
    return left + joint.join(line * (w + 2) for w in widths) + right


def _fitted(text: str, width: int) -> str:
    """The text padded to `width` cells, or cut to it with an ellipsis."""
    return set_cell_size(text, width) if cell_len(text) <= width else _cut(text, width)


def _cut(text: str, width: int) -> str:
    """Text known to be wider than `width` cells, cut to fit with an ellipsis."""
    return set_cell_size(text, width - 1) + ELLIPSIS


def _multiline(cells: Sequence[str], widths: Sequence[int]) -> str:
    """One row whose cells hold newlines: as many lines as its tallest cell, each cell fitted per line."""
    split = [c.split("\n") for c in cells]
    height = max(len(s) for s in split)
    return "".join(
        _line([_fitted(s[k] if k < len(s) else "", w) for s, w in zip(split, widths, strict=True)])
        for k in range(height)
    )


def _line(cells: Sequence[str]) -> str:
    return f"{_BAR} " + f" {_BAR} ".join(cells) + f" {_BAR}\n"


def _print_grid(columns: Sequence[_Column], widths: Sequence[int], console: Console | PlainConsole) -> None:
    """Header through Rich (bold names where the terminal shows it), the rows as one plain write."""
    names = [_fitted(column.name, width) for column, width in zip(columns, widths, strict=True)]
    _emit(console, _rule(_TOP, widths))
    if isinstance(console, PlainConsole):
        console.line(f"{_HEAD_BAR} " + f" {_HEAD_BAR} ".join(names) + f" {_HEAD_BAR}")
    else:
        from rich.text import Text

        header = Text(_HEAD_BAR + " ")
        for i, name in enumerate(names):
            if i:
                header.append(f" {_HEAD_BAR} ")
            header.append(name, style="bold")
        header.append(f" {_HEAD_BAR}")
        console.print(header, soft_wrap=True)
    _emit(console, _rule(_HEAD_SEP, widths))
    fitted = zip(*(c.fitted(w) for c, w in zip(columns, widths, strict=True)), strict=True)
    if any(c.multiline for c in columns):
        body = "".join(_multiline(row, widths) if any("\n" in c for c in row) else _line(row) for row in fitted)
    else:
        body = "".join(map(_line, fitted))
    console.file.write(body + _rule(_BOTTOM, widths) + "\n")
    console.file.flush()


def _print_vertical(names: Sequence[str], texts: Sequence[Sequence[str]], console: Console | PlainConsole) -> None:
    """A few records (at most VERTICAL_MAX_ROWS), so Rich folds the long values even on a pipe."""
    if isinstance(console, PlainConsole):
        console = console.rich()
    width = max(len(n) for n in names)
    for index, row in enumerate(texts, 1):
        _emit(console, f"-[ record {index} ]" + "-" * max(0, min(console.width, 60) - 14 - len(str(index))), "dim")
        for name, value in zip(names, row, strict=False):
            from rich.text import Text

            line = Text(f"{name:<{width}} | ", style="bold")
            line.append(value)
            console.print(line, overflow="fold")
