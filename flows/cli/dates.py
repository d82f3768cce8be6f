"""When a command's --since/--until starts: one parser for every command, errors that say what it takes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from parsers.errors import InputError


def parse_when(value: str, now: datetime, option: str = "--since") -> datetime:
    """An ISO date or time (UTC unless it says otherwise), today, yesterday, or an age: 12h, 7d, 2w."""
    text = value.strip().lower()
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if text in ("today", "yesterday"):
        return midnight - timedelta(days=1 if text == "yesterday" else 0)
    if m := re.fullmatch(r"(\d+)\s*([hdw])", text):
        unit = {"h": "hours", "d": "days", "w": "weeks"}[m[2]]
        return now - timedelta(**{unit: int(m[1])})
    try:
        start = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"{option} {value!r}: expected an ISO date or time (2026-01-31, 2026-01-31T08:00), "
            f"today, yesterday, or an age like 12h, 7d, 2w"
        ) from None
    return start if start.tzinfo is not None else start.replace(tzinfo=UTC)
