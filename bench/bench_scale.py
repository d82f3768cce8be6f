"""Does a run slow down as the database grows? The same run against 0 and 1,000,000 stored items.

usage: python bench/bench_scale.py [--stored 1000000] [--feeds 100] [--items 20]
Builds a DuckDB file with `--stored` synthetic items (batched UNNEST inserts), then runs the
monitor flow on fresh local feeds (bench_ingest.py's generator) against it and against an empty
file: two cold runs (new sources, all 200) and one warm run (all 304) each; the best cold run is
compared. Target: ratio <= 1.2. Last line: RESULT {json} for bench_all.py.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import feed, serve, quiet_monitor  # noqa: E402

BATCH = 100_000
TEXT = ("The council met on Tuesday to discuss the regional budget, roads, schools and the harbour; "
        "officials said the plan would be published next month after a public consultation. ") * 2


def fill(db_path: pathlib.Path, n: int) -> float:
    """`n` stored items from 1,000 old sources, like years of history; returns seconds taken."""
    from flows.store import db

    t0 = time.perf_counter()
    cols = ["item_id", "source_id", "url", "guid", "title", "text", "lang", "published", "content_hash",
            "first_seen_at", "fetched_at"]
    with db.connect(db_path) as con:
        now = db.utcnow()
        for start in range(0, n, BATCH):
            rows = [(f"hist-{i:09d}", f"old{i % 1000}", f"http://old.invalid/{i}", f"g{i}", f"Old story {i}",
                     TEXT, "en", now, f"h{i}", now, now) for i in range(start, min(n, start + BATCH))]
            db.insert_rows(con, "items", cols, rows)
        con.execute("CHECKPOINT")
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, default=1_000_000)
    ap.add_argument("--feeds", type=int, default=100)
    ap.add_argument("--items", type=int, default=20)
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
    kw = dict(alerts=str(work / "none.yml"), config_dir=str(ROOT / "config"))
    empty = work / "empty.yaml"
    empty.write_text("sources: []\n", encoding="utf-8")
    monitor(sources=str(empty), db_path=str(work / "warmup.duckdb"), **kw)  # engine start, not counted

    def feeds_file(first: int) -> pathlib.Path:
        path = work / f"s{first}.yaml"
        path.write_text("sources:\n" + "".join(
            f'  - {{id: f{n}, kind: rss, url: "http://127.0.0.1:{port}/feed/{n}.xml", lang: en, full_text: never}}\n'
            for n in range(first, first + args.feeds)), encoding="utf-8")
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
    shutil.rmtree(work, ignore_errors=True)
    (a, ta), (b, tb) = times.items()
    ratio = tb["cold"] / ta["cold"]
    print(f"bench_scale: {args.feeds} feeds x {args.items} items per run; big file {size_mb:.0f} MB "
          f"({args.stored:,} items, filled in {fill_s:.1f} s)")
    for label, t in times.items():
        print(f"  {label:>10} stored items: cold {t['cold']:6.2f} s (best of 2) | warm {t['warm']:6.2f} s")
    print(f"  ratio {b} / {a}: cold {ratio:.2f}x, warm {tb['warm'] / ta['warm']:.2f}x   [target <= 1.2x]")
    print("RESULT " + json.dumps({"stored": args.stored, "cold_empty_s": ta["cold"], "cold_big_s": tb["cold"],
                                  "warm_empty_s": ta["warm"], "warm_big_s": tb["warm"], "ratio": ratio,
                                  "db_mb": size_mb}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
