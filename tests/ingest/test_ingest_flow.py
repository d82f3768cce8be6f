"""The fault matrix through the real monitor flow: one run over a local server serving many faulty
sources and good ones. Every fault ends as a recorded, classified failure of that source only."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.ingest.test_fetch import RawServer, never_answer, slow_drip
from tests.support import FIXTURES, REPO, free_port
from tests.support import db_rows as rows

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

SEED_FEED = REPO / "seeds" / "russia-terminates-military-agreements.xml"
RSS = "application/rss+xml; charset=utf-8"
MAX_BYTES = 200_000

# source id -> (error_kind, HTTP status) expected in `fetches` after the first run
EXPECTED = {
    "seed": (None, 200),
    "good": (None, 200),
    "cp1251": (None, 200),
    "unsafe": (None, 200),
    "bomb-entities": (None, 200),
    "listing": (None, 200),
    "pravo-api": (None, 200),
    "flips-empty": (None, 200),
    "e500": ("http_status", 500),
    "e403": ("http_status", 403),
    "e404": ("http_status", 404),
    "e429": ("http_status", 429),
    "silent": ("timeout", 0),
    "drip": ("timeout", 200),
    "oversize": ("too_large", 200),
    "gzip-bomb": ("too_large", 200),
    "malformed": ("parse", 200),
    "html-not-feed": ("challenge", 200),
    "redirect-loop": ("redirects", 0),
    "to-passwd": ("scheme", 0),
    "refused": ("connect", 0),
    "pravo-drift": ("parse", 200),
    "pravo-antibot": ("not_a_feed", 200),
}


def fresh_feed(base: str) -> bytes:
    """A feed dated now, linking to a local page and to file:///etc/passwd."""
    now = format_datetime(datetime.now(UTC))
    return f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>u</title>
<item><title>Passwd</title><link>file:///etc/passwd</link><guid isPermaLink="false">u-1</guid><pubDate>{now}</pubDate>
<description>short</description></item>
<item><title>Local page</title><link>{base}/page/1</link><guid isPermaLink="false">u-2</guid><pubDate>{now}</pubDate>
<description>short</description></item></channel></rss>""".encode()


def serve(server: HTTPServer, calls: dict[str, int]) -> None:
    """Every path of the matrix on one local server; `calls` counts hits per path."""

    def counted(path: str, response: Response | None = None, handler=None) -> None:
        def respond(request: Request) -> Response:
            calls[path] = calls.get(path, 0) + 1
            return handler(request) if handler else response

        server.expect_request(path).respond_with_handler(respond)

    feeds = FIXTURES / "feeds"
    etag = '"good-v1"'
    counted(
        "/good.xml",
        handler=lambda r: (
            Response(status=304)
            if r.headers.get("If-None-Match") == etag
            else Response((feeds / "rss20.xml").read_bytes(), content_type=RSS, headers={"ETag": etag})
        ),
    )
    counted("/ru.xml", Response((feeds / "cp1251-undeclared.xml").read_bytes(), content_type="application/rss+xml"))
    counted("/unsafe.xml", Response(fresh_feed(server.url_for("").rstrip("/")), content_type=RSS))
    counted(
        "/page/1",
        Response(
            "<html><body><article>" + "<p>Long local article text.</p>" * 40 + "</article></body></html>",
            content_type="text/html",
        ),
    )
    counted("/bomb.xml", Response((feeds / "entity-bomb.xml").read_bytes(), content_type=RSS))
    counted("/press/", Response((FIXTURES / "listing" / "press.html").read_bytes(), content_type="text/html"))
    counted(
        "/press/101",
        Response(
            "<html><body><div class='body'><p>" + "Полный текст. " * 80 + "</p></div></body></html>",
            content_type="text/html; charset=utf-8",
        ),
    )
    counted(
        "/flips.xml",
        handler=lambda r: Response(
            (feeds / ("rss20.xml" if calls["/flips.xml"] == 1 else "empty.xml")).read_bytes(), content_type=RSS
        ),
    )
    pravo = FIXTURES / "pravo"
    counted(
        "/api/DocumentTypes", Response((pravo / "document-types.json").read_bytes(), content_type="application/json")
    )
    counted(
        "/api/Documents",
        handler=lambda r: Response(
            (pravo / f"documents-page{r.args.get('Index', '1')}.json").read_bytes(), content_type="application/json"
        ),
    )
    counted(
        "/drift/Documents", Response((pravo / "documents-no-items.json").read_bytes(), content_type="application/json")
    )
    counted("/antibot/Documents", Response((pravo / "antibot.html").read_bytes(), content_type="text/html"))
    for code in (500, 403, 404):
        counted(f"/e{code}", Response("nope", status=code))
    counted("/e429", Response("slow down", status=429, headers={"Retry-After": "120"}))
    counted("/big.xml", Response(b"<rss>" + b"x" * (MAX_BYTES * 2), content_type=RSS))
    counted(
        "/gzbomb.xml",
        Response(gzip.compress(b"\0" * 20_000_000), content_type=RSS, headers={"Content-Encoding": "gzip"}),
    )
    counted("/broken.xml", Response((feeds / "broken.xml").read_bytes(), content_type=RSS))
    counted("/page.html", Response((feeds / "bot-challenge.html").read_bytes(), content_type="text/html"))
    counted("/loop-a", Response("", status=302, headers={"Location": "/loop-b"}))
    counted("/loop-b", Response("", status=302, headers={"Location": "/loop-a"}))
    counted("/evil", Response("", status=302, headers={"Location": "file:///etc/passwd"}))
    server.expect_request("/hook", method="POST").respond_with_data("ok")


def write_sources(tmp: Path, server: HTTPServer, silent: str, drip: str) -> Path:
    u = server.url_for
    lines = [
        f'{{id: seed, kind: rss, url: "{SEED_FEED}", lang: en, group: seed, full_text: never}}',
        f'{{id: good, kind: rss, url: "{u("/good.xml")}", lang: en, full_text: never}}',
        f'{{id: cp1251, kind: rss, url: "{u("/ru.xml")}", full_text: never}}',
        f'{{id: unsafe, kind: rss, url: "{u("/unsafe.xml")}", lang: en, full_text: always}}',
        f'{{id: bomb-entities, kind: rss, url: "{u("/bomb.xml")}", full_text: never}}',
        f'{{id: listing, kind: html, url: "{u("/press/")}", lang: ru, body_selectors: ["div.body"],'
        ' listing: {item: "li.story", title: a, link: a, date: "time, span.date", summary: p.lead}}',
        f'{{id: flips-empty, kind: rss, url: "{u("/flips.xml")}", full_text: never}}',
        f'{{id: pravo-api, kind: pravo, url: "{u("/api")}", pravo: {{block: government,'
        " document_types: [Распоряжение Правительства, Постановление], days: 3, page_size: 10}}",
        f'{{id: pravo-drift, kind: pravo, url: "{u("/drift")}", pravo: {{block: president}}}}',
        f'{{id: pravo-antibot, kind: pravo, url: "{u("/antibot")}", pravo: {{block: president}}}}',
        *(f'{{id: e{c}, kind: rss, url: "{u(f"/e{c}")}"}}' for c in (500, 403, 404, 429)),
        f'{{id: silent, kind: rss, url: "{silent}"}}',
        f'{{id: drip, kind: rss, url: "{drip}"}}',
        f'{{id: oversize, kind: rss, url: "{u("/big.xml")}"}}',
        f'{{id: gzip-bomb, kind: rss, url: "{u("/gzbomb.xml")}"}}',
        f'{{id: malformed, kind: rss, url: "{u("/broken.xml")}"}}',
        f'{{id: html-not-feed, kind: rss, url: "{u("/page.html")}"}}',
        f'{{id: redirect-loop, kind: rss, url: "{u("/loop-a")}"}}',
        f'{{id: to-passwd, kind: rss, url: "{u("/evil")}"}}',
        f'{{id: refused, kind: rss, url: "http://127.0.0.1:{free_port()}/feed.xml"}}',
    ]
    path = tmp / "sources.yaml"
    path.write_text("sources:\n" + "".join(f"  - {line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def flow_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "FETCH_RETRIES": "1",
        "FETCH_RETRY_DELAYS": "0.01",
        "READ_TIMEOUT": "0.5",
        "TOTAL_TIMEOUT": "1.5",
        "CONNECT_TIMEOUT": "1",
        "MAX_BYTES": str(MAX_BYTES),
    }.items():
        monkeypatch.setenv(f"TREATYWATCH_{key}", value)
    monkeypatch.delenv("TREATYWATCH_APPRISE_URLS", raising=False)


def test_fault_matrix_through_the_flow(tmp_path: Path, httpserver: HTTPServer, flow_env: None) -> None:
    from flows.monitor import monitor

    calls: dict[str, int] = {}
    serve(httpserver, calls)
    alerts = tmp_path / "alerts.yml"
    alerts.write_text(
        f'version: 1\nurls:\n  - "json://127.0.0.1:{httpserver.port}/hook":\n      - tag: termination, partnership\n'
    )
    db = tmp_path / "tw.duckdb"
    with RawServer(never_answer) as silent, RawServer(slow_drip) as drip:
        sources = write_sources(tmp_path, httpserver, silent.url, drip.url)
        started = datetime.now(UTC)
        first = monitor(sources=str(sources), alerts=str(alerts), db_path=str(db), config_dir=str(REPO / "config"))

    # every fault is a classified failure of its own source; every good source succeeded
    feeds = "SELECT source_id, error_kind, status FROM fetches WHERE kind = 'feed'"
    logged = {s: (k, st) for s, k, st in rows(db, feeds)}
    assert logged == EXPECTED
    # listing pages the server does not know (500) are logged as page failures, not as the source's
    pages = rows(db, "SELECT DISTINCT source_id, error_kind FROM fetches WHERE kind = 'page'")
    assert pages == [("listing", "http_status")]
    assert {f.source.id: f.record.error_kind for f in first.fetches} == {k: v[0] for k, v in EXPECTED.items()}
    assert all(err for (err,) in rows(db, "SELECT error FROM fetches WHERE error_kind IS NOT NULL"))
    # transient faults were retried once in the run; a long Retry-After and hard faults were not
    assert (calls["/e500"], calls["/e429"], calls["/e404"], calls["/e403"]) == (2, 1, 1, 1)
    (next_429,) = rows(db, "SELECT next_attempt_at FROM source_health WHERE source_id = 'e429'")[0]
    assert next_429 >= started + timedelta(seconds=119)

    # the good sources' items and the seed's events are stored
    per_source = dict(rows(db, "SELECT source_id, count(*) FROM items GROUP BY ALL"))
    assert {
        k: per_source.get(k, 0)
        for k in ("good", "cp1251", "unsafe", "bomb-entities", "listing", "pravo-api", "flips-empty")
    } == {"good": 2, "cp1251": 1, "unsafe": 2, "bomb-entities": 2, "listing": 3, "pravo-api": 3, "flips-empty": 2}
    assert rows(db, "SELECT count(*) FROM v_events WHERE source_id = 'seed'")[0][0] >= 3
    texts = dict(rows(db, "SELECT guid, text FROM items WHERE source_id = 'unsafe'"))
    assert "Long local article text." in texts["u-2"]  # the local page was fetched for full text
    assert texts["u-1"] == "short" and "root:" not in json.dumps(texts)  # file:///etc/passwd never read
    assert rows(db, "SELECT count(*) FROM items WHERE source_id = 'listing' AND text LIKE 'Полный текст.%'") == [(1,)]
    assert rows(db, "SELECT guid FROM items WHERE source_id = 'pravo-api' ORDER BY guid") == [
        ("0001202512180011",),
        ("0001202512190003",),
        ("0001202512190007",),
    ]
    doc_types = [r for r in httpserver.log if r[0].path == "/api/Documents"]
    assert {r[0].args.get("Index") for r in doc_types} == {"1", "2"}
    assert doc_types[0][0].args.getlist("DocumentTypes") == [
        "7ff5b3b5-3757-44f1-bb76-3766cabe3593",
        "fd5a8766-f6fd-4ac2-8fd9-66f414d314ac",
    ]

    # first run of new sources: 2025 items are history (stored, not alerted); seed and fresh items alert
    quiet = first.ingested.quiet_item_ids
    item_source = dict(rows(db, "SELECT item_id, source_id FROM items"))
    assert {item_source[i] for i in quiet} >= {"good", "pravo-api"}
    assert not {item_source[i] for i in quiet} & {"seed", "unsafe"}
    alerted = {
        s
        for (s,) in rows(
            db, "SELECT DISTINCT i.source_id FROM alerts JOIN events USING (event_id) JOIN items i USING (item_id)"
        )
    }
    assert "seed" in alerted and not alerted & {"good", "pravo-api"}

    # second run: 304 for the good feed, a feed gone empty is a soft failure, the 429 source waits
    second = monitor(sources=str(sources), alerts=str(alerts), db_path=str(db), config_dir=str(REPO / "config"))
    again = {f.source.id: (f.record.error_kind, f.record.status) for f in second.fetches}
    assert again["good"] == (None, 304) and again["flips-empty"][0] == "empty"
    assert "e429" not in again and calls["/e429"] == 1
    assert [s.source.id for s in second.ingested.skipped] == ["e429"]
    assert second.new_items == 0 or all(item_source.get(i.id) is None for i in second.ingested.items)
    scores = dict(rows(db, "SELECT source_id, score FROM source_health"))
    assert scores["flips-empty"] == 0.5 and scores["e404"] == 2.0 and scores["e403"] == 1.0 and scores["good"] == 0
