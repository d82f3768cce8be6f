"""Language of a text by script, cheap enough to run on every item."""

from __future__ import annotations

import string

_LATIN = string.ascii_letters.encode("ascii")
_SAMPLE = 4000


def detect_lang(text: str, default: str = "en") -> str:
    """Return "ru" when Cyrillic letters outnumber Latin ones, else "en" (or `default` with no letters).

    Counted on the UTF-8 bytes of the first 4,000 characters, in C: every Cyrillic letter of the
    basic block (U+0400-U+047F, Russian а-я, ё and the rest) encodes with lead byte 0xD0 or 0xD1,
    every Latin letter is one ASCII byte. A Python loop over the characters cost a quarter of
    the extraction time of a 4 KB article.
    """
    raw = text[:_SAMPLE].encode("utf-8", "surrogatepass")
    lat = len(raw) - len(raw.translate(None, _LATIN))
    cyr = raw.count(b"\xd0") + raw.count(b"\xd1") if not raw.isascii() else 0
    if cyr == lat == 0:
        return default
    return "ru" if cyr > lat else "en"
