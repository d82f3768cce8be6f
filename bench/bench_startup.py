"""Start-up as a user meets it: CPU time of whole `treatywatch` processes that do almost no work.

usage: python bench/bench_startup.py [--repeat 3]
`extract` on one short document (extractor from its disk cache: the cache is warmed by one run
first, which is reported apart), `--help`, and `query` on a small DuckDB file. CPU = user + sys of
the process (wait4), median (min, max) of --repeat runs. Floor: `python -c pass` in the same venv.
Processes run as an installed package does: with Python's bytecode cache (kept in a temporary
PYTHONPYCACHEPREFIX, filled by a first, untimed run of each command), whatever the calling shell
says: with PYTHONDONTWRITEBYTECODE=1 and no .pyc beside the sources, every start would compile the
project's own modules again (~60 ms), which no installed copy does.
Last line: RESULT {json} for bench_all.py.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def treatywatch_cmd() -> list[str]:
    """The installed `treatywatch` script of the repo's venv, or the module when there is none."""
    script = ROOT / ".venv" / "bin" / "treatywatch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "flows.cli.app"]


def user_env(pycache: pathlib.Path) -> dict[str, str]:
    """The caller's environment with bytecode caching on (as a user's installed package has it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def cpu_of(cmd: list[str], env: dict[str, str] | None = None) -> float:
    with open(os.devnull, "w") as null:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=null, stderr=null, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tw = treatywatch_cmd()
    with tempfile.TemporaryDirectory() as tmp:
        doc = pathlib.Path(tmp) / "one.txt"
        doc.write_text(
            "Norway has terminated its defence agreement with Russia, the ministry said.\n", encoding="utf-8"
        )
        dbfile = pathlib.Path(tmp) / "tw.duckdb"
        from flows.store import db

        with db.connect(dbfile):
            pass
        cases = {
            "floor": ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
            "extract_one": (
                "`extract` one short doc",
                [*tw, "extract", str(doc), "--config-dir", str(ROOT / "config")],
            ),
            "help": ("`--help`", [*tw, "--help"]),
            "query": (
                "`query` count(*) on a small DB",
                [*tw, "query", "SELECT count(*) FROM items", "--db", str(dbfile)],
            ),
        }
        env = user_env(pathlib.Path(tmp) / "pycache")
        first = cpu_of(cases["extract_one"][1], env)  # fills the extractor and bytecode caches if cold
        result: dict[str, object] = {"first_extract_cpu_s": first}
        print(
            f"bench_startup: CPU-s per process, median of {args.repeat} (first `extract`, caches maybe cold: {first:.2f})"
        )
        for key, (label, cmd) in cases.items():
            cpu_of(cmd, env)  # this command's modules into the bytecode cache
            runs = [cpu_of(cmd, env) for _ in range(args.repeat)]
            result[key] = {"label": label, "median": statistics.median(runs), "min": min(runs), "max": max(runs)}
            print(f"  {label:34} {statistics.median(runs):.3f} CPU-s (min {min(runs):.3f}, max {max(runs):.3f})")
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
