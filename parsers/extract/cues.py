"""Per-sentence analysis (tokens, lexicon hits, gazetteer mentions) and the cue checks around a trigger."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, count
from operator import itemgetter, methodcaller

from parsers.extract.function_words import FunctionWords
from parsers.extract.gazetteer import Gazetteer, Mention
from parsers.extract.rules import Hit, Matcher
from parsers.extract.text import Token, tokenize

_YEARS = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
_DATELINE_NEXT = frozenset({"-", ",", "("})
_TEXT = itemgetter(0)  # a Token's folded text
_TAG = itemgetter(0)  # a Hit's tag
_IS_TRIGGER = methodcaller("startswith", "trig:")
_BULLETS = frozenset("—–-*•·▪")
_NO_WORDS = FunctionWords()


@dataclass
class Sentence:
    """One sentence of the document with everything the rules look at, in token coordinates."""

    idx: int
    start: int
    end: int
    tokens: list[Token]
    mentions: list[Mention]
    hits: list[Hit]
    is_title: bool = False
    by_tag: dict[str, list[Hit]] = field(default_factory=dict)
    raw: str = ""  # the whole document (shared, not copied): case tests on tokens
    vocab: FunctionWords = _NO_WORDS  # closed-class words of the document's language (shared)

    def capitalised(self, i: int) -> bool:
        """Token i starts with an upper-case letter in the original text (a name, not a common word)."""
        tok = self.tokens[i]
        return bool(self.raw) and self.raw[tok.start].isupper()

    def __post_init__(self) -> None:
        by_tag = self.by_tag
        # trigger hits and years are asked for several times per candidate: computed once here
        self.triggers: list[Hit] = []
        self._years: list[tuple[int, int]] | None = None
        for hit in self.hits:
            tag = hit[0]
            got = by_tag.get(tag)
            if got is None:
                by_tag[tag] = [hit]
            else:
                got.append(hit)
            if tag[:5] == "trig:":
                self.triggers.append(hit)

    def tagged(self, tag: str, lo: int, hi: int) -> list[Hit]:
        """Hits of a lexicon that start within token range [lo, hi)."""
        hits = self.by_tag.get(tag)
        return [h for h in hits if lo <= h[1] < hi] if hits else []  # most tags are absent from a sentence

    def by_tag_prefix(self, prefix: str) -> list[Hit]:
        if prefix == "trig:":
            return self.triggers
        return [h for h in self.hits if h.tag.startswith(prefix)]

    def has(self, tag: str, lo: int, hi: int) -> bool:
        """A hit of `tag` starting in [lo, hi); called ~100 times per document, mostly for absent tags."""
        hits = self.by_tag.get(tag)
        return any(lo <= h[1] < hi for h in hits) if hits else False

    def years(self) -> list[tuple[int, int]]:
        """(token index, year) for four-digit years (computed once; callers only read it)."""
        if self._years is None:
            toks = self.tokens
            # the year tokens are picked in C (map/compress); most sentences have none
            self._years = [(i, int(toks[i][0])) for i in compress(count(), map(_YEAR.match, map(_TEXT, toks)))]
        return self._years


class Doc:
    """The sentences of one document, analysed lazily: only those the engine looks at cost anything."""

    def __init__(
        self,
        raw: str,
        folded: str,
        spans: list[tuple[int, int]],
        matcher: Matcher,
        gazetteer: Gazetteer,
        titled: bool,
        on: date | None = None,
    ) -> None:
        self.raw, self.folded, self.spans, self.titled = raw, folded, spans, titled
        self.on = on  # publication date: who held an office then
        self._matcher, self._gazetteer = matcher, gazetteer
        self._cache: dict[int, Sentence] = {}
        self._scanned: dict[int, tuple[list[Token], list[Hit]]] = {}

    def __len__(self) -> int:
        return len(self.spans)

    def get(self, i: int) -> Sentence:
        sent = self._cache.get(i)
        if sent is None:
            tokens, hits = self._scan(i)
            mentions = self._gazetteer.find(tokens, self.raw, self.on)
            if mentions and _dateline(mentions[0], tokens, self.raw):
                mentions = mentions[1:]
            if mentions and "seat_marker" in map(_TAG, hits):  # tested in C: no generator step per hit
                mentions = _without_seats(mentions, hits, self._gazetteer)
            sent = Sentence(
                i,
                *self.spans[i],
                tokens,
                mentions,
                hits,
                self.titled and i == 0,
                raw=self.raw,
                vocab=self._matcher.function_words,
            )
            self._cache[i] = sent
        return sent

    def has_trigger(self, i: int) -> bool:
        """Cheap first pass: tokens and lexicon hits only; the gazetteer runs only where a rule fired."""
        return any(map(_IS_TRIGGER, map(_TAG, self._scan(i)[1])))  # in C: no generator step per hit

    def _scan(self, i: int) -> tuple[list[Token], list[Hit]]:
        got = self._scanned.get(i)
        if got is None:
            tokens = tokenize(self.raw, *self.spans[i], self.folded)
            got = self._scanned[i] = (tokens, self._matcher.scan(tokens))
        return got

    def item_of(self, i: int) -> int:
        """Index of the bulleted item ("— ...", "* ...") sentence i belongs to in a digest; -1 outside lists."""
        items = self._items
        k = bisect.bisect_right(items, i) - 1
        return items[k] if k >= 0 else -1

    @functools.cached_property
    def _items(self) -> list[int]:
        return [i for i, (a, _) in enumerate(self.spans) if self.raw[a : a + 1] in _BULLETS]

    def index_at(self, pos: int) -> int:
        """Index of the sentence containing character `pos` (or the one before a gap)."""
        return max(0, bisect.bisect_right(self._starts, pos) - 1)

    @functools.cached_property
    def _starts(self) -> list[int]:
        return [s for s, _ in self.spans]

    @property
    def max_year(self) -> int | None:
        """Latest four-digit year in the text: the reference when no publication date is known."""
        if not hasattr(self, "_max_year"):
            years = [int(y) for y in _YEARS.findall(self.raw)]
            self._max_year = max(years) if years else None
        return self._max_year

    def states_before(self, i: int, want: int = 2) -> list[str]:
        """State codes mentioned before sentence i, in text order, enough for `want` distinct ones."""
        out: list[str] = []
        for k in range(i - 1, -1, -1):
            codes = [c for m in self.get(k).mentions if m.is_state for c in m.codes]
            out = codes + out
            if len(set(out)) >= want:
                break
        return out


SEAT_SPAN = 4  # "the Washington-based OAS", "the OAS, headquartered in Washington"


def _without_seats(mentions: list[Mention], hits: list[Hit], gazetteer: Gazetteer) -> list[Mention]:
    """Drop a state named only as the seat of a body in the sentence: it is neither actor nor counterpart."""
    markers = [h.start for h in hits if h.tag == "seat_marker"]
    seats = [
        (m, b.seat)
        for m in mentions
        if m.kind in ("body", "org")
        for b in (gazetteer.registry.for_alias(m.label),)
        if b is not None and b.seat
    ]
    if not seats:
        return mentions

    def is_seat(s: Mention) -> bool:
        if not s.is_state or len(s.codes) != 1:
            return False
        for body, seat in seats:
            lo, hi = min(s.start, body.start), max(s.end, body.end)
            if (
                seat == s.codes[0]
                and hi - lo <= SEAT_SPAN + (s.end - s.start) + (body.end - body.start)
                and any(lo <= k <= hi for k in markers)
            ):
                return True
        return False

    return [m for m in mentions if not is_seat(m)]


def analyse(
    raw: str, folded: str, span: tuple[int, int], idx: int, matcher: Matcher, gazetteer: Gazetteer, is_title: bool
) -> Sentence:
    """One sentence on its own (debugging, tests): tokens, lexicon hits and gazetteer mentions."""
    sent = Doc(raw, folded, [span], matcher, gazetteer, is_title).get(0)
    sent.idx = idx
    return sent


def _dateline(m: Mention, tokens: list[Token], raw: str) -> bool:
    """ "STOCKHOLM — ..." / "MOSCOW, Dec 20 -": where the story was filed, not a party to it."""
    if m.start != 0 or m.kind != "metonym" or m.end >= len(tokens) or tokens[m.end].text not in _DATELINE_NEXT:
        return False
    return raw[tokens[0].start : tokens[m.end - 1].end].isupper()


ASIDE_MAX = 12  # tokens inside one parenthetical or comma-bounded adverbial ("with immediate effect")
_ASIDE_CLOSE = {",": ",", "(": ")", "-": "-", "[": "]"}


def aside_length(sent: Sentence, pos: int) -> int:
    """Tokens of a bounded aside opening at `pos` (", as of today," / "(in force since 1990)"), else 0."""
    toks = sent.tokens
    if pos >= len(toks) or toks[pos].text not in _ASIDE_CLOSE:
        return 0
    close = _ASIDE_CLOSE[toks[pos].text]
    for k in range(pos + 1, min(len(toks), pos + ASIDE_MAX + 2)):
        if toks[k].text == close:
            return k - pos + 1
        if toks[k].text in (";", ".") or (close != "," and toks[k].text == ","):
            return 0
    return 0


NAME_RUN_MAX = 6
PARTY_RUN_MAX = (
    8  # window tokens a party's official name may take back ("with the Government of the United States of America")
)


def party_length(sent: Sentence, lo: int, hi: int) -> int:
    """Tokens in [lo, hi) taken by state names beyond their first word and by fillers ("the Government of"):
    a long official name does not use up the window between a trigger and its object."""
    inside = {i for m in sent.mentions if lo <= m.start < hi for i in range(m.start + 1, m.end)}
    inside |= {i for h in sent.by_tag.get("party_filler", ()) if lo <= h.start < hi for i in range(h.start, h.end)}
    toks = sent.tokens
    opened = None  # «Армия-2018»: a quoted event or place name counts as one word
    for i in range(lo, min(hi, len(toks))):
        if toks[i].text == "«":
            opened = i
        elif toks[i].text == "»" and opened is not None:
            inside |= set(range(opened + 1, i + 1))
            opened = None
    return min(PARTY_RUN_MAX, len(inside))


def name_end(sent: Sentence, hi: int) -> int:
    """Move a window end past the capitalised name it cuts through (at most NAME_RUN_MAX tokens)."""
    n = len(sent.tokens)
    k = hi
    while 0 < k < n and k - hi < NAME_RUN_MAX and sent.capitalised(k - 1) and sent.capitalised(k):
        k += 1
    return k


def dated_after(sent: Sentence, end: int, hi: int, before: int) -> bool:
    """ "Chile's exit from the treaty in 2018": a year at or before `before`, led by in/в, right after the
    trigger's object, with no other verb of signing or ending between (not "the treaty signed in 1999")."""
    triggers = [h.start for h in sent.triggers if h.start >= end]
    return any(
        end < i < min(hi, end + 10)
        and year <= before
        and sent.tokens[i - 1].text in sent.vocab.year_preposition
        and not any(t < i for t in triggers)
        and not sent.has("month", i - 1, i)
        for i, year in sent.years()
    )


def dated_season(sent: Sentence, end: int, hi: int, before: int) -> bool:
    """ "left the format in the spring of 2021" in a 2022 text: a season and a year before the text's own year,
    right after the trigger's object, with no other verb of signing or ending between."""
    triggers = [h.start for h in sent.triggers if h.start >= end]
    return any(
        end < i < min(hi, end + 10)
        and year <= before
        and sent.has("season", max(end, i - 3), i)
        and not any(t < i for t in triggers)
        for i, year in sent.years()
    )


def background_before(sent: Sentence, lo: int, hi: int) -> bool:
    """A background marker in [lo, hi), except "after"/«после» opening a phrase about talks or a visit
    ("After talks in Beijing, the two sides signed"): only "after X left..." reports an earlier move."""
    for h in sent.tagged("background", lo, hi):
        if _closes_aside(sent, h, hi):
            continue  # "the accord, with every protocol added to it since, to an end": an aside dates the aside
        if sent.has("pp_after", h.start, h.start + 1) and _reported_after(sent, h.start):
            continue  # "Luxon said after he and Rabuka signed": the report follows the signing it tells
        if not sent.has("pp_after", h.start, h.start + 1) or _after_clause(sent, h.end):
            return True
    return False


def _closes_aside(sent: Sentence, h: Hit, trigger: int) -> bool:
    """A background adverb with nothing after it that ends an aside ("every protocol added to it since,")."""
    return h.end < len(sent.tokens) and sent.tokens[h.end].text == "," and _in_aside(sent, h.start, trigger)


REPORT_GAP = 4  # "said on Monday evening after ...": a time phrase may sit between the report and "after"
SELF_REPORT_GAP = 10  # "told reporters in Lviv on Friday, shortly after she and …": place, time and a comma


def _reported_after(sent: Sentence, pos: int) -> bool:
    """A reporting verb shortly before "after" in the same clause (no comma between); or, further back
    and across a comma, when the speaker's own pair signing follows ("…, after he and Zelensky signed")."""
    for h in sent.tagged("reporting", max(0, pos - REPORT_GAP), pos):
        if all(sent.tokens[i].text != "," for i in range(h.start, pos)):
            return True
    return _speaker_pair_after(sent, pos) and sent.has("reporting", max(0, pos - SELF_REPORT_GAP), pos)


def _speaker_pair_after(sent: Sentence, pos: int) -> bool:
    """ "after he and …" / «после того как он и …»: a personal pronoun joined by "and" opens the clause."""
    toks = sent.tokens
    for k in range(pos + 1, min(len(toks) - 1, pos + 5)):
        if sent.has("person_pronoun", k, k + 1):
            return toks[k + 1].text in sent.vocab.coordinator
    return False


def _after_clause(sent: Sentence, pos: int) -> bool:
    """ "after Russia walked out" / «после того как»: a clause (a state or a pronoun opens it), not a phrase."""
    return sent.has("clause_opener", pos, pos + 2) or any(
        m.start in (pos, pos + 1) and m.is_state for m in sent.mentions
    )


def clause_bounds(sent: Sentence, start: int, end: int) -> tuple[int, int]:
    """Token range of the clause around a trigger: between the nearest clause breaks."""
    breaks = [h.start for h in sent.by_tag.get("clause_break", ())]
    lo = max((b + 1 for b in breaks if b < start), default=0)
    if lo > 0:  # "..., after Sweden and Finland, to sign": the subordinate part closed at the comma
        commas = [i for i in range(lo, start) if sent.tokens[i].text == ","]
        lo = commas[-1] + 1 if commas else lo
    aside = end + aside_length(sent, end)  # "denounces, with effect after six months, the Agreement"
    hi = min((b for b in breaks if b >= end and not end <= b < aside), default=len(sent.tokens))
    return lo, hi


def inside_mention(sent: Sentence, pos: int) -> bool:
    return any(m.start <= pos < m.end for m in sent.mentions)


def negated(sent: Sentence, start: int) -> bool:
    """A negation within four tokens before the trigger (does not / has not / не намерена)."""
    return sent.has("negation", max(0, start - 4), start)


def hedged(sent: Sentence, start: int, end: int | None = None) -> bool:
    """A modal, threat, call or plan shortly before the trigger (may, could, urged to, мечтают); a word of
    the trigger phrase itself ("no longer considers itself a member") is no hedge."""
    lo = max(0, start - 5)
    for h in sent.tagged("scope_break", lo, start):  # "analysts said X could wait, but Oslo terminated..."
        lo = max(lo, h.end)
    after = max(start + 1, end or 0)
    return sent.has("hedge", lo, start) or sent.has("hedge", after, after + 2)


def _in_aside(sent: Sentence, pos: int, trigger: int) -> bool:
    """Token pos sits between two commas that do not enclose the trigger (", in the capital for the second
    anniversary of the invasion,"): an aside about the setting, not about the agreement."""
    toks = sent.tokens
    left = next((i for i in range(pos - 1, -1, -1) if toks[i].text == ","), None)
    right = next((i for i in range(pos + 1, len(toks)) if toks[i].text == ","), None)
    return left is not None and right is not None and not left < trigger < right


def historical(sent: Sentence, start: int, end: int, ref_year: int | None) -> bool:
    """Anniversaries, "signed in 1997" and decades: the agreement is history, not news."""
    lo = min(max(0, start - 6), clause_bounds(sent, start, end)[0])
    if sent.has("historical", lo, end + 6) or any(
        not _in_aside(sent, h.start, start) for h in sent.by_tag.get("anniversary", ())
    ):
        return True
    if ref_year is None:
        return False
    for i, year in sent.years():
        if i <= end + 6 and year <= ref_year - 10:
            return True
        if (
            start - 8 <= i <= end + 6
            and year <= ref_year - 2
            and i > 0
            and sent.vocab.year_preposition.intersection(t.text for t in sent.tokens[max(0, i - 2) : i])
        ):
            return True
    return False


def dated_background(sent: Sentence, start: int, clause_lo: int, ref_year: int | None) -> bool:
    """ "In 2019, X withdrew...": a past year opening the trigger's clause marks background."""
    if ref_year is None:
        return False
    # "in 2019," / "in March 2018," / "on 4 May 2016": the preposition may stand up to three tokens before the year
    return any(
        clause_lo - 4 <= i < start
        and year <= ref_year - 2
        and i > 0
        and (
            sent.vocab.year_preposition.intersection(t.text for t in sent.tokens[max(0, i - 3) : i])
            or sent.has("month", i - 1, i)
        )  # "5 December 1994, in Budapest, X signed"
        and not sent.has("signed_when", max(0, i - 8), i)  # «Договора, подписанного … 1994 года,»
        for i, year in sent.years()
    )


def excluded(sent: Sentence, start: int, end: int, req_pos: int | None, signer: bool = False) -> bool:
    """Sanctions, drills, troops or licences as the object of the trigger, before the agreement noun.

    With `signer` (a signing), an official right before the verb signs for a state ("the German ambassador
    signed"): only the withdrawn envoy ("recalled its ambassador") is no move on a treaty."""
    # "sign pact letting troops train": past an agreement noun right after the trigger, the words say what it does
    # (an organisation there is not the instrument: "suspends EU accession talks")
    if req_pos is None or (req_pos <= end + 1 and not sent.has("instrument_head", req_pos, req_pos + 1)):
        limit = end + 4
    else:
        limit = min(end + 4, max(req_pos, end))
    before = any(
        not (signer and sent.has("party_role", h.start, h.start + 1))
        for h in sent.tagged("exclusion", max(0, start - 2), start)
    ) and not sent.has("sign_block", max(0, start - 2), start)
    # "an order terminating...": the order is the instrument; «отказ от участия»: an exclusion phrase may open at the trigger
    return sent.has("exclusion", start, limit) or before


def nonstate(sent: Sentence, lo: int, hi: int) -> bool:
    """A company, club or armed group in the counterpart region."""
    return any(not inside_mention(sent, h.start) for h in sent.tagged("nonstate", lo, hi))
