"""Language of a text by script, cheap enough to run on every item."""

from __future__ import annotations


def detect_lang(text: str, default: str = "en") -> str:
    """Return "ru" when Cyrillic letters outnumber Latin ones, else "en" (or `default` with no letters)."""
    cyr = lat = 0
    for ch in text[:4000]:
        if "а" <= ch <= "я" or "А" <= ch <= "Я" or ch in "ёЁ":
            cyr += 1
        elif "a" <= ch <= "z" or "A" <= ch <= "Z":
            lat += 1
    if cyr == lat == 0:
        return default
    return "ru" if cyr > lat else "en"
