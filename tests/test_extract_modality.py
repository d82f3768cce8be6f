"""Modality and time with scope: the table in fixtures/extract/modality.yaml, each negative with a twin.

A negative passes only if its plain-news twin (the same move without the cue) does yield an event,
so the table cannot pass by the extractor finding nothing at all.
"""

from __future__ import annotations

import pathlib
from datetime import datetime

import pytest

from parsers.config.yamlio import load_yaml
from parsers.extract.engine import load_extractor
from parsers.models import ExtractionInput

ROOT = pathlib.Path(__file__).resolve().parents[1]
TABLE = load_yaml((ROOT / "tests" / "fixtures" / "extract" / "modality.yaml").read_text("utf-8"))
TWINS = [c for c in TABLE if c.get("twin")]


@pytest.fixture(scope="module")
def extractor():
    return load_extractor(ROOT / "config")


def _doc(case: dict, text: str) -> ExtractionInput:
    published = datetime.fromisoformat(case["published"]) if case.get("published") else None
    return ExtractionInput(text=text, lang=case["lang"], published=published)


def test_table_is_large_and_bilingual() -> None:
    langs = [c["lang"] for c in TABLE]
    assert len(TABLE) >= 100 and langs.count("en") >= 40 and langs.count("ru") >= 40
    assert all(c.get("twin") for c in TABLE if not c["events"]), "every negative needs a twin"


@pytest.mark.parametrize("case", TABLE, ids=[c["id"] for c in TABLE])
def test_modality_case(extractor, case: dict) -> None:
    got = sorted([e.type, e.actor, sorted(e.counterparts)] for e in extractor.extract(_doc(case, case["text"])))
    assert got == sorted([t, a, sorted(cp)] for t, a, cp in case["events"]), case["cue"]


@pytest.mark.parametrize("case", TWINS, ids=[c["id"] for c in TWINS])
def test_twin_without_the_cue_is_an_event(extractor, case: dict) -> None:
    assert extractor.extract(_doc(case, case["twin"])), f"twin of {case['id']} ({case['cue']}) yields nothing"
