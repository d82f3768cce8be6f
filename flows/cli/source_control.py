"""`treatywatch sources --enable/--disable`: an operator overrides a source's health by hand.

Health decides on its own when a source backs off or is disabled; a person sometimes knows better
(the site is back, or a source is known to be dead for weeks). A hand change is a health row plus
a `source_health_events` row saying it was done by hand. It takes the run lock, so it never lands
in the middle of a run that would overwrite it with health it computed before the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from flows.store import db, runlock, storage
from flows.store import health as store_health
from parsers.errors import TreatywatchError
from parsers.models import Source
from parsers.policy import health


class UnknownSourceError(TreatywatchError):
    """An id that is neither in the sources file nor in the database; names the ids that exist."""


def known_ids(db_path: Path) -> set[str]:
    """Source ids the database remembers (empty before the first run)."""
    if not db_path.exists():
        return set()
    with db.connect(db_path, read_only=True) as con:
        return {r[0] for r in con.execute("SELECT source_id FROM sources").fetchall()}


def check_ids(ids: Sequence[str], configured: Sequence[Source], stored: set[str]) -> None:
    """Refuse the whole request, before any write, when one id is unknown."""
    known = {s.id for s in configured} | stored
    unknown = [i for i in ids if i not in known]
    if unknown:
        listed = ", ".join(sorted(known)[:20]) + (", ..." if len(known) > 20 else "")
        raise UnknownSourceError(
            f"unknown source id(s): {', '.join(unknown)}; known: {listed or 'none'} (see `treatywatch sources`)"
        )


def set_by_hand(
    db_path: Path,
    ids: Sequence[str],
    *,
    enable: bool,
    configured: Sequence[Source],
    wait_s: float = runlock.DEFAULT_WAIT_S,
    now: datetime | None = None,
) -> list[health.HealthEvent]:
    """Enable or disable sources by hand; returns the recorded events (one per id, in order).

    A configured source never fetched yet gets its `sources` row here, so the hand state applies
    from the first run on. Raises UnknownSourceError, or RunLockedError while a run holds the file.
    """
    ids = list(dict.fromkeys(ids))
    now = now or db.utcnow()
    with runlock.run_lock(db_path, wait_s=wait_s):
        stored = known_ids(db_path)
        check_ids(ids, configured, stored)
        config = {s.id: s for s in configured}
        with db.connect(db_path) as con, db.transaction(con):
            storage.upsert_sources(con, [config[i] for i in ids if i not in stored])
            before = store_health.load_health(con)
            changes = [health.by_hand(before.get(i) or health.SourceHealth(i), enable=enable, now=now) for i in ids]
            events = [event for _, event in changes]
            store_health.save(con, store_health.HealthUpdate([h for h, _ in changes], events, now))
            if enable:  # a fresh start: the failure counter restarts with the score (backoff grows from it)
                storage.reset_failures(con, ids)
    return events


def config_notes(ids: Sequence[str], configured: Sequence[Source]) -> list[str]:
    """What the sources file still decides: a source `enabled: false` there stays off whatever health says."""
    config = {s.id: s for s in configured}
    notes = []
    for i in ids:
        if i not in config:
            notes.append(f"note: {i} is no longer in the sources file; runs do not fetch it")
        elif not config[i].enabled:
            notes.append(f"note: {i} is off in the sources file (enabled: false); runs skip it until that changes")
    return notes
