"""The seed article yields exactly the three golden events (the hard requirement of the extractor)."""

from __future__ import annotations

import json
import pathlib
from dataclasses import asdict
from datetime import datetime

import pytest

from parsers.extract.engine import load_extractor
from parsers.models import ExtractionInput

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "russia-terminates-military-agreements.txt"
GOLDEN = json.loads((ROOT / "seeds" / "russia-terminates-military-agreements.golden.json").read_text("utf-8"))
EXACT = ("family", "type", "actor", "domain", "rule", "flags", "stage", "evidence", "span", "dates", "instrument")


def _seed_input() -> ExtractionInput:
    title, text = SEED.read_text(encoding="utf-8").split("\n", 1)
    return ExtractionInput(text=text.strip("\n"), title=title, lang="en", published=datetime(2025, 12, 20))


@pytest.fixture(scope="module")
def events() -> list[dict]:
    extractor = load_extractor(ROOT / "config")
    return [e.to_json() for e in extractor.extract(_seed_input())]


def test_exactly_the_golden_events(events: list[dict]) -> None:
    assert [(e["type"], e["actor"], sorted(e["counterparts"])) for e in events] == [
        (g["type"], g["actor"], g["counterparts"]) for g in GOLDEN["events"]
    ]


@pytest.mark.parametrize("index", range(len(GOLDEN["events"])))
@pytest.mark.parametrize("field", EXACT)
def test_golden_field(events: list[dict], index: int, field: str) -> None:
    assert events[index][field] == GOLDEN["events"][index][field]


@pytest.mark.parametrize("index", range(len(GOLDEN["events"])))
def test_evidence_is_the_span(events: list[dict], index: int) -> None:
    doc = _seed_input()
    full = f"{doc.title}\n\n{doc.text}"
    start, end = events[index]["span"]
    assert full[start:end] == events[index]["evidence"]
    assert 0.5 <= events[index]["confidence"] <= 1.0
    assert events[index]["extractor_version"].startswith("rules-")


def test_officials_of_the_india_signing(events: list[dict]) -> None:
    india = next(e for e in events if "IN" in e["counterparts"])
    names = {o["name"]: o for o in india["officials"]}
    assert set(names) == {"Alexander Fomin", "Vinai Kumar"}
    assert names["Vinai Kumar"]["country"] == "IN"
    assert india["dates"] == ["2025-02-01"] and india["date_precision"] == ["month"]


def test_belarus_names_putin(events: list[dict]) -> None:
    belarus = next(e for e in events if "BY" in e["counterparts"])
    assert [o["name"] for o in belarus["officials"]] == ["Vladimir Putin"]
    assert belarus["officials"][0]["country"] == "RU"


def test_eleven_counterparts_are_all_states(events: list[dict]) -> None:
    assert len(events[0]["counterparts"]) == 11
    assert "EU" not in events[0]["counterparts"]


def test_termination_names_the_bilateral_agreements(events: list[dict]) -> None:
    """The decree ends bilateral agreements: kind bilateral, the agreements as the text writes them."""
    termination = events[0]
    assert termination["instrument"] == {"text": "long-standing military agreements", "id": None, "kind": "bilateral"}
    assert termination["instrument"]["text"] in termination["evidence"]


def test_to_json_is_the_dataclass_as_json_types() -> None:
    """`Event.to_json` (built field by field) gives exactly what `dataclasses.asdict` plus JSON types gave."""
    raw = load_extractor(ROOT / "config").extract(_seed_input())
    assert any(e.officials for e in raw) and any(e.dates for e in raw) and all(e.instrument for e in raw)
    for e in raw:
        ref = asdict(e)
        ref.update(
            counterparts=list(e.counterparts),
            span=list(e.span),
            flags=list(e.flags),
            officials=[asdict(o) for o in e.officials],
            dates=[d.isoformat() for d in e.dates],
            date_precision=list(e.date_precision),
            instrument=asdict(e.instrument) if e.instrument else None,
        )
        got = e.to_json()
        assert got == ref
        assert list(got) == list(ref)
