"""officials.yaml and the registry's bilateral treaties as data: codes, dates and name forms are checked
against the packages and the gazetteer, so a typo or a dangerous short form fails here, not in a text."""

from __future__ import annotations

import pathlib
import re
from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise

import pycountry
import pytest

from parsers.extract.gazetteer import load_gazetteer
from parsers.extract.morph import Inflector
from parsers.extract.officials import Person, Term, load_officials
from parsers.extract.registry import load_registry
from parsers.extract.text import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[2]
PEOPLE = load_officials(ROOT / "config" / "officials.yaml")
REGISTRY = load_registry(ROOT / "config" / "registry")
PARTY_ORGS = {b.code for b in REGISTRY if b.party}

# people who really held one post at once (a co-presidency), by state and role
CO_HOLDERS = {("NI", "head_of_state")}
# a short form two people of different states share on purpose: the date decides, or nothing does
SHARED_SHORT_FORMS = {"Wong", "Вонг", "King Abdullah", "король Абдалла"}
# common words and first names a short form must never be ("Bush", "May", "Key" would fire on plain text)
FORBIDDEN = {
    "bush", "may", "key", "rice", "bishop", "gates", "brown", "kerry", "clinton", "blair", "howard", "harper",
    "martin", "khan", "singh", "lee", "kim", "park", "moon", "wang", "li", "santos", "castro", "sharon", "peters",
    "english", "clark", "smith", "carr", "payne", "abbott", "jordan", "georgia", "chad", "israel", "ali", "hassan",
    "abdullah", "mohammed", "king", "sultan", "president", "minister", "borne", "gallant", "barak", "kurz",
    "monti", "conte", "duque", "cardoso", "mubarak", "kiska", "downer", "frieden", "masisi", "gemba", "jobim", "перес", "мубарак", "киска", "мамин", "буш", "мэй", "райс", "ким", "ли", "пак", "мун", "али",
}  # fmt: skip


def _iso(code: str) -> bool:
    return len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None


def _terms() -> list[tuple[Person, Term]]:
    return [(p, t) for p in PEOPLE for t in p.terms]


def test_every_code_is_an_iso_state_or_a_party_organisation() -> None:
    bad = [
        (p.names[0], t.code, t.role)
        for p, t in _terms()
        if not (t.code in PARTY_ORGS if t.role == "org_head" else _iso(t.code))
    ]
    assert bad == []


def test_terms_are_ordered_and_plausible() -> None:
    bad = [
        (p.names[0], t)
        for p, t in _terms()
        if t.start < date(1960, 1, 1) or t.start > date(2027, 1, 1) or (t.end is not None and t.end < t.start)
    ]
    assert bad == []


def test_no_two_holders_of_one_post_at_once() -> None:
    """A state's head, prime minister, foreign or defence minister: one person at a time (a handover day
    may be shared); organisations have several heads (the EU's presidents and High Representative)."""
    posts: dict[tuple[str, str], list[tuple[date, date, str]]] = defaultdict(list)
    for p, t in _terms():
        if t.role != "org_head" and (t.code, t.role) not in CO_HOLDERS:
            posts[(t.code, t.role)].append((t.start, t.end or date.max, p.names[0]))
    clashes = []
    for post, spans in posts.items():
        spans.sort()
        for (_s1, e1, n1), (s2, _e2, n2) in pairwise(spans):
            if s2 < e1 - timedelta(days=1):
                clashes.append((post, n1, n2, str(s2)))
    assert clashes == []


def _short_forms() -> dict[str, set[str]]:
    """A one-word name form (no space: "Lula", «Лула») -> the codes of the people it names."""
    out: dict[str, set[str]] = defaultdict(set)
    for p in PEOPLE:
        for name in p.names:
            if " " not in name:
                out[name].update(t.code for t in p.terms)
    return out


def test_short_forms_are_not_common_words() -> None:
    assert sorted(n for n in _short_forms() if n.casefold() in FORBIDDEN) == []


def test_short_forms_are_not_places() -> None:
    """A leader's one-word name must not hide a state, capital or demonym ("Jordan", "Chad", "Lima"): the
    official entry would take over the place's in the gazetteer."""
    places = load_gazetteer(ROOT / "config" / "gazetteer.yaml", Inflector(), REGISTRY)
    hidden = [n for n in _short_forms() if places.find(tokenize(n), n)]
    assert hidden == []


def test_a_short_form_names_people_of_one_state() -> None:
    """Two people of different states under one surname need the date to decide; only listed names may."""
    shared = [n for p in PEOPLE for n in p.names if n not in SHARED_SHORT_FORMS]
    owners: dict[str, set[str]] = defaultdict(set)
    for p in PEOPLE:
        for n in p.names:
            owners[n].update(t.code for t in p.terms if t.role != "org_head")
    assert sorted({n for n in shared if len(owners[n]) > 1 and " " not in n}) == []


def test_every_bilateral_treaty_has_two_distinct_states() -> None:
    bilateral = [b for b in REGISTRY if b.kind == "bilateral treaty"]
    assert len(bilateral) >= 70
    bad = [b.id for b in bilateral if len(b.parties) != 2 or len(set(b.parties)) != 2 or not all(map(_iso, b.parties))]
    assert bad == []


@pytest.mark.parametrize(
    ("role", "minimum"),
    [("head_of_state", 140), ("head_of_government", 75), ("foreign_minister", 50), ("defence_minister", 25)],
)
def test_coverage_by_post(role: str, minimum: int) -> None:
    """States covered by each post (any date): a floor, so a careless deletion shows."""
    assert len({t.code for _, t in _terms() if t.role == role}) >= minimum


def test_no_name_mixes_scripts_within_a_word() -> None:
    """A Latin "a" inside a Cyrillic surname («Нaдь») looks right and never matches a Russian text."""
    cyr, lat = re.compile("[А-Яа-яЁё]"), re.compile("[A-Za-z]")
    mixed = [w for p in PEOPLE for n in p.names for w in n.split() if cyr.search(w) and lat.search(w)]
    mixed += [w for b in REGISTRY for n in b.names for w in n.split() if cyr.search(w) and lat.search(w)]
    assert mixed == []
