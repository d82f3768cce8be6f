"""`treatywatch query` as an analyst runs it, beside raw DuckDB doing the same SQL.

usage: python bench/bench_query.py [--stored 15000] [--repeat 3]
Builds a DuckDB file with bench_scale.py's history (--stored items; an event for every 5th item with
two parties each), then times whole processes on one join by party (every event with each of its
parties, newest first: 2 x stored / 5 rows, ~160-character evidence in en and ru):
`treatywatch query` with table, CSV and JSON output (stdout to /dev/null, so the table is laid out
for 80 columns as in a pipe) and on `SELECT 1` (its start-up alone), and the floor: a bare Python process that imports duckdb, opens the
file read-only, executes the same SQL and fetches every row (plus the `duckdb` CLI writing CSV, when
one is installed). CPU = user + sys of the process (wait4), median (min, max) of --repeat runs.
Target: table output <= 1.5x the Python floor. Last line: RESULT {json} for bench_all.py.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import statistics
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

JOIN_BY_PARTY = (
    "SELECT p.party, p.role, e.type, e.actor, e.stage, e.confidence, e.detected_at, e.evidence "
    "FROM events e JOIN event_parties p USING (event_id) ORDER BY e.detected_at DESC, p.party"
)
RAW = (
    "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
    "rows = con.execute(sys.argv[2]).fetchall(); print(len(rows))"
)


def spread(runs: list[float], label: str) -> dict[str, object]:
    return {"label": label, "median": statistics.median(runs), "min": min(runs), "max": max(runs)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, default=15_000, help="items in the DB (an event per 5, 2 parties each)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from bench_scale import fill
    from bench_startup import cpu_of, treatywatch_cmd, user_env

    tw = treatywatch_cmd()
    with tempfile.TemporaryDirectory() as tmp:
        dbfile = pathlib.Path(tmp) / "tw.duckdb"
        fill(dbfile, args.stored)
        import duckdb

        with duckdb.connect(str(dbfile), read_only=True) as con:
            rows = len(con.execute(JOIN_BY_PARTY).fetchall())
        env = user_env(pathlib.Path(tmp) / "pycache")  # bytecode cached, as an installed package runs
        env["COLUMNS"] = "80"  # the table laid out as in a pipe, whatever terminal runs the bench
        cases = {
            "floor": ("raw DuckDB (python, fetchall)", [sys.executable, "-c", RAW, str(dbfile), JOIN_BY_PARTY]),
            "startup": ("`query` SELECT 1 (start-up)", [*tw, "query", "SELECT 1", "--db", str(dbfile)]),
            "table": ("`query`, table", [*tw, "query", JOIN_BY_PARTY, "--db", str(dbfile)]),
            "csv": ("`query --format csv`", [*tw, "query", JOIN_BY_PARTY, "--db", str(dbfile), "--format", "csv"]),
            "json": ("`query --format json`", [*tw, "query", JOIN_BY_PARTY, "--db", str(dbfile), "--format", "json"]),
        }
        if duck := shutil.which("duckdb"):
            cases["duckdb_cli"] = ("duckdb CLI, CSV", [duck, "-readonly", "-csv", str(dbfile), JOIN_BY_PARTY])
        result: dict[str, object] = {"rows": rows, "stored": args.stored}
        print(f"bench_query: join by party, {rows:,} rows; CPU-s per process, median of {args.repeat}")
        for key, (label, cmd) in cases.items():
            cpu_of(cmd, env)  # untimed: fills the bytecode cache
            runs = [cpu_of(cmd, env) for _ in range(args.repeat)]
            result[key] = spread(runs, label)
            print(f"  {label:32} {statistics.median(runs):.3f} CPU-s (min {min(runs):.3f}, max {max(runs):.3f})")
        floor = result["floor"]["median"]  # type: ignore[index]
        for key in ("table", "csv", "json"):
            result[f"{key}_ratio"] = result[key]["median"] / floor  # type: ignore[index]
        print(
            "  ratio to the floor: "
            + ", ".join(f"{k} {result[f'{k}_ratio']:.2f}x" for k in ("table", "csv", "json"))
            + " (target: table <= 1.5x)"
        )
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
