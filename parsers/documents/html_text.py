"""HTML to plain text with paragraph breaks kept, because evidence spans and rules work per paragraph."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag
from soupsieve import SelectorSyntaxError

# Elements that start a new paragraph in the text we hand to the extractor.
BLOCK_TAGS = (
    "p", "div", "section", "article", "main", "header", "blockquote", "pre", "li", "ul", "ol",
    "dl", "dt", "dd", "table", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "figure",
    "figcaption", "address", "hr",
)  # fmt: skip
# Never part of the article text.
NOISE_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "form", "button")
# Page furniture, dropped only when we guess the main text ourselves.
CHROME_TAGS = ("nav", "aside", "footer")
# A selector starting with this marks elements to remove before extracting (e.g. "!.share").
DROP_PREFIX = "!"
MIN_GENERIC_CHARS = 200  # an <article> shorter than this is a teaser, not the story


def _soup(markup: bytes | str, encoding: str | None = None) -> BeautifulSoup:
    """Parse leniently with lxml; bs4 sniffs <meta charset> when bytes come without an encoding."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        if isinstance(markup, bytes):
            return BeautifulSoup(markup, "lxml", from_encoding=encoding)
        return BeautifulSoup(markup, "lxml")


def _paragraphs(raw: str) -> str:
    """Collapse whitespace inside paragraphs and join them with one blank line."""
    paras = (" ".join(p.split()) for p in re.split(r"\n\s*\n", raw))
    return "\n\n".join(p for p in paras if p)


def _decompose(root: Tag, names: Sequence[str]) -> None:
    """Remove every element with one of these tag names."""
    for el in root.find_all(list(names)):
        el.decompose()


def _element_text(el: Tag) -> str:
    """Text of one element with block boundaries turned into paragraph breaks (mutates el)."""
    for br in el.find_all("br"):
        br.replace_with("\n")
    for block in el.find_all(list(BLOCK_TAGS)):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    return _paragraphs(el.get_text())


def html_to_text(fragment: str) -> str:
    """Turn a feed's HTML summary/content into plain paragraphs."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return _paragraphs(fragment)
    soup = _soup(fragment)
    _decompose(soup, NOISE_TAGS)
    return _element_text(soup)


def _by_selectors(soup: BeautifulSoup, selectors: Sequence[str]) -> str:
    """First selector (in order) that yields text wins; a comma group combines parts."""
    for sel in selectors:
        if sel.startswith(DROP_PREFIX):
            continue
        try:
            found = soup.select(sel)
        except SelectorSyntaxError:  # validated at config load; never crash a run on one
            continue
        text = _paragraphs("\n\n".join(_element_text(el) for el in found))
        if text:
            return text
    return ""


def _p_text_len(el: Tag) -> int:
    """Amount of paragraph text directly or deeply inside an element."""
    return sum(len(p.get_text(strip=True)) for p in el.find_all("p"))


def _densest_p_parent(soup: BeautifulSoup) -> Tag | None:
    """The element whose own <p> children hold the most text: the usual shape of an article body."""
    scores: dict[int, tuple[int, Tag]] = {}
    for p in soup.find_all("p"):
        parent = p.parent
        if isinstance(parent, Tag):
            prev = scores.get(id(parent), (0, parent))[0]
            scores[id(parent)] = (prev + len(p.get_text(strip=True)), parent)
    if not scores:
        return None
    return max(scores.values(), key=lambda pair: pair[0])[1]


def _generic(soup: BeautifulSoup) -> str:
    """Guess the main text: articleBody markup, then <article>, then the densest <p> parent, then body."""
    _decompose(soup, CHROME_TAGS)
    for sel in ("[itemprop=articleBody]", "article"):
        candidates = soup.select(sel)
        if candidates:
            best = max(candidates, key=_p_text_len)
            text = _element_text(best)
            if len(text) >= MIN_GENERIC_CHARS:
                return text
    parent = _densest_p_parent(soup)
    if parent is not None:
        return _element_text(parent)
    return _element_text(soup.body or soup)


def extract_article(html: bytes | str, *, selectors: Sequence[str] = (), encoding: str | None = None) -> str:
    """Main text of an article page: per-source selectors first, a generic guess otherwise."""
    soup = _soup(html, encoding)
    _decompose(soup, NOISE_TAGS)
    for sel in selectors:
        if sel.startswith(DROP_PREFIX):
            try:
                doomed = soup.select(sel[len(DROP_PREFIX) :])
            except SelectorSyntaxError:
                continue
            for el in doomed:
                el.decompose()
    return _by_selectors(soup, selectors) or _generic(soup)
