"""Load and validate `config/rules/*.yaml` and compile every lexicon into one matcher per language.

A rule is data: id, type, lang, trigger lemmas, optional requirements, confidence and examples.
Errors name the file, the rule id and the field, and are raised as ConfigError.
"""

from __future__ import annotations

import hashlib
import pathlib
import re
from dataclasses import dataclass, field
from itertools import compress, count
from operator import itemgetter
from typing import Any, NamedTuple

from parsers.errors import ConfigError
from parsers.extract.function_words import FunctionWords, load_function_words
from parsers.extract.modality import ModalCue, parse_modality
from parsers.extract.morph import Inflector
from parsers.extract.text import Token, after_nonword_regex, words_regex
from parsers.models import FAMILY_OF

RULE_FIELDS = {
    "id",
    "type",
    "lang",
    "triggers",
    "requires",
    "window",
    "confidence",
    "examples",
    "at_start",
    "multilateral_type",
    "bilateral_type",
    "stage",
    "direction",
    "yields_to",
    "inherits",
    "yields_type",
}
FAMILIES = ("termination", "partnership")
STAGES = ("announced", "authorized", "signed", "ratified", "in_force")
GAP_MAX = 6
_TEXT = itemgetter(0)  # a Token's folded text


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    type: str
    lang: str
    triggers: tuple[str, ...]
    requires: tuple[str, ...] = ()
    window: int = 8
    confidence: float = 0.8
    at_start: bool = False
    multilateral_type: str | None = None
    bilateral_type: str | None = None
    stage: str | None = None
    direction: str = "both"  # where the required noun may stand: both | after (the trigger)
    # families whose trigger in the same sentence cancels this rule ("the exit took effect")
    yields_to: tuple[str, ...] = ()
    inherits: bool = False  # "Bamako followed suit": type and other parties come from the latest event of the family
    # event types that, reported in the same event, type it instead of this rule ("adopted a joint declaration"
    # beside "lifted ties to a strategic partnership": the upgrade is the news, the declaration its form)
    yields_type: tuple[str, ...] = ()
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    source: str = ""

    @property
    def family(self) -> str:
        return FAMILY_OF[self.type]


class Hit(NamedTuple):
    """One lexicon or trigger match in token coordinates (a tuple: thousands are made per second)."""

    tag: str  # "trig:<rule id>" or a lexicon name
    start: int
    end: int


@dataclass
class Matcher:
    """Form -> tags for single words, first form -> (pattern, tag) for phrases."""

    words: dict[str, list[str]] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple, str]]] = field(default_factory=dict)
    function_words: FunctionWords = field(default_factory=FunctionWords)  # the language's closed-class sets

    def add(self, pattern: tuple, tag: str) -> None:
        self.__dict__.pop("_index", None)
        if len(pattern) == 1:
            for form in pattern[0]:
                tags = self.words.setdefault(form, [])
                if tag not in tags:  # "sign" and "=signed" share a form: one hit, not two
                    tags.append(tag)
            return
        for form in pattern[0]:
            entries = self.phrases.setdefault(form, [])
            if (pattern[1:], tag) not in entries:
                entries.append((pattern[1:], tag))

    def scan(self, tokens: list[Token]) -> list[Hit]:
        """All hits in a token list, in token order.

        The tokens that start an entry are picked in C (map/compress), so the Python loop runs only
        over the lexicon words of a sentence (about a third of its tokens), not over every token.
        Of the phrases a word starts ("in" opens fifteen), only those whose second word is the next
        token, or that open with a gap, are tried (`_by_next`).
        """
        hits: list[Hit] = []
        index = self.__dict__.get("_index") or self._build_index()
        new = tuple.__new__  # Hit(...) goes through a Python-level __new__; this does not
        texts = list(map(_TEXT, tokens))
        last = len(texts) - 1
        for i in compress(count(), map(index.__contains__, texts)):
            tags, by_next, gapped = index[texts[i]]
            for tag in tags:
                hits.append(new(Hit, (tag, i, i + 1)))
            for rest, tag in by_next.get(texts[i + 1], gapped) if i < last else gapped:
                end = _match_rest(texts, i + 1, rest)
                if end:
                    hits.append(new(Hit, (tag, i, end)))
        return hits

    def _build_index(self) -> dict[str, tuple[tuple[str, ...], dict[str, tuple], tuple]]:
        """words + phrases merged by first form; built once (a benign race: every thread builds the same).

        `load_rules` builds it, so it is pickled with the cached extractor: built on the first scan it cost
        every process ~10 ms per language (more before the heap is frozen), a twentieth of a one-doc `extract`."""
        alone: tuple[dict[str, tuple], tuple] = ({}, ())  # most forms start no phrase
        index = {form: (tuple(tags), *alone) for form, tags in self.words.items()}
        for form, phrases in self.phrases.items():
            index[form] = (tuple(self.words.get(form, ())), *_by_next(phrases))
        self.__dict__["_index"] = index
        return index


def _by_next(phrases: list[tuple[tuple, str]]) -> tuple[dict[str, tuple], tuple]:
    """The phrases of one first word that can match, by the text of the token after it: those whose
    second element holds that form plus those that open with a gap, in their original order; and the
    gapped ones alone, for any other next token. A phrase left out could only have failed."""
    by_next: dict[str, list[tuple[tuple, str]]] = {f: [] for rest, _ in phrases if rest[0] != "*" for f in rest[0]}
    for phrase in phrases:
        head = phrase[0][0]
        for form in by_next if head == "*" else head:
            by_next[form].append(phrase)
    return {f: tuple(ps) for f, ps in by_next.items()}, tuple(p for p in phrases if p[0][0] == "*")


def _match_rest(texts: list[str], j: int, rest: tuple) -> int:
    """End index when `rest` matches the token texts from j (with `*` gaps), else 0."""
    n = len(texts)
    for r, head in enumerate(rest):
        if head == "*":
            tail = rest[r + 1 :]
            if not tail:
                return j
            after = tail[0]  # a gap ends where the next element matches: only those positions are tried
            for k in range(j, min(j + GAP_MAX, n) + 1):
                if after == "*" or (k < n and texts[k] in after):
                    end = _match_rest(texts, k, tail)
                    if end:
                        return end
            return 0
        if j < n and texts[j] in head:
            j += 1
        else:
            return 0
    return j


@dataclass
class RuleSet:
    rules: dict[str, Rule]
    lexicons: dict[str, dict[str, list[str]]]
    numbers: dict[str, dict[str, int]]
    months: dict[str, dict[str, int]]
    matchers: dict[str, Matcher]
    version: str
    trigger_res: dict[str, re.Pattern[str]] = field(default_factory=dict)  # any trigger's first word
    trigger_fast: dict[str, re.Pattern[str] | None] = field(default_factory=dict)  # trigger_res' after_nonword twin
    modality: tuple[ModalCue, ...] = ()  # scoped cues from common.yaml `modality:` (see modality.py)


def _fail(path: pathlib.Path, rule_id: str, fld: str, msg: str) -> ConfigError:
    return ConfigError(f"{path.name}: rule {rule_id!r}: field {fld!r}: {msg}")


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _parse_rule(raw: Any, path: pathlib.Path, file_lang: str | None, lexicons: set[str]) -> Rule:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: every rule must be a mapping")
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        raise _fail(path, str(rid), "id", "missing or not a string")
    unknown = set(raw) - RULE_FIELDS
    if unknown:
        raise _fail(path, rid, sorted(unknown)[0], "unknown field")
    lang = raw.get("lang", file_lang)
    if not isinstance(lang, str):
        raise _fail(path, rid, "lang", "missing")
    for fld in ("type", "multilateral_type", "bilateral_type"):
        if (fld == "type" or raw.get(fld) is not None) and raw.get(fld) not in FAMILY_OF:
            raise _fail(path, rid, fld, f"must be one of {sorted(FAMILY_OF)}")
    if not _str_list(raw.get("triggers")) or not raw["triggers"]:
        raise _fail(path, rid, "triggers", "must be a non-empty list of strings")
    requires = raw.get("requires", [])
    if not isinstance(requires, list) or any(r not in lexicons for r in requires):
        raise _fail(path, rid, "requires", f"must list lexicons from common.yaml ({sorted(lexicons)})")
    conf = raw.get("confidence", 0.8)
    if not isinstance(conf, (int, float)) or not 0 <= conf <= 1:
        raise _fail(path, rid, "confidence", "must be a number in [0, 1]")
    window = raw.get("window", 8)
    if not isinstance(window, int) or window < 1:
        raise _fail(path, rid, "window", "must be a positive integer")
    if raw.get("stage") is not None and raw["stage"] not in STAGES:
        raise _fail(path, rid, "stage", f"must be one of {STAGES}")
    if raw.get("direction", "both") not in ("both", "after"):
        raise _fail(path, rid, "direction", "must be 'both' or 'after'")
    yields_to = raw.get("yields_to", [])
    if not isinstance(yields_to, list) or any(f not in FAMILIES for f in yields_to):
        raise _fail(path, rid, "yields_to", f"must list families from {FAMILIES}")
    yields_type = raw.get("yields_type", [])
    if not isinstance(yields_type, list) or any(t not in FAMILY_OF for t in yields_type):
        raise _fail(path, rid, "yields_type", f"must list event types from {sorted(FAMILY_OF)}")
    ex = raw.get("examples") or {}
    if (
        not isinstance(ex, dict)
        or set(ex) - {"match", "no_match"}
        or not _str_list(ex.get("match", []))
        or not _str_list(ex.get("no_match", []))
    ):
        raise _fail(path, rid, "examples", "must be {match: [str], no_match: [str]}")
    return Rule(
        rid,
        raw["type"],
        lang,
        tuple(raw["triggers"]),
        tuple(requires),
        window,
        float(conf),
        bool(raw.get("at_start", False)),
        raw.get("multilateral_type"),
        raw.get("bilateral_type"),
        raw.get("stage"),
        raw.get("direction", "both"),
        tuple(yields_to),
        bool(raw.get("inherits", False)),
        tuple(yields_type),
        tuple(ex.get("match", [])),
        tuple(ex.get("no_match", [])),
        path.name,
    )


def _load_yaml(path: pathlib.Path) -> Any:
    from parsers.config.yamlio import (
        load_yaml,
        read_error,
    )  # only a build reads YAML: a cached extractor never imports it

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {read_error(exc)}") from exc
    return load_yaml(text, str(path))  # YamlError names the file, line and problem


def load_rules(rules_dir: pathlib.Path, inflector: Inflector, extra_digest: bytes = b"") -> RuleSet:
    """Read common.yaml and every other rule file; compile lexicons and triggers per language."""
    common_path = rules_dir / "common.yaml"
    if not common_path.exists():
        raise ConfigError(f"{rules_dir}: common.yaml is missing")
    common = _load_yaml(common_path) or {}
    lexicons = common.get("lexicons")
    if not isinstance(lexicons, dict):
        raise ConfigError(f"{common_path.name}: 'lexicons' must map names to {{lang: [entries]}}")
    for name, per_lang in lexicons.items():
        if not isinstance(per_lang, dict) or not all(_str_list(v) for v in per_lang.values()):
            raise ConfigError(f"{common_path.name}: lexicon {name!r}: must map language codes to lists of strings")
    digest = hashlib.sha256(common_path.read_bytes() + extra_digest)
    rules: dict[str, Rule] = {}
    for path in sorted(rules_dir.glob("*.yaml")):
        if path.name == "common.yaml":
            continue
        data = _load_yaml(path) or {}
        digest.update(path.read_bytes())
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            raise ConfigError(f"{path.name}: needs a top-level 'rules' list")
        for raw in data["rules"]:
            rule = _parse_rule(raw, path, data.get("lang"), set(lexicons))
            if rule.id in rules:
                raise _fail(path, rule.id, "id", f"duplicate (also in {rules[rule.id].source})")
            rules[rule.id] = rule
    matchers: dict[str, Matcher] = {}
    for name, per_lang in lexicons.items():
        for lang, entries in per_lang.items():
            for entry in entries:
                matchers.setdefault(lang, Matcher()).add(inflector.phrase(entry), name)
    first_forms: dict[str, set[str]] = {}
    for rule in rules.values():
        for trig in rule.triggers:
            pattern = inflector.phrase(trig)
            matchers.setdefault(rule.lang, Matcher()).add(pattern, "trig:" + rule.id)
            # prefilter on the phrase's most specific word ("hold" in "on hold", not "on")
            anchor = max((p for p in pattern if p != "*"), key=lambda forms: min(map(len, forms)))
            first_forms.setdefault(rule.lang, set()).update(anchor)
    for lang, closed in load_function_words(common.get("function_words") or {}, common_path).items():
        matchers.setdefault(lang, Matcher()).function_words = closed
    tables = [_word_table(common, key, inflector, common_path) for key in ("numbers", "months")]
    for matcher in matchers.values():
        matcher._build_index()  # at compile time: the cached extractor carries it (Matcher.add drops it)
    return RuleSet(
        rules,
        lexicons,
        tables[0],
        tables[1],
        matchers,
        "rules-" + digest.hexdigest()[:10],
        {lang: words_regex(forms) for lang, forms in first_forms.items()},
        {lang: after_nonword_regex(forms) for lang, forms in first_forms.items()},
        parse_modality(common.get("modality"), set(lexicons), common_path.name),
    )


def _word_table(common: dict, key: str, inflector: Inflector, path: pathlib.Path) -> dict[str, dict[str, int]]:
    """{lang: {word: int}} from common.yaml, with every inflected form of each word."""
    out: dict[str, dict[str, int]] = {}
    for lang, table in (common.get(key) or {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path.name}: {key}.{lang} must map words to integers")
        for word, value in table.items():
            for form in inflector.word_forms(str(word)):
                out.setdefault(lang, {})[form] = int(value)
    return out
