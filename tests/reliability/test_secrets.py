"""Credentials in a feed URL never reach the database: not `sources.url`, not `v_source_health`, not
`fetches.url`, not anywhere in the file. Real HTTP server, DuckDB file and Prefect flow."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from flows.store import db
from tests.support import FIXTURES

SECRET = "s3cretPassw0rd"


def every_text(path: Path) -> str:
    """Every VARCHAR/JSON value of every table and view, as one string."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal AND "
            "(data_type LIKE 'VARCHAR%' OR data_type = 'JSON')"
        ).fetchall()
        out = []
        for table, column in cols:
            out += [str(v) for (v,) in con.execute(f'SELECT "{column}" FROM "{table}"').fetchall()]
        return "\n".join(out)
    finally:
        con.close()


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_feed_credentials_are_redacted_everywhere(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.monitor import monitor

    feed = next((FIXTURES / "feeds").glob("*.xml")).read_bytes()
    httpserver.expect_request("/feed.xml").respond_with_data(feed, content_type="application/rss+xml")
    httpserver.expect_request("/down.xml").respond_with_data("no", status=500)
    ok = httpserver.url_for("/feed.xml").replace("http://", f"http://reader:{SECRET}@")
    down = httpserver.url_for("/down.xml").replace("http://", f"http://{SECRET}@")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: ok, kind: rss, url: "{ok}", full_text: never}}\n'
        f'  - {{id: down, kind: rss, url: "{down}", full_text: never}}\n'
    )
    (tmp_path / "alerts.yml").write_text("version: 1\nurls: []\n")
    monkeypatch.setenv("TREATYWATCH_FETCH_RETRIES", "0")
    path = tmp_path / "tw.duckdb"
    monitor(sources=str(sources), alerts=str(tmp_path / "alerts.yml"), db_path=str(path))
    text = every_text(path)
    # the session server may already listen on "localhost" (started by an earlier module): take its host
    assert f"***@{httpserver.host}" in text and SECRET not in text and "reader:" not in text
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert {u for (u,) in con.execute("SELECT url FROM v_source_health").fetchall()} == {
            ok.replace(f"reader:{SECRET}@", "***@"),
            down.replace(f"{SECRET}@", "***@"),
        }
    finally:
        con.close()
    assert SECRET.encode() not in path.read_bytes()


def test_migration_scrubs_urls_stored_before(tmp_path: Path) -> None:
    path = tmp_path / "tw.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)")
    for number, sql in db._migrations():
        if number < 8:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [number])
    con.execute(
        "INSERT INTO sources (source_id, kind, url, first_seen_at) VALUES "
        f"('a', 'rss', 'https://u:{SECRET}@feeds.example/x?q=1', now()), ('b', 'rss', 'https://plain.example/f', now())"
    )
    con.close()
    with db.connect(path) as con:
        urls = dict(con.execute("SELECT source_id, url FROM sources").fetchall())
    assert urls == {"a": "https://***@feeds.example/x?q=1", "b": "https://plain.example/f"}
