"""The sentence prefilter only ever says "no" where the full analysis finds no candidate either."""

from __future__ import annotations

import json
import pathlib
from datetime import datetime

import pytest

from parsers.config.yamlio import load_yaml
from parsers.extract.engine import Extractor, load_extractor
from parsers.extract.lang import detect_lang
from parsers.extract.rules import Matcher, Rule
from parsers.extract.text import fold, split_sentences
from parsers.models import ExtractionInput

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return load_extractor(ROOT / "config")


def _docs(extractor: Extractor) -> list[ExtractionInput]:
    """Every rule example, every behaviour fixture and the bench corpus: texts with and without events."""
    docs = [
        ExtractionInput(text=text, lang=rule.lang)
        for rule in extractor.rules.rules.values()
        for text in (*rule.examples_match, *rule.examples_no_match)
    ]
    for path in sorted((ROOT / "tests" / "fixtures" / "extract").glob("*.yaml")):
        for case in load_yaml(path.read_text("utf-8")):
            published = datetime.fromisoformat(case["published"]) if case.get("published") else None
            docs.append(ExtractionInput(text=case["text"], title=case.get("title", ""), published=published))
    for path in sorted((ROOT / "bench" / "corpus").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            rec = json.loads(line)
            published = datetime.fromisoformat(rec["published"]) if rec.get("published") else None
            docs.append(ExtractionInput(text=rec["text"], title=rec.get("title", ""), published=published))
    return docs


def _seen(extractor: Extractor, doc: ExtractionInput) -> list[tuple]:
    return [
        (c.rule.id, c.sent.idx, c.trigger, c.actor, c.counterparts, c.confidence) for c in extractor.candidates(doc)
    ]


def test_filter_changes_no_candidate(extractor: Extractor) -> None:
    """Candidates with the filter equal those of analysing every sentence with a trigger word; and the
    filter does skip sentences (else this test would prove nothing about it)."""
    docs = _docs(extractor)
    unfiltered = Extractor(extractor.rules, extractor.gazetteer, extractor.version)
    unfiltered._filters = {}  # every sentence with a trigger word is tokenised and analysed
    said_no = 0
    for doc in docs:
        assert _seen(extractor, doc) == _seen(unfiltered, doc), doc.text[:80]
        raw = f"{doc.title}\n\n{doc.text}" if doc.title else doc.text
        folded = fold(raw)
        could = extractor._filters[doc.lang or detect_lang(raw)]
        said_no += sum(not could(folded, a, b) for a, b in split_sentences(raw))
    assert len(docs) > 300
    assert said_no > 100


def test_filter_needs_a_requirement_word() -> None:
    """A trigger without any word of the rule's required lexicon is skipped; with one, or a colon, kept."""
    from parsers.extract.prefilter import SentenceFilter

    matcher = Matcher()
    matcher.add((frozenset({"suspended"}),), "trig:t")
    matcher.add((frozenset({"treaty"}),), "agreement")
    matcher.add((frozenset({"on"}), "*", frozenset({"hold"})), "trig:u")
    rules = [
        Rule("t", "suspension", "en", ("suspended",), requires=("agreement",)),
        Rule("u", "suspension", "en", ("on * hold",)),
    ]
    keep = SentenceFilter(matcher, rules, frozenset({"nato"}))
    for text, expected in (
        ("the airline suspended flights", False),
        ("oslo suspended the treaty", True),
        ("the treaty was signed", False),
        ("suspended: the treaty of 1990", True),
        ("suspended:", True),
        ("the deal is on hold", True),
        ("the deal is on the table", False),
    ):
        assert keep(text, 0, len(text)) is expected, text
    body = [Rule("t", "suspension", "en", ("suspended",), requires=("body",))]
    assert SentenceFilter(matcher, body, frozenset({"nato"}))("x suspended nato talks", 0, 22)
    assert not SentenceFilter(matcher, body, frozenset({"nato"}))("x suspended flights", 0, 19)
    assert SentenceFilter(matcher, body, None)("x suspended flights", 0, 19)  # names unknown: always maybe
