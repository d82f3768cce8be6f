"""`treatywatch review`, `mark` and `feedback export`: analysts' verdicts in, regression data out."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from flows.alerts.render import party_label
from flows.store import db, feedback
from parsers.errors import TreatywatchError
from parsers.models import FAMILY_OF

REVIEW_SQL = """
SELECT c.cluster_id, c.type, c.actor, c.parties, c.confidence, c.mentions, c.last_seen_at,
       (SELECT e.evidence FROM events e WHERE e.cluster_id = c.cluster_id ORDER BY e.confidence DESC, e.event_id LIMIT 1)
FROM v_clusters c
WHERE c.review IS NULL AND ($1::TIMESTAMPTZ IS NULL OR c.last_seen_at >= $1)
ORDER BY c.last_seen_at DESC, c.cluster_id LIMIT $2
"""

EXPORT_SQL = """
SELECT f.cluster_id, f.verdict, f.actor, f.counterparts, f.type, f.note, c.type, c.actor, c.parties,
       e.event_id, i.item_id, i.title, i.text, i.lang, i.published, c.domain
FROM v_feedback f JOIN clusters c USING (cluster_id) JOIN events e ON e.cluster_id = f.cluster_id
JOIN items i USING (item_id)
ORDER BY f.marked_at, i.item_id
"""


def analyst() -> str:
    """Who marks: TREATYWATCH_ANALYST, else the OS user (a name, never a secret)."""
    return os.environ.get("TREATYWATCH_ANALYST") or getpass.getuser()


def review(db_path: Path, since: datetime | None, limit: int, console: Console) -> int:
    """Clusters nobody has marked yet, newest first, in columns that fit 80 characters."""
    with db.connect(db_path, read_only=True) as con:
        rows = con.execute(REVIEW_SQL, [since, limit]).fetchall()
    if not rows:
        console.print("nothing to review", highlight=False)
        return 0
    for cid, typ, actor, parties, conf, mentions, last_seen, evidence in rows:
        others = [party_label(p) for p in parties if p != actor]
        console.print(
            f"{cid}  {typ}  conf {conf:.2f}  {mentions} mention(s)  last {last_seen:%Y-%m-%d}",
            style="bold",
            highlight=False,
            markup=False,
        )
        console.print(f"  {party_label(actor)} → {', '.join(others) or '—'}", highlight=False, markup=False)
        if evidence:
            text = " ".join(evidence.split())
            console.print(f"  “{text[:150]}{'…' if len(text) > 150 else ''}”", highlight=False, markup=False)
    console.print("\nmark one: treatywatch mark CLUSTER_ID correct|wrong|parties|type", highlight=False, markup=False)
    return len(rows)


def mark(
    db_path: Path,
    cluster_id: str,
    verdict: str,
    *,
    actor: str | None,
    counterparts: Sequence[str] | None,
    type_: str | None,
    note: str | None,
    now: datetime,
) -> list[str]:
    """Validate and store one mark; returns the alert ids a `wrong` verdict stopped."""
    if verdict not in feedback.VERDICTS:
        raise TreatywatchError(f"unknown verdict {verdict!r}: use {', '.join(feedback.VERDICTS)}")
    if verdict == "parties" and not (actor or counterparts):
        raise TreatywatchError("verdict 'parties' needs --actor and/or --counterparts with the right ISO codes")
    if verdict == "type" and not type_:
        raise TreatywatchError(f"verdict 'type' needs --type ({', '.join(sorted(FAMILY_OF))})")
    if type_ and type_ not in FAMILY_OF:
        raise TreatywatchError(f"unknown type {type_!r}: use {', '.join(sorted(FAMILY_OF))}")
    codes = [c.strip().upper() for c in counterparts or [] if c.strip()] or None
    m = feedback.Mark(
        cluster_id=cluster_id,
        verdict=verdict,
        marked_by=analyst(),
        marked_at=now,
        actor=actor.upper() if actor else None,
        counterparts=tuple(codes) if codes else None,
        type=type_,
        note=note,
    )
    with db.connect(db_path) as con:
        if not con.execute("SELECT 1 FROM clusters WHERE cluster_id = $1", [cluster_id]).fetchone():
            raise TreatywatchError(f"no such cluster: {cluster_id} (see `treatywatch review`)")
        return feedback.record(con, m)


def export(db_path: Path, out: TextIO) -> int:
    """Marked items in the evaluation format ({id, lang, text, title, events, label_class}); returns lines."""
    with db.connect(db_path, read_only=True) as con:
        rows = con.execute(EXPORT_SQL).fetchall()
    items: dict[str, dict[str, Any]] = {}
    for (
        cid,
        verdict,
        f_actor,
        f_counter,
        f_type,
        note,
        c_type,
        c_actor,
        c_parties,
        _eid,
        item_id,
        title,
        text,
        lang,
        published,
        domain,
    ) in rows:
        item = items.setdefault(
            item_id,
            {
                "id": item_id,
                "lang": lang or "",
                "title": title or "",
                "text": text or "",
                "published": published.isoformat() if published else None,
                "events": [],
                "clusters": [],
            },
        )
        if cid in item["clusters"]:
            continue
        item["clusters"].append(cid)
        if verdict == "wrong":
            continue
        actor = f_actor or c_actor
        counterparts = list(f_counter) if f_counter is not None else [p for p in c_parties if p != c_actor]
        item["events"].append(
            {
                "type": f_type or c_type,
                "actor": actor,
                "counterparts": [p for p in counterparts if p != actor],
                "domain": domain,
                "note": f"feedback {verdict} on cluster {cid}" + (f": {note}" if note else ""),
            }
        )
    for item in items.values():
        item["label_class"] = FAMILY_OF[item["events"][0]["type"]] if item["events"] else "negative"
        del item["clusters"]
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return len(items)
