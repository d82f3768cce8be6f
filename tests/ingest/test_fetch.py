"""fetch() against real servers on 127.0.0.1: every fault becomes a classified FetchError."""

from __future__ import annotations

import contextlib
import gzip
import pathlib
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from flows.ingest.fetch import FetchPolicy, fetch, make_client, parse_retry_after, redact
from parsers.documents.feeds import parse_feed
from parsers.models import FetchedDocument, Source

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "feeds"
REPO = pathlib.Path(__file__).resolve().parents[2]
SEED = "seeds/russia-terminates-military-agreements.xml"
POLICY = FetchPolicy(connect_timeout=2, read_timeout=0.5, total_timeout=5, max_bytes=100_000, max_redirects=3)
RSS = "application/rss+xml; charset=utf-8"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """Bind pytest-httpserver to IPv4 loopback explicitly."""
    return ("127.0.0.1", 0)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(POLICY) as c:
        yield c


class RawServer:
    """A one-behaviour TCP server in a thread; it stops on exit or by itself after `lifetime`."""

    def __init__(self, behaviour: Callable[[socket.socket, threading.Event], None], lifetime: float = 10):
        self.behaviour, self.lifetime = behaviour, lifetime
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed.xml"

    def _serve(self) -> None:
        deadline = time.monotonic() + self.lifetime
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)  # the request head
                with contextlib.suppress(OSError):  # the client hung up: exactly what we provoke
                    self.behaviour(conn, self.stop)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def never_answer(conn: socket.socket, stop: threading.Event) -> None:
    """Accept, read the request, say nothing until the test is over (bounded)."""
    stop.wait(5)


def slow_drip(conn: socket.socket, stop: threading.Event) -> None:
    """Valid headers, then one byte every 20 ms: each read is fast, the whole never ends."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 50000\r\n\r\n")
    for _ in range(500):
        conn.sendall(b"<")
        if stop.wait(0.02):
            return


def hang_up(conn: socket.socket, stop: threading.Event) -> None:
    """Close without any response."""


# --- happy paths -----------------------------------------------------------------------------


def test_200_feed_records_metadata(httpserver: HTTPServer, client: httpx.Client) -> None:
    body = (FIXTURES / "rss20.xml").read_bytes()
    httpserver.expect_request("/feed.xml", headers={"User-Agent": POLICY.user_agent}).respond_with_data(
        body, content_type=RSS, headers={"ETag": '"v1"', "Last-Modified": "Fri, 19 Dec 2025 10:00:00 GMT"}
    )
    doc = fetch(client, httpserver.url_for("/feed.xml"), POLICY)
    assert doc.ok and doc.error is None and doc.status == 200
    assert doc.body == body
    assert doc.content_type == RSS
    assert (doc.etag, doc.last_modified) == ('"v1"', "Fri, 19 Dec 2025 10:00:00 GMT")
    assert doc.final_url == httpserver.url_for("/feed.xml")
    assert doc.fetched_at is not None and doc.fetched_at.tzinfo is not None
    assert isinstance(doc.elapsed_ms, int) and doc.elapsed_ms >= 0
    assert len(parse_feed(doc, Source(id="t", kind="rss", url=doc.url)).items) == 2


def test_redirect_is_followed_and_final_url_recorded(httpserver: HTTPServer, client: httpx.Client) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new.xml"})
    httpserver.expect_request("/new.xml").respond_with_data(b"<rss/>", content_type=RSS)
    doc = fetch(client, httpserver.url_for("/old"), POLICY)
    assert doc.ok and doc.final_url == httpserver.url_for("/new.xml")


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
def test_compressed_body_is_decoded(
    httpserver: HTTPServer, client: httpx.Client, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = (FIXTURES / "rss20.xml").read_bytes()
    httpserver.expect_request("/z").respond_with_data(
        compress(body), content_type=RSS, headers={"Content-Encoding": encoding}
    )
    doc = fetch(client, httpserver.url_for("/z"), POLICY)
    assert doc.ok and doc.body == body


def test_304_with_if_none_match(httpserver: HTTPServer, client: httpx.Client) -> None:
    httpserver.expect_request(
        "/feed.xml", headers={"If-None-Match": '"v1"', "If-Modified-Since": "Fri, 19 Dec 2025 10:00:00 GMT"}
    ).respond_with_data("", status=304)
    url = httpserver.url_for("/feed.xml")
    doc = fetch(client, url, POLICY, etag='"v1"', last_modified="Fri, 19 Dec 2025 10:00:00 GMT")
    assert doc.error is None and doc.status == 304 and doc.body == b""
    assert doc.etag == '"v1"'  # kept for the next conditional GET
    assert parse_feed(doc, Source(id="t", kind="rss", url=url)).items == ()


def test_cp1251_feed_over_http(httpserver: HTTPServer, client: httpx.Client) -> None:
    httpserver.expect_request("/ru.xml").respond_with_data(
        (FIXTURES / "cp1251-undeclared.xml").read_bytes(), content_type="application/rss+xml; charset=windows-1251"
    )
    doc = fetch(client, httpserver.url_for("/ru.xml"), POLICY)
    (item,) = parse_feed(doc, Source(id="ru", kind="rss", url=doc.url)).items
    assert item.title == "Россия денонсировала соглашение с Норвегией"


# --- the fault matrix ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "transient"),
    [(500, True), (503, True), (403, False), (404, False), (429, True)],
)
def test_http_status_errors(httpserver: HTTPServer, client: httpx.Client, status: int, transient: bool) -> None:
    httpserver.expect_request("/s").respond_with_data("nope", status=status)
    doc = fetch(client, httpserver.url_for("/s"), POLICY)
    assert doc.error is not None and doc.error.kind == "http_status"
    assert doc.error.transient is transient
    assert str(status) in doc.error.message and doc.status == status
    assert not doc.ok and doc.body == b""


def test_429_retry_after_is_reported(httpserver: HTTPServer, client: httpx.Client) -> None:
    httpserver.expect_request("/busy").respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    doc = fetch(client, httpserver.url_for("/busy"), POLICY)
    assert doc.error is not None and doc.error.retry_after == 120.0
    assert "retry after 120s" in doc.error.message


def test_server_that_never_answers_times_out(client: httpx.Client) -> None:
    with RawServer(never_answer) as server:
        doc = fetch(client, server.url, POLICY)
    assert doc.error is not None and (doc.error.kind, doc.error.transient) == ("timeout", True)


def test_slow_drip_body_hits_the_total_deadline() -> None:
    policy = FetchPolicy(read_timeout=2, total_timeout=0.3, max_bytes=100_000)
    with RawServer(slow_drip) as server, make_client(policy) as c:
        doc = fetch(c, server.url, policy)
    assert doc.error is not None and doc.error.kind == "timeout"
    assert "total deadline" in doc.error.message and doc.body == b""


def test_hang_up_without_response_is_io(client: httpx.Client) -> None:
    with RawServer(hang_up) as server:
        doc = fetch(client, server.url, POLICY)
    assert doc.error is not None and (doc.error.kind, doc.error.transient) == ("io", True)


def test_connection_refused(client: httpx.Client) -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    doc = fetch(client, f"http://127.0.0.1:{port}/feed.xml", POLICY)
    assert doc.error is not None and (doc.error.kind, doc.error.transient) == ("connect", False)


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 10_000):
        yield b"x" * 10_000


@pytest.mark.parametrize("declared_length", [True, False])
def test_oversize_body(httpserver: HTTPServer, client: httpx.Client, declared_length: bool) -> None:
    size = POLICY.max_bytes * 3
    if declared_length:
        httpserver.expect_request("/big").respond_with_data(b"x" * size, content_type=RSS)
    else:  # streamed without Content-Length: the cap must bite while reading
        httpserver.expect_request("/big").respond_with_handler(
            lambda request: Response(_chunks(size), content_type=RSS)
        )
    doc = fetch(client, httpserver.url_for("/big"), POLICY)
    assert doc.error is not None and doc.error.kind == "too_large" and doc.body == b""


def test_gzip_bomb_is_cut_on_decoded_size(httpserver: HTTPServer, client: httpx.Client) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # ~50 KB on the wire, 50 MB decoded
    assert len(bomb) < POLICY.max_bytes  # so only the decoded count can stop it
    httpserver.expect_request("/bomb").respond_with_data(bomb, content_type=RSS, headers={"Content-Encoding": "gzip"})
    doc = fetch(client, httpserver.url_for("/bomb"), POLICY)
    assert doc.error is not None and doc.error.kind == "too_large" and doc.body == b""


def test_redirect_loop(httpserver: HTTPServer, client: httpx.Client) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    doc = fetch(client, httpserver.url_for("/a"), POLICY)
    assert doc.error is not None and (doc.error.kind, doc.error.transient) == ("redirects", False)


def test_redirect_to_file_url_is_refused(httpserver: HTTPServer, client: httpx.Client) -> None:
    httpserver.expect_request("/evil").respond_with_data("", status=302, headers={"Location": "file:///etc/passwd"})
    doc = fetch(client, httpserver.url_for("/evil"), POLICY)
    assert doc.error is not None and doc.error.kind == "scheme" and doc.body == b""


def test_unsupported_content_encoding_is_io(httpserver: HTTPServer, client: httpx.Client) -> None:
    httpserver.expect_request("/br").respond_with_data(b"??", headers={"Content-Encoding": "br"})
    doc = fetch(client, httpserver.url_for("/br"), POLICY)
    assert doc.error is not None and doc.error.kind == "io"


def test_password_never_leaks(httpserver: HTTPServer, client: httpx.Client) -> None:
    httpserver.expect_request("/private").respond_with_data("no", status=500)
    url = httpserver.url_for("/private").replace("http://", "http://alice:hunter2secret@")
    doc = fetch(client, url, POLICY)
    assert doc.error is not None and doc.error.kind == "http_status"
    assert "hunter2secret" not in f"{doc.url} {doc.final_url} {doc.error.message}"


# --- local files: only for our own config ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "/etc/passwd", SEED, "ftp://example.org/feed.xml", "javascript:alert(1)"],
)
def test_non_http_refused_for_remote_links(client: httpx.Client, url: str) -> None:
    doc = fetch(client, url, POLICY, base_dir=REPO)
    assert doc.error is not None and doc.error.kind == "scheme" and doc.body == b""


@pytest.mark.parametrize("url", [SEED, (REPO / SEED).as_uri(), str(REPO / SEED)])
def test_local_config_paths_allowed(client: httpx.Client, url: str) -> None:
    doc = fetch(client, url, FetchPolicy(), base_dir=REPO, allow_local=True)
    assert doc.ok and doc.body == (REPO / SEED).read_bytes()
    assert doc.final_url == (REPO / SEED).as_uri()
    again = fetch(client, url, FetchPolicy(), base_dir=REPO, allow_local=True, last_modified=doc.last_modified)
    assert again.status == 304 and again.error is None


def test_local_missing_and_oversize(client: httpx.Client, tmp_path: pathlib.Path) -> None:
    missing = fetch(client, "nope.xml", POLICY, base_dir=tmp_path, allow_local=True)
    assert missing.error is not None and missing.error.kind == "io"
    (tmp_path / "big.xml").write_bytes(b"x" * (POLICY.max_bytes + 1))
    big = fetch(client, "big.xml", POLICY, base_dir=tmp_path, allow_local=True)
    assert big.error is not None and big.error.kind == "too_large"


# --- small pure helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), ("0", 0.0), ("Sat, 20 Dec 2025 10:01:00 GMT", 60.0), ("soon", None), (None, None)],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)
    assert parse_retry_after(value, now) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://u:p@host.example/x?q=1", "https://***@host.example/x?q=1"),
        ("https://host.example/x", "https://host.example/x"),
    ],
)
def test_redact(url: str, expected: str) -> None:
    assert redact(url) == expected


def test_fetched_document_ok_needs_no_error() -> None:
    doc = FetchedDocument(url="u", final_url="u", status=200, body=b"")
    assert doc.ok
