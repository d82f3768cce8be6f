"""Leaders and officials as data: names resolve to the state whose post the person held on the date."""

from __future__ import annotations

import pathlib
from datetime import date

import pytest

from parsers.errors import ConfigError
from parsers.extract.engine import load_extractor
from parsers.extract.officials import Term, load_officials, resolve
from parsers.extract.text import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[2]
GAZ = load_extractor(ROOT / "config").gazetteer
PEOPLE = load_officials(ROOT / "config" / "officials.yaml")
G20 = ["AR", "AU", "BR", "CA", "CN", "DE", "FR", "GB", "ID", "IN", "IT", "JP", "KR", "MX", "RU", "SA", "TR", "US", "ZA"]


def found(text: str, on: date | None) -> list[tuple[str, str]]:
    return [(m.kind, c) for m in GAZ.find(tokenize(text), text, on) for c in m.codes]


@pytest.mark.parametrize(
    ("text", "on", "expected"),
    [
        ("Lula", date(2025, 3, 1), [("leader", "BR")]),
        ("Лулой", date(2025, 3, 1), [("leader", "BR")]),
        ("Ramaphosa", None, [("leader", "ZA")]),
        ("Рамафосе", None, [("leader", "ZA")]),
        ("Rutte", date(2023, 3, 1), [("leader", "NL")]),
        ("Rutte", date(2025, 3, 1), [("org", "NATO")]),
        ("Rutte", None, [("org", "NATO")]),  # no date: the latest post
        ("Kallas", date(2022, 6, 1), [("leader", "EE")]),
        ("Biden", date(2025, 6, 1), [("leader", "US")]),  # a former president still stands for his state
        ("Wong", date(2025, 6, 1), []),  # Penny Wong (AU) and Lawrence Wong (SG) both in office: no code
        ("Wong", date(2023, 6, 1), [("leader", "AU")]),
        ("Vladimir Putin", None, [("leader", "RU")]),
    ],
)
def test_names_resolve_against_the_date(text: str, on: date | None, expected: list) -> None:
    assert found(text, on) == expected


def test_resolve_prefers_the_term_in_force_then_the_nearest() -> None:
    terms = (
        Term("NL", "head_of_government", date(2010, 1, 1), date(2024, 7, 2)),
        Term("NATO", "org_head", date(2024, 10, 1)),
    )
    assert resolve(terms, date(2024, 8, 1)) == "NL"  # between posts: a month from NL, two from NATO
    assert resolve(terms, date(2024, 9, 20)) == "NATO"
    assert resolve(terms, None) == "NATO"


def test_every_g20_state_has_its_head_and_ministers() -> None:
    """At least one head of state or government for every G20 member, and a foreign minister for most."""
    roles: dict[str, set[str]] = {}
    for person in PEOPLE:
        for term in person.terms:
            roles.setdefault(term.code, set()).add(term.role)
    missing = [c for c in G20 if not roles.get(c, set()) & {"head_of_state", "head_of_government"}]
    assert not missing
    assert sum("foreign_minister" in roles.get(c, set()) for c in G20) >= 17


# states that act or are counterparts in the released dev sets (codes only)
DEV_STATES = [
    "AM",
    "AU",
    "AZ",
    "BF",
    "BH",
    "BY",
    "CA",
    "CN",
    "CU",
    "DE",
    "DK",
    "EE",
    "FI",
    "FR",
    "GB",
    "GE",
    "HU",
    "IN",
    "IR",
    "JP",
    "KP",
    "KR",
    "KZ",
    "LV",
    "MD",
    "ML",
    "MM",
    "NE",
    "NI",
    "PG",
    "PH",
    "PK",
    "PL",
    "PT",
    "RS",
    "RU",
    "SA",
    "SG",
    "SO",
    "ST",
    "TD",
    "TG",
    "TR",
    "UA",
    "US",
    "VN",
]


def test_every_dev_state_has_a_current_leader() -> None:
    """A head of state or government in office at the end of 2025 for every state of the dev sets."""
    on = date(2025, 12, 1)
    current = {
        t.code for p in PEOPLE for t in p.terms if t.role in ("head_of_state", "head_of_government") and t.covers(on)
    }
    assert sorted(set(DEV_STATES) - current) == []


@pytest.mark.parametrize(
    "content",
    [
        "officials: {x: 1}",
        "officials:\n  - {en: [A B], terms: [[RU, tsar, 2020-01-01]]}",
        "officials:\n  - {en: [A B], terms: [[RU, head_of_state, not-a-date]]}",
        "officials:\n  - {terms: [[RU, head_of_state, 2020-01-01]]}",
    ],
)
def test_bad_officials_raise_config_error(tmp_path: pathlib.Path, content: str) -> None:
    path = tmp_path / "officials.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="officials.yaml"):
        load_officials(path)


def test_only_names_that_may_stand_for_an_organisation_pass_the_body_prefilter() -> None:
    """Rutte (NATO) opens the prefilter of rules that need a body; Ramaphosa (a state only) does not."""
    assert GAZ.body_names is not None
    assert "rutte" in GAZ.body_names
    assert "ramaphosa" not in GAZ.body_names
