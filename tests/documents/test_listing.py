"""parsers.documents.listing: an HTML listing page -> Items with config selectors; layout drift is classified."""

from __future__ import annotations

import pathlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from parsers.documents.listing import ListingSpec, parse_listing, validate_spec
from parsers.models import FetchedDocument, FetchError, Source

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "listing"
URL = "https://ministry.example.org/press/"
SPEC = {"item": "li.story", "title": "a", "link": "a", "date": "time, span.date", "summary": "p.lead"}
SOURCE = Source(id="press", kind="html", url=URL, options=(("listing", tuple(sorted(SPEC.items()))),))


def doc(name: str, content_type: str = "text/html") -> FetchedDocument:
    return FetchedDocument(
        url=URL, final_url=URL, status=200, body=(FIXTURES / name).read_bytes(), content_type=content_type
    )


@pytest.mark.parametrize("name", ["press.html", "press-cp1251.html"])
def test_listing_items(name: str) -> None:
    result = parse_listing(doc(name), SOURCE)
    assert result.error is None
    first, second, script = result.items
    assert first.title == "Норвегия прекращает соглашение о сотрудничестве"
    assert first.url == "https://ministry.example.org/press/101"
    assert first.text == first.summary == "Осло объявил о выходе."
    assert first.published == datetime(2025, 12, 19, 10, tzinfo=timezone(timedelta(hours=3)))
    assert first.needs_full_text is True  # a one-line lead: fetch the page
    assert second.url == "https://ministry.example.org/x/102?utm_source=rss"
    assert second.published == datetime(2025, 12, 18, tzinfo=UTC)
    assert script.url == "" and script.title == "Script link story" and script.needs_full_text is False
    assert any("javascript:" in w for w in result.warnings)
    assert any("kept 3 of 5" in w for w in result.warnings)


def test_ids_are_stable_and_follow_the_canonical_url() -> None:
    a = [i.id for i in parse_listing(doc("press.html"), SOURCE).items]
    b = [i.id for i in parse_listing(doc("press-cp1251.html"), SOURCE).items]
    assert a == b and len(set(a)) == 3


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b"<html><body><p>We moved</p></body></html>", "not_a_feed"), (b"", "not_a_feed"), (b"\x00\xff<<<", "not_a_feed")],
)
def test_selector_matching_nothing_is_classified(body: bytes, kind: str) -> None:
    bad = FetchedDocument(url=URL, final_url=URL, status=200, body=body)
    result = parse_listing(bad, SOURCE)
    assert result.items == () and result.error is not None and result.error.kind == kind


def test_fetch_error_and_304_pass_through() -> None:
    err = FetchError("timeout", "slow", True)
    failed = FetchedDocument(url=URL, final_url=URL, status=0, body=b"", error=err)
    assert parse_listing(failed, SOURCE).error == err
    same = FetchedDocument(url=URL, final_url=URL, status=304, body=b"")
    assert parse_listing(same, SOURCE).extra == {"not_modified": True}


def test_spec_defaults_and_scope() -> None:
    spec = ListingSpec(item="a.headline", title=":scope", link=":scope")
    page = b'<div><a class="headline" href="/n/1">One</a><a class="headline" href="/n/2">Two</a></div>'
    items = parse_listing(FetchedDocument(url=URL, final_url=URL, status=200, body=page), SOURCE, spec).items
    assert [(i.title, i.url) for i in items] == [
        ("One", "https://ministry.example.org/n/1"),
        ("Two", "https://ministry.example.org/n/2"),
    ]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({}, "'item'"),
        ({"item": ""}, "'item'"),
        ({"item": "li", "colour": "x"}, "unknown key 'colour'"),
        ({"item": "li", "date": 3}, "'date'"),
        ("li", "mapping"),
    ],
)
def test_validate_spec(raw: object, problem: str) -> None:
    problems = validate_spec(raw)
    assert problems and any(problem in p for p in problems)
    assert validate_spec(SPEC) == []
