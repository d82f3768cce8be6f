"""Attacks that held before this suite existed, pinned so they keep holding: template syntax and CR/LF
in feed text are never evaluated or turned into headers; endless bodies stop at the size cap."""

from __future__ import annotations

import pytest

from flows.alerts.render import render
from flows.ingest.fetch import fetch, make_client
from tests.alerts.test_alerts_render import load_view
from tests.ingest.test_fetch import POLICY, RawServer

CHANNELS = ["email", "slack", "generic", "console"]
JINJA = "{{ 7 * 7 }} {% for x in range(3) %}loop{% endfor %} {{ config.__class__ }} ${7*7} #{7*7}"


@pytest.mark.parametrize("channel", CHANNELS)
def test_template_syntax_in_feed_text_is_never_evaluated(channel: str) -> None:
    out = render(load_view(item_title=f"Pact {JINJA}", evidence=f"Quote {JINJA}"), channel)
    text = out.title + "\n" + out.body
    assert "49" not in text and "looploop" not in text and "<class" not in text
    assert "7 * 7" in text or "7 \\* 7" in text or "7 &#42; 7" in text


@pytest.mark.parametrize("channel", CHANNELS)
def test_cr_lf_in_a_title_cannot_inject_headers(channel: str) -> None:
    out = render(load_view(item_title="Pact\r\nBcc: victim@example.com\r\nX-Evil: 1"), channel)
    assert "\r" not in out.title and "\n" not in out.title


def endless(conn, stop) -> None:
    """Chunked transfer that never ends, as fast as the socket takes it."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    while not stop.is_set():
        conn.sendall(chunk)


def test_endless_body_stops_at_the_size_cap() -> None:
    with RawServer(endless) as server, make_client(POLICY) as client:
        doc = fetch(client, server.url, POLICY)
    assert doc.error is not None and doc.error.kind == "too_large" and doc.body == b""
