"""Fan-out is bounded: items per feed, page requests per source and per run are capped; what is left
keeps its summary, is counted, and later runs fetch the rest. Real HTTP server, DuckDB, Prefect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.reliability.servers import Site
from tests.support import db_rows

ARTICLE = (
    "<html><body><article>"
    + "<p>The full article text, much longer than any summary.</p>" * 20
    + "</article></body></html>"
).encode()


def guid_only_feed(site: Site, name: str, n: int) -> bytes:
    """`n` entries with only a permalink GUID and a short description (every one wants its page)."""
    now = datetime.now(UTC)
    items = "".join(
        f"<item><guid>{site.url(f'/{name}/a{k}')}</guid><pubDate>{format_datetime(now - timedelta(minutes=k))}"
        f"</pubDate><description>Summary {k}.</description></item>"
        for k in range(n)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'.encode()


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_huge_guid_only_feeds_cost_bounded_requests_and_the_rest_comes_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.monitor import monitor

    with Site() as site:
        lines = []
        for name in ("big1", "big2"):
            url = site.route(f"/{name}.xml", guid_only_feed(site, name, 3000))
            for k in range(3000):
                site.route(f"/{name}/a{k}", ARTICLE, "text/html; charset=utf-8")
            lines.append(f'  - {{id: {name}, kind: rss, url: "{url}", lang: en, full_text: always}}')
        sources = tmp_path / "sources.yaml"
        sources.write_text("sources:\n" + "\n".join(lines) + "\n")
        (tmp_path / "alerts.yml").write_text("version: 1\nurls: []\n")
        for key, value in {
            "MAX_ITEMS_PER_FEED": "1000",
            "MAX_PAGES_PER_SOURCE": "20",
            "MAX_PAGES_PER_RUN": "30",
            "FETCH_RETRIES": "0",
            "ALERT_HORIZON_DAYS": "off",
        }.items():
            monkeypatch.setenv(f"TREATYWATCH_{key}", value)
        db = tmp_path / "tw.duckdb"

        def run():
            return monitor(sources=str(sources), alerts=str(tmp_path / "alerts.yml"), db_path=str(db))

        first = run()
        pages_first = sum(v for k, v in site.hits.items() if "/a" in k)
        assert pages_first == 30  # not 6,000
        assert db_rows(db, "SELECT source_id, items, dropped FROM fetches WHERE kind = 'feed' ORDER BY 1") == [
            ("big1", 1000, 2000),
            ("big2", 1000, 2000),
        ]
        assert db_rows(db, "SELECT count(*) FROM items") == [(2000,)]  # every kept entry stored, with its summary
        assert db_rows(db, "SELECT count(*) FROM page_backlog") == [(2000 - 30,)]
        full = "SELECT count(*) FROM items WHERE text LIKE '%full article text%'"
        assert db_rows(db, full) == [(30,)]
        assert len(first.ingested.pages_deferred) == 2000 - 30

        run()  # the feeds are unchanged: only backlog pages are fetched, as many as the caps allow
        assert sum(v for k, v in site.hits.items() if "/a" in k) == 60
        assert db_rows(db, full) == [(60,)]
        assert db_rows(db, "SELECT count(*) FROM page_backlog") == [(2000 - 60,)]
