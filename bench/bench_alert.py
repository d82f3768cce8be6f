"""Time-to-alert: from `treatywatch run` process start to the webhook POST, one new event among 200 warm feeds.

usage: python bench/bench_alert.py [--feeds 200] [--trials 3] [--modes keep,ephemeral] [--event-at spread]
What a user runs, as a user runs it: the real command line in a new process (Python start, imports,
extractor from its disk cache, Prefect recording the run), 200 RSS feeds on 127.0.0.1 that answer
304 except one that gained an item about a treaty termination, and a real `json://` endpoint on
127.0.0.1 whose receipt of the POST stops the clock.
Modes: keep = the default, a local Prefect server kept up between runs (flows/serve/keeper.py; the
first run, which starts it, is reported apart); ephemeral = TREATYWATCH_PREFECT_SERVER=ephemeral,
Prefect's temporary in-process API (the old behaviour). Median, min and max over the trials.
A run stores its sources in batches (`commit_every`, 50) and alerts after each batch, so where the
event sits matters: by default trial k of n puts it in feed (2k+1)/2n of the way through (with 3
trials: feeds 33, 100 and 166 of 200, the first, third and fourth batch); --event-at first / last
give the best and the worst case. Beside each wall-clock figure: the CPU-s the run process had used
when the POST arrived (from /proc), which a loaded machine stretches far less.
The run process has Python's bytecode cache on, as an installed package does (a temporary
PYTHONPYCACHEPREFIX, filled by the untimed warm-up run), even when the calling shell sets
PYTHONDONTWRITEBYTECODE=1: without it every run compiled the project's ~80 modules (~0.3 CPU-s).
Last line: RESULT {json} for bench_all.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import feed
from bench_startup import treatywatch_cmd, user_env

PAIRS = [
    ("Norway", "Russia"),
    ("Chile", "Peru"),
    ("Japan", "Kenya"),
    ("Poland", "Vietnam"),
    ("Brazil", "Egypt"),
    ("Oman", "India"),
    ("Germany", "Australia"),
    ("Peru", "Japan"),
    ("Kenya", "Chile"),
    ("Egypt", "Poland"),
    ("India", "Brazil"),
    ("Vietnam", "Oman"),
]


class Feeds:
    """Feed bodies that can change between runs; ETag from the current body, 304 on a match."""

    def __init__(self, feeds: int, items: int) -> None:
        self.bodies = {f"/feed/{n}.xml": feed(n, items) for n in range(feeds)}
        self.lock = threading.Lock()

    def add_event(self, n: int, trial: int) -> None:
        a, b = PAIRS[trial % len(PAIRS)]
        item = (
            f"<item><title>{a} terminates its defence agreement with {b}</title>"
            f'<link>http://bench.invalid/{n}/event-{trial}</link><guid isPermaLink="false">ev-{n}-{trial}</guid>'
            f"<pubDate>{format_datetime(datetime.now(UTC))}</pubDate>"
            f"<description>{a} said on Monday it was terminating its defence agreement with {b}, "
            f"citing repeated violations, the foreign ministry said.</description></item>"
        ).encode()
        path = f"/feed/{n}.xml"
        with self.lock:
            body = self.bodies[path]
            at = body.index(b"<item>")
            self.bodies[path] = body[:at] + item + body[at:]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with feeds.lock:
                    body = feeds.bodies.get(self.path)
                if body is None:
                    return self._send(404, b"")
                tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == tag:
                    return self._send(304, b"", tag)
                return self._send(200, body, tag)

            def _send(self, code: int, body: bytes, tag: str = "") -> None:
                self.send_response(code)
                if tag:
                    self.send_header("ETag", tag)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


class Hook:
    """A json:// endpoint: records when each POST arrived."""

    def __init__(self) -> None:
        self.posts: list[tuple[float, dict]] = []
        self.cpu_at_post: list[float] = []  # CPU-s the run process had used when each POST arrived
        self.pid = 0  # the run process being timed
        self.event = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                at = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.posts.append((at, json.loads(body or b"{}")))
                hook.cpu_at_post.append(cpu_seconds(hook.pid))
                hook.event.set()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (its own threads, not its children), from /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def one_run(work: pathlib.Path, env: dict[str, str], hook: Hook) -> tuple[float | None, float, float, str]:
    """(seconds to the first POST or None, seconds to exit, CPU-s of the run process, stderr tail);
    the run's CPU-s when the first POST arrived is left in hook.cpu_at_post[0]."""
    hook.posts.clear()
    hook.cpu_at_post.clear()
    hook.event.clear()
    err = work / "stderr.txt"
    t0 = time.perf_counter()
    with err.open("w") as fh, open(os.devnull, "w") as null:
        proc = subprocess.Popen(
            [
                *treatywatch_cmd(),
                "run",
                "--sources",
                str(work / "sources.yaml"),
                "--alerts",
                str(work / "alerts.yml"),
                "--db",
                str(work / "data" / "tw.duckdb"),
                "--config-dir",
                str(ROOT / "config"),
            ],
            cwd=ROOT,
            env=env,
            stdout=null,
            stderr=fh,
            stdin=subprocess.DEVNULL,
        )
        hook.pid = proc.pid
        _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - t0
    first = hook.posts[0][0] - t0 if hook.posts else None
    tail = err.read_text(errors="replace").strip()
    if os.waitstatus_to_exitcode(status) != 0:
        print(f"   run exited {os.waitstatus_to_exitcode(status)}: {tail[-800:]}", flush=True)
    return first, total, usage.ru_utime + usage.ru_stime, tail[-300:]


def stop_keeper(data_dir: pathlib.Path) -> None:
    """Stop the kept server this bench started (its keeper by pid, which stops the server group)."""
    state = data_dir / "prefect-server.json"
    if not state.exists():
        return
    pid = json.loads(state.read_text())["owner_pid"]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def event_feed(where: str, trial: int, trials: int, feeds: int) -> int:
    """The feed that gains this trial's event item."""
    if where == "first":
        return 0
    if where == "last":
        return feeds - 1
    return (2 * trial + 1) * feeds // (2 * trials)


def stats(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def fmt(s: dict[str, float]) -> str:
    return f"{s['median']:5.2f} s (min {s['min']:.2f}, max {s['max']:.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--modes", default="keep,ephemeral")
    ap.add_argument(
        "--event-at",
        choices=("spread", "first", "last"),
        default="spread",
        help="which feed gains the event: spread over the run's batches (trial k of n: feed (2k+1)/2n of the "
        "way), the first feed, or the last one (alerts leave after the batch holding their item is stored)",
    )
    args = ap.parse_args()
    feeds = Feeds(args.feeds, args.items)
    feed_server = serve(feeds.handler())
    hook = Hook()
    result: dict[str, object] = {"feeds": args.feeds, "trials": args.trials, "event_at": args.event_at}
    trial = 0
    ok = True
    for mode in args.modes.split(","):
        work = pathlib.Path(tempfile.mkdtemp(prefix=f"tw-bench-alert-{mode}-"))
        (work / "data").mkdir()
        port = feed_server.server_address[1]
        (work / "sources.yaml").write_text(
            "sources:\n"
            + "".join(
                f'  - {{id: f{n}, kind: rss, url: "http://127.0.0.1:{port}/feed/{n}.xml", lang: en, full_text: never}}\n'
                for n in range(args.feeds)
            ),
            encoding="utf-8",
        )
        (work / "alerts.yml").write_text(
            f'version: 1\nurls:\n  - "json://127.0.0.1:{hook.port}/hook?rto=5":\n      - tag: termination, partnership\n',
            encoding="utf-8",
        )
        # as an installed package runs: bytecode cached (the warm-up run fills it), whatever the shell says
        user = user_env(work / "pycache")
        env = {k: v for k, v in user.items() if not k.startswith(("PREFECT_API", "TREATYWATCH_"))}
        env.update(
            PREFECT_HOME=str(work / "data" / "prefect"),
            TREATYWATCH_PREFECT_SERVER=mode,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            TREATYWATCH_PREFECT_IDLE_MINUTES="5",
        )
        try:
            print(f"-- {mode}: warm-up run ({args.feeds} feeds, cold, no event)", flush=True)
            _, first_total, _, tail = one_run(work, env, hook)
            print(f"   {first_total:.2f} s", flush=True)
            result[f"{mode}_first_run_s"] = first_total
            alerts, totals, cpus, alert_cpus = [], [], [], []
            for t in range(args.trials):
                feeds.add_event(event_feed(args.event_at, t, args.trials, args.feeds), trial)
                trial += 1
                to_alert, total, cpu, tail = one_run(work, env, hook)
                at_cpu = hook.cpu_at_post[0] if hook.cpu_at_post else float("nan")
                print(
                    f"   trial {t + 1}: alert after {to_alert if to_alert is None else round(to_alert, 2)} s "
                    f"({at_cpu:.2f} CPU-s of the run by then), run {total:.2f} s, {cpu:.2f} CPU-s",
                    flush=True,
                )
                if to_alert is None:
                    print(f"   no POST arrived; stderr: {tail}", flush=True)
                    ok = False
                    continue
                alerts.append(to_alert)
                totals.append(total)
                cpus.append(cpu)
                alert_cpus.append(at_cpu)
            if alerts:
                result[f"{mode}_alert"] = stats(alerts)
                result[f"{mode}_run"] = stats(totals)
                result[f"{mode}_cpu"] = stats(cpus)
                result[f"{mode}_alert_cpu"] = stats(alert_cpus)
        finally:
            stop_keeper(work / "data")
            shutil.rmtree(work, ignore_errors=True)
    feed_server.shutdown()
    hook.server.shutdown()
    print(
        f"bench_alert: one new event among {args.feeds} warm feeds (event feed: {args.event_at}) -> json:// POST "
        f"on 127.0.0.1, from process start; median of {args.trials}"
    )
    for mode in args.modes.split(","):
        if f"{mode}_alert" in result:
            print(
                f"  {mode:9} time-to-alert {fmt(result[f'{mode}_alert'])}, run CPU by then "
                f"{result[f'{mode}_alert_cpu']['median']:.2f} CPU-s | whole run {fmt(result[f'{mode}_run'])}"
                f" | run CPU {result[f'{mode}_cpu']['median']:.2f} CPU-s | first run {result[f'{mode}_first_run_s']:.2f} s"
            )
    print(
        f"  load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (wall-clock figures stretch with it)"
    )
    print("RESULT " + json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
