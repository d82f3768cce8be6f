"""Find a feed's real character encoding when its label lies, so text is not stored as mojibake.

A feed labelled UTF-8 that is really cp1251 (or UTF-8 labelled KOI8-R) decodes without error into
garbage and loses every event while the source shows `ok`. UTF-8 is self-checking: bytes with
non-ASCII that decode strictly as UTF-8 are UTF-8, and bytes that do not are not. When the label
and the bytes disagree, charset-normalizer names the real encoding; the body is re-encoded as UTF-8
(XML declaration rewritten) and the mismatch is reported as a note.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

XML_DECL = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])([^"']+)(["'])""", re.I)
CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.I)


@dataclass(frozen=True, slots=True)
class Decoded:
    """The body to parse, the content type to declare, and what was wrong (None when nothing)."""

    body: bytes
    content_type: str
    note: str | None = None


def _canonical(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str) -> str | None:
    """The label the server (Content-Type) or the document (XML declaration) gives, HTTP first."""
    found = CHARSET_PARAM.search(content_type or "")
    if found:
        return found.group(1)
    decl = XML_DECL.match(body[:300])
    return decl.group(2).decode("ascii", "replace") if decl else None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _guess(body: bytes) -> str | None:
    """The most likely non-UTF-8 encoding of `body` (charset-normalizer)."""
    best = from_bytes(body).best()
    return _canonical(best.encoding) if best is not None else None


def _as_utf8(body: bytes, encoding: str, content_type: str) -> tuple[bytes, str]:
    text = body.decode(encoding, errors="replace").encode("utf-8")
    text = XML_DECL.sub(rb"\g<1>utf-8\g<3>", text, count=1)
    media = (content_type or "").split(";")[0].strip() or "application/xml"
    return text, f"{media}; charset=utf-8"


def decode_plan(body: bytes, content_type: str) -> Decoded:
    """Keep a truthful label; replace a lying one (the body re-encoded as UTF-8) and say so."""
    label = declared_charset(body, content_type)
    declared = _canonical(label)
    if declared is None or body.isascii():
        return Decoded(body, content_type)
    utf8 = _is_utf8(body)
    if declared == "utf-8" and not utf8:
        real = _guess(body)
        if real and real != "utf-8":
            fixed, ctype = _as_utf8(body, real, content_type)
            return Decoded(
                fixed, ctype, f"charset mismatch: labelled {label} but the bytes are {real}; decoded as {real}"
            )
        return Decoded(body, content_type)
    if declared != "utf-8" and utf8:
        fixed, ctype = _as_utf8(body, "utf-8", content_type)
        return Decoded(fixed, ctype, f"charset mismatch: labelled {label} but the bytes are UTF-8; decoded as UTF-8")
    return Decoded(body, content_type)
