"""Does a run slow down as the database grows? The same run against 0 and 1,000,000 stored items.

usage: python bench/bench_scale.py [--stored 1000000] [--feeds 100] [--items 20]
Builds a DuckDB file with `--stored` synthetic items (~4 KB texts from bench_extract's realistic
mix, numbered so none repeat; an event for every 5th item, a cluster per 3 events, a sent alert per
cluster), then runs the monitor flow on fresh local feeds (bench_ingest.py's generator) against it
and against an empty file: two cold runs (new sources, all 200) and one warm run (all 304) each;
the best cold run is compared. Target: ratio <= 1.2. Then `treatywatch replay --since` over the
newest --replay items of the big file in a new process (CPU time and peak RSS from wait4, full diff
written with --out). Last line: RESULT {json} for bench_all.py.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import proctree
from bench_ingest import feed, quiet_monitor, serve

BATCH = 50_000
VARIANTS = 500  # distinct ~4 KB articles (bench_extract's realistic mix), each item numbered so none repeat


def fill(db_path: pathlib.Path, n: int) -> float:
    """`n` stored items (~4 KB each) from 1,000 old sources, like years of history, plus what runs leave
    beside them: an event for every 5th item, a cluster per 3 events, an alert per cluster; returns seconds."""
    from bench_extract import make_doc

    from flows.store import db

    t0 = time.perf_counter()
    rng = random.Random(11)
    docs = [make_doc(rng, "en" if k % 2 == 0 else "ru", density=0.06, busy=0.25) for k in range(VARIANTS)]
    cols = [
        "item_id",
        "source_id",
        "url",
        "guid",
        "title",
        "text",
        "lang",
        "published",
        "content_hash",
        "first_seen_at",
        "fetched_at",
    ]
    with db.connect(db_path) as con:
        now = db.utcnow()
        for start in range(0, n, BATCH):
            rows = []
            for i in range(start, min(n, start + BATCH)):
                d = docs[(i * 7919) % VARIANTS]
                when = now - timedelta(minutes=n - i)
                rows.append(
                    (
                        f"hist-{i:09d}",
                        f"old{i % 1000}",
                        f"http://old.invalid/{i}",
                        f"g{i}",
                        f"{d.title} ({i})",
                        f"Report {i}. {d.text}",
                        d.lang,
                        when,
                        f"h{i}",
                        when,
                        when,
                    )
                )
            db.insert_rows(con, "items", cols, rows)
        con.execute("""
            INSERT INTO events (event_id, item_id, family, type, actor, counterparts, domain, stage, evidence,
                                span_start, span_end, confidence, rule, flags, lang, extractor_version, detected_at,
                                cluster_id)
            SELECT 'ev-' || item_id, item_id, 'termination', 'termination', 'NO', ['RU'], 'defense', 'announced',
                   substr(text, 1, 160), 0, 160, 0.8, 'en.termination.end', [], lang, 'rules-bench', fetched_at,
                   'cl-' || (CAST(substr(item_id, 6) AS BIGINT) // 15)
            FROM items WHERE CAST(substr(item_id, 6) AS BIGINT) % 5 = 0""")
        con.execute("""
            INSERT INTO event_parties SELECT event_id, actor, 'actor' FROM events
            UNION ALL SELECT event_id, 'RU', 'counterpart' FROM events""")
        con.execute("""
            INSERT INTO clusters (cluster_id, family, type, actor, parties, domain, stage, official, confidence,
                                  mentions, sources, first_seen_at, last_seen_at, alerted_parties, alerted_stage,
                                  alerted_official)
            SELECT cluster_id, 'termination', 'termination', 'NO', ['NO', 'RU'], 'defense', 'announced', false, 0.85,
                   count(*), ['old1'], min(detected_at), max(detected_at), ['NO', 'RU'], 'announced', false
            FROM events GROUP BY cluster_id""")
        con.execute("""
            INSERT INTO alerts (alert_id, kind, subject_id, event_id, change, destination_key, destination, tag,
                                status, attempts, created_at, sent_at)
            SELECT 'al-' || cluster_id, 'event', cluster_id, min(event_id), 'new', 'dest-bench', 'json://127.0.0.1/...',
                   'termination', 'sent', 1, min(detected_at), min(detected_at)
            FROM events GROUP BY cluster_id""")
        con.execute("CHECKPOINT")
    return time.perf_counter() - t0


def replay_window(db_path: pathlib.Path, items: int) -> dict[str, float]:
    """`treatywatch replay --since` over the newest `items` of the big file, as a user runs it: CPU, peak RSS."""

    since = (datetime.now(UTC) - timedelta(minutes=items)).isoformat()
    script = ROOT / ".venv" / "bin" / "treatywatch"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "flows.cli.app"]
    out = db_path.with_suffix(".diff.csv")
    with open(os.devnull, "w") as null:
        m = proctree.run(
            [
                *cmd,
                "replay",
                "--db",
                str(db_path),
                "--config-dir",
                str(ROOT / "config"),
                "--since",
                since,
                "--limit",
                "20",
                "--out",
                str(out),
            ],
            cwd=ROOT,
            stdout=null,
        )
    if m.code != 0:
        raise SystemExit(f"replay exited {m.code}")
    return {
        "items": items,
        "cpu_s": m.cpu_s,
        "docs_per_cpu_s": items / m.cpu_s,
        "peak_mb": m.tree_peak_mb,
        "diff_rows": sum(1 for _ in out.open()) - 1,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, default=1_000_000)
    ap.add_argument("--feeds", type=int, default=100)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--replay", type=int, default=20_000, help="newest stored items to replay (0: skip)")
    args = ap.parse_args()
    monitor = quiet_monitor()

    work = pathlib.Path(tempfile.mkdtemp(prefix="tw-bench-scale-"))
    big, small = work / "big.duckdb", work / "small.duckdb"
    fill_s = fill(big, args.stored)
    fill(small, 0)
    size_mb = big.stat().st_size / 1e6
    # three sets of feeds: two cold runs per database on sources it has never seen, then a warm one
    bodies = {f"/feed/{n}.xml": feed(n, args.items) for n in range(4 * args.feeds)}
    server = serve(bodies)
    port = server.server_address[1]
    (work / "none.yml").write_text("version: 1\nurls: []\n", encoding="utf-8")
    kw = {"alerts": str(work / "none.yml"), "config_dir": str(ROOT / "config")}
    empty = work / "empty.yaml"
    empty.write_text("sources: []\n", encoding="utf-8")
    monitor(sources=str(empty), db_path=str(work / "warmup.duckdb"), **kw)  # engine start, not counted

    def feeds_file(first: int) -> pathlib.Path:
        path = work / f"s{first}.yaml"
        path.write_text(
            "sources:\n"
            + "".join(
                f'  - {{id: f{n}, kind: rss, url: "http://127.0.0.1:{port}/feed/{n}.xml", lang: en, full_text: never}}\n'
                for n in range(first, first + args.feeds)
            ),
            encoding="utf-8",
        )
        return path

    times: dict[str, dict[str, float]] = {}
    for label, dbp, offset in (("0", small, 0), (f"{args.stored:,}", big, 2 * args.feeds)):
        runs = []
        for k in range(2):
            src = feeds_file(offset + k * args.feeds)
            t0 = time.perf_counter()
            s = monitor(sources=str(src), db_path=str(dbp), **kw)
            runs.append(time.perf_counter() - t0)
            assert s.new_items == args.feeds * args.items, s.new_items
        t0 = time.perf_counter()
        monitor(sources=str(src), db_path=str(dbp), **kw)
        times[label] = {"cold": min(runs), "warm": time.perf_counter() - t0}
    server.shutdown()
    rep = replay_window(big, min(args.replay, args.stored)) if args.replay else None
    shutil.rmtree(work, ignore_errors=True)
    (a, ta), (b, tb) = times.items()
    ratio = tb["cold"] / ta["cold"]
    print(
        f"bench_scale: {args.feeds} feeds x {args.items} items per run; big file {size_mb:.0f} MB "
        f"({args.stored:,} items, filled in {fill_s:.1f} s)"
    )
    for label, t in times.items():
        print(f"  {label:>10} stored items: cold {t['cold']:6.2f} s (best of 2) | warm {t['warm']:6.2f} s")
    print(f"  ratio {b} / {a}: cold {ratio:.2f}x, warm {tb['warm'] / ta['warm']:.2f}x   [target <= 1.2x]")
    if rep:
        print(
            f"  replay --since over the newest {rep['items']:,} of {args.stored:,} items: {rep['docs_per_cpu_s']:.0f} "
            f"docs/CPU-s, peak RSS {rep['peak_mb']:.0f} MB, {rep['diff_rows']:,} diff rows to --out"
            f"   [targets >= 800 docs/CPU-s, <= 500 MB]"
        )
    print(
        "RESULT "
        + json.dumps(
            {
                "stored": args.stored,
                "cold_empty_s": ta["cold"],
                "cold_big_s": tb["cold"],
                "warm_empty_s": ta["warm"],
                "warm_big_s": tb["warm"],
                "ratio": ratio,
                "db_mb": size_mb,
                "replay": rep,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
