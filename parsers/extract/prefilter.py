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
  ("Signature: ...") is a candidate without the requirement in its own line.

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


class _RuleNeed:
    """What one rule needs present: one of its trigger patterns, and (when it has requirements) an anchor."""

    def __init__(self, triggers: list[Need], anchors: frozenset[str] | None) -> None:
        self.always = () in triggers
        self.singles = frozenset(f for need in triggers if len(need) == 1 for f in need[0])
        # several-word patterns by the forms of their rarest word: only those with it present are tested
        self.multi: dict[str, list[Need]] = {}
        for need in set(triggers):
            if len(need) > 1:
                for form in max(need, key=lambda forms: min(map(len, forms))):
                    self.multi.setdefault(form, []).append(need)
        self.multi_keys = frozenset(self.multi)
        self.anchors = anchors  # None: no requirement, or one the filter cannot test

    def triggered(self, present: frozenset[str]) -> bool:
        if self.always or not present.isdisjoint(self.singles):
            return True
        multi = self.multi
        return any(
            all(not present.isdisjoint(forms) for forms in need)
            for form in self.multi_keys.intersection(present)
            for need in multi[form]
        )


class SentenceFilter:
    """False only when no rule of a language can yield a candidate in text[start:end] (folded)."""

    def __init__(self, matcher: Matcher, rules: list[Rule], body_names: frozenset[str] | None) -> None:
        """`body_names`: anchor forms of every name the gazetteer may resolve to an organisation or a
        treaty body (None: unknown, so a `body` requirement is always met)."""
        patterns = tag_patterns(matcher)
        words: set[str] = set()
        self._rules: list[_RuleNeed] = []
        for rule in rules:
            triggers = [need_of(p) for p in patterns.get("trig:" + rule.id, ())]
            anchors: set[str] | None = set() if rule.requires else None
            for name in rule.requires:
                if anchors is None:
                    break
                lexicon = [anchor_of(p) for p in patterns.get(name, ())]
                if name == "body":
                    lexicon.append(body_names)
                anchors = None if None in lexicon else anchors.union(*lexicon)  # type: ignore[arg-type]
            need = _RuleNeed(triggers, frozenset(anchors) if anchors is not None else None)
            self._rules.append(need)
            words.update(f for n in triggers for forms in n for f in forms)
            words.update(anchors or ())
        self._words = frozenset(words)
        self._bare = any(r.always for r in self._rules)  # a trigger of punctuation only: no word to look for

    def __call__(self, text: str, start: int, end: int) -> bool:
        part = text[start:end]
        present = self._words.intersection(_WORD.findall(part))  # the word tokens `tokenize` would cut
        if not present and not self._bare:
            return False
        listed = ":" in part  # a list lead or a record field: its requirement may stand in another line
        return any(
            (r.anchors is None or listed or not present.isdisjoint(r.anchors)) and r.triggered(present)
            for r in self._rules
        )
