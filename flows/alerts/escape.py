"""Untrusted feed text made safe for each output format: one line, cut to size, escaped.

Feed text (titles, evidence, URLs, unknown party codes) is untrusted. It is cleaned of control
characters here, then escaped by the output format: jinja2 autoescape for `*.html.j2`, `slack_escape`
(`&`, `<`, `>` as entities) for Slack, `md_escape` (backslash escapes) for markdown. Only http(s)
URLs become links.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def clean(text: str | None) -> str:
    """Untrusted text on one line: control/bidi characters removed, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def shorten(text: str, limit: int) -> str:
    """Cut clean text at a word boundary before `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def slack_escape(text: Any) -> str:
    """Slack's three control characters as entities, so feed text cannot link, mention or format."""
    return clean(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_escape(text: Any) -> str:
    """Backslash-escape markdown syntax (and `<`/`>`, which Python-Markdown would keep as raw HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", clean(str(text)))


def web_url(url: str | None) -> str | None:
    """The URL when it is a plain http(s) URL that may become a link, else None."""
    url = (url or "").strip()
    if not re.match(r"(?i)^https?://[^\s/?#]+", url) or _CONTROL.search(url) or any(c in url for c in ' "<>\\`'):
        return None
    return url


def slack_link(url: str | None, label: str) -> str:
    """`<url|label>` for http(s) URLs (both escaped for Slack), otherwise the escaped label and URL as text."""
    safe = web_url(url)
    if safe is None:
        return slack_escape(label) + (f" ({slack_escape(url)})" if clean(url) else "")
    target = safe.replace("&", "&amp;").replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return f"<{target}|{slack_escape(label).replace('|', '¦') or 'source'}>"


def md_link(url: str | None, label: str) -> str:
    """A markdown link for http(s) URLs, otherwise escaped text."""
    safe = web_url(url)
    if safe is None:
        return md_escape(label) + (f" ({md_escape(url)})" if clean(url) else "")
    return f"[{md_escape(label) or 'source'}](<{safe.replace('<', '%3C').replace('>', '%3E')}>)"
