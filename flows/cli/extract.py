"""File and JSONL I/O around the pure extractor: the stable `treatywatch extract` contract."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from parsers.errors import TreatywatchError
from parsers.extract.engine import Extractor
from parsers.models import ExtractionInput


def extract_file(extractor: Extractor, path: Path) -> list[dict[str, Any]]:
    """Events of one UTF-8 text file; spans index into the file's text."""
    text = path.read_text(encoding="utf-8")
    return [e.to_json() for e in extractor.extract(ExtractionInput(text=text, id=str(path)))]


def _published(value: Any, lineno: int) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise TreatywatchError(f"line {lineno}: bad 'published' {value!r}: use ISO 8601") from exc


def extract_jsonl(extractor: Extractor, path: Path, out: TextIO) -> int:
    """One output line {"id","events"} per input line, in order; returns the line count."""
    stream = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    n = 0
    with stream:
        for lineno, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TreatywatchError(f"line {lineno}: not JSON: {exc}") from exc
            if not isinstance(rec, dict) or "text" not in rec:
                raise TreatywatchError(f"line {lineno}: expected an object with 'id' and 'text'")
            doc = ExtractionInput(text=rec["text"], title=rec.get("title") or "", lang=rec.get("lang"),
                                  published=_published(rec.get("published"), lineno), id=str(rec.get("id", lineno)))
            events = [e.to_json() for e in extractor.extract(doc)]
            out.write(json.dumps({"id": rec.get("id", lineno), "events": events}, ensure_ascii=False) + "\n")
            n += 1
    return n
