"""Where an evidence sentence names its trigger and its parties, found by the same rules that extracted it.

The report highlights these spans; using the extractor's own matcher and gazetteer keeps the
highlight honest (what is marked is what the rules saw), with no second list of words to drift.
"""

from __future__ import annotations

from typing import NamedTuple

from parsers.extract.cues import analyse
from parsers.extract.engine import Extractor
from parsers.extract.lang import detect_lang
from parsers.extract.text import fold


class Mark(NamedTuple):
    """A character range of the evidence: `trigger` (an event word) or `party` (a state or body name)."""

    start: int
    end: int
    kind: str


def marks(extractor: Extractor, evidence: str, lang: str | None = None) -> list[Mark]:
    """Non-overlapping trigger and party spans of one sentence, in text order."""
    lang = lang or detect_lang(evidence)
    matcher = extractor.rules.matchers.get(lang)
    if matcher is None or not evidence.strip():
        return []
    sent = analyse(evidence, fold(evidence), (0, len(evidence)), 0, matcher, extractor.gazetteer, False)
    toks = sent.tokens
    found = [Mark(toks[h.start].start, toks[h.end - 1].end, "trigger") for h in sent.triggers if h.end > h.start]
    found += [Mark(toks[m.start].start, toks[m.end - 1].end, "party") for m in sent.mentions if m.end > m.start]
    out: list[Mark] = []
    for m in sorted(found):
        if out and m.start < out[-1].end:
            continue  # overlapping: the earlier (or longer, same start) span wins
        out.append(m)
    return out
