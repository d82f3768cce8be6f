"""Every benchmark in one run, side by side in one table (`make bench`). Figures, not tests.

usage: python bench/bench_all.py [--quick] [--skip NAME ...]
Runs each bench as its own process (so one's memory and Prefect state do not colour another's),
one after the other (the machine has 2 cores), keeps each one's full output under bench/out/, and
reads its figures from its output: bench_ingest.py prints text lines, the others end with
`RESULT {json}`. Peak RSS is the whole process tree's (bench/proctree.py samples /proc: the bench
process plus its children, e.g. Prefect's ephemeral server, added up). While a bench runs, a line
every 10 s says `[i/n] name: N s; latest line`; its full output is kept in bench/out/<name>.txt.
What each figure measures and leaves out: bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import proctree

OUT = ROOT / "bench" / "out"


@dataclass
class Bench:
    name: str
    args: list[str]
    quick: list[str] = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    peak_mb: float = 0.0  # the process tree's
    cpu_s: float = 0.0
    code: int | None = None
    script: pathlib.Path | None = None  # default bench/bench_<name>.py

    def result(self) -> dict:
        lines = [ln for ln in self.output.splitlines() if ln.startswith("RESULT ")]
        return json.loads(lines[-1][7:]) if lines else {}

    def find(self, pattern: str, group: int = 1) -> float | None:
        m = re.search(pattern, self.output)
        return float(m.group(group)) if m else None


def run(
    bench: Bench,
    quick: bool,
    index: int = 1,
    total: int = 1,
    *,
    every: float = 10.0,
    out_dir: pathlib.Path = OUT,
    say: Callable[[str], None] = lambda line: print(line, flush=True),
) -> None:
    """Run one bench as a child, output to bench/out/<name>.txt, CPU time and process-tree RSS measured
    (bench/proctree.py, in a thread); every `every` seconds say how long it has been running and its
    latest output line, so a long bench visibly progresses."""
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / f"{bench.name}.txt"
    script = bench.script or ROOT / "bench" / f"bench_{bench.name}.py"
    cmd = [sys.executable, str(script), *bench.args, *(bench.quick if quick else [])]
    say(f"-- [{index}/{total}] {bench.name}: {' '.join(cmd[1:])}")
    t0 = time.perf_counter()
    measured: list[proctree.Measured] = []
    with log.open("w") as out:
        waiter = threading.Thread(
            target=lambda: measured.append(
                proctree.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            ),
            daemon=True,
        )
        waiter.start()
        while True:
            waiter.join(timeout=every)  # wakes when the bench ends, or to report progress
            if not waiter.is_alive():
                break
            say(f"   [{index}/{total}] {bench.name}: {time.perf_counter() - t0:.0f} s; {_last_line(log)}")
    if not measured:
        raise RuntimeError(f"bench {bench.name} could not be started: {cmd}")
    m = measured[0]
    bench.seconds, bench.code, bench.peak_mb, bench.cpu_s = m.wall_s, m.code, m.tree_peak_mb, m.cpu_s
    bench.output = log.read_text(errors="replace")
    say(
        f"   [{index}/{total}] {bench.name}: done in {bench.seconds:.0f} s"
        + ("" if bench.code == 0 else f", exit {bench.code}; see {log}")
    )


def _last_line(log: pathlib.Path) -> str:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1][:100] if lines else "(no output yet)"


def spread(r: dict | None, spec: str = ".0f", unit: str = "") -> str:
    """median (min-max) of a {median, min, max} result."""
    if not r:
        return "n/a"
    return f"{format(r['median'], spec)}{unit} (min {format(r['min'], spec)}, max {format(r['max'], spec)})"


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def table(benches: dict[str, Bench]) -> list[tuple[str, str, str, str]]:
    """(measure, value, target or floor, verdict) rows."""
    rows: list[tuple[str, str, str, str]] = []

    def add(measure: str, value: str, ref: str = "", ok: bool | None = None) -> None:
        rows.append((measure, value, ref, "" if ok is None else ("ok" if ok else "MISSED")))

    if (b := benches.get("extract")) and (r := b.result()):
        add(
            "extraction, realistic mix, in-process",
            spread(r.get("realistic"), unit=" docs/CPU-s"),
            ">= 2,000",
            r["realistic"]["median"] >= 2000,
        )
        add(
            "extraction, realistic mix, CLI with start-up",
            spread(r.get("realistic_cli"), unit=" docs/CPU-s"),
            ">= 1,000",
            r["realistic_cli"]["median"] >= 1000,
        )
        add(
            "extraction, dense mix, in-process",
            spread(r.get("dense"), unit=" docs/CPU-s"),
            ">= 800",
            r["dense"]["median"] >= 800,
        )
        add(
            "language detection, share of extraction CPU",
            f"{100 * r['lang_share']:.1f} %",
            "<= 5 %",
            r["lang_share"] <= 0.05,
        )
    if (b := benches.get("startup")) and (r := b.result()):
        for name, ref in (("extract_one", "<= 0.3 CPU-s"), ("help", ""), ("query", "")):
            if name in r:
                add(
                    f"start-up: {r[name]['label']}",
                    spread(r[name], ".2f", " CPU-s"),
                    ref,
                    r[name]["median"] <= 0.3 if ref else None,
                )
    if (b := benches.get("query")) and (r := b.result()):
        add(
            f"`query` join by party, table, {r['rows']:,} rows",
            spread(r["table"], ".2f", " CPU-s"),
            f"<= 1.5x raw DuckDB {r['floor']['median']:.2f} CPU-s (now {r['table_ratio']:.2f}x)",
            r["table_ratio"] <= 1.5,
        )
        add("  same, CSV / JSON", f"{r['csv']['median']:.2f} / {r['json']['median']:.2f} CPU-s")
        add("  `query` start-up alone (SELECT 1)", spread(r["startup"], ".2f", " CPU-s"))
    if (b := benches.get("alert")) and (r := b.result()):
        if "keep_alert" in r:
            add(
                f"time-to-alert, {r['feeds']} warm feeds, kept server, event {r.get('event_at', 'first')}",
                spread(r["keep_alert"], ".2f", " s"),
                "<= 3 s",
                r["keep_alert"]["median"] <= 3,
            )
            add(
                "  whole `treatywatch run`, kept server",
                spread(r["keep_run"], ".2f", " s"),
                "<= 8 s",
                r["keep_run"]["median"] <= 8,
            )
            if "keep_alert_cpu" in r:
                add("  CPU of the run process until the alert", spread(r["keep_alert_cpu"], ".2f", " CPU-s"))
            add("  CPU of that run process", spread(r["keep_cpu"], ".2f", " CPU-s"))
            add("  first run (starts the kept server)", f"{r['keep_first_run_s']:.2f} s")
        if "ephemeral_alert" in r:
            add("  floor/peer: ephemeral API (old default)", spread(r["ephemeral_alert"], ".2f", " s"))
    if b := benches.get("ingest"):
        cold = b.find(r"cold run.*?(\d+) items/s")
        warm = b.find(r"warm run[^:]*:\s*([\d.]+) s")
        n304 = b.find(r"(\d+)/\d+ not modified")
        floor = b.find(r"feedparser floor.*?(\d+) items/s")
        add(
            "cold ingest, 500 local feeds",
            f"{fmt(cold, '.0f')} items/s",
            ">= 300 items/s",
            None if cold is None else cold >= 300,
        )
        add(
            "warm 500-feed run (all 304)",
            f"{fmt(warm, '.2f')} s ({fmt(n304, '.0f')} x 304)",
            "<= 10 s",
            None if warm is None else warm <= 10,
        )
        add("  floor: bare feedparser, same bodies", f"{fmt(floor, '.0f')} items/s")
    if (b := benches.get("prefect")) and (r := b.result()):
        add("  floor: raw lxml, same bodies", f"{r['lxml_items_s']:.0f} items/s")
        add("Prefect: empty flow run", f"{r['empty_flow_s']:.2f} s")
        add(
            f"Prefect overhead, cold {r['feeds']} feeds",
            f"{r['flow_cold_s'] - r['bare_cold_s']:+.2f} s",
            f"bare {r['bare_cold_s']:.2f} s vs flow {r['flow_cold_s']:.2f} s",
        )
        add(
            f"Prefect overhead, warm {r['feeds']} feeds",
            f"{r['flow_warm_s'] - r['bare_warm_s']:+.2f} s",
            f"bare {r['bare_warm_s']:.2f} s vs flow {r['flow_warm_s']:.2f} s",
        )
    if (b := benches.get("scale")) and (r := b.result()):
        add(
            f"run time, 0 vs {r['stored']:,} stored items",
            f"{r['ratio']:.2f}x",
            f"<= 1.2x ({r['cold_empty_s']:.2f} s vs {r['cold_big_s']:.2f} s; {r['db_mb']:.0f} MB file)",
            r["ratio"] <= 1.2,
        )
        if rep := r.get("replay"):
            add(
                f"replay --since, {rep['items']:,} of {r['stored']:,} items",
                f"{rep['docs_per_cpu_s']:.0f} docs/CPU-s",
                ">= 800",
                rep["docs_per_cpu_s"] >= 800,
            )
            add("  replay peak RSS (process tree)", f"{rep['peak_mb']:.0f} MB", "<= 500 MB", rep["peak_mb"] <= 500)
    if (b := benches.get("backlog")) and (r := b.result()):
        serial = r["docs"] / r["serial_s"]
        add("backlog extraction, one core", f"{serial:.0f} docs/s")
        add("backlog, Prefect thread pool", f"{r['docs'] / r['threads_s']:.0f} docs/s")
        add(
            f"backlog, Dask LocalCluster ({r['dask_workers']} procs)",
            f"{r['docs'] / r['dask_s']:.0f} docs/s",
            f"{r['serial_s'] / r['dask_s']:.2f}x one core, incl. cluster start",
        )
    if benches:
        peak = max(benches.values(), key=lambda b: b.peak_mb)
        ingest = benches.get("ingest")
        if ingest:
            add(
                "peak RSS, 500-feed cold run (process tree)",
                f"{ingest.peak_mb:.0f} MB",
                "<= 400 MB",
                ingest.peak_mb <= 400,
            )
        add(f"peak RSS, largest bench ({peak.name})", f"{peak.peak_mb:.0f} MB")
    return rows


def print_table(rows: list[tuple[str, str, str, str]], benches: dict[str, Bench]) -> None:
    heads = ("measure", "value", "target / reference", "")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    line = "  ".join("-" * w for w in widths)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=False)))
    print(line)
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)))
    print(line)
    print(
        "bench wall time: "
        + ", ".join(
            f"{b.name} {b.seconds:.0f} s" + ("" if b.code == 0 else f" (exit {b.code})") for b in benches.values()
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, to check the harness (figures not comparable)")
    ap.add_argument("--skip", nargs="*", default=[], help="bench names to leave out")
    args = ap.parse_args()
    plan = [
        Bench("startup", []),
        Bench("query", [], ["--stored", "2500", "--repeat", "1"]),
        Bench("extract", [], ["--docs", "200", "--cli-docs", "200"]),
        Bench("alert", [], ["--feeds", "50"]),
        Bench("ingest", [], ["--feeds", "50"]),
        Bench("prefect", [], ["--feeds", "50"]),
        Bench("scale", [], ["--stored", "50000", "--feeds", "30", "--replay", "2000"]),
        Bench("backlog", ["--docs", "6000", "--chunk", "500"], ["--docs", "300", "--chunk", "100"]),
    ]
    try:
        import prefect_dask  # noqa: F401
    except ImportError:
        print("-- backlog skipped: the dask extra is not installed (pip install -e '.[dask]')")
        args.skip.append("backlog")
    benches = {b.name: b for b in plan if b.name not in args.skip}
    for i, b in enumerate(benches.values(), 1):
        run(b, args.quick, i, len(benches))
    print_table(table(benches), benches)
    return 0 if all(b.code == 0 for b in benches.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
