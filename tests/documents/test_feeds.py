"""parse_feed: each fixture under tests/fixtures/feeds states the behaviour it pins."""

from __future__ import annotations

import pathlib
from datetime import UTC, date, datetime, timedelta

import pytest

from parsers.documents.feeds import parse_date, parse_feed
from parsers.models import FetchedDocument, FetchError, Source

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "feeds"
REPO = pathlib.Path(__file__).resolve().parents[2]
SOURCE = Source(id="wire", kind="rss", url="https://news.example.org/feed.xml")


def doc_of(
    name: str, url: str = "https://news.example.org/feed.xml", content_type: str = "application/rss+xml"
) -> FetchedDocument:
    """A fetched document holding one fixture, as fetch() would return it."""
    return FetchedDocument(
        url=url, final_url=url, status=200, body=(FIXTURES / name).read_bytes(), content_type=content_type
    )


def test_rss20_items_text_and_ids() -> None:
    result = parse_feed(doc_of("rss20.xml"), SOURCE)
    assert result.error is None and result.warnings == ()
    first, second = result.items
    assert first.title == "Norway ends defence cooperation memorandum"
    assert first.text == "Oslo said on Friday it would end the memorandum.\n\nThe agreement dated from 1995."
    assert "alert" not in first.text
    assert first.summary == "Oslo said on Friday it would end the memorandum."
    assert first.guid == "wire-0001"
    assert first.published == datetime(2025, 12, 19, 14, 5, tzinfo=UTC)
    assert first.lang == "en"
    assert first.needs_full_text is False  # it has <content:encoded>
    assert second.needs_full_text is True  # short description only
    assert second.text == "The two countries signed an agreement in Moscow."


def test_atom_html_content_relative_link_and_offset() -> None:
    url = "http://acts.example.ru/acts/news/feed"
    result = parse_feed(doc_of("atom.xml", url, "application/atom+xml"), SOURCE)
    (item,) = result.items
    assert item.url == "http://acts.example.ru/acts/news/78784"
    assert item.title == "Подписан закон о ратификации соглашения с Индией"
    assert item.text.split("\n\n") == [
        "Президент подписал Федеральный закон «О ратификации Соглашения».",
        "Соглашение подписано в Москве 18 февраля 2025 года.",
    ]
    assert item.lang == "ru"  # SOURCE has no lang: detected
    assert item.published is not None and item.published.utcoffset() == timedelta(hours=3)
    assert item.needs_full_text is False


def test_rss10_rdf() -> None:
    result = parse_feed(doc_of("rss10.rdf", content_type="application/rdf+xml"), SOURCE)
    (item,) = result.items
    assert result.extra["feed_version"] == "rss10"
    assert item.guid == "https://rdf.example.org/a"
    assert item.url == "https://rdf.example.org/a"
    assert item.published == datetime(2025, 12, 19, 9, 0, tzinfo=UTC)


def test_relative_links_resolve_against_final_url() -> None:
    result = parse_feed(doc_of("rss20.xml", url="https://mirror.example.net/feeds/x.xml"), SOURCE)
    assert result.items[1].url == "https://mirror.example.net/world/2"


def test_malformed_feed_keeps_recovered_entries_with_warning() -> None:
    result = parse_feed(doc_of("malformed-recoverable.xml"), SOURCE)
    assert result.error is None
    titles = [i.title for i in result.items]
    assert titles[:2] == ["Poland agreement ended", "Romania & Bulgaria talks"]
    assert any("malformed feed" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("name", "content_type", "kind"),
    [
        ("not-a-feed.html", "text/html; charset=utf-8", "not_a_feed"),
        ("not-a-feed.html", "application/rss+xml", "not_a_feed"),  # lying content type
        ("bot-challenge.html", "text/html; charset=utf-8", "challenge"),  # blocked, not moved
        ("broken.xml", "application/rss+xml", "parse"),
    ],
)
def test_unusable_documents_are_classified(name: str, content_type: str, kind: str) -> None:
    result = parse_feed(doc_of(name, content_type=content_type), SOURCE)
    assert result.items == ()
    assert result.error is not None and result.error.kind == kind


def test_empty_feed_is_not_an_error() -> None:
    result = parse_feed(doc_of("empty.xml"), SOURCE)
    assert result.items == () and result.error is None


def test_entity_bomb_is_not_expanded() -> None:
    result = parse_feed(doc_of("entity-bomb.xml"), SOURCE)
    assert result.error is None
    assert "Quiet item" in [i.title for i in result.items]
    assert all(len(i.title) < 1000 and len(i.text) < 1000 for i in result.items)


def test_external_entity_is_not_resolved() -> None:
    result = parse_feed(doc_of("xxe.xml"), SOURCE)
    assert all("root:" not in i.title for i in result.items)
    assert result.items[0].title.startswith("before")


def test_unsafe_links_are_dropped() -> None:
    result = parse_feed(doc_of("unsafe-links.xml"), SOURCE)
    by_guid = {i.guid: i for i in result.items}
    assert by_guid["u-1"].url == "" and by_guid["u-1"].needs_full_text is False
    assert by_guid["u-2"].url == "" and by_guid["u-2"].needs_full_text is False
    assert by_guid["u-3"].url == "https://unsafe.example.org/ok" and by_guid["u-3"].needs_full_text
    dropped = [w for w in result.warnings if w.startswith("dropped non-http(s) link")]
    assert len(dropped) == 2 and any("file:" in w for w in dropped)


@pytest.mark.parametrize(
    ("full_text", "expected"),
    [("auto", [False, True]), ("always", [True, True]), ("never", [False, False])],
)
def test_needs_full_text_modes(full_text: str, expected: list[bool]) -> None:
    source = Source(id="wire", kind="rss", url="https://x.example/", full_text=full_text)
    result = parse_feed(doc_of("rss20.xml"), source)
    assert [i.needs_full_text for i in result.items] == expected


def test_long_summary_does_not_need_full_text() -> None:
    body = (
        (FIXTURES / "rss20.xml")
        .read_text()
        .replace("&lt;p&gt;The two countries signed an agreement in Moscow.&lt;/p&gt;", "word " * 200)
    )
    doc = FetchedDocument(url="https://n.example/", final_url="https://n.example/", status=200, body=body.encode())
    assert parse_feed(doc, SOURCE).items[1].needs_full_text is False


def test_ids_are_stable_across_parses_and_distinct() -> None:
    ids1 = [i.id for i in parse_feed(doc_of("rss20.xml"), SOURCE).items]
    ids2 = [i.id for i in parse_feed(doc_of("rss20.xml"), SOURCE).items]
    assert ids1 == ids2 and len(set(ids1)) == 2
    other = Source(id="other", kind="rss", url="https://x.example/")
    assert [i.id for i in parse_feed(doc_of("rss20.xml"), other).items] != ids1  # guid per source


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("cp1251-declared.xml", "application/rss+xml"),
        ("cp1251-undeclared.xml", "application/rss+xml; charset=windows-1251"),
        ("cp1251-undeclared.xml", "application/rss+xml"),  # nothing declared: sniffed
        ("cp1251-undeclared.xml", ""),
    ],
)
def test_cp1251_russian_feed_decodes(name: str, content_type: str) -> None:
    result = parse_feed(doc_of(name, content_type=content_type), Source(id="ru", kind="rss", url="x"))
    (item,) = result.items
    assert item.title == "Россия денонсировала соглашение с Норвегией"
    assert item.lang == "ru"


def test_pravo_midnight_date_keeps_the_day() -> None:
    (item,) = parse_feed(doc_of("pravo.xml"), SOURCE).items
    assert item.published is not None
    assert item.published.date() == date(2026, 8, 4)
    assert item.published.utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 04 Aug 2026 00:00:00 +03:00", datetime(2026, 8, 4, tzinfo=UTC) + timedelta(hours=-3)),
        ("Fri, 19 Dec 2025 14:05:00 GMT", datetime(2025, 12, 19, 14, 5, tzinfo=UTC)),
        ("2025-12-15T18:00:00+03:00", datetime(2025, 12, 15, 15, 0, tzinfo=UTC)),
        ("2025-12-19T09:00:00Z", datetime(2025, 12, 19, 9, 0, tzinfo=UTC)),
        ("not a date", None),
        (None, None),
    ],
)
def test_parse_date(raw: str | None, expected: datetime | None) -> None:
    got = parse_date(raw)
    assert got == expected
    assert got is None or got.tzinfo is not None


def test_fetch_error_passes_through_and_304_is_empty() -> None:
    err = FetchError("timeout", "slow", True)
    failed = FetchedDocument(url="u", final_url="u", status=0, body=b"", error=err)
    assert parse_feed(failed, SOURCE).error == err
    not_modified = FetchedDocument(url="u", final_url="u", status=304, body=b"")
    result = parse_feed(not_modified, SOURCE)
    assert result.items == () and result.error is None and result.extra["not_modified"] is True


def test_seed_feed_parses_to_the_full_article() -> None:
    seed = Source(id="seed", kind="rss", url="seeds/x.xml", lang="en", group="seed", full_text="never")
    path = REPO / "seeds" / "russia-terminates-military-agreements.xml"
    doc = FetchedDocument(url=str(path), final_url=path.as_uri(), status=200, body=path.read_bytes())
    result = parse_feed(doc, seed)
    (item,) = result.items
    expected = (REPO / "seeds" / "russia-terminates-military-agreements.txt").read_text(encoding="utf-8")
    assert f"{item.title}\n\n{item.text}" == expected.strip()
    assert item.needs_full_text is False and item.lang == "en"
    assert item.url == "https://treatywatch.invalid/seeds/russia-terminates-military-agreements"


def test_ids_survive_the_feed_moving_from_http_to_https() -> None:
    """pravo-style GUIDs without isPermaLink get resolved against the feed URL by feedparser."""
    plain = parse_feed(doc_of("pravo.xml", url="http://publication.pravo.gov.ru/api/rss"), SOURCE)
    tls = parse_feed(doc_of("pravo.xml", url="https://publication.pravo.gov.ru/api/rss"), SOURCE)
    assert [i.id for i in plain.items] == [i.id for i in tls.items]


def test_body_that_is_a_local_path_is_not_opened() -> None:
    """feedparser.parse(bytes) tries open(bytes): a remote body naming a local file must stay text."""
    path = str(FIXTURES / "rss20.xml").encode()
    doc = FetchedDocument(url="https://evil.example/", final_url="https://evil.example/", status=200, body=path)
    result = parse_feed(doc, SOURCE)
    assert result.items == ()  # with open(), this would be the two items of rss20.xml
    assert result.error is not None and result.error.kind in ("parse", "not_a_feed")
