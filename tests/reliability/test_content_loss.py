"""No silent content loss: a lying charset label is detected and the text decoded right (the events
are still found), a recycled GUID with different content is kept, and every dropped entry is counted
in `fetches` and the run summary. Real HTTP server, DuckDB and Prefect flow."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from rich.console import Console

from parsers.documents.feeds import parse_feed
from parsers.models import FetchedDocument, Source
from tests.support import FIXTURES, db_rows

CP1251 = (FIXTURES / "feeds" / "cp1251-declared.xml").read_bytes()
TEXT = CP1251.decode("cp1251")
SOURCE = Source(id="ru", kind="rss", url="https://cp.example.ru/feed", lang="ru")


def parse(body: bytes, content_type: str):
    return parse_feed(
        FetchedDocument(url=SOURCE.url, final_url=SOURCE.url, status=200, body=body, content_type=content_type), SOURCE
    )


@pytest.mark.parametrize(
    "body,content_type",
    [
        (
            TEXT.replace("windows-1251", "utf-8").encode("cp1251"),
            "application/rss+xml; charset=utf-8",
        ),  # cp1251 as UTF-8
        (TEXT.replace("windows-1251", "utf-8").encode("cp1251"), "application/rss+xml"),  # the prolog lies
        (
            TEXT.replace("windows-1251", "koi8-r").encode("utf-8"),
            "application/rss+xml; charset=KOI8-R",
        ),  # UTF-8 as KOI8-R
        (TEXT.replace("windows-1251", "koi8-r").encode("utf-8"), "text/xml"),
    ],
)
def test_lying_charset_labels_are_detected_and_decoded_right(body: bytes, content_type: str) -> None:
    truth = parse(CP1251, "application/rss+xml")
    got = parse(body, content_type)
    assert [(i.title, i.text) for i in got.items] == [(i.title, i.text) for i in truth.items]
    assert got.items[0].title == "Россия денонсировала соглашение с Норвегией"
    assert "charset mismatch" in got.extra["charset_mismatch"]


def test_truthful_labels_are_left_alone() -> None:
    assert parse(CP1251, "application/rss+xml").extra["charset_mismatch"] is None
    utf8 = TEXT.replace("windows-1251", "utf-8").encode("utf-8")
    assert parse(utf8, "application/rss+xml; charset=utf-8").extra["charset_mismatch"] is None


def entry(guid: str | None, title: str | None, text: str, link: str | None = None) -> str:
    now = format_datetime(datetime.now(UTC))
    return (
        "<item>"
        + (f"<guid isPermaLink='false'>{guid}</guid>" if guid else "")
        + (f"<title>{title}</title>" if title else "")
        + (f"<link>{link}</link>" if link else "")
        + f"<pubDate>{now}</pubDate><description>{text}</description></item>"
    )


MIXED = (
    '<?xml version="1.0" encoding="koi8-r"?><rss version="2.0"><channel><title>Лента</title>'
    + entry(
        "a", "Россия денонсировала соглашение с Норвегией", "Москва уведомила Осло о прекращении действия соглашения."
    )
    + entry("b", "Вторая новость", "Текст второй новости.")
    + entry("b", "Вторая новость", "Текст второй новости.")  # listed twice: the same story
    + entry("c", "Третья новость", "Первая версия.")
    + entry("c", "Совсем другая новость", "Издатель переиспользовал GUID.")  # recycled GUID
    + entry(None, None, "Запись без заголовка, ссылки и GUID.")
    + entry(None, None, "Ещё одна такая запись.")
    + "</channel></rss>"
).encode("utf-8")


def test_duplicates_and_anonymous_entries_are_counted_and_a_recycled_guid_is_kept() -> None:
    got = parse(MIXED, "application/rss+xml; charset=koi8-r")
    assert [i.title for i in got.items] == [
        "Россия денонсировала соглашение с Норвегией",
        "Вторая новость",
        "Третья новость",
        "Совсем другая новость",
    ]
    assert len({i.id for i in got.items}) == 4 and got.extra["dropped"] == 3


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_mislabelled_feed_still_yields_its_events_and_every_drop_is_counted(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.cli.summary import print_summary
    from flows.monitor import monitor

    httpserver.expect_request("/ru.xml").respond_with_data(MIXED, content_type="application/rss+xml; charset=KOI8-R")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: ru, kind: rss, url: "{httpserver.url_for("/ru.xml")}", lang: ru, full_text: never}}\n'
    )
    (tmp_path / "alerts.yml").write_text("version: 1\nurls: []\n")
    monkeypatch.setenv("TREATYWATCH_FETCH_RETRIES", "0")
    db = tmp_path / "tw.duckdb"
    summary = monitor(sources=str(sources), alerts=str(tmp_path / "alerts.yml"), db_path=str(db))
    ((items, dropped, note),) = db_rows(db, "SELECT items, dropped, note FROM fetches WHERE kind = 'feed'")
    assert (items, dropped) == (4, 3)
    assert "charset mismatch: labelled KOI8-R but the bytes are UTF-8" in note
    assert "2 entries with no guid, link or title dropped" in note and "1 repeated entries" in note
    assert "1 entries reusing an id with different content kept" in note
    assert ("Россия денонсировала соглашение с Норвегией",) in db_rows(db, "SELECT title FROM items")
    assert db_rows(db, "SELECT count(*) FROM events WHERE actor = 'RU'")[0][0] >= 1  # the event is not lost
    out = io.StringIO()
    print_summary(summary, Console(file=out, width=200))
    assert "entries not stored: 3" in out.getvalue() and "charset label wrong, corrected: ru" in out.getvalue()
