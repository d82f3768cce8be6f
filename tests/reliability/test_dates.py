"""Impossible dates (year 0001, far future) are clamped to the fetch time and flagged, so they can
neither pass for 2001 nor carry an old backlog past the first-run horizon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from parsers.documents.feeds import parse_feed
from parsers.models import FetchedDocument, Source
from tests.support import db_rows

FETCHED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SOURCE = Source(id="d", kind="rss", url="https://d.example/feed", lang="en")


def feed(dates: list[str], tag: str = "pubDate") -> bytes:
    items = "".join(
        f"<item><guid isPermaLink='false'>g{n}</guid><title>Story {n}</title><{tag}>{d}</{tag}>"
        f"<description>Text {n}.</description></item>"
        for n, d in enumerate(dates)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize(
    "raw",
    [
        "Mon, 01 Jan 0001 00:00:00 GMT",
        "Sat, 01 Jan 2999 00:00:00 GMT",
        "Tue, 01 Dec 2026 15:00:00 -0800",
        "Wed, 31 Dec 1969 23:00:00 GMT",
    ],
)
def test_impossible_dates_become_the_fetch_time_with_a_flag(raw: str) -> None:
    got = parse_feed(
        FetchedDocument(
            url=SOURCE.url,
            final_url=SOURCE.url,
            status=200,
            body=feed([raw]),
            content_type="application/rss+xml",
            fetched_at=FETCHED,
        ),
        SOURCE,
    )
    (item,) = got.items
    if raw.startswith("Tue"):  # 23:00 UTC the same day: a time zone ahead, not an impossible date
        assert item.published == datetime(2026, 12, 1, 23, 0, tzinfo=UTC) and not item.date_doubtful
        return
    assert item.published == FETCHED and item.date_doubtful
    assert any("implausible date" in w for w in got.warnings)


def test_plausible_dates_are_kept() -> None:
    raw = ["Fri, 19 Dec 2025 10:00:00 +0300", "Thu, 01 Jan 1970 00:00:00 GMT"]
    got = parse_feed(
        FetchedDocument(
            url=SOURCE.url,
            final_url=SOURCE.url,
            status=200,
            body=feed(raw),
            content_type="application/rss+xml",
            fetched_at=FETCHED,
        ),
        SOURCE,
    )
    assert [i.date_doubtful for i in got.items] == [False, False]
    assert got.items[0].published == datetime(2025, 12, 19, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_far_future_and_year_one_do_not_skip_the_first_run_horizon(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.monitor import monitor

    now = datetime.now(UTC)
    body = feed(
        [
            "Sat, 01 Jan 2999 00:00:00 GMT",
            "Mon, 01 Jan 0001 00:00:00 GMT",
            format_datetime(now),
            format_datetime(now - timedelta(days=400)),
        ]
    )
    httpserver.expect_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: d, kind: rss, url: "{httpserver.url_for("/feed.xml")}", lang: en, full_text: never}}\n'
    )
    (tmp_path / "alerts.yml").write_text("version: 1\nurls: []\n")
    monkeypatch.setenv("TREATYWATCH_FETCH_RETRIES", "0")
    monkeypatch.setenv("TREATYWATCH_ALERT_HORIZON_DAYS", "30")
    db = tmp_path / "tw.duckdb"
    summary = monitor(sources=str(sources), alerts=str(tmp_path / "alerts.yml"), db_path=str(db))
    titles = {i.id: i.title for i in summary.ingested.items}
    quiet = sorted(titles[i] for i in summary.ingested.quiet_item_ids)
    assert quiet == ["Story 0", "Story 1", "Story 3"]  # the impossible dates and the old one; "Story 2" alerts
    stored = dict(db_rows(db, "SELECT title, published FROM items"))
    assert stored["Story 0"].year == stored["Story 1"].year == now.year  # the fetch time, not 2999 / 2001
    ((note,),) = db_rows(db, "SELECT note FROM fetches WHERE kind = 'feed'")
    assert "implausible date 'Sat, 01 Jan 2999 00:00:00 GMT' set to the fetch time" in note
