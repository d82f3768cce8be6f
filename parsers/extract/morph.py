"""Word-form expansion done once at load time, so matching at extraction time is a dict lookup."""

from __future__ import annotations

import re

from parsers.extract.text import en_forms, fold

_CYRILLIC = re.compile(r"[а-яё]", re.I)
_GAP = "*"


class Inflector:
    """Expand lemmas to all their forms: pymorphy3 lexemes for Russian, regular suffixes for English."""

    def __init__(self) -> None:
        self._morph_analyzer = None  # pymorphy3 dictionaries load on the first Russian word only
        self._cache: dict[tuple[str, bool], frozenset[str]] = {}

    def __getstate__(self) -> dict:
        """Pickled without the analyzer or forms: a compiled extractor on disk must not carry dictionaries."""
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()

    @property
    def _morph(self):  # noqa: ANN202 - pymorphy3.MorphAnalyzer, imported lazily
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
        forms = {word}
        for parse in self._morph.parse(word):
            tag = parse.tag
            if parse.normal_form.replace("ё", "е") == word or ("nomn" in tag and tag.POS in ("ADJF", "PRTF", "NOUN") and (proper or tag.POS != "NOUN")):
                if proper and tag.POS not in ("NOUN", "ADJF", "PRTF"):
                    continue
                # full participles ("подписанное соглашение") describe an agreement, they report nothing
                forms |= {f.word.replace("ё", "е") for f in parse.lexeme if proper or "PRTF" not in f.tag
                          or tag.POS == "PRTF"}
                if proper:
                    break
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
