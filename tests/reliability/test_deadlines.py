"""Every request has one total deadline (connect + headers + body), and every source a time budget per
run: a server trickling its headers, or a source with endless slow pages, cannot stall a run."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flows.ingest.collect import FetchContext, SourceBudgets, complete_item
from flows.ingest.fetch import FetchPolicy, HostLimiter, fetch, make_client
from parsers.models import Item, Source
from tests.ingest.test_fetch import RawServer


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


def trickle_headers(conn: socket.socket, stop: threading.Event) -> None:
    """A status line and headers one byte at a time, each well inside the read timeout: never ends."""
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000
    for byte in head:
        conn.sendall(bytes([byte]))
        if stop.wait(0.2):
            return


def test_trickled_headers_fail_at_the_total_deadline() -> None:
    policy = FetchPolicy(connect_timeout=1, read_timeout=1, total_timeout=1.5, max_bytes=100_000)
    started = time.monotonic()
    with RawServer(trickle_headers, lifetime=30) as server, make_client(policy) as client:
        doc = fetch(client, server.url, policy)
    elapsed = time.monotonic() - started
    assert doc.error is not None and doc.error.kind == "timeout" and "total deadline" in doc.error.message
    assert 1.4 <= elapsed < 3.0, elapsed  # at the deadline, not at the server's whim


def test_a_source_with_slow_pages_stops_at_its_budget(httpserver: HTTPServer) -> None:
    served: list[str] = []

    def slow(request: Request) -> Response:
        served.append(request.path)
        time.sleep(0.3)  # the remote server's slowness, not a test wait
        return Response("<article>" + "<p>Long article text.</p>" * 50 + "</article>", content_type="text/html")

    httpserver.expect_request("/page", method="GET").respond_with_handler(slow)
    source = Source(id="slow", kind="rss", url=httpserver.url_for("/feed.xml"))
    items = [
        Item(
            id=f"i{n}",
            source_id="slow",
            url=httpserver.url_for("/page") + f"?n={n}",
            title="t",
            text="short",
            needs_full_text=True,
        )
        for n in range(20)
    ]
    policy = FetchPolicy(connect_timeout=1, read_timeout=2, total_timeout=5, max_bytes=100_000)
    started = time.monotonic()
    with make_client(policy) as client:
        ctx = FetchContext(client, policy, Path("."), HostLimiter(4), datetime.now(UTC), SourceBudgets(1.0))
        pages = [complete_item(i, source, ctx) for i in items]
    elapsed = time.monotonic() - started
    done = [p for p in pages if p.failure is None]
    # not requested once the budget was spent, or cut at what was left of it
    over = [p for p in pages if p.failure is not None and p.failure.error_kind == "timeout"]
    assert elapsed < 2.0, elapsed
    assert 2 <= len(done) <= 5 and len(done) + len(over) == 20 and len(served) <= 5
    assert all(p.item.text == "short" for p in over)  # their summaries are kept
