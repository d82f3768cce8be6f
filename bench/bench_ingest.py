"""Ingestion speed end to end: 500 generated feeds x 20 items served from 127.0.0.1 through the real
monitor flow (Prefect API, DuckDB, extraction).

usage: python bench/bench_ingest.py [--feeds 500] [--items 20] [--api in-process|subprocess]
The Prefect API is the one `TREATYWATCH_PREFECT_SERVER=ephemeral treatywatch run` uses: served from
the run's own process (flows/serve/in_process.py); `--api subprocess` gives Prefect's own ephemeral
server child instead (the old behaviour, for comparison). With PREFECT_API_URL set, that server.
Prints: cold run (empty database, every feed 200) in items/s; warm run (every feed answers 304)
in seconds; and bare feedparser on the same bytes, the floor. Targets: warm <= 10 s, cold >= 300/s.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import pathlib
import sys
import tempfile
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORDS = [
    "ministry",
    "budget",
    "regional",
    "roads",
    "council",
    "meeting",
    "harbour",
    "weather",
    "festival",
    "schools",
    "transport",
    "hospital",
    "museum",
    "library",
    "rail",
    "energy",
    "water",
    "housing",
    "culture",
    "sport",
    "science",
]


def feed(n: int, items: int) -> bytes:
    """One RSS 2.0 feed of `items` plain news items (no treaty language: extraction's fast path)."""
    now = datetime.now(UTC)
    out = [
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>http://bench.invalid/{n}/</link>"
    ]
    for i in range(items):
        words = " ".join(WORDS[(n + i + k) % len(WORDS)] for k in range(60))
        out.append(
            f"<item><title>Story {n}-{i} about {WORDS[(n * 7 + i) % len(WORDS)]}</title>"
            f'<link>http://bench.invalid/{n}/{i}</link><guid isPermaLink="false">b-{n}-{i}</guid>'
            f"<pubDate>{format_datetime(now - timedelta(minutes=i))}</pubDate>"
            f"<description>{words.capitalize()}.</description></item>"
        )
    out.append("</channel></rss>")
    return "".join(out).encode()


def serve(bodies: dict[str, bytes]) -> ThreadingHTTPServer:
    """Feeds with ETags; a matching If-None-Match gets 304 (the warm run)."""
    tags = {p: '"' + hashlib.sha256(b).hexdigest()[:16] + '"' for p, b in bodies.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = bodies.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == tags[self.path]:
                self.send_response(304)
                self.send_header("ETag", tags[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", tags[self.path])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def quiet_monitor():
    """The monitor flow with the benches' settings: Prefect state under data/, no apprise URLs.
    Imported late because Prefect reads its settings on import."""
    os.environ.setdefault("PREFECT_HOME", str(ROOT / "data" / "prefect"))
    from flows.settings import apply_prefect_defaults

    apply_prefect_defaults()
    os.environ["TREATYWATCH_APPRISE_URLS"] = ""
    from flows.monitor import monitor

    return monitor


def prefect_api(kind: str) -> AbstractContextManager[object]:
    """The API the runs record to: in-process (as `treatywatch run` in ephemeral mode), Prefect's own
    ephemeral server child, or PREFECT_API_URL when set."""
    if kind == "subprocess" or os.environ.get("PREFECT_API_URL"):
        return nullcontext()
    from flows.serve.in_process import in_process_api

    return in_process_api()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=500)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--api", choices=("in-process", "subprocess"), default="in-process")
    args = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="tw-bench-"))
    import feedparser

    monitor = quiet_monitor()

    bodies = {f"/feed/{n}.xml": feed(n, args.items) for n in range(args.feeds)}
    server = serve(bodies)
    port = server.server_address[1]
    sources = work / "sources.yaml"
    sources.write_text(
        "sources:\n"
        + "".join(
            f'  - {{id: f{n}, kind: rss, url: "http://127.0.0.1:{port}/feed/{n}.xml", lang: en, full_text: never}}\n'
            for n in range(args.feeds)
        ),
        encoding="utf-8",
    )
    empty = work / "empty.yaml"
    empty.write_text("sources: []\n", encoding="utf-8")
    db = work / "bench.duckdb"
    (work / "none.yml").write_text("version: 1\nurls: []\n", encoding="utf-8")  # no destinations
    kwargs = {"alerts": str(work / "none.yml"), "db_path": str(db), "config_dir": str(ROOT / "config")}

    t0 = time.perf_counter()
    with prefect_api(args.api):
        monitor(sources=str(empty), **kwargs)
        start = time.perf_counter() - t0

        t0 = time.perf_counter()
        cold = monitor(sources=str(sources), **kwargs)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = monitor(sources=str(sources), **kwargs)
        warm_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    parsed = sum(len(feedparser.parse(io.BytesIO(b)).entries) for b in bodies.values())
    floor_s = time.perf_counter() - t0
    server.shutdown()

    failed = len(cold.failed_sources) + len(warm.failed_sources)
    not_modified = sum(f.record.status == 304 for f in warm.fetches)
    items = cold.new_items
    print(f"bench_ingest: {args.feeds} feeds x {args.items} items from 127.0.0.1 (failures: {failed})")
    print(f"  prefect API start + empty flow       : {start:6.2f} s ({args.api}; not counted below)")
    print(
        f"  cold run (all 200, empty db)         : {cold_s:6.2f} s  {items} new items  {items / cold_s:7.0f} items/s"
        f"   [target >= 300 items/s]"
    )
    print(
        f"  warm run (all 304)                   : {warm_s:6.2f} s  {not_modified}/{args.feeds} not modified"
        f"   [target <= 10 s]"
    )
    print(
        f"  feedparser floor (same {len(bodies)} bodies)  : {floor_s:6.2f} s  {parsed} entries"
        f"  {parsed / floor_s:7.0f} items/s"
    )
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
