"""Word-form expansion done once at load time, so matching at extraction time is a dict lookup."""

from __future__ import annotations

import re

from parsers.extract.text import en_forms, fold

_CYRILLIC = re.compile(r"[а-яё]", re.I)
_GAP = "*"
_ADJ_ENDINGS = ("ский", "цкий", "ской", "цкой")


class Inflector:
    """Expand lemmas to all their forms: pymorphy3 lexemes for Russian, regular suffixes for English."""

    def __init__(self) -> None:
        self._morph_analyzer = None  # pymorphy3 dictionaries load on the first Russian word only
        self._cache: dict[tuple[str, bool], frozenset[str]] = {}

    def __getstate__(self) -> dict:
        """Pickled without the analyzer or forms: a compiled extractor on disk must not carry dictionaries."""
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()  # type: ignore[misc]  # a fresh instance of this exact class, not a subclass

    @property
    def _morph(self):
        if self._morph_analyzer is None:
            import pymorphy3  # imported lazily: loading dictionaries is the one slow step

            self._morph_analyzer = pymorphy3.MorphAnalyzer()
        return self._morph_analyzer

    def word_forms(self, word: str, proper: bool = False) -> frozenset[str]:
        """All forms of one word; `=word` means exactly that form. Proper names keep their POS."""
        if word.startswith("="):
            return frozenset({fold(word[1:])})
        key = (word, proper)
        if key not in self._cache:
            self._cache[key] = frozenset(self._expand(fold(word), proper))
        return self._cache[key]

    def _expand(self, word: str, proper: bool) -> set[str]:
        if not word[:1].isalpha():
            return {word}
        if not _CYRILLIC.search(word):
            return {word} if proper else en_forms(word)
        if proper:
            return self._expand_name(word)
        forms = {word}
        for parse in self._morph.parse(word):
            tag = parse.tag
            if parse.normal_form.replace("ё", "е") == word or (
                "nomn" in tag and tag.POS in ("ADJF", "PRTF", "NOUN") and (proper or tag.POS != "NOUN")
            ):
                if proper and tag.POS not in ("NOUN", "ADJF", "PRTF"):
                    continue
                # full participles ("подписанное соглашение") describe an agreement, they report nothing
                forms |= {
                    f.word.replace("ё", "е") for f in parse.lexeme if proper or "PRTF" not in f.tag or tag.POS == "PRTF"
                }
                if proper:
                    break
        return forms

    def _expand_name(self, word: str) -> set[str]:
        """A name's forms: the first noun/adjective reading that is its own nominative, a declining one
        first ("Хониара" is a guessed indeclinable masculine too); unknown -а/-я names decline like «Лима»."""
        parses = [
            p
            for p in self._morph.parse(word)
            if p.tag.POS in ("NOUN", "ADJF", "PRTF") and (p.normal_form.replace("ё", "е") == word or "nomn" in p.tag)
        ]
        own = [p for p in parses if p.normal_form.replace("ё", "е") == word and "Fixd" not in p.tag]
        if word.endswith(_ADJ_ENDINGS):  # «антигуанский» is guessed as a noun first
            own.sort(key=lambda p: p.tag.POS != "ADJF")
        pick = (own or parses)[:1]
        forms = {word} | {f.word.replace("ё", "е") for p in pick for f in p.lexeme}
        if (
            not own
            and word[-1:] in ("а", "я")
            and len(word) > 3
            and word[-2] not in "аеиоуыэюя"
            and (not parses or not self._morph.word_is_known(word))
        ):
            stem, soft = word[:-1], word[-1] == "я" or word[-2] in "гкхжшчщ"
            forms |= {
                stem + e
                for e in (
                    ("и", "е", "ю", "ей", "ею")
                    if word[-1] == "я"
                    else ("и" if soft else "ы", "е", "у", "ой", "ою", "ей")
                )
            }
        return forms

    def phrase(self, entry: str, proper: bool = False) -> tuple[frozenset[str] | str, ...]:
        """Token-wise forms of a phrase; `*` stands for a gap of up to three tokens."""
        from parsers.extract.text import tokenize

        out: list[frozenset[str] | str] = []
        for tok in tokenize(entry.lstrip("=")):
            if tok.text == _GAP:
                out.append(_GAP)
            elif entry.startswith("=") or not tok.is_word:
                out.append(frozenset({tok.text}))
            else:
                out.append(self.word_forms(tok.text, proper))
        return tuple(out)

    def known(self, name: str) -> int:
        """How the dictionary knows a (place) name: 2 as a place in the nominative, 1 as another word, 0 not."""
        word = fold(name)
        if not self._morph.word_is_known(word):  # a dictionary lookup; no guessing for unknown words
            return 0
        if any(
            "Geox" in p.tag and "nomn" in p.tag and p.normal_form.replace("ё", "е") == word
            for p in self._morph.parse(word)
        ):
            return 2
        return 1
