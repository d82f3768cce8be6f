"""Behaviour cases for the extractor: each fixture text states the events it must yield (or none)."""

from __future__ import annotations

import pathlib
import threading
from datetime import datetime

import pytest

from parsers.config.yamlio import load_yaml
from parsers.extract.engine import load_extractor
from parsers.models import ExtractionInput

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "extract").glob("*.yaml"))
CASES = [case for path in FIXTURES for case in load_yaml(path.read_text("utf-8"))]
WITH_ATTRS = [c for c in CASES if c.get("attrs")]


@pytest.fixture(scope="module")
def extractor():
    return load_extractor(ROOT / "config")


def _doc(case: dict) -> ExtractionInput:
    published = datetime.fromisoformat(case["published"]) if case.get("published") else None
    return ExtractionInput(text=case["text"], title=case.get("title", ""), lang=case.get("lang"), published=published)


def test_case_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", WITH_ATTRS, ids=[c["id"] for c in WITH_ATTRS])
def test_case_attributes(extractor, case: dict) -> None:
    """Lifecycle stage, domain, dates resolved against `published`, and officials of the one event."""
    (event,) = extractor.extract(_doc(case))
    got = {
        "stage": event.stage,
        "domain": event.domain,
        "dates": [d.isoformat() for d in event.dates],
        "officials": [o.name for o in event.officials],
    }
    assert {k: got[k] for k in case["attrs"]} == case["attrs"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(extractor, case: dict) -> None:
    events = extractor.extract(_doc(case))
    got = sorted([e.type, e.actor, sorted(e.counterparts)] for e in events)
    assert got == sorted([t, a, sorted(cp)] for t, a, cp in case["events"])
    if "instrument" in case:  # every event of the case names this registry instrument
        assert [e.instrument.id for e in events] == [case["instrument"]] * len(events)
    if "instrument_kind" in case:
        assert [e.instrument.kind for e in events] == [case["instrument_kind"]] * len(events)
    if "instrument_text" in case:
        assert [e.instrument.text for e in events] == [case["instrument_text"]] * len(events)


@pytest.mark.parametrize("case", [c for c in CASES if c["events"]], ids=lambda c: c["id"])
def test_event_contract(extractor, case: dict) -> None:
    doc = _doc(case)
    full = f"{doc.title}\n\n{doc.text}" if doc.title else doc.text
    for event in extractor.extract(doc):
        assert full[event.span[0] : event.span[1]] == event.evidence
        assert 0.5 <= event.confidence <= 1
        assert event.family in ("termination", "partnership")
        assert event.domain in ("military", "defense", "security", "economic", "other")
        assert event.lang == case["lang"] and event.extractor_version == extractor.version
        assert "MULTI" not in event.counterparts and event.actor not in event.counterparts
        assert event.rule in extractor.rules.rules


def test_language_detected_when_missing(extractor) -> None:
    case = next(c for c in CASES if c["lang"] == "ru" and c["events"])
    doc = ExtractionInput(text=case["text"], title=case["title"])
    assert [e.lang for e in extractor.extract(doc)] == ["ru"] * len(case["events"])


def test_relative_month_resolves_to_the_latest_not_after_published(extractor) -> None:
    doc = ExtractionInput(
        title="Japan and the Philippines sign defence pact",
        text="In November, Japan and the Philippines signed a reciprocal access agreement.",
        lang="en",
        published=datetime(2026, 3, 2),
    )
    (event,) = extractor.extract(doc)
    assert [d.isoformat() for d in event.dates] == ["2025-11-01"]


def test_load_is_cached_and_extract_is_thread_safe(extractor) -> None:
    assert load_extractor(ROOT / "config") is extractor
    docs = [_doc(c) for c in CASES]
    expected = [extractor.extract(d) for d in docs]
    results: list[list] = [[] for _ in range(4)]

    def work(slot: int) -> None:
        results[slot] = [extractor.extract(d) for d in docs]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(r == expected for r in results)


@pytest.mark.parametrize("text", ["", "   ", "Nothing to see here.", "Пусто."])
def test_texts_without_events(extractor, text: str) -> None:
    assert extractor.extract(ExtractionInput(text=text)) == []


def test_unknown_language_yields_nothing(extractor) -> None:
    assert extractor.extract(ExtractionInput(text="Chile terminated the treaty with Peru.", lang="xx")) == []
