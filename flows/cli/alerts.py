"""`treatywatch alerts`: the ledger for a person, and the one manual lever it needs.

`uncertain` alerts (interrupted mid-send on a channel that cannot be checked) and `given_up` ones
wait for a decision: after checking the channel, `--resend ID` queues one for the next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from flows.store import db, ledger
from parsers.errors import InputError, TreatywatchError

LIST_SQL = """
SELECT alert_id, kind, change, status, attempts, destination, tag, created_at,
       CASE WHEN status = 'pending' THEN coalesce(not_before, created_at) END AS next_attempt, sent_at, last_error
FROM alerts WHERE ($1::VARCHAR IS NULL OR status = $1) ORDER BY created_at DESC LIMIT $2
"""
STATUSES = ("pending", "sending", "sent", "uncertain", "superseded", "given_up")
RESENDABLE = ("uncertain", "given_up")
HEADERS = (
    "alert",
    "kind",
    "change",
    "status",
    "tries",
    "destination",
    "tag",
    "created",
    "next attempt",
    "sent",
    "last error",
)


def _cell(value: object) -> Text:
    """Ledger values verbatim (never markup); times to the second, in UTC."""
    if isinstance(value, datetime):
        return Text(f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z")
    return Text("" if value is None else str(value)[:120])


def list_alerts(db_path: Path, status: str | None, limit: int, console: Console) -> int:
    """The newest `limit` alerts; pending ones show when they are next tried and why the last try failed."""
    if status is not None and status not in STATUSES:
        raise InputError(f"--status {status!r}: expected one of {', '.join(STATUSES)}")
    with db.connect(db_path, read_only=True) as con:
        rows = con.execute(LIST_SQL, [status, limit]).fetchall()
    table = Table(*HEADERS)
    table.columns[-1].overflow = "fold"
    for r in rows:
        table.add_row(*(_cell(v) for v in r))
    console.print(table)
    return len(rows)


def resend(db_path: Path, alert_ids: Sequence[str]) -> list[str]:
    """Queue uncertain or given-up alerts again (attempts reset); returns the ids it queued."""
    with db.connect(db_path) as con:
        found = dict(
            con.execute(
                "SELECT alert_id, status FROM alerts WHERE alert_id IN (SELECT UNNEST($1))", [list(alert_ids)]
            ).fetchall()
        )
        unknown = [a for a in alert_ids if a not in found]
        if unknown:
            raise TreatywatchError(f"no such alert: {', '.join(unknown)}")
        wrong = [f"{a} is {s}" for a, s in found.items() if s not in RESENDABLE]
        if wrong:
            raise TreatywatchError(f"only {' or '.join(RESENDABLE)} alerts can be re-sent: {'; '.join(wrong)}")
        ledger.requeue(con, alert_ids)
    return list(alert_ids)
