"""canonical_url and item_id: one story, one id; different stories, different ids."""

from __future__ import annotations

import pytest

from parsers.documents.identity import canonical_url, item_id, normalise_title


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.ORG/a/b#comments", "https://news.example.org/a/b"),
        ("https://n.example/a?utm_source=rss&utm_medium=feed&id=7", "https://n.example/a?id=7"),
        ("https://n.example/a?b=2&a=1", "https://n.example/a?a=1&b=2"),
        ("https://n.example/a?fbclid=x&gclid=y&yclid=z&ref=tw&rss=1", "https://n.example/a"),
        ("https://n.example/a?UTM_Campaign=x&page=2", "https://n.example/a?page=2"),
        ("http://n.example:80/a", "http://n.example/a"),
        ("https://n.example:443/a", "https://n.example/a"),
        ("https://n.example:8443/a", "https://n.example:8443/a"),
        ("https://n.example", "https://n.example/"),
        ("https://user:pw@n.example/a", "https://n.example/a"),
        ("  https://n.example/a  ", "https://n.example/a"),
        ("https://n.example/A/Case", "https://n.example/A/Case"),  # paths are case-sensitive
        ("https://n.example/a?q=", "https://n.example/a?q="),
        ("", ""),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_guid_wins_and_is_namespaced_by_source() -> None:
    a = item_id("tass", "g-1", "https://x.example/1", "T")
    assert a == item_id("tass", "g-1", "https://elsewhere.example/2", "Other title")
    assert a != item_id("ria", "g-1", "https://x.example/1", "T")


def test_url_used_without_guid_and_tracking_ignored() -> None:
    a = item_id("tass", None, "https://x.example/1?utm_source=rss", "T")
    assert a == item_id("tass", "  ", "HTTPS://X.example/1#top", "Different")
    assert a != item_id("tass", None, "https://x.example/2", "T")


def test_url_like_guid_ignores_scheme() -> None:
    """feedparser resolves permalink GUIDs against the feed URL; http->https must not re-key."""
    assert item_id("p", "http://p.example/api/0001", None, None) == item_id(
        "p", "https://p.example/api/0001", None, None
    )


def test_title_fallback_is_normalised_and_per_source() -> None:
    a = item_id("s", None, None, "Россия  расторгла   соглашение")
    assert a == item_id("s", None, "", "россия расторгла соглашение ")
    assert a != item_id("t", None, None, "Россия расторгла соглашение")


def test_ids_are_short_hex() -> None:
    value = item_id("s", "g", None, None)
    assert len(value) == 24 and int(value, 16) >= 0


def test_nothing_to_identify_raises() -> None:
    with pytest.raises(ValueError, match="no guid, url or title"):
        item_id("s", None, "", "   ")


@pytest.mark.parametrize(("raw", "norm"), [("Ёлка  ПРАЗДНИК", "елка праздник"), ("Ｗide", "wide")])
def test_normalise_title(raw: str, norm: str) -> None:
    assert normalise_title(raw) == norm
