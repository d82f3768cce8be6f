"""Offset-preserving text helpers: folding, sentence spans and tokens for the extractor.

Every function keeps character offsets into the original string, so evidence spans stay exact.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from array import array
from typing import NamedTuple

_FOLD_PAIRS = (("ё", "е"), ("’", "'"), ("‘", "'"), ("`", "'"), ("–", "-"), ("—", "-"))
_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")
# Tokens ending with a period that do not end a sentence (lower-cased, without the period).
_ABBREV = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "col",
        "lt",
        "maj",
        "capt",
        "sgt",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "adm",
        "gov",
        "sen",
        "rep",
        "г",
        "гг",
        "т.е",
        "т.д",
        "им",
        "ул",
        "д",
        "см",
        "стр",
        "тыс",
        "млн",
        "млрд",
        "руб",
        "долл",
    ]
)


def fold(text: str) -> str:
    """Lower-case and unify ё/quotes/dashes without changing the length (spans stay valid)."""
    low = text.lower()
    if len(low) != len(text):  # a few characters (İ) lower-case to two: keep those as they are
        low = "".join(c if len(c) == 1 else o for c, o in zip((ch.lower() for ch in text), text, strict=False))
    for a, b in _FOLD_PAIRS:
        if a in low:
            low = low.replace(a, b)
    return low


def normalize(text: str) -> str:
    """NFC-normalise and turn non-breaking spaces into spaces (length-preserving after NFC)."""
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")


class Token(NamedTuple):
    text: str  # folded form
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum()


def tokenize(text: str, start: int = 0, end: int | None = None, folded: str | None = None) -> list[Token]:
    """Words and single punctuation marks of text[start:end] with absolute offsets."""
    folded = fold(text) if folded is None else folded
    end = len(text) if end is None else end
    new = tuple.__new__
    return [new(Token, (m.group(), m.start(), m.end())) for m in _TOKEN.finditer(folded, start, end)]


def _sentence_end_regexes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """.!?… (plus closing quotes) before whitespace and an upper-case start, or a line break before
    one; a period after an initial or a listed abbreviation does not count. Group 1 is kept.

    The abbreviation test is a separate pattern of lookbehinds, run only where a sentence-final
    period was found: inside the main pattern its ~60 lookbehinds ran at every period of the text.
    """
    upper = r"(?=[\"'«“(]*[A-ZА-ЯЁ0-9]|[—–•▪*-]\s)"  # an upper-case start, or a list bullet ("— 27 April ...")
    not_abbrev = r"(?<!\b[^\W\d_]\.)" + "".join(f"(?i:(?<!\\b{re.escape(a)}\\.))" for a in sorted(_ABBREV))
    # the leading character class lets the engine skip every other character in C, without starting
    # a match attempt at each position; the lookbehinds then tell which of .!?… or \n it consumed
    quotes = "[\"'»”)]*"
    end = re.compile(rf"[.!?…\n](?:((?<=[!?…])[!?…]*{quotes}|(?<=\.){quotes})\s+{upper}|(?<=\n)\s*{upper})")
    return end, re.compile(not_abbrev)


_SENT_END, _NOT_ABBREV = _sentence_end_regexes()
_ABBREV_LEN = max(map(len, _ABBREV))


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of text[start:end], trimmed of surrounding whitespace.

    A period after an abbreviation or initial is not an end. Abbreviations are at most _ABBREV_LEN
    characters long and need a word boundary before them, so a period after one letter more skips
    the lookbehind test. After a rejected period the search resumes one character on (no match can
    start at that period), which gives exactly the matches of one regex holding the lookbehinds.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    while cur < end and text[cur].isspace():
        cur += 1
    not_abbrev, pos = _NOT_ABBREV.match, start
    while pos < end:
        for m in _SENT_END.finditer(text, pos, end):
            at = m.start()
            if (
                text[at] == "."
                and not (at > _ABBREV_LEN and text[at - _ABBREV_LEN - 1 : at].isalpha())
                and not_abbrev(text, at + 1, end) is None
            ):
                pos = at + 1
                break
            stop = m.end(1) if m.lastindex else at
            while stop > cur and text[stop - 1].isspace():  # a line break: drop the spaces before it
                stop -= 1
            if stop > cur:
                spans.append((cur, stop))
            cur = m.end()
        else:
            break
    while end > cur and text[end - 1].isspace():
        end -= 1
    if end > cur:
        spans.append((cur, end))
    return spans


_WORD_BEFORE_BREAK = re.compile(r"(\w+)[ \t]*\Z")
_BREAK_BEFORE_TEXT = re.compile(r"\n[ \t]*\S")  # a line break with text on the next line
WRAP_WORD = 24  # characters before a line break searched for its last word


def _wrapped_breaks(text: str, continuation: frozenset[str]) -> set[int]:
    """Offsets of the single line breaks whose line ends in a continuation word. Most documents break lines only
    between paragraphs ("\n\n"), which two counts tell without looking at any break."""
    if text.count("\n") == 2 * text.count("\n\n"):
        return set()
    out: set[int] = set()
    for m in _BREAK_BEFORE_TEXT.finditer(text):
        nl = m.start()
        if nl and text[nl - 1] != "\n":
            last = _WORD_BEFORE_BREAK.search(text, max(0, nl - WRAP_WORD), nl)
            if last is not None and last.group(1).lower() in continuation:
                out.add(nl)
    return out


def join_wrapped(text: str, spans: list[tuple[int, int]], continuation: frozenset[str]) -> list[tuple[int, int]]:
    """Spans rejoined across a hard line break inside a sentence (text copied from a PDF: "the Government of\nNew
    Zealand signed"): a line that ends in a word that cannot end a sentence (`continuation`: "and", "of",
    "between") runs on into the next line. A blank line always ends the paragraph."""
    if not continuation or len(spans) < 2:
        return spans
    breaks = _wrapped_breaks(text, continuation)
    if not breaks:
        return spans
    out = [spans[0]]
    for a, b in spans[1:]:
        lo, hi = out[-1]
        if text.find("\n", hi, a) in breaks and text.count("\n", hi, a) == 1:
            out[-1] = (lo, b)
        else:
            out.append((a, b))
    return out


_EN_VOWELS = "aeiou"


def en_forms(lemma: str) -> set[str]:
    """Regular English inflections of a word (over-generation is harmless for lookup)."""
    w = lemma.lower()
    forms = {w, w + "s", w + "es", w + "ed", w + "ing", w + "d"}
    if w.endswith("e"):
        forms |= {w[:-1] + "ing", w + "d"}
    if w.endswith("y") and len(w) > 2 and w[-2] not in _EN_VOWELS:
        forms |= {w[:-1] + "ies", w[:-1] + "ied"}
    if len(w) >= 3 and w[-1] not in _EN_VOWELS + "wxy" and w[-2] in _EN_VOWELS and w[-3] not in _EN_VOWELS:
        forms |= {w + w[-1] + "ed", w + w[-1] + "ing"}
    return forms


def _trie_pattern(words: set[str]) -> str:
    """A regex alternation of `words` built from a character trie (fast to match)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return build(trie)


_PATTERN_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class LazyPattern:
    """A regex compiled on first use, pickled with its compiled program.

    The trie alternations of a rule set take ~60 ms per language to compile (`re`'s parser and
    compiler are Python). The extractor cached on disk (flows/extractor_cache.py) would pay that on
    every start; so the pickle carries the program `re` made (a list of ints) and the first use
    hands it straight to `_sre`, which takes well under a millisecond. The program is only trusted
    from the same `_sre` (its MAGIC number) and Python version; anything else compiles the source
    again. After the first use the pattern's methods are plain instance attributes, so a call
    costs what `re.Pattern.search` costs.
    """

    def __init__(self, pattern: str, program: tuple | None = None) -> None:
        self.pattern = pattern
        self.program = program

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = _compile(self.pattern, self.__dict__.get("program"))  # a benign race: two threads compile
        for method in _PATTERN_METHODS:
            self.__dict__[method] = getattr(compiled, method)
        return getattr(compiled, name)

    def __reduce__(self) -> tuple:
        return (LazyPattern, (self.pattern, self.__dict__.get("program") or _program(self.pattern)))

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern[:40]!r}...)"


def _program(pattern: str) -> tuple | None:
    """What `re.compile(pattern)` hands to `_sre.compile`, tagged with the engine it is for; None when
    this Python's `re` internals are not the ones this was written against (3.11-3.13)."""
    try:
        import _sre
        from re import _compiler, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, 0)
        code = array("I", _compiler._code(parsed, 0)).tobytes()  # bytes: unpickled without making an int each
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for key, i in groupindex.items():
            indexgroup[i] = key
        return (_engine(_sre), parsed.state.flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup))
    except Exception:  # another Python's internals: the pickle carries the source only
        return None


def _engine(sre: object) -> str:
    return f"{sys.hexversion}:{getattr(sre, 'MAGIC', '?')}:{getattr(sre, 'CODESIZE', '?')}:{array('I').itemsize}"


def _compile(pattern: str, program: tuple | None) -> re.Pattern[str]:
    """The pattern from its stored program when that was made by this very engine, else from source."""
    if program is not None:
        try:
            import _sre

            engine, flags, code, groups, groupindex, indexgroup = program
            if engine == _engine(_sre):
                return _sre.compile(pattern, flags, array("I", code).tolist(), groups, groupindex, indexgroup)
        except Exception:  # a program of another shape: compile the source
            pass
    return re.compile(pattern)


_NOTHING = r"(?!x)x"


def words_regex(words: set[str]) -> LazyPattern:
    """One regex matching any of `words` as a whole token, compiled (on first use) from a character trie."""
    return LazyPattern(r"\b" + _trie_pattern(words) + r"\b" if words else _NOTHING)


def token_words_regex(words: set[str]) -> LazyPattern:
    """Like words_regex, but bounded exactly as `tokenize` cuts words (`_` splits a token, \\b does not)."""
    return LazyPattern(r"(?<![^\W_])" + _trie_pattern(words) + r"(?![^\W_])" if words else _NOTHING)


def after_nonword_regex(words: set[str]) -> LazyPattern | None:
    """`words_regex` led by the non-word character before the word (group 1 is the word).

    A leading \\b makes the engine start a match attempt at every character of a 4 KB text; a
    leading \\W class lets it skip in C to the next space or punctuation mark. Only valid when every
    word starts with a word character (then \\b before it means "at 0 or after a non-word
    character"); None otherwise.
    """
    if not words or not all(re.match(r"\w", w) for w in words):
        return None
    return LazyPattern(r"\W(" + _trie_pattern(words) + r")\b")


def word_starts(exact: LazyPattern, fast: LazyPattern | None, text: str) -> list[int]:
    """Start offsets of `exact` (a words_regex) in text, found with its after_nonword_regex twin."""
    if fast is None:
        return [m.start() for m in exact.finditer(text)]
    head = [0] if exact.match(text) else []  # a word at offset 0 has no character before it
    return head + [m.start(1) for m in fast.finditer(text)]
