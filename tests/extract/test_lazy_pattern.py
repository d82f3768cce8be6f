"""Trie regexes in the cached extractor: pickled with their compiled program, so a new process does not
run `re`'s (slow, pure-Python) compiler again, and matches exactly as the source pattern does."""

from __future__ import annotations

import pickle
import re

import pytest

from parsers.extract import text
from parsers.extract.text import LazyPattern, after_nonword_regex, token_words_regex, words_regex

WORDS = {"sign", "signed", "signing", "suspend", "withdraw", "выйти", "выход", "из", "приостановить"}
SAMPLE = "Chile signed; Peru will withdraw (выход из договора), suspend-ing nothing: sign_off, signs, приостановить."


@pytest.mark.parametrize("make", [words_regex, token_words_regex, after_nonword_regex])
def test_unpickled_pattern_matches_as_the_source_does_without_compiling(make, monkeypatch):
    pattern = make(WORDS)
    restored = pickle.loads(pickle.dumps(pattern))
    expected = [(m.span(), m.group()) for m in re.compile(pattern.pattern).finditer(SAMPLE)]
    assert expected  # the sample exercises the pattern

    def no_compile(*args, **kwargs):
        raise AssertionError("re.compile called although the pickle carried the program")

    monkeypatch.setattr(text.re, "compile", no_compile)
    assert [(m.span(), m.group()) for m in restored.finditer(SAMPLE)] == expected
    assert restored.findall(SAMPLE) == re.findall(pattern.pattern, SAMPLE)


def test_a_program_from_another_engine_is_compiled_from_source():
    pattern = words_regex(WORDS)
    program = pickle.loads(pickle.dumps(pattern)).program
    assert program is not None
    foreign = LazyPattern(pattern.pattern, ("another-python", *program[1:]))
    assert foreign.findall(SAMPLE) == re.findall(pattern.pattern, SAMPLE)
    broken = LazyPattern(pattern.pattern, ("garbled",))
    assert broken.findall(SAMPLE) == re.findall(pattern.pattern, SAMPLE)
