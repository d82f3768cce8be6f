"""html_to_text and extract_article: paragraph structure kept, page furniture dropped."""

from __future__ import annotations

import pytest

from parsers.documents.html_text import extract_article, html_to_text

LONG = "The agreement on defence cooperation was signed in Moscow in 1994 by both ministers. " * 4


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<p>One <b>two</b></p><p>Three</p>", "One two\n\nThree"),
        ("Line one<br>line two<br/><br/>Next para", "Line one line two\n\nNext para"),
        ("<ul><li>a</li><li>b</li></ul>", "a\n\nb"),
        ("<p>x</p><script>alert(1)</script><style>p{}</style>", "x"),
        ("AT&amp;T &lt;b&gt;", "AT&T <b>"),
        ("plain   text\n\n\nsecond", "plain text\n\nsecond"),
        ("", ""),
        ("<div>Россия <i>денонсировала</i></div>", "Россия денонсировала"),
    ],
)
def test_html_to_text(fragment: str, expected: str) -> None:
    assert html_to_text(fragment) == expected


PAGE = f"""<html><head><title>t</title><style>.a{{}}</style></head><body>
<nav><p>Home</p><p>World</p></nav>
<div class="text-content"><div class="text-block"><p>{LONG}</p><p>Second paragraph.</p></div>
<div class="share masha-ignore"><p>Share this</p></div></div>
<aside><p>Most read: something else entirely that is long enough to matter here.</p></aside>
<footer><p>Copyright</p></footer></body></html>"""


def test_selectors_first() -> None:
    text = extract_article(PAGE, selectors=[".text-content .text-block"])
    assert text == f"{LONG.strip()}\n\nSecond paragraph."


def test_first_selector_with_text_wins() -> None:
    text = extract_article(PAGE, selectors=["div.missing", ".text-content"])
    assert text.startswith(LONG.strip()) and "Share this" in text


def test_drop_selectors_remove_elements() -> None:
    text = extract_article(PAGE, selectors=["!.masha-ignore", ".text-content"])
    assert "Share this" not in text and "Second paragraph." in text


def test_generic_fallback_prefers_article_body_and_drops_chrome() -> None:
    text = extract_article(PAGE)
    assert text.startswith(LONG.strip())
    assert "Home" not in text and "Copyright" not in text and "Most read" not in text


def test_generic_uses_itemprop_article_body() -> None:
    html = f"<div><p>teaser</p></div><div itemprop='articleBody'><p>{LONG}</p><p>End.</p></div>"
    assert extract_article(html) == f"{LONG.strip()}\n\nEnd."


def test_generic_skips_short_teaser_article() -> None:
    html = f"<article><p>Teaser</p></article><div id='main'><p>{LONG}</p><p>{LONG}</p></div>"
    assert extract_article(html).startswith(LONG.strip())


def test_bytes_with_meta_charset_cp1251() -> None:
    html = "<html><head><meta charset='windows-1251'></head><body><p>Денонсация соглашения.</p></body></html>"
    assert extract_article(html.encode("cp1251")) == "Денонсация соглашения."


def test_explicit_encoding_overrides_sniffing() -> None:
    html = "<p>Прекратить действие соглашения.</p>".encode("cp1251")
    assert extract_article(html, encoding="cp1251") == "Прекратить действие соглашения."


def test_bad_selector_is_skipped_not_raised() -> None:
    assert extract_article(PAGE, selectors=["p[[", ".text-block"]).endswith("Second paragraph.")
