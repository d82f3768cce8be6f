"""Closed-class words of one language (`function_words:` in config/rules/common.yaml).

The structural tests of the engine ("A and B", "the 1997 treaty on …", "in 2014") read these as
plain sets of folded token texts. They are data, so a new language brings its own lists in
config and no Python; punctuation, which every language shares, stays in the modules that use it.
Unlike lexicons they are never scanned as tags: "the", "of" and "and" would put a hit on a third of
all tokens.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, fields
from typing import Any

from parsers.errors import ConfigError
from parsers.extract.text import fold


@dataclass(frozen=True, slots=True)
class FunctionWords:
    """One set per structural role; every role must be listed for each language in config."""

    coordinator: frozenset[str] = frozenset()  # joins two parties or instruments: "A and B"
    party_determiner: frozenset[str] = frozenset()  # may stand before a party: "the", "its", «их»
    instrument_determiner: frozenset[str] = frozenset()  # opens an instrument's name: "this treaty"
    instrument_stop_left: frozenset[str] = frozenset()  # ends an instrument's name leftwards
    instrument_topic: frozenset[str] = frozenset()  # "treaty on …", «договор о …»: the name goes on
    instrument_stop_right: frozenset[str] = frozenset()  # ends an instrument's name rightwards
    instrument_join: frozenset[str] = frozenset()  # between coordinated instruments: "as well as"
    pair_join: frozenset[str] = frozenset()  # inside a pair of sides: "Mali and the Niger"
    pair_marker: frozenset[str] = frozenset()  # opens the pair an instrument binds: "between A and B"
    instrument_opener: frozenset[str] = frozenset()  # "It commits A and B", «Документ …»: the instrument just named
    line_continuation: frozenset[str] = frozenset()  # a line ending in it runs on: "the Government of\nNew Zealand"
    plural_number: frozenset[str] = frozenset()  # "two", «обоих»: the subject is a plural pair
    year_preposition: frozenset[str] = frozenset()  # "in 2014" dates the clause, not the document
    year_only_preposition: frozenset[str] = frozenset()  # a bare year read as the event's date
    title_join: frozenset[str] = frozenset()  # inside a capitalised title: "Foreign and Defence Minister"
    person_origin: frozenset[str] = frozenset()  # "Kuleba of Ukraine": a named person's state follows


ROLES = tuple(f.name for f in fields(FunctionWords))


def load_function_words(table: Any, path: pathlib.Path) -> dict[str, FunctionWords]:
    """{lang: FunctionWords} from `function_words: {role: {lang: [word, ...]}}`; forms folded."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path.name}: 'function_words' must map roles to {{lang: [words]}}")
    unknown = sorted(set(table) - set(ROLES))
    if unknown:
        raise ConfigError(f"{path.name}: function_words: unknown role(s) {unknown}; known: {list(ROLES)}")
    per_lang: dict[str, dict[str, frozenset[str]]] = {}
    for role, by_lang in table.items():
        if not isinstance(by_lang, dict):
            raise ConfigError(f"{path.name}: function_words.{role}: must map language codes to lists of words")
        for lang, words in by_lang.items():
            if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
                raise ConfigError(f"{path.name}: function_words.{role}.{lang}: must be a list of words")
            per_lang.setdefault(lang, {})[role] = frozenset(fold(w.strip()) for w in words)
    for lang, roles in per_lang.items():
        missing = [r for r in ROLES if r not in roles]
        if missing:
            raise ConfigError(f"{path.name}: function_words: language {lang!r} lacks role(s) {missing}")
    return {lang: FunctionWords(**roles) for lang, roles in per_lang.items()}
