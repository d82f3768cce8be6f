"""Alert rendering: titles say who did what to whom; feed text is escaped for every channel."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from apprise.conversion import markdown_to_html

from flows.alerts.render import SLACK_MAX, AlertView, RenderError, party_label, render, render_digest, title_for
from parsers.models import Official

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"
CHANNELS = ["email", "slack", "generic", "console"]
EVIL_TITLE = 'Pact <script>alert("x")</script> <a href="https://evil.example/x">click</a> <!channel> <https://evil.example|click> & co'


def load_view(name: str = "ru-termination.json", **changes) -> AlertView:
    data = json.loads((FIXTURES / name).read_text())
    data.pop("_expect")
    data["counterparts"] = tuple(data["counterparts"])
    data["flags"] = tuple(data["flags"])
    data["officials"] = tuple(Official(**o) for o in data["officials"])
    for key in ("published", "detected_at"):
        data[key] = datetime.fromisoformat(data[key])
    return replace(AlertView(**data), **changes)


@pytest.mark.parametrize(
    ("changes", "title"),
    [
        ({}, "Termination: Russia (RU) ends military agreements with Bulgaria (BG), Germany (DE) … (+9)"),
        ({"counterparts": ("BG",)}, "Termination: Russia (RU) ends military agreements with Bulgaria (BG)"),
        (
            {"counterparts": ("BG", "DE", "PL")},
            "Termination: Russia (RU) ends military agreements with Bulgaria (BG), Germany (DE), Poland (PL)",
        ),
        (
            {"type": "suspension", "counterparts": ("US",), "domain": "security"},
            "Suspension: Russia (RU) suspends security agreements with United States (US)",
        ),
        (
            {"type": "withdrawal", "counterparts": ("CoE",), "domain": "other"},
            "Withdrawal: Russia (RU) withdraws from agreements with Council of Europe (CoE)",
        ),
        ({"type": "termination", "counterparts": ()}, "Termination: Russia (RU) ends military agreements"),
        (
            {"family": "partnership", "type": "partnership_signed", "counterparts": ("IN",)},
            "Partnership signed: Russia (RU) – India (IN), military",
        ),
        (
            {
                "family": "partnership",
                "type": "partnership_strengthened",
                "actor": "KP",
                "counterparts": ("RU", "CSTO"),
            },
            "Partnership strengthened: North Korea (KP) – Russia (RU), Collective Security Treaty Organization (CSTO), military",
        ),
    ],
)
def test_title_says_who_did_what_to_whom(changes, title):
    view = load_view(**changes)
    assert title_for(view) == title
    for channel in CHANNELS:
        assert render(view, channel).title == title


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("EU", "European Union (EU)"),
        ("nato", "North Atlantic Treaty Organization (NATO)"),
        ("CSTO", "Collective Security Treaty Organization (CSTO)"),
        ("CIS", "Commonwealth of Independent States (CIS)"),
        ("CoE", "Council of Europe (CoE)"),
        ("RU", "Russia (RU)"),
        ("KR", "South Korea (KR)"),
        ("DEU", "Germany (DEU)"),
        ("ZZ", "ZZ"),
        ("Wakanda", "Wakanda"),
        ("<!channel> *X*", "channel X"),
        ("<script>", "script"),
    ],
)
def test_party_labels(code, label):
    assert party_label(code) == label


@pytest.mark.parametrize("limit", [150, 100, 60])
def test_title_fits_a_limit_by_dropping_names(limit):
    view = load_view(counterparts=("CD", "CG", "GB", "PS") * 5)
    title = title_for(view, limit)
    assert len(title) <= limit
    assert title.startswith("Termination: Russia (RU) ends military agreements")


@pytest.mark.parametrize("channel", CHANNELS)
def test_body_carries_the_facts(channel):
    view = load_view()
    body = render(view, channel).body
    for fact in (
        "Russia (RU)",
        "Bulgaria (BG)",
        "Czechia (CZ)",
        "military",
        "authorized",
        "0.92",
        "multi",
        "Mikhail Mishustin",
        "example-news",
        "treatywatch query",
        "ev_3f9c2a1b7d5e",
    ):
        assert fact in body, fact


@pytest.mark.parametrize("channel", ["email", "generic"])
def test_mail_and_markdown_show_the_duckdb_snippet(channel):
    body = render(load_view(), channel).body
    snippet = "SELECT detected_at, type, actor, counterparts, confidence, source_id, item_url FROM v_events WHERE event_id = 'ev_3f9c2a1b7d5e';"
    assert snippet in body.replace("&#39;", "'")


def test_quote_in_event_id_is_doubled_in_sql():
    body = render(load_view(event_id="a'b"), "console").body
    assert "event_id = 'a''b'" in body


@pytest.mark.parametrize(
    ("channel", "body_format"), [("email", "html"), ("slack", "markdown"), ("generic", "markdown"), ("console", "text")]
)
def test_body_formats(channel, body_format):
    assert render(load_view(), channel).body_format == body_format


def test_unknown_channel_is_an_error():
    with pytest.raises(RenderError, match="pager"):
        render(load_view(), "pager")


def test_termination_is_a_warning_partnership_info():
    assert render(load_view(), "email").notify_type == "warning"
    assert render(load_view(family="partnership", type="partnership_signed"), "email").notify_type == "info"


# --- escaping ------------------------------------------------------------------------------------


def evil_view(**changes) -> AlertView:
    return load_view(
        item_title=EVIL_TITLE,
        evidence='He said <b>"end it"</b> & <!here> <@U123> *now*',
        officials=(Official("<img src=x onerror=alert(1)>", "<!everyone>"),),
        **changes,
    )


def test_html_email_escapes_feed_text():
    body = render(evil_view(), "email").body
    assert "<script" not in body and "<img" not in body and 'href="https://evil' not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "&lt;a href=&#34;https://evil.example/x&#34;&gt;click&lt;/a&gt;" in body
    assert '<a href="https://news.example.org/2025/03/russia-ends-agreements?src=rss&amp;lang=en">' in body


def test_slack_escapes_markup_and_mentions():
    body = render(evil_view(), "slack").body
    for raw in ("<!channel>", "<!here>", "<@U123>", "<!everyone>", "<https://evil", "<script", "<b>"):
        assert raw not in body, raw
    assert "&lt;!channel&gt;" in body and "&lt;https://evil.example¦click&gt;" in body
    link = re.search(r"<(https://[^|>]+)\|([^>]*)>", body)
    assert link.group(1) == "https://news.example.org/2025/03/russia-ends-agreements?src=rss&amp;lang=en"
    assert "&lt;script&gt;" in link.group(2) and "&amp; co" in link.group(2)
    # the only raw angle brackets left are our one link
    assert body.count("<") == 1 and body.count(">") == 2  # the link and the mrkdwn quote marker


def test_markdown_escapes_so_converted_html_is_safe():
    body = render(evil_view(), "generic").body
    html = markdown_to_html(body)
    assert "<script" not in html and "<img" not in html and '<a href="https://evil' not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://news.example.org/2025/03/russia-ends-agreements?src=rss&amp;lang=en">' in html


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>x</script>", "ftp://example.org/a", ""])
def test_only_http_urls_become_links(channel, url):
    body = render(load_view(item_url=url), channel).body
    if channel == "email":
        assert "href=" not in body
    elif channel == "slack":
        assert "<javascript" not in body and "<data:" not in body and "<ftp" not in body
    elif channel == "generic":
        assert "](<" not in body and 'href="' not in markdown_to_html(body)
    assert "<script>" not in body or channel == "console"


@pytest.mark.parametrize("channel", CHANNELS)
def test_control_characters_are_removed(channel):
    view = load_view(item_title="Title\x1b[31mred\x07\u202eevil", evidence="line one\nline two\r\x00end")
    body = render(view, channel).body
    assert not re.search(r"[\x00-\x08\x0b-\x1f\u202e]", body)


# --- size limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"evidence": "Very long evidence sentence & <more> " * 2000},
        {"counterparts": tuple(f"X{i}" for i in range(500))},
        {"item_title": "T&<" * 5000, "item_url": "https://example.org/" + "a&b" * 3000},
        {
            "officials": tuple(Official("Name &" * 50, "Role <" * 50, "RU") for _ in range(50)),
            "flags": tuple(f"flag_{i}" * 20 for i in range(100)),
        },
        {"evidence": "x" * 50_000, "counterparts": ("BG",) * 300, "item_title": "<" * 9000, "source_id": "s" * 5000},
    ],
)
def test_slack_stays_under_3000_characters(changes):
    alert = render(load_view(**changes), "slack")
    assert len(alert.body) <= SLACK_MAX < 3000
    assert len(alert.title) <= 150
    # truncation never cuts an entity in half
    assert not re.search(
        r"&(?:a|am|l|g|amp|lt|gt)?(?![a-z]*;)", alert.body.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
    )


def test_long_party_lists_are_truncated_in_title_and_slack_but_complete_in_email():
    view = load_view(counterparts=("BG",) * 120)
    assert title_for(view).endswith("… (+118)")
    assert "(+80 more)" in render(view, "slack").body
    assert render(view, "email").body.count("<li>Bulgaria (BG)</li>") == 120


def test_long_evidence_is_cut_with_an_ellipsis_in_slack_and_console():
    view = load_view(evidence="word " * 700)  # 3,500 characters: whole in mail, cut elsewhere
    for channel in ("slack", "console"):
        assert "word…" in render(view, channel).body
    assert "word…" not in render(view, "email").body
    assert "word…" in render(load_view(evidence="word " * 1000), "email").body


FLAG_SENTENCE = "The text says ten EU countries but names 11; Norway and the United Kingdom are not EU members."


@pytest.mark.parametrize("channel", CHANNELS)
def test_flags_are_said_in_plain_words(channel):
    view = load_view(flags=("claimed_count_mismatch:10!=11", "not_in_group:EU:GB,NO"))
    body = render(view, channel).body
    assert FLAG_SENTENCE in body.replace("\\", "")  # markdown escapes are not part of the words
    assert "claimed_count_mismatch" not in body and "not_in_group" not in body


@pytest.mark.parametrize(
    ("channel", "source_line"), [("slack", "*Source:*"), ("console", "  source:"), ("generic", "**Source:**")]
)
def test_a_blank_line_separates_evidence_from_source(channel, source_line):
    body = render(load_view(), channel).body
    assert f"\n\n{source_line}" in body


@pytest.mark.parametrize(
    ("changes", "title"),
    [
        (
            {
                "type": "withdrawal",
                "counterparts": ("CFE",),
                "instrument_id": "CFE",
                "instrument_kind": "multilateral",
                "instrument_text": "Договора об обычных вооруженных силах в Европе",
                "instrument_label": "the CFE Treaty",
            },
            "Withdrawal: Russia (RU) withdraws from the CFE Treaty (multilateral)",
        ),
        (
            {
                "type": "suspension",
                "actor": "AM",
                "counterparts": ("CSTO",),
                "instrument_id": "CSTO",
                "instrument_kind": "organisation",
                "instrument_text": "CSTO",
            },
            "Suspension: Armenia (AM) suspends CSTO (organisation)",
        ),
        (
            {
                "counterparts": ("BG",),
                "instrument_text": "long-standing military agreements",
                "instrument_kind": "bilateral",
            },
            "Termination: Russia (RU) ends long-standing military agreements (bilateral) with Bulgaria (BG)",
        ),
        (
            {"counterparts": ("BG",), "instrument_kind": "bilateral"},
            "Termination: Russia (RU) ends military agreements with Bulgaria (BG)",
        ),
    ],
)
def test_title_names_the_instrument(changes, title):
    view = load_view(**changes)
    assert title_for(view) == title
    for channel in CHANNELS:
        assert render(view, channel).title == title


@pytest.mark.parametrize("channel", CHANNELS)
def test_body_names_the_instrument_and_escapes_its_text(channel):
    view = load_view(
        type="withdrawal",
        counterparts=("OAS",),
        instrument_id="OAS",
        instrument_kind="organisation",
        instrument_text="the <b>OAS</b> & co",
        instrument_label="the Organization of American States",
    )
    body = render(view, channel).body
    assert "the Organization of American States (organisation, registry id OAS)" in body
    assert "<b>OAS</b>" not in body or channel == "console"
    assert "the Organization of American States (OAS)" in body  # the counterpart, labelled
    digest = render_digest([view], channel).body
    assert "withdraws from the Organization of American States (organisation)" in digest
