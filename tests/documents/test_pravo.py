"""parsers.documents.pravo: URL building and API JSON -> Items, against fixtures written after the documented schema."""

from __future__ import annotations

import pathlib
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from parsers.documents import pravo
from parsers.models import FetchedDocument, Source

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
BASE = "http://publication.pravo.gov.ru/api"
SOURCE = Source(
    id="pravo-gov", kind="pravo", url=BASE, lang="ru", group="legal", options=(("pravo", (("block", "government"),)),)
)


def doc(name: str, content_type: str = "application/json") -> FetchedDocument:
    body = (FIXTURES / name).read_bytes()
    return FetchedDocument(url=BASE, final_url=BASE, status=200, body=body, content_type=content_type)


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def test_documents_url_has_block_types_day_sorting_and_paging() -> None:
    q = pravo.PravoQuery(block="government", days=3, page_size=100)
    url = pravo.documents_url(BASE + "/", q, ("guid-1", "guid-2"), date(2025, 12, 19), 2)
    assert url.startswith("http://publication.pravo.gov.ru/api/Documents?")
    # working public clients filter by one day (PeriodType=day&Date=DD.MM.YYYY); ISO dates are ignored
    assert query_of(url) == [
        ("Block", "government"),
        ("DocumentTypes", "guid-1"),
        ("DocumentTypes", "guid-2"),
        ("PeriodType", "day"),
        ("Date", "19.12.2025"),
        ("SortedBy", "6"),
        ("SortDestination", "1"),
        ("PageSize", "100"),
        ("Index", "2"),
    ]
    named = pravo.documents_url(BASE, q, (), date(2025, 12, 19), 1, "о ратификации")
    assert ("Name", "о ратификации") in query_of(named)


def test_window_is_one_query_per_day_and_name_newest_first() -> None:
    q = pravo.PravoQuery(block="president", days=2, names=("о ратификации", "о денонсации"))
    assert pravo.window(q, date(2025, 12, 19)) == [
        (date(2025, 12, 19), "о ратификации"),
        (date(2025, 12, 19), "о денонсации"),
        (date(2025, 12, 18), "о ратификации"),
        (date(2025, 12, 18), "о денонсации"),
    ]
    assert pravo.window(pravo.PravoQuery(block="president", days=1), date(2025, 12, 19)) == [(date(2025, 12, 19), None)]


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        (lambda: pravo.document_types_url(BASE, "international"), f"{BASE}/DocumentTypes?block=international"),
        (
            lambda: pravo.rss_url(BASE, pravo.PravoQuery(block="president", mode="rss", page_size=200)),
            f"{BASE}/rss?block=president&pageSize=200",
        ),
    ],
)
def test_reference_and_rss_urls(builder, expected: str) -> None:
    assert builder() == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2025, 12, 18, 21, 30, tzinfo=UTC), date(2025, 12, 19)),  # 00:30 in Moscow
        (datetime(2025, 12, 18, 20, 30, tzinfo=UTC), date(2025, 12, 18)),
    ],
)
def test_moscow_today(now: datetime, expected: date) -> None:
    assert pravo.moscow_today(now) == expected


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (("Постановление Правительства Российской Федерации",), ("fd5a8766-f6fd-4ac2-8fd9-66f414d314ac",)),
        (("распоряжение",), ("11111111-2222-3333-4444-555555555555",)),  # an exact name beats prefixes
        (("Распоряжение Правительства",), ("7ff5b3b5-3757-44f1-bb76-3766cabe3593",)),  # prefix
        (
            ("Постановление", "Распоряжение"),
            ("fd5a8766-f6fd-4ac2-8fd9-66f414d314ac", "11111111-2222-3333-4444-555555555555"),
        ),
    ],
)
def test_document_type_ids_are_looked_up_by_name(wanted: tuple[str, ...], expected: tuple[str, ...]) -> None:
    ids, error = pravo.document_type_ids(doc("pravo/document-types.json"), wanted)
    assert error is None and ids == expected


def test_unknown_document_type_is_a_parse_error_naming_what_exists() -> None:
    ids, error = pravo.document_type_ids(doc("pravo/document-types.json"), ("Указ",))
    assert ids == () and error is not None and error.kind == "parse"
    assert "Указ" in error.message and "Постановление Правительства" in error.message


def test_documents_page_to_items() -> None:
    page = pravo.parse_documents(doc("pravo/documents-page1.json"), SOURCE)
    assert page.result.error is None and (page.current, page.total_pages, page.has_more) == (1, 2, True)
    first, second = page.result.items
    assert first.guid == "0001202512190007"
    assert first.url == "https://publication.pravo.gov.ru/document/0001202512190007"
    assert first.title == "Распоряжение Правительства Российской Федерации от 17.12.2025 № 3810-р"
    assert first.text.startswith("О прекращении международных договоров")
    assert first.published == datetime(2025, 12, 19, tzinfo=pravo.MOSCOW)
    assert first.published.date() == date(2025, 12, 19)  # the Moscow day, not 18 Dec in UTC
    assert first.lang == "ru" and first.needs_full_text is False
    assert second.guid == "0001202512190003" and first.id != second.id
    assert page.result.warnings == ("skipped a pravo document without a numeric eoNumber",)


def test_last_page_has_no_more() -> None:
    page = pravo.parse_documents(doc("pravo/documents-page2.json"), SOURCE)
    assert not page.has_more and [i.guid for i in page.result.items] == ["0001202512180011"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("pravo/documents-no-items.json", "parse"), ("pravo/antibot.html", "not_a_feed"), ("feeds/broken.xml", "parse")],
)
def test_bad_answers_are_classified(name: str, kind: str) -> None:
    page = pravo.parse_documents(doc(name), SOURCE)
    assert page.result.items == () and page.result.error is not None and page.result.error.kind == kind
    assert not page.has_more


@pytest.mark.parametrize("body", [b"[]", b'{"items": {}}', b"null", b'"x"'])
def test_wrong_shapes_do_not_crash(body: bytes) -> None:
    bad = FetchedDocument(url=BASE, final_url=BASE, status=200, body=body)
    assert pravo.parse_documents(bad, SOURCE).result.error is not None
    assert pravo.document_type_ids(bad, ("x",))[1] is not None


def test_rss_links_point_at_the_same_page_as_the_api() -> None:
    """The same act via RSS and via the API gets the same canonical page link."""
    rss = pravo.parse_rss(doc("feeds/pravo.xml", "application/rss+xml"), SOURCE)
    (item,) = rss.items
    assert item.url == "https://publication.pravo.gov.ru/document/0001202608040001"
    assert item.published is not None and item.published.utcoffset() == timedelta(hours=3)
