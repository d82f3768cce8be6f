"""Which instrument an event is about: a registry body near the trigger, else the agreement as written.

A registry mention (the CFE Treaty, ECOWAS, New START) gives the id and the kind; otherwise the
nearest instrument noun ("agreement", «соглашение») is widened to the phrase that names it: its
modifiers on the left ("the 1994 defence cooperation agreement"), a topic on the right
("agreement on military cooperation", «Соглашение о военном сотрудничестве»), or the whole
quotation it stands in. Pure: everything comes from the analysed sentences.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parsers.extract.candidates import Candidate
from parsers.extract.cues import Sentence
from parsers.extract.registry import Body, Registry
from parsers.models import Instrument

BEFORE, AFTER = 6, 12  # token window around the trigger where the instrument is looked for
LEFT_MAX, RIGHT_MAX, QUOTE_MAX = 6, 18, 30
_OPEN, _CLOSE = frozenset({"«", '"', "“", "„"}), frozenset({"»", '"', "”", "“"})
_JOINERS = frozenset({"-", "–", "—", "/", "."})


@dataclass(frozen=True, slots=True)
class Found:
    """The instrument of one event, and the registry body when it is a known one."""

    instrument: Instrument
    body: Body | None = None
    # registry bodies coordinated with this one ("left the CFE and the Open Skies treaties"): one event each
    also: tuple[Found, ...] = ()


def find_instrument(
    cands: Sequence[Candidate],
    registry: Registry,
    raw: str,
    family: str,
    etype: str,
    actor: str,
    parties: set[str],
    earlier: Iterable[Sentence] = (),
) -> Found:
    """The registry body nearest a trigger in the event's sentences, else the agreement phrase there.

    `earlier`: sentences before the evidence, nearest first (lazily analysed), where the body that "the
    treaty" refers back to may be named (looked at only for an exit or suspension with no other state).
    """
    best: tuple[int, int, Candidate, int, int, Body] | None = None
    # no state named beside the actor: the body may sit anywhere in the sentence ("X, based in Y, said Z left
    # the bloc"), even as a scope ("30 CIS agreements"), or in an earlier sentence ("... leave the treaty")
    # (not for a plain termination: "Moscow ended the agreement, NATO said" is no exit from NATO)
    anywhere = family == "termination" and etype != "termination" and not {p for p in parties if _is_state(p)} - {actor}
    for rank, c in enumerate(cands):
        for dist, m_start, m_end, body in _registry_hits(c, registry, parties, anywhere):
            key = (rank, dist)
            if best is None or key < best[:2]:
                best = (rank, dist, c, m_start, m_end, body)
    if best is not None:
        _, _, c, start, end, body = best
        toks = c.sent.tokens
        also = tuple(_coordinated(c.sent, start, end, body, registry, raw))
        return Found(_as_written(c.sent, start, end, body, raw), body, also)
    if anywhere:
        for sent in earlier:
            for m in sent.mentions:
                body = registry.for_alias(m.label) if m.kind in ("body", "org") else None
                if body is not None:
                    return Found(
                        Instrument(
                            raw[sent.tokens[m.start].start : sent.tokens[m.end - 1].end], body.id, body.instrument_kind
                        ),
                        body,
                    )
    for c in cands:
        span = _phrase(c.sent, c.trigger)
        if span is not None:
            toks = c.sent.tokens
            return Found(
                Instrument(raw[toks[span[0]].start : toks[span[1] - 1].end], None, _kind(family, etype, parties))
            )
    return Found(Instrument("", None, _kind(family, etype, parties)))


def _as_written(sent: Sentence, start: int, end: int, body: Body, raw: str) -> Instrument:
    toks = sent.tokens
    if start > 0 and toks[start - 1].text in ("the", "its", "their"):
        start -= 1  # "the Treaty on Open Skies", as written
    return Instrument(raw[toks[start].start : toks[end - 1].end], body.id, body.instrument_kind)


def _coordinated(sent: Sentence, start: int, end: int, body: Body, registry: Registry, raw: str) -> list[Found]:
    """Other multilateral registry bodies joined to the chosen one by commas and "and" (each a separate exit)."""
    if body.kind == "bilateral treaty":
        return []
    out: list[Found] = []
    codes = {body.code}
    mentions = sorted(sent.mentions, key=lambda m: m.start)
    for side in (1, -1):
        lo, hi = start, end
        for m in mentions if side == 1 else reversed(mentions):
            gap = range(hi, m.start) if side == 1 else range(m.end, lo)
            if (side == 1 and m.start < hi) or (side == -1 and m.end > lo):
                continue
            other = registry.for_alias(m.label) if m.kind in ("body", "org") else None
            if (
                other is None
                or len(gap) > 5
                or not all(sent.tokens[i].text == "," or sent.tokens[i].text in sent.vocab.instrument_join for i in gap)
                or not any((sent.tokens[i].text == "," or sent.tokens[i].text in sent.vocab.coordinator) for i in gap)
            ):
                break
            if other.kind != "bilateral treaty" and other.code not in codes:
                codes.add(other.code)
                out.append(Found(_as_written(sent, m.start, m.end, other, raw), other))
            lo, hi = min(lo, m.start), max(hi, m.end)
    return out


def _is_state(code: str) -> bool:
    return len(code) == 2 and code.isupper() and code != "EU"


def _kind(family: str, etype: str, parties: set[str]) -> str:
    """No registry body: leaving or suspending with no state named is multilateral, the rest bilateral."""
    states = {p for p in parties if _is_state(p)}
    return "multilateral" if family == "termination" and etype != "termination" and len(states) < 2 else "bilateral"


def _registry_hits(
    c: Candidate, registry: Registry, parties: set[str], anywhere: bool = False
) -> list[tuple[int, int, int, Body]]:
    """(distance, start, end, body) of registry mentions around the trigger that the event is about."""
    lo, hi = (0, len(c.sent.tokens)) if anywhere else (c.trigger[0] - BEFORE, c.trigger[1] + AFTER)
    out = []
    for m in c.sent.mentions:
        if m.kind not in ("body", "org", "multi") or not lo <= m.start < hi:
            continue
        body = registry.for_alias(m.label)
        if body is None:
            continue
        if m.kind == "org" and not anywhere and (set(m.codes) & c.descriptors or body.code not in parties):
            continue  # "ten EU countries": a scope, not the instrument
        if m.kind == "multi" and not set(body.parties) & parties:
            continue
        after = m.start >= c.trigger[1]
        if (
            after
            and not anywhere
            and any(
                c.trigger[1] <= h.start < m.start and not _in_mention(c.sent, h.start)
                for h in c.sent.by_tag.get("instrument_head", ())
            )
        ):
            continue  # "ended its agreement with Norway under the Barents Council": the agreement is it
        dist = m.start - c.trigger[1] if after else c.trigger[0] - m.end + 3  # the object side first
        out.append((dist, m.start, m.end, body))
    return out


def _phrase(sent: Sentence, trigger: tuple[int, int]) -> tuple[int, int] | None:
    """Token span of the instrument phrase around the instrument noun nearest the trigger."""
    heads = [
        h
        for h in sent.by_tag.get("instrument_head", ())
        if trigger[0] - BEFORE <= h.start < trigger[1] + AFTER and not _in_mention(sent, h.start)
    ]
    if not heads:
        return None
    head = min(heads, key=lambda h: h.start - trigger[1] if h.start >= trigger[1] else trigger[0] - h.end + 3)
    quoted = _quoted(sent, head.start)
    if quoted is not None:
        return quoted
    stops = _stops(sent)
    return _left(sent, head.start, trigger, stops), _right(sent, head.end, stops)


_STOP_TAGS = ("instrument_stop", "relative", "negation", "hedge", "clause_break", "authorize", "ratify")


def _stops(sent: Sentence) -> set[int]:
    """Tokens a phrase never spans: time words, relative pronouns, modality and clause cues."""
    return {i for tag in _STOP_TAGS for h in sent.by_tag.get(tag, ()) for i in range(h.start, h.end)}


def _in_mention(sent: Sentence, i: int) -> bool:
    return any(m.start <= i < m.end for m in sent.mentions)


def _quoted(sent: Sentence, i: int) -> tuple[int, int] | None:
    """«Соглашение о ...»: the quotation the noun opens, quotes excluded."""
    toks = sent.tokens
    j = i - 1
    if j < 0 or toks[j].text not in _OPEN:
        return None
    k = i + 1
    while k < len(toks) and k - i < QUOTE_MAX and toks[k].text not in _CLOSE:
        k += 1
    return (j + 1, k) if k < len(toks) and toks[k].text in _CLOSE else None


def _left(sent: Sentence, i: int, trigger: tuple[int, int], stops: set[int]) -> int:
    """Modifiers before the noun: years, adjectives, names; a leading article is kept."""
    toks, first = sent.tokens, i
    stop = trigger[1] if i >= trigger[1] else 0
    j = i - 1
    while j >= stop and i - j <= LEFT_MAX:
        text = toks[j].text
        if text in sent.vocab.instrument_determiner:
            return j if first < i else i
        if (
            text in sent.vocab.instrument_stop_left
            or j in stops
            or not (toks[j].is_word or text in _JOINERS)
            or any(h.start <= j < h.end for h in sent.triggers)
            or _names_state(sent, j)
        ):
            break
        first = j
        j -= 1
    while first < i and toks[first].text in _JOINERS:
        first += 1
    return first


def _names_state(sent: Sentence, j: int) -> bool:
    """A state name ends at j and is not joined on ("Russia's ... agreement" stops, "Russia-India" does not)."""
    return any(m.end == j + 1 and m.kind in ("name", "metonym", "leader") for m in sent.mentions) and not (
        j + 1 < len(sent.tokens) and sent.tokens[j + 1].text in _JOINERS
    )


def _right(sent: Sentence, end: int, stops: set[int]) -> int:
    """A topic after the noun ("on military cooperation", «о военном сотрудничестве»)."""
    toks = sent.tokens
    if end >= len(toks) or toks[end].text not in sent.vocab.instrument_topic or end + 1 in stops:
        return end
    k = end + 1
    while (
        k < len(toks)
        and k - end <= RIGHT_MAX
        and (toks[k].is_word or toks[k].text in _JOINERS)
        and toks[k].text not in sent.vocab.instrument_stop_right
        and k not in stops
    ):
        k += 1
    while k > end + 1 and (toks[k - 1].text in _JOINERS or toks[k - 1].text in sent.vocab.instrument_stop_left):
        k -= 1  # "... Республики Казахстан и" ends before the conjunction
    return k if k > end + 1 else end
