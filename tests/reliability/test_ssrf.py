"""SSRF: links and redirects found in fetched content never reach loopback, private, link-local or
other non-public addresses, whatever the spelling; the operator's own URLs are trusted as written.
Real servers on 127.0.0.1: the "victim" stands for an internal service and must see no request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from flows.ingest.fetch import FetchPolicy, fetch, make_client
from flows.ingest.guard import address_problem, literal_ip
from parsers.config.sources import load_sources
from parsers.errors import ConfigError
from tests.reliability.servers import Victim
from tests.support import db_rows

POLICY = FetchPolicy(connect_timeout=1, read_timeout=1, total_timeout=3, max_bytes=100_000, max_redirects=3)


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(POLICY) as c:
        yield c


@pytest.fixture
def victim() -> Iterator[Victim]:
    with Victim() as v:
        yield v


ATTACKS = [
    "http://127.0.0.1:{p}/other-port",
    "http://localhost:{p}/by-name",
    "http://2130706433:{p}/decimal",
    "http://0x7f.0.0.1:{p}/hex",
    "http://0177.0.0.1:{p}/octal",
    "http://127.1:{p}/short",
    "http://[::ffff:127.0.0.1]:{p}/v4-mapped",
    "http://[::127.0.0.1]:{p}/v4-compatible",
    "http://[::1]:{p}/v6-loopback",
    "http://0.0.0.0:{p}/unspecified",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/private",
    "http://192.168.1.1/private",
    "http://172.16.0.1/private",
    "http://100.64.0.1/cgnat",
    "http://[fd00::1]/ula",
    "http://[fe80::1]/v6-link-local",
    "http://224.0.0.1/multicast",
    "http://240.0.0.1/reserved",
    "https://127.0.0.1:{p}/tls",
]


@pytest.mark.parametrize("template", ATTACKS)
def test_link_to_internal_address_is_blocked(
    template: str, client: httpx.Client, victim: Victim, httpserver: HTTPServer
) -> None:
    feed_url = httpserver.url_for("/feed.xml")
    doc = fetch(client, template.format(p=victim.port), POLICY, origin=feed_url)
    assert doc.error is not None and doc.error.kind == "blocked", doc.error
    assert doc.body == b"" and victim.hits == []


def test_redirect_from_same_origin_page_to_private_is_blocked(
    client: httpx.Client, victim: Victim, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/page").respond_with_data(
        "", status=302, headers={"Location": f"http://127.0.0.1:{victim.port}/admin"}
    )
    doc = fetch(client, httpserver.url_for("/page"), POLICY, origin=httpserver.url_for("/feed.xml"))
    assert doc.error is not None and doc.error.kind == "blocked" and victim.hits == []


def test_feed_redirect_to_another_port_is_blocked(client: httpx.Client, victim: Victim, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        "", status=301, headers={"Location": f"http://2130706433:{victim.port}/feed.xml"}
    )
    doc = fetch(client, httpserver.url_for("/feed.xml"), POLICY)  # the operator's URL: trusted as written
    assert doc.error is not None and doc.error.kind == "blocked" and victim.hits == []
    assert doc.status == 301  # the hop that led there is what the fetch log shows


def test_operator_url_and_same_origin_links_are_trusted(client: httpx.Client, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data("<p>article</p>", content_type="text/html")
    httpserver.expect_request("/old").respond_with_data("", status=302, headers={"Location": "/page"})
    assert fetch(client, httpserver.url_for("/page"), POLICY).ok
    assert fetch(client, httpserver.url_for("/old"), POLICY, origin=httpserver.url_for("/feed.xml")).ok


def test_allow_private_links_lets_a_source_reach_its_intranet(
    client: httpx.Client, victim: Victim, httpserver: HTTPServer
) -> None:
    doc = fetch(
        client,
        f"http://127.0.0.1:{victim.port}/intranet",
        POLICY,
        origin=httpserver.url_for("/feed.xml"),
        allow_private=True,
    )
    assert doc.ok and doc.body == b"internal secret" and victim.hits == ["/intranet"]


def test_trusted_keepalive_connection_is_not_reused_for_a_foreign_link(
    client: httpx.Client, victim: Victim, httpserver: HTTPServer
) -> None:
    """The victim is also a configured source: its pooled connection must not serve another feed's link."""
    url = f"http://127.0.0.1:{victim.port}/feed"
    assert fetch(client, url, POLICY).ok and victim.hits == ["/feed"]
    doc = fetch(client, url, POLICY, origin=httpserver.url_for("/feed.xml"))
    assert doc.error is not None and doc.error.kind == "blocked" and victim.hits == ["/feed"]


@pytest.mark.parametrize(
    "host,problem",
    [
        ("2130706433", "loopback"),
        ("0x7f.0.0.1", "loopback"),
        ("127.1", "loopback"),
        ("0177.0.0.01", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("2002:c0a8:101::", "private"),
        ("100.100.100.200", "non-public"),
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_forms(host: str, problem: str | None) -> None:
    ip = literal_ip(host)
    assert ip is not None
    found = address_problem(ip)
    assert (found is None) if problem is None else (problem in found)


def test_allow_private_links_must_be_a_boolean(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text('sources:\n  - {id: a, kind: rss, url: "http://example.org/f", allow_private_links: "yes"}\n')
    with pytest.raises(ConfigError, match="allow_private_links"):
        load_sources(path)
    path.write_text('sources:\n  - {id: a, kind: rss, url: "http://example.org/f", allow_private_links: true}\n')
    assert load_sources(path)[0].allow_private_links is True


def _feed(links: list[str]) -> bytes:
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link><guid isPermaLink='false'>g-{n}</guid>"
        f"<pubDate>{now}</pubDate><description>Summary {n}.</description></item>"
        for n, link in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_monitor_run_never_reaches_internal_links(
    tmp_path: Path, httpserver: HTTPServer, victim: Victim, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.monitor import monitor

    p = victim.port
    links = [
        f"http://127.0.0.1:{p}/a",
        f"//127.0.0.1:{p}/scheme-relative",
        f"http://2130706433:{p}/b",
        f"http://0x7f.0.0.1:{p}/c",
        f"http://[::ffff:127.0.0.1]:{p}/d",
        httpserver.url_for("/hop"),
        httpserver.url_for("/page"),
    ]
    httpserver.expect_request("/feed.xml").respond_with_data(_feed(links), content_type="application/rss+xml")
    httpserver.expect_request("/hop").respond_with_data("", status=302, headers={"Location": f"http://127.1:{p}/e"})
    httpserver.expect_request("/page").respond_with_data(
        "<article>" + "<p>Same-origin article text.</p>" * 40 + "</article>", content_type="text/html"
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: wire, kind: rss, url: "{httpserver.url_for("/feed.xml")}", lang: en,'
        " full_text: always}\n"
    )
    monkeypatch.delenv("TREATYWATCH_APPRISE_URLS", raising=False)
    monkeypatch.setenv("TREATYWATCH_FETCH_RETRIES", "0")
    db = tmp_path / "tw.duckdb"
    (tmp_path / "alerts.yml").write_text("version: 1\nurls: []\n")
    summary = monitor(sources=str(sources), db_path=str(db), alerts=str(tmp_path / "alerts.yml"))
    assert victim.hits == []
    assert summary.blocked == 6
    assert db_rows(db, "SELECT count(*) FROM fetches WHERE kind = 'page' AND error_kind = 'blocked'") == [(6,)]
    assert db_rows(db, "SELECT count(*) FROM items") == [(7,)]  # every item kept, with its summary
    texts = dict(db_rows(db, "SELECT url, text FROM items"))
    assert "Same-origin article text." in texts[httpserver.url_for("/page")]
    assert all("internal secret" not in t for t in texts.values())
