"""Failed article-page fetches are logged in `fetches` (kind 'page') and never count against the
source's health; the item is still stored with its summary. Real HTTP server, DuckDB and Prefect."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from rich.console import Console
from werkzeug import Request, Response

from flows.store import db
from tests.support import REPO, db_rows

MIGRATIONS = REPO / "flows" / "store" / "migrations"
ARTICLE = (
    "<html><body><article>"
    + "<p>The whole article, long enough to replace the summary.</p>" * 30
    + "</article></body></html>"
)


def feed(base: str) -> bytes:
    """Three summary-only items whose pages answer 200, 404 and 503 (fresh dates: nothing is history)."""
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>Story {name}</title><link>{base}/page/{name}</link><guid isPermaLink='false'>g-{name}</guid>"
        f"<pubDate>{now}</pubDate><description>Summary of {name}.</description></item>"
        for name in ("ok", "gone", "busy")
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_failed_pages_are_logged_but_do_not_score_against_the_source(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.cli.summary import print_summary
    from flows.monitor import monitor

    calls: dict[str, int] = {}

    def counted(path: str, response: Response) -> None:
        def respond(request: Request) -> Response:
            calls[path] = calls.get(path, 0) + 1
            return response

        httpserver.expect_request(path).respond_with_handler(respond)

    counted("/feed.xml", Response(feed(httpserver.url_for("").rstrip("/")), content_type="application/rss+xml"))
    counted("/page/ok", Response(ARTICLE, content_type="text/html; charset=utf-8"))
    counted("/page/gone", Response("gone", status=404))
    counted("/page/busy", Response("busy", status=503))  # transient: retried in the run, still failing
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: wire, kind: rss, url: "{httpserver.url_for("/feed.xml")}", lang: en,'
        " full_text: always}\n",
        encoding="utf-8",
    )
    for key, value in {
        "FETCH_RETRIES": "1",
        "FETCH_RETRY_DELAYS": "0.01",
        "HEALTH_FAILING_AT": "1",
        "HEALTH_BACKOFF_AFTER": "1",
    }.items():  # one counted failure would show at once
        monkeypatch.setenv(f"TREATYWATCH_{key}", value)
    monkeypatch.delenv("TREATYWATCH_APPRISE_URLS", raising=False)
    path = tmp_path / "tw.duckdb"

    summary = monitor(sources=str(sources), db_path=str(path), config_dir=str(REPO / "config"))

    item_of = {guid: item_id for item_id, guid in db_rows(path, "SELECT item_id, guid FROM items")}
    failed = db_rows(
        path,
        "SELECT source_id, item_id, url, error_kind, status FROM fetches"
        " WHERE kind = 'page' AND error_kind IS NOT NULL ORDER BY status",
    )
    assert failed == [
        ("wire", item_of["g-gone"], httpserver.url_for("/page/gone"), "http_status", 404),
        ("wire", item_of["g-busy"], httpserver.url_for("/page/busy"), "http_status", 503),
    ]
    assert calls["/page/busy"] == 3 and calls["/page/gone"] == 1  # chunk attempt + the declared retries
    assert db_rows(path, "SELECT count(*) FROM fetches WHERE kind = 'page'") == [(2,)]  # no row for the good page
    assert db_rows(path, "SELECT kind, error_kind, item_id FROM fetches WHERE kind <> 'page'") == [("feed", None, None)]

    # the items are stored: summaries where the page failed, the article where it worked
    texts = dict(db_rows(path, "SELECT guid, text FROM items"))
    assert texts["g-gone"] == "Summary of gone." and texts["g-busy"] == "Summary of busy."
    assert "The whole article" in texts["g-ok"]

    # the source is healthy: page failures are not in its score, counters or the run's failed sources
    assert db_rows(path, "SELECT state, score, next_attempt_at FROM source_health") == [("ok", 0.0, None)]
    assert db_rows(path, "SELECT consecutive_failures, last_error FROM sources") == [(0, None)]
    assert db_rows(path, "SELECT sources_ok, sources_failed FROM runs") == [(1, 0)]
    assert db_rows(path, "SELECT count(*) FROM source_health_events") == [(0,)]
    assert summary.failed_sources == [] and len(summary.ingested.page_failures) == 2

    console = Console(record=True, width=200)
    print_summary(summary, console)
    text = console.export_text()
    assert "article pages failed (2), summaries kept" in text and httpserver.url_for("/page/busy") in text


def test_migration_003_adds_fetch_kind_to_an_existing_v2_file(tmp_path: Path) -> None:
    """A file written by schema v2 keeps its rows; they read as feed fetches."""
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)")
    for n, name in ((1, "001_init.sql"), (2, "002_source_health.sql")):
        con.execute((MIGRATIONS / name).read_text(encoding="utf-8"))
        con.execute("INSERT INTO schema_migrations VALUES (?, now())", [n])
    con.execute("INSERT INTO fetches (run_id, source_id, url, started_at, status) VALUES ('old', 's', 'u', now(), 200)")
    con.close()

    with db.connect(path) as con:
        latest = max(int(p.name[:3]) for p in MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql"))
        assert latest >= 3 and con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (latest,)
        assert con.execute("SELECT run_id, kind, item_id FROM fetches").fetchall() == [("old", "feed", None)]
