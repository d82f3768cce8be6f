"""Event attributes read from the evidence: domain, stage, officials and dates."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from itertools import compress, count
from operator import itemgetter

from parsers.extract.cues import Sentence
from parsers.models import Official

DOMAINS = ("military", "defense", "security", "economic")
STAGE_ORDER = ("announced", "authorized", "signed", "ratified", "in_force")


def domain_of(sent: Sentence, start: int, end: int, title: Sentence | None) -> str:
    """The domain cue nearest to the trigger; else any in the sentence or title; else "other"."""
    best: tuple[int, str] | None = None
    for dom in DOMAINS:
        for hit in sent.by_tag.get("domain_" + dom, ()):
            dist = start - hit.end if hit.start < start else hit.start - end
            if best is None or dist < best[0]:
                best = (dist, dom)
    if best is not None and best[0] <= 12:
        return best[1]
    if title is not None and title is not sent:
        for dom in DOMAINS:
            if title.by_tag.get("domain_" + dom):
                return dom
    return best[1] if best else "other"


def stage_of(sent: Sentence, start: int, etype: str, rule_stage: str | None) -> str:
    """authorized / ratified / in_force from cues; signed for signings; else announced."""
    family = "partnership" if etype.startswith("partnership") else "termination"
    if rule_stage:
        return rule_stage
    if sent.has("in_force", 0, len(sent.tokens)):
        return "in_force"
    if family == "partnership" and sent.has("ratify", 0, len(sent.tokens)):
        return "ratified"
    if sent.has("authorize", max(0, start - 14), start):
        return "authorized"
    return "signed" if etype == "partnership_signed" else "announced"


def max_stage(a: str, b: str) -> str:
    return a if STAGE_ORDER.index(a) >= STAGE_ORDER.index(b) else b


def officials(sent: Sentence, raw: str) -> list[Official]:
    """ "Deputy Defense Minister Alexander Fomin", "India's ... Ambassador Vinai Kumar", "Путин"."""
    toks = sent.tokens
    out: list[Official] = []
    for hit in sent.by_tag.get("role", ()):
        j = hit.end
        while j < len(toks) and toks[j].is_word and not raw[toks[j].start].isupper() and j - hit.end < 3:
            j += 1  # Russian genitive tails: "председатель правительства"
        k = j
        while (
            k < len(toks)
            and k - j < 3
            and toks[k].is_word
            and raw[toks[k].start].isupper()
            and not any(m.start <= k < m.end and m.kind != "leader" for m in sent.mentions)
        ):
            k += 1
        if k - j < 1 or (k - j < 2 and not any(m.start == j and m.kind == "leader" for m in sent.mentions)):
            continue
        i = hit.start
        while (
            i > 0
            and toks[i - 1].is_word
            and (raw[toks[i - 1].start].isupper() or toks[i - 1].text in sent.vocab.title_join)
            and not any(m.end == i for m in sent.mentions)
        ):
            i -= 1
        if toks[i].text in sent.vocab.title_join:
            i += 1
        country = next(
            (
                m.codes[0]
                for m in sent.mentions
                if m.is_state
                and m.kind != "leader"
                and (m.end == i or (m.end + 2 == i and toks[m.end].text == "'") or i <= m.start < j)
            ),
            None,
        )
        if country is None:
            country = next((m.codes[0] for m in sent.mentions if m.kind == "leader" and m.start == j), None)
        name = raw[toks[j].start : toks[k - 1].end]
        role = raw[toks[i].start : toks[j - 1].end]
        if name and all(o.name != name for o in out):
            out.append(Official(name=name, role=role, country=country))
    return out


def dates_of(
    sent: Sentence, raw: str, months: dict[str, int], published: datetime | None, lang: str
) -> list[tuple[date, str]]:
    """Month (and day, year) mentions resolved against `published`; (date, precision)."""
    toks, out = sent.tokens, []
    # only month words need the Python loop; they are picked in C (map/compress)
    for i in compress(count(), map(months.__contains__, map(itemgetter(0), toks))):
        tok = toks[i]
        month = months.get(tok.text)
        if not month or (lang == "en" and not raw[tok.start].isupper()):
            continue
        day = next(
            (
                int(toks[k].text)
                for k in (i - 1, i + 1)
                if 0 <= k < len(toks) and toks[k].text.isdigit() and 1 <= int(toks[k].text) <= 31
            ),
            None,
        )
        year = next(
            (
                int(toks[k].text)
                for k in range(i + 1, min(i + 4, len(toks)))
                if toks[k].text.isdigit() and len(toks[k].text) == 4
            ),
            None,
        )
        if year is None:
            if published is None:
                continue
            year = published.year if month <= published.month else published.year - 1
        if day is not None and day > calendar.monthrange(year, month)[1]:
            day = None
        out.append((date(year, month, day or 1), "day" if day else "month"))
    # "in 2019" / «в 2019 году» with no month: a year-precision date
    for i, year in sent.years():
        if (
            i > 0
            and toks[i - 1].text in sent.vocab.year_only_preposition
            and all(d.year != year for d, _ in out)
            and not (i >= 2 and toks[i - 2].text in months)
        ):
            out.append((date(year, 1, 1), "year"))
    return out
