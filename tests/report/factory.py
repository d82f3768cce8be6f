"""A DuckDB file with sources, runs, items, events and clusters for report tests and the report bench.

Rows go in through the project's own migrations and batched insert, so the schema is the real one.
Texts are generated from a few templates with real country codes; `seed` makes it repeatable.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flows.store import db
from parsers.ids import short_hash

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STATES = [
    "RU",
    "US",
    "FR",
    "DE",
    "PL",
    "IN",
    "CN",
    "TR",
    "BR",
    "ZA",
    "ML",
    "NE",
    "BF",
    "KR",
    "JP",
    "AU",
    "GB",
    "NO",
    "HU",
    "RS",
    "KZ",
    "BY",
    "AZ",
    "AM",
    "SA",
    "AE",
    "EG",
    "NG",
    "CL",
    "PE",
]
TYPES = [
    ("termination", "termination"),
    ("withdrawal", "termination"),
    ("suspension", "termination"),
    ("partnership_signed", "partnership"),
    ("partnership_strengthened", "partnership"),
]
EVIDENCE = {
    "termination": "{a} said on Monday it would terminate its defence cooperation agreement with {b}.",
    "withdrawal": "{a} announced it is withdrawing from the treaty, the foreign ministry in {a} said.",
    "suspension": "{a} suspended its participation in the military agreement with {b} with immediate effect.",
    "partnership_signed": "{a} and {b} signed a defence cooperation agreement in the capital on Tuesday.",
    "partnership_strengthened": "{a} and {b} agreed to deepen their military cooperation, officials said.",
}
NAMES = {
    "RU": "Russia",
    "US": "the United States",
    "FR": "France",
    "DE": "Germany",
    "PL": "Poland",
    "IN": "India",
    "CN": "China",
    "TR": "Turkey",
    "BR": "Brazil",
    "ZA": "South Africa",
    "ML": "Mali",
    "NE": "Niger",
    "BF": "Burkina Faso",
    "KR": "South Korea",
    "JP": "Japan",
    "AU": "Australia",
    "GB": "Britain",
    "NO": "Norway",
    "HU": "Hungary",
    "RS": "Serbia",
    "KZ": "Kazakhstan",
    "BY": "Belarus",
    "AZ": "Azerbaijan",
    "AM": "Armenia",
    "SA": "Saudi Arabia",
    "AE": "the UAE",
    "EG": "Egypt",
    "NG": "Nigeria",
    "CL": "Chile",
    "PE": "Peru",
}


def make_db(path: Path, clusters: int, *, seed: int = 7, mentions_max: int = 3, days: int = 120) -> Path:
    """Write `clusters` clusters with 1..mentions_max mentions each, 6 sources and daily runs."""
    rnd = random.Random(seed)
    sources = [f"src-{i}" for i in range(6)]
    items, events, cl, parties_rows = [], [], [], []
    for n in range(clusters):
        typ, fam = rnd.choice(TYPES)
        actor, other = rnd.sample(STATES, 2)
        first = START + timedelta(minutes=rnd.randrange(days * 24 * 60))
        cid = "c_" + short_hash("cluster", str(seed), str(n))
        k = rnd.randint(1, mentions_max)
        srcs = sorted(rnd.sample(sources, k))
        text = EVIDENCE[typ].format(a=NAMES[actor], b=NAMES[other])
        last = first
        for j, src in enumerate(srcs):
            seen = first + timedelta(hours=3 * j)
            last = seen
            iid = short_hash("item", cid, str(j))
            title = f"{NAMES[actor].capitalize()} and {NAMES[other]}: {typ.replace('_', ' ')} <b>#{n}</b>"
            items.append(
                (
                    iid,
                    src,
                    f"https://news.example/{n}/{j}",
                    iid,
                    title,
                    "",
                    text,
                    "en",
                    seen,
                    short_hash(text),
                    seen,
                    seen,
                )
            )
            eid = short_hash("event", iid)
            flags = ["claimed_count_mismatch:10!=11"] if n % 50 == 0 else []
            events.append(
                (
                    eid,
                    iid,
                    fam,
                    typ,
                    actor,
                    [other],
                    "defense",
                    "announced",
                    text,
                    0,
                    len(text),
                    round(0.55 + rnd.random() * 0.44, 2),
                    f"{typ}.en.demo",
                    flags,
                    "en",
                    seen,
                    cid,
                )
            )
            parties_rows += [(eid, actor, "actor"), (eid, other, "counterpart")]
        conf = round(0.6 + rnd.random() * 0.39, 2)
        inst = ("the CFE Treaty", "CFE", "multilateral") if typ == "withdrawal" else (None, None, None)
        cl.append(
            (
                cid,
                fam,
                typ,
                actor,
                sorted([actor, other]),
                "defense",
                "announced",
                n % 17 == 0,
                conf,
                len(srcs),
                srcs,
                first,
                last,
                sorted([actor, other]) if n % 3 else None,
                *inst,
            )
        )
    with db.connect(path) as con:
        db.insert_rows(
            con,
            "sources",
            ("source_id", "kind", "url", "lang", "source_group", "first_seen_at", "last_attempt_at", "last_success_at"),
            [(s, "rss", f"https://feeds.example/{s}.xml", "en", "news", START, START, START) for s in sources],
        )
        db.insert_rows(
            con,
            "source_health",
            ("source_id", "state", "score", "updated_at"),
            [(s, "failing" if i == 5 else "ok", 3.5 if i == 5 else 0.0, START) for i, s in enumerate(sources)],
        )
        db.insert_rows(
            con,
            "runs",
            (
                "run_id",
                "started_at",
                "finished_at",
                "sources_ok",
                "sources_failed",
                "new_items",
                "new_events",
                "alerts_sent",
                "alerts_failed",
            ),
            [
                (
                    f"run-{d}",
                    START + timedelta(days=d),
                    START + timedelta(days=d, minutes=1),
                    5,
                    1,
                    rnd.randint(0, 40),
                    rnd.randint(0, 6),
                    rnd.randint(0, 3),
                    0,
                )
                for d in range(min(days, 60))
            ],
        )
        db.insert_rows(
            con,
            "items",
            (
                "item_id",
                "source_id",
                "url",
                "guid",
                "title",
                "summary",
                "text",
                "lang",
                "published",
                "content_hash",
                "first_seen_at",
                "fetched_at",
            ),
            items,
        )
        db.insert_rows(
            con,
            "events",
            (
                "event_id",
                "item_id",
                "family",
                "type",
                "actor",
                "counterparts",
                "domain",
                "stage",
                "evidence",
                "span_start",
                "span_end",
                "confidence",
                "rule",
                "flags",
                "lang",
                "detected_at",
                "cluster_id",
            ),
            events,
        )
        db.insert_rows(con, "event_parties", ("event_id", "party", "role"), parties_rows)
        db.insert_rows(
            con,
            "clusters",
            (
                "cluster_id",
                "family",
                "type",
                "actor",
                "parties",
                "domain",
                "stage",
                "official",
                "confidence",
                "mentions",
                "sources",
                "first_seen_at",
                "last_seen_at",
                "alerted_parties",
                "instrument_text",
                "instrument_id",
                "instrument_kind",
            ),
            cl,
        )
    return path
