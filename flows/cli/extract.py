"""File and JSONL I/O around the pure extractor: the stable `treatywatch extract` contract."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from parsers.errors import InputError
from parsers.extract.engine import Extractor
from parsers.models import ExtractionInput


def read_text(path: Path, stdin: TextIO | None = None) -> str:
    """A UTF-8 text file, or standard input for "-"; InputError names the file and the bad byte."""
    if str(path) == "-":
        stream = stdin or sys.stdin
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
        where = "<stdin>"
    else:
        data, where = path.read_bytes(), str(path)
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            f"convert it first, e.g. iconv -f WINDOWS-1251 -t UTF-8"
        ) from None


def extract_file(extractor: Extractor, path: Path, stdin: TextIO | None = None) -> list[dict[str, Any]]:
    """Events of one UTF-8 text file ("-" = stdin); spans index into the file's text."""
    text = read_text(path, stdin)
    name = "<stdin>" if str(path) == "-" else str(path)
    return [e.to_json() for e in extractor.extract(ExtractionInput(text=text, id=name))]


def _published(value: Any, lineno: int) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"line {lineno}: bad 'published' {value!r}: use ISO 8601") from exc


def extract_jsonl(extractor: Extractor, path: Path, out: TextIO, stdin: BinaryIO | None = None) -> int:
    """One output line {"id","events"} per input line, in order (streamed); returns the line count."""
    where = "<stdin>" if str(path) == "-" else str(path)
    stream = (stdin or sys.stdin.buffer) if where == "<stdin>" else path.open("rb")
    n = 0
    with stream:
        for lineno, raw in enumerate(stream, 1):
            rec = _record(raw, where, lineno)
            if rec is None:
                continue
            doc = ExtractionInput(
                text=rec["text"],
                title=rec.get("title") or "",
                lang=rec.get("lang"),
                published=_published(rec.get("published"), lineno),
                id=str(rec["id"]),
            )
            events = [e.to_json() for e in extractor.extract(doc)]
            out.write(json.dumps({"id": rec["id"], "events": events}, ensure_ascii=False) + "\n")
            n += 1
    return n


def _record(raw: bytes, where: str, lineno: int) -> dict[str, Any] | None:
    """One JSONL line as a record with 'id' and 'text'; None for a blank line; InputError names the line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: line {lineno}: not UTF-8 (byte 0x{raw[exc.start]:02x})") from None
    if not line.strip():
        return None
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: line {lineno}: not JSON: {exc}") from None
    if not isinstance(rec, dict):
        raise InputError(f"{where}: line {lineno}: expected an object with 'id' and 'text'")
    missing = [k for k in ("id", "text") if rec.get(k) in (None, "")]
    if missing:
        raise InputError(
            f"{where}: line {lineno}: {' and '.join(repr(k) for k in missing)} missing; "
            f"every line needs 'id' and 'text'"
        )
    if not isinstance(rec["text"], str):
        raise InputError(f"{where}: line {lineno}: 'text' must be a string")
    return rec
