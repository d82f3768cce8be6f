"""The one id hash: items, events, clusters, alerts and health transitions are all named by it.

Stored rows keep their ids across releases, so this function must never change its output
(tests/test_ids.py pins known inputs to the ids they have always had).
"""

from __future__ import annotations

import hashlib

ID_HEX_CHARS = 24  # 96 bits: collision-free for any realistic archive, short enough for logs
SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in the parts we hash


def short_hash(*parts: str, chars: int = ID_HEX_CHARS) -> str:
    """Hex SHA-256 of the parts joined by a separator that cannot occur in them, cut to `chars`."""
    return hashlib.sha256(SEPARATOR.join(parts).encode("utf-8")).hexdigest()[:chars]
