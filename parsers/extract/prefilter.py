"""A cheap, certain "no" for sentences that cannot yield a candidate, asked before tokenising them.

A realistic article has a dozen sentences with a trigger word ("The airline suspended flights...")
and most of them report nothing: the rule's requirement (an agreement noun, a treaty body) is not
there. Tokenising, scanning and resolving names in such a sentence only to reject it was most of
the extraction time. This filter decides from the folded text alone (its words, cut as `tokenize` cuts them, against a set):

- a rule can fire only if every word of one of its trigger patterns occurs as a whole token;
- a rule with requirements (candidates.py `_requirement`) needs a word of one of the required
  lexicons' entries (their rarest word is enough to test), or, for `body`, the rarest word of an
  organisation, treaty body or official name the gazetteer knows (such a mention meets it too);
- a colon anywhere keeps the sentence: a list lead ("decided to denounce:") or a record field
  ("Signature: ...") is a candidate without the requirement in its own line; so does a line that
  opens with a record field word ("Notification of withdrawal received by the depositaries ...") or a
  trigger then a signature block's word ("Signed for the Republic of X by ...").

A pass only means "maybe": the sentence is then tokenised and analysed exactly as before, so the
output is the same with or without the filter (tests/extract/test_prefilter.py checks it). A rule
path that accepts a trigger without its requirement must add its own escape here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from parsers.extract.rules import Matcher, Rule

_WORD = re.compile(r"[^\W_]+")  # what `tokenize` keeps as one word token
Need = tuple[frozenset[str], ...]  # the word positions of one pattern, each a set of accepted forms


def need_of(pattern: Iterable[frozenset[str] | str]) -> Need:
    """The word positions of a pattern; gaps and punctuation are left out (treated as present)."""
    return tuple(
        forms for forms in pattern if not isinstance(forms, str) and all(map(_WORD.fullmatch, forms)) and forms
    )


def anchor_of(pattern: Iterable[frozenset[str] | str]) -> frozenset[str] | None:
    """The forms of a pattern's rarest word (the longest), which any match must hold; None without a word."""
    need = need_of(pattern)
    return max(need, key=lambda forms: min(map(len, forms))) if need else None


def tag_patterns(matcher: Matcher) -> dict[str, list[tuple[frozenset[str], ...]]]:
    """Every pattern of a compiled matcher by its tag (a phrase's first word split into one pattern per form)."""
    out: dict[str, list[tuple[frozenset[str], ...]]] = {}
    for form, tags in matcher.words.items():
        for tag in tags:
            out.setdefault(tag, []).append((frozenset({form}),))
    for form, entries in matcher.phrases.items():
        for rest, tag in entries:
            out.setdefault(tag, []).append((frozenset({form}), *rest))
    return out


class SentenceFilter:
    """False only when no rule of a language can yield a candidate in text[start:end] (folded).

    Each rule is a bit: a word present sets the bits of the rules it triggers alone, of the rules
    whose requirement it may meet, and tests the several-word trigger patterns whose rarest word it
    is. A sentence passes when a triggered rule has its requirement word, or needs none.
    """

    def __init__(self, matcher: Matcher, rules: list[Rule], body_names: frozenset[str] | None) -> None:
        """`body_names`: anchor forms of every name the gazetteer may resolve to an organisation or a
        treaty body (None: unknown, so a `body` requirement is always met)."""
        patterns = tag_patterns(matcher)
        # the one-word forms of the record lexicons (config/rules/common.yaml), for lines opening a record field
        self._record_field, self._record_qualifier = (
            frozenset(f for p in patterns.get(tag, ()) if len(p) == 1 for f in p[0])
            for tag in ("record_field", "record_qualifier")
        )
        # first words of the signature-block lexicon ("for", "on" of "on behalf of", «за», «от»)
        self._signed_for = frozenset(f for p in patterns.get("signed_for", ()) for f in p[0])
        self._single: dict[str, int] = {}  # word -> rules one of whose trigger patterns is that word alone
        self._multi: dict[str, list[tuple[Need, int]]] = {}  # rarest word -> (pattern, rule) to test
        self._meets: dict[str, int] = {}  # word -> rules whose requirement it may meet
        self._free = 0  # rules without a requirement the filter can test
        self._bare = 0  # rules with a trigger of punctuation only: no word to look for
        for k, rule in enumerate(rules):
            bit = 1 << k
            for need in {need_of(p) for p in patterns.get("trig:" + rule.id, ())}:
                if not need:
                    self._bare |= bit
                elif len(need) == 1:
                    for form in need[0]:
                        self._single[form] = self._single.get(form, 0) | bit
                else:
                    for form in max(need, key=lambda forms: min(map(len, forms))):
                        self._multi.setdefault(form, []).append((need, bit))
            anchors = _requirement_anchors(rule, patterns, body_names)
            if anchors is None:
                self._free |= bit
            for form in anchors or ():
                self._meets[form] = self._meets.get(form, 0) | bit
        # every word a pattern or requirement tests: a sentence's other words are dropped in C
        multi_words = {f for tests in self._multi.values() for need, _ in tests for forms in need for f in forms}
        self._words = frozenset(self._single) | frozenset(multi_words) | frozenset(self._meets)
        # word -> (rules it triggers alone, rules whose requirement it may meet, patterns it anchors): one
        # lookup per word; a word only tested inside a pattern ("on" of "put * on hold") has no entry
        self._acts: dict[str, tuple[int, int, tuple[tuple[Need, int], ...]]] = {
            w: (self._single.get(w, 0), self._meets.get(w, 0), tuple(self._multi.get(w, ())))
            for w in {*self._single, *self._meets, *self._multi}
        }

    def __call__(self, text: str, start: int, end: int) -> bool:
        # the word tokens `tokenize` would cut ([^\W_]+ has no lookaround: pos/endpos cut as a slice does)
        present = self._words.intersection(_WORD.findall(text, start, end))
        fired, met = self._bare, self._free
        acts = self._acts
        for word in present:
            act = acts.get(word)
            if act is None:
                continue
            fired |= act[0]
            met |= act[1]
            for need, bit in act[2]:
                if not fired & bit:
                    for forms in need:  # a plain loop: a generator per pattern cost more than the test
                        if present.isdisjoint(forms):
                            break
                    else:
                        fired |= bit
        if fired & met:
            return True
        # a list lead or a record field: its requirement may stand in another line
        part = text[start:end]
        return bool(fired) and (":" in part or self._opens_record(part))

    def _opens_record(self, part: str) -> bool:
        """The line opens with a record's field word ("Notification of withdrawal received ...")."""
        words = _WORD.finditer(part)
        first = next(words, None)
        if first is not None and first.group() in self._record_qualifier:  # "Written notification of ..."
            first = next(words, None)
        if first is None:
            return False
        if first.group() in self._single:  # "Signed for the Republic of X by …": a signature block's line
            second = next(words, None)
            return second is not None and second.group() in self._signed_for
        return first.group() in self._record_field


def _requirement_anchors(
    rule: Rule, patterns: dict[str, list[tuple[frozenset[str], ...]]], body_names: frozenset[str] | None
) -> frozenset[str] | None:
    """Words one of which a rule's requirement needs in the sentence; None when it has none or one
    the filter cannot test (an entry without a word)."""
    if not rule.requires:
        return None
    out: set[str] = set()
    # an end that refers back ("delivered its own letter of denunciation") may name no instrument at all
    for name in (*rule.requires, *(("follow_cue",) if rule.family == "termination" else ())):
        lexicon = [anchor_of(p) for p in patterns.get(name, ())]
        if name == "body":
            lexicon.append(body_names)
        for anchor in lexicon:
            if anchor is None:
                return None
            out |= anchor
    return frozenset(out)
