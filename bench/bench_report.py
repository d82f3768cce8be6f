"""`treatywatch report` on a DuckDB of N clusters (default 10,000): build time and file size.

usage: python bench/bench_report.py [--clusters N] [--repeat 3]
Runs the real command as a new process each time (start-up, extractor load and the cached Vega
bundle included), reports the median with min/max of wall and CPU seconds, and the file size.
Floor beside it: reading the same rows with raw DuckDB. Ends with `RESULT {json}`.
Must reach (issue 12): <= 5 s and <= 5 MB for 10,000 clusters.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clusters", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from tests.report.factory import make_db

    with tempfile.TemporaryDirectory() as tmp:
        db = make_db(pathlib.Path(tmp) / "tw.duckdb", args.clusters, seed=1)
        out = pathlib.Path(tmp) / "report.html"
        exe = pathlib.Path(sys.executable).with_name("treatywatch")
        cmd = [str(exe), "report", "--db", str(db), "--out", str(out), "--config-dir", str(ROOT / "config")]
        env = {**os.environ, "XDG_CACHE_HOME": str(pathlib.Path(tmp) / "cache")}
        subprocess.run(cmd, env=env, check=True, capture_output=True)  # warm: the Vega bundle is cached once
        walls, cpus = [], []
        for i in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
            print(f"  run {i + 1}/{args.repeat}: {walls[-1]:.2f} s wall, {cpus[-1]:.2f} CPU-s", file=sys.stderr)
        size = out.stat().st_size
        floor = _floor(db)
    res = {
        "clusters": args.clusters,
        "wall_s": _stats(walls),
        "cpu_s": _stats(cpus),
        "mb": round(size / 1e6, 2),
        "floor_duckdb_read_s": round(floor, 3),
    }
    w = res["wall_s"]
    print(
        f"report, {args.clusters} clusters: {w['median']:.2f} s wall (min {w['min']:.2f}, max {w['max']:.2f}), "
        f"{res['cpu_s']['median']:.2f} CPU-s, {res['mb']} MB   must: <= 5 s, <= 5 MB   "
        f"floor: raw DuckDB read of the same rows {floor:.2f} s"
    )
    print("RESULT " + json.dumps(res))
    return 0


def _floor(db: pathlib.Path) -> float:
    import duckdb

    from flows.report.data import CLUSTERS_SQL, MENTIONS_SQL

    con = duckdb.connect(str(db), read_only=True)
    try:
        t0 = time.perf_counter()
        for sql in (CLUSTERS_SQL, MENTIONS_SQL):
            con.execute(sql, [None, None, None, None]).fetchall()
        return time.perf_counter() - t0
    finally:
        con.close()


def _stats(xs: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(xs), 3), "min": round(min(xs), 3), "max": round(max(xs), 3)}


if __name__ == "__main__":
    sys.exit(main())
