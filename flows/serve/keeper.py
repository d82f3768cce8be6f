"""A local Prefect server kept up between one-off runs, so `treatywatch run` alerts in seconds.

Without PREFECT_API_URL, Prefect starts a temporary (ephemeral) API inside every run: 6-8 s
before the flow body starts, more than the whole run's real work. `treatywatch run` instead looks
for a running local server through a state file beside the database (`prefect-server.json`):
the one `treatywatch serve` started, or one a previous run left behind. When none is up it spawns
this module as a detached keeper: the keeper starts `prefect server start` on a free 127.0.0.1
port, publishes the state file, and stops the server once no run has used it for `idle_s`.

Runs hold a shared flock on `prefect-server.lease` while they use the server and touch it at the
start and end, so the keeper never stops a server under a running flow (the kernel drops the lock
of a process that dies), and "idle" is measured from the last run's end.
Trade-off: ~200 MB of RAM stay in use for the idle period; TREATYWATCH_PREFECT_SERVER=ephemeral
gives the old behaviour (nothing left running, 6-8 s more per run).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from flows.serve import local_server

STATE_FILE = "prefect-server.json"
LEASE_FILE = "prefect-server.lease"
KEEPER_LOCK = "prefect-server.keeper"  # held by the one live keeper of a data dir
MODE_ENV = "TREATYWATCH_PREFECT_SERVER"  # keep (default) | ephemeral
IDLE_ENV = "TREATYWATCH_PREFECT_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 15.0


@dataclass(frozen=True, slots=True)
class ServerState:
    """What a run needs to find and trust a running server."""

    api_url: str
    owner_pid: int  # the keeper, or the `serve` process that started the server
    server_pid: int
    kind: str  # "keeper" | "serve"


def keep_mode(env: Mapping[str, str] | None = None) -> bool:
    """Whether runs should use (and if needed start) a kept local server rather than an ephemeral API."""
    env = os.environ if env is None else env
    return env.get(MODE_ENV, "keep").strip().lower() not in ("ephemeral", "off", "0", "no")


def idle_seconds(env: Mapping[str, str] | None = None) -> float:
    env = os.environ if env is None else env
    raw = env.get(IDLE_ENV, "").strip()
    return 60 * (float(raw) if raw else DEFAULT_IDLE_MINUTES)


def write_state(data_dir: Path, state: ServerState) -> None:
    """Publish the state atomically (temp file + rename): a reader never sees half of it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".prefect-server-", dir=data_dir)
    with os.fdopen(fd, "w") as fh:
        json.dump(asdict(state), fh)
    os.replace(tmp, data_dir / STATE_FILE)


def read_state(data_dir: Path) -> ServerState | None:
    try:
        raw = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
        return ServerState(str(raw["api_url"]), int(raw["owner_pid"]), int(raw["server_pid"]), str(raw["kind"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_state(data_dir: Path, owner_pid: int) -> None:
    """Remove the state file if it is still ours (a newer keeper may have replaced it)."""
    state = read_state(data_dir)
    if state is not None and state.owner_pid == owner_pid:
        (data_dir / STATE_FILE).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_keeper(data_dir: Path, deadline_s: float = 30.0) -> bool:
    """Stop a kept server (SIGTERM to its keeper, which stops the server); True if one was running."""
    state = read_state(data_dir)
    if state is None or state.kind != "keeper" or not _alive(state.owner_pid):
        return False
    os.kill(state.owner_pid, signal.SIGTERM)
    deadline = time.monotonic() + deadline_s
    while _alive(state.owner_pid) and time.monotonic() < deadline:
        time.sleep(0.1)  # waiting for the keeper to stop its server, with a deadline
    return True


def find_server(data_dir: Path, timeout: float = 1.0) -> str | None:
    """The API URL of a healthy server published in data_dir, else None."""
    state = read_state(data_dir)
    if state is None or not _alive(state.owner_pid):
        return None
    return state.api_url if local_server.healthy(state.api_url, timeout=timeout) else None


def spawn_keeper(data_dir: Path, idle_s: float, env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """Start a detached keeper (its own session: it outlives this run); its output goes to a log."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "prefect-server.log"
    cmd = [sys.executable, "-m", "flows.serve.keeper", "--data", str(data_dir.resolve()), "--idle", str(idle_s)]
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd,
            env=dict(os.environ if env is None else env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(Path(__file__).resolve().parents[2]),
        )


def wait_for_server(data_dir: Path, keeper: subprocess.Popen | None, deadline_s: float) -> str | None:
    """Poll (with a deadline) until the keeper publishes a healthy server; None if it fails or exits."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        api = find_server(data_dir)
        if api:
            return api
        if keeper is not None and keeper.poll() not in (None, 0):  # 0: another keeper is starting one
            return None
        time.sleep(0.1)  # polling the state file and /health with a deadline
    return None


def ensure_server(data_dir: Path, idle_s: float, deadline_s: float = 90.0) -> str | None:
    """A running server's API URL, starting a keeper when none is up; None if none could be had."""
    return find_server(data_dir) or wait_for_server(data_dir, spawn_keeper(data_dir, idle_s), deadline_s)


@contextmanager
def lease(data_dir: Path) -> Iterator[None]:
    """Hold the server for a run: a shared flock the keeper checks, and a fresh mtime for the idle clock."""
    path = data_dir / LEASE_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        os.utime(path)
        try:
            yield
        finally:
            os.utime(path)
            fcntl.flock(fh, fcntl.LOCK_UN)


def in_use_or_recent(data_dir: Path, idle_s: float) -> bool:
    """True while a run holds the lease, or the last one ended less than idle_s ago."""
    path = data_dir / LEASE_FILE
    with path.open("a") as fh:  # "a" creates it if missing without touching its mtime (the idle clock)
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return time.time() - path.stat().st_mtime < idle_s


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def keep(data_dir: Path, idle_s: float, ui: bool = False, poll_s: float = 2.0) -> int:
    """The keeper process: start the server, publish it, stop it when idle (or on SIGTERM)."""
    stop_now = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stop_now
        stop_now = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    server = local_server.start(data_dir / "prefect-server", port=_free_port(), ui=ui)
    try:
        (data_dir / LEASE_FILE).touch()  # the idle clock starts now, not at the last run of long ago
        write_state(data_dir, ServerState(server.api_url, os.getpid(), server.pid, "keeper"))
        print(
            f"keeper {os.getpid()}: Prefect server {server.api_url} (pid {server.pid}); idle stop after {idle_s:.0f} s",
            flush=True,
        )
        while not stop_now and server.process.poll() is None and in_use_or_recent(data_dir, idle_s):
            time.sleep(poll_s)  # the keeper's whole job: look again later
    finally:
        clear_state(data_dir, os.getpid())
        local_server.stop(server)
    print(f"keeper {os.getpid()}: server stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="the data dir (state file, lease, server home)")
    ap.add_argument(
        "--idle", type=float, default=DEFAULT_IDLE_MINUTES * 60, help="seconds without a run before stopping"
    )
    ap.add_argument("--ui", action="store_true", help="serve the Prefect UI too")
    args = ap.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    with (args.data / KEEPER_LOCK).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another keeper runs (or is starting) the server: nothing to do
            return 0
        if find_server(args.data):  # e.g. the one `treatywatch serve` started
            return 0
        return keep(args.data, args.idle, ui=args.ui)


if __name__ == "__main__":
    sys.exit(main())
