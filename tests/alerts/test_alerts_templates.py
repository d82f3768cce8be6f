"""Health notices and digests are rendered by jinja templates; their output is pinned.

golden/notices-digests.json was written by the f-string renderer these templates replaced; the
only difference is HTML mail quoting quotes as `&#34;`/`&#39;` (markupsafe, as alert mails always
did) where html.escape wrote `&quot;`/`&#x27;`.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from flows.alerts.render import SLACK_MAX, Notice, render_digest, render_notice
from tests.alerts.test_alerts_render import FIXTURES, load_view

GOLDEN = json.loads((FIXTURES / "golden" / "notices-digests.json").read_text(encoding="utf-8"))
EVIL = (
    'Pact <script>alert("x")</script> <a href="https://evil.example/x">click</a> <!channel> '
    "<https://evil.example|click> & co\u202e\x07 it's"
)
CHANNELS = ["email", "slack", "generic", "console"]


def _views():
    base = load_view()
    return [
        base,
        replace(
            base,
            family="partnership",
            type="partnership_signed",
            counterparts=("IN",),
            change="parties:+HR,BE",
            item_title=EVIL,
            item_url="javascript:alert(1)",
            confidence=0.5,
        ),
        replace(base, item_title=EVIL, item_url="https://e.example/a?x=1&y=<2>|z", type="odd_type*"),
    ]


@pytest.mark.parametrize("channel", CHANNELS)
def test_notices_and_digests_render_as_pinned(channel: str) -> None:
    views = _views()
    got = {
        f"notice.{channel}": render_notice(Notice(EVIL, EVIL + " " + "long " * 500), channel),
        f"digest.{channel}": render_digest(views, channel),
        f"digest-big.{channel}": render_digest(views * 30, channel),
        f"digest-one.{channel}": render_digest(views[:1], channel),
    }
    for key, alert in got.items():
        assert [alert.title, alert.body, alert.body_format, alert.notify_type] == GOLDEN[key], key


def test_feed_text_is_escaped_in_every_markup_channel() -> None:
    for channel in ("email", "slack", "generic"):
        bodies = [render_notice(Notice(EVIL, EVIL), channel).body, render_digest(_views(), channel).body]
        raw = re.compile(
            {
                "generic": r"(?<!\\)<(script|!channel|a href)",
                "slack": r"<(script|!channel|a href)",
                "email": r"<(script|!channel)|href=.https://evil",
            }[channel]
        )
        assert not any(raw.search(b) or "\u202e" in b for b in bodies), channel
    assert "javascript:" not in render_digest(_views(), "email").body.split("<li>")[2].split("<br>")[1]
    assert len(render_digest(_views() * 30, "slack").body) <= SLACK_MAX + 3
