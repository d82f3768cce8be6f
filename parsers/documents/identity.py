"""Stable identity for items, so the same story is stored once however often a feed repeats it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader; they never change which document a URL names.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "yclid",
        "msclkid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_openstat",
        "ref",
        "ref_src",
        "rss",
        "from_rss",
        "utm",
    }
)
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}
ID_HEX_CHARS = 24  # 96 bits: collision-free for any realistic archive, short enough for logs


def _is_tracking(key: str) -> bool:
    """Tell tracking parameters from meaningful ones (case-insensitive)."""
    k = key.lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Normalise a URL so trivially different links to one page compare equal."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))
    host = (parts.hostname or "").lower()
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query = urlencode(sorted(pairs))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def normalise_title(title: str) -> str:
    """Fold case, width and whitespace so a re-typeset headline keeps its identity."""
    text = unicodedata.normalize("NFKC", title or "").casefold().replace("ё", "е")
    return re.sub(r"\s+", " ", text).strip()


def _digest(*parts: str) -> str:
    """Hash the parts with a separator that cannot occur in them."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:ID_HEX_CHARS]


def _guid_key(guid: str) -> str:
    """Scheme-free canonical form of URL-like GUIDs.

    feedparser resolves permalink GUIDs against the feed URL, so a feed that moves from http to
    https (or a relative GUID) would otherwise change every id.
    """
    if urlsplit(guid).scheme.lower() in DEFAULT_PORTS:
        return canonical_url(guid).split("://", 1)[1]
    return guid


def item_id(source_id: str, guid: str | None, url: str | None, title: str | None) -> str:
    """Id from the most stable key available: the GUID (per source), the canonical URL, the title."""
    if guid and guid.strip():
        return _digest("guid", source_id, _guid_key(guid.strip()))
    if url and url.strip():
        return _digest("url", canonical_url(url))
    norm = normalise_title(title or "")
    if norm:
        return _digest("title", source_id, norm)
    raise ValueError(f"item of source {source_id!r} has no guid, url or title to identify it")


def variant_id(first_id: str, content_hash: str) -> str:
    """Id of a second entry reusing an id with different content: kept as its own item, stable while
    its content is (a feed that recycles GUIDs must not make us drop stories)."""
    return _digest("variant", first_id, content_hash)
