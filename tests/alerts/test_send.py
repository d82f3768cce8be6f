"""Alert delivery through real apprise plugins: aiosmtpd for mail, a local HTTP server for JSON and Slack."""

from __future__ import annotations

import email
import email.policy
import io
import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from email.header import decode_header, make_header
from pathlib import Path

import apprise
import pytest
from apprise.plugins.slack import NotifySlack
from rich.console import Console

from flows.alerts.destinations import CONSOLE, Destination, load_destinations
from flows.alerts.render import SLACK_MAX, AlertView, RenderedAlert, render
from flows.alerts.send import DeliveryOutcome, send
from parsers.models import Official
from tests.support import SmtpSink, wait_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"
INJECTION = 'Deal <script>alert("x")</script> <!channel> <https://evil.example|click> & more'
SLACK_PATH = "/services/T000AAAA/B000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX"
SLACK_URL = "slack://T000AAAA/B000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX/#chan"


def load_view(**changes) -> AlertView:
    data = json.loads((FIXTURES / "ru-termination.json").read_text())
    data.pop("_expect")
    data.update(
        counterparts=tuple(data["counterparts"]),
        flags=tuple(data["flags"]),
        officials=tuple(Official(**o) for o in data["officials"]),
        published=datetime.fromisoformat(data["published"]),
        detected_at=datetime.fromisoformat(data["detected_at"]),
    )
    return replace(AlertView(**data), **changes)


def dest(url: str) -> Destination:
    [d] = load_destinations(None, url)
    return d


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A bound port nobody listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


# --- email -------------------------------------------------------------------------------------


def test_email_arrives_with_title_as_subject_and_escaped_html_and_text(smtp_server: SmtpSink):
    destination = dest(f"mailto://127.0.0.1:{smtp_server.port}?from=a@example.com&to=b@example.com&cto=3")
    alert = render(load_view(item_title=INJECTION), destination.channel)

    outcome = send(destination, alert)

    assert outcome == DeliveryOutcome(ok=True)
    wait_for(lambda: len(smtp_server.messages) == 1)
    message = email.message_from_bytes(smtp_server.messages[0].as_bytes(), policy=email.policy.default)
    subject = str(make_header(decode_header(smtp_server.messages[0]["Subject"])))
    assert subject == alert.title
    assert subject.startswith("Termination: Russia (RU) ends military agreements with Bulgaria (BG)")
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html and "<script" not in html
    assert "&lt;!channel&gt;" in html
    # text/plain is not interpreted: the title arrives as literal characters, not markup
    assert INJECTION in text
    for fact in (
        "Czechia (CZ)",
        "SELECT detected_at, type, actor, counterparts, confidence, source_id, item_url FROM v_events WHERE event_id = 'ev_3f9c2a1b7d5e';",
        "https://news.example.org/2025/03/russia-ends-agreements?src=rss&lang=en",
        "treatywatch query",
    ):
        assert fact in text, fact


def test_email_to_a_dead_server_fails_fast_without_the_password(closed_port):
    destination = dest(f"mailto://user:s3cr3tpass@127.0.0.1:{closed_port}?from=a@example.com&to=b@example.com&cto=1")
    outcome = send(destination, render(load_view(), destination.channel))
    assert outcome.ok is False
    assert outcome.error and "127.0.0.1" in outcome.error
    assert "s3cr3tpass" not in outcome.error


# --- json --------------------------------------------------------------------------------------


def test_json_webhook_gets_title_and_message(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    destination = dest(f"json://127.0.0.1:{httpserver.port}/hook")
    alert = render(load_view(item_title=INJECTION), destination.channel)

    assert send(destination, alert).ok
    wait_for(lambda: len(httpserver.log) == 1)
    payload = httpserver.log[0][0].get_json()
    assert payload["title"] == alert.title
    assert payload["message"] == alert.body.rstrip()
    assert payload["type"] == "warning"
    assert "\\<script\\>" in payload["message"]


@pytest.mark.parametrize("status", [500, 404, 401])
def test_json_webhook_error_status_is_a_failed_outcome(httpserver, status):
    httpserver.expect_request("/hook").respond_with_data("nope", status=status)
    destination = dest(f"json://hookuser:hookpass77@127.0.0.1:{httpserver.port}/hook")
    outcome = send(destination, render(load_view(), destination.channel))
    assert outcome.ok is False
    assert str(status) in outcome.error
    assert "hookpass77" not in outcome.error


def test_json_webhook_that_never_answers_fails_after_the_read_timeout():
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        destination = dest(f"json://127.0.0.1:{silent.getsockname()[1]}/hook?rto=0.3&cto=1")
        outcome = send(destination, render(load_view(), destination.channel))
    assert outcome.ok is False and outcome.error


def test_concurrent_sends_keep_their_own_reasons(httpserver):
    httpserver.expect_request("/a").respond_with_data("a", status=500)
    httpserver.expect_request("/b").respond_with_data("b", status=404)
    a, b = (dest(f"json://127.0.0.1:{httpserver.port}/{p}") for p in "ab")
    alert = render(load_view(), "generic")
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda d: (d, send(d, alert)), [a, b] * 6))
    for d, outcome in outcomes:
        mine, theirs = ("500", "404") if d is a else ("404", "500")
        assert mine in outcome.error and theirs not in outcome.error


def test_only_the_given_destination_is_notified(httpserver):
    httpserver.expect_request("/one").respond_with_data("ok")
    httpserver.expect_request("/two").respond_with_data("ok")
    dests = load_destinations(None, f"json://127.0.0.1:{httpserver.port}/one json://127.0.0.1:{httpserver.port}/two")
    assert send(dests[1], render(load_view(), "generic")).ok
    wait_for(lambda: len(httpserver.log) == 1)
    assert [req.path for req, _ in httpserver.log] == ["/two"]


# --- slack -------------------------------------------------------------------------------------


@pytest.fixture
def slack_hook(httpserver, monkeypatch):
    monkeypatch.setattr(NotifySlack, "webhook_url", httpserver.url_for("/services"))
    httpserver.expect_request(SLACK_PATH, method="POST").respond_with_data("ok")
    return httpserver


@pytest.mark.parametrize("options", ["?footer=no&image=no", "?footer=no&image=no&blocks=no"])
def test_slack_payload_is_block_kit_with_our_mrkdwn(slack_hook, options):
    destination = dest(SLACK_URL + options)
    alert = render(load_view(item_title=INJECTION), destination.channel)

    assert send(destination, alert).ok
    wait_for(lambda: len(slack_hook.log) == 1)
    payload = slack_hook.log[0][0].get_json()
    assert payload == {
        "attachments": [
            {
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": alert.title, "emoji": True}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": alert.body.rstrip()}},
                ],
                "color": apprise.AppriseAsset().color("warning"),
            }
        ],
        "channel": "#chan",
    }
    text = payload["attachments"][0]["blocks"][1]["text"]["text"]
    assert "<!channel>" not in text and "<https://evil" not in text and "<script" not in text
    assert "&lt;!channel&gt;" in text and "&amp; more" in text
    assert "<https://news.example.org/2025/03/russia-ends-agreements?src=rss&amp;lang=en|Deal &lt;script&gt;" in text


def test_slack_message_with_huge_evidence_stays_under_3000(slack_hook):
    destination = dest(SLACK_URL + "?footer=no")
    alert = render(load_view(evidence="Evidence & <b>bold</b> " * 1000, counterparts=("BG",) * 200), "slack")
    assert send(destination, alert).ok
    wait_for(lambda: len(slack_hook.log) == 1)
    blocks = slack_hook.log[0][0].get_json()["attachments"][0]["blocks"]
    assert len(blocks[1]["text"]["text"]) <= SLACK_MAX < 3000
    assert len(blocks[0]["text"]["text"]) <= 150


def test_slack_rejection_is_a_failed_outcome_without_tokens(httpserver, monkeypatch):
    monkeypatch.setattr(NotifySlack, "webhook_url", httpserver.url_for("/services"))
    httpserver.expect_request(SLACK_PATH).respond_with_data("invalid_token", status=403)
    outcome = send(dest(SLACK_URL), render(load_view(), "slack"))
    assert outcome.ok is False
    assert "403" in outcome.error
    assert "XXXXXXXXXXXXXXXXXXXXXXXX" not in outcome.error and "B000BBBB" not in outcome.error


# --- console and odd cases ---------------------------------------------------------------------


def test_console_prints_without_interpreting_markup():
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    alert = render(load_view(item_title="[bold red]not markup[/] :smile:"), "console")
    assert send(CONSOLE, alert, console=console) == DeliveryOutcome(ok=True)
    out = buffer.getvalue()
    assert alert.title in out
    assert "[bold red]not markup[/] :smile:" in out


def test_unloadable_destination_is_a_failed_outcome_not_an_exception():
    broken = Destination(
        key="x",
        tags=frozenset({"termination"}),
        channel="generic",
        display="notaservice://…",
        url="notaservice://user:pw4242@example.org",
    )
    outcome = send(broken, RenderedAlert("t", "b", "markdown"))
    assert outcome.ok is False and "pw4242" not in outcome.error
