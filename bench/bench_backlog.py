"""Backlog extraction: one core vs Prefect's thread pool vs a Dask LocalCluster of worker processes.

usage: python bench/bench_backlog.py [--docs 2000] [--workers 2] [--chunk 100]
Stores `--docs` synthetic ~4 KB articles (bench_extract.py's generator) as items, then re-extracts
them with flows/backlog.py. Dask worker processes need a real Prefect API, so this starts a local
Prefect server (flows/local_server.py) unless PREFECT_API_URL is set, and stops it at the end.
Needs the dask extra. Last line: RESULT {json} for bench_all.py.
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

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_extract import make_doc

from flows import local_server


def store(db_path: pathlib.Path, n: int) -> list[tuple[str, str, str, str]]:
    from flows.store import db

    rng = random.Random(11)
    docs = []
    for i in range(n):
        d = make_doc(rng, "en" if i % 2 == 0 else "ru")
        docs.append((f"doc-{i:06d}", d.title, d.text, d.lang))
    with db.connect(db_path) as con:
        now = db.utcnow()
        db.insert_rows(
            con,
            "items",
            ["item_id", "source_id", "url", "title", "text", "lang", "content_hash", "first_seen_at", "fetched_at"],
            [(i, "bench", f"http://bench.invalid/{i}", t, x, lang, "h", now, now) for i, t, x, lang in docs],
        )
    return docs


def reset_events(db_path: pathlib.Path) -> None:
    from flows.store import db

    with db.connect(db_path) as con:
        con.execute("DELETE FROM event_parties")
        con.execute("DELETE FROM events")


def measure(args: argparse.Namespace) -> dict[str, float]:
    from flows.backlog import dask_runner, extract_backlog, extract_docs, read_backlog, write_events

    work = pathlib.Path(tempfile.mkdtemp(prefix="tw-bench-backlog-"))
    path = work / "tw.duckdb"
    docs = store(path, args.docs)
    config = str(ROOT / "config")
    extract_docs(docs[:5], config)  # extractor load, not counted
    t0 = time.perf_counter()  # the same read -> extract -> one write, on one core without the engine
    events = extract_docs(read_backlog(path), config)
    t1 = time.perf_counter()
    write_events(path, events)
    serial_events = len(events)
    out = {"docs": args.docs, "serial_s": time.perf_counter() - t0, "write_s": time.perf_counter() - t1}
    for label, runner in (("threads", None), ("dask", dask_runner(workers=args.workers, processes=True))):
        reset_events(path)
        flow_ = extract_backlog.with_options(task_runner=runner) if runner else extract_backlog
        t0 = time.perf_counter()
        report = flow_(db_path=str(path), config_dir=config, chunk_size=args.chunk)
        out[f"{label}_s"] = time.perf_counter() - t0
        out[f"{label}_workers"] = len(report.workers)
        assert report.events == serial_events and report.new_events == serial_events, (label, report)
    shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=100)
    args = ap.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        home = pathlib.Path(tempfile.mkdtemp(prefix="tw-bench-prefect-server-"))
        server = local_server.start(home, port=_free_port(), ui=False)
        os.environ["PREFECT_API_URL"] = server.api_url  # before Prefect is imported: workers inherit it
    try:
        r = measure(args)
    finally:
        if server is not None:
            local_server.stop(server)
    print(f"bench_backlog: {r['docs']} docs (~4 KB, en+ru) re-extracted, events written once")
    print(
        f"  one core, no engine       : {r['serial_s']:6.2f} s  {r['docs'] / r['serial_s']:6.0f} docs/s"
        f"  (of which the one write: {r['write_s']:.2f} s)"
    )
    print(f"  Prefect thread pool       : {r['threads_s']:6.2f} s  {r['docs'] / r['threads_s']:6.0f} docs/s")
    print(
        f"  Dask LocalCluster ({args.workers} procs): {r['dask_s']:6.2f} s  {r['docs'] / r['dask_s']:6.0f} docs/s"
        f"  (chunks ran on {r['dask_workers']} workers; includes cluster start)"
    )
    print("RESULT " + json.dumps(r))
    return 0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
