"""A local Prefect server for `treatywatch serve` when no PREFECT_API_URL is set.

Prefect cannot schedule on its ephemeral API, so serve starts `prefect server start` as a child
process (its own session, SQLite under the project's data dir), waits for /api/health with a
deadline, and stops the whole process group on exit: SIGTERM, then SIGKILL for anything left.
Its output goes to a log file, never to a pipe (a leftover uvicorn would hold the pipe open).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from parsers.errors import TreatywatchError

DEFAULT_PORT = 4200


class ServerStartError(TreatywatchError):
    """The local Prefect server did not come up; the message points at its log."""


@dataclass(frozen=True, slots=True)
class LocalServer:
    """A running local server: where its API and UI are, its process, its home and log."""

    host: str
    port: int
    home: Path
    log: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def pid(self) -> int:
        return self.process.pid


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def server_env(home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: its own PREFECT_HOME (SQLite there), quiet, offline, no API URL."""
    env = dict(os.environ if base is None else base)
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_HOME"] = str(home)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    return env


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def start(
    home: Path,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    ui: bool = True,
    deadline_s: float = 90.0,
    env: Mapping[str, str] | None = None,
) -> LocalServer:
    """Start the server and return once /api/health answers; ServerStartError if it does not in time."""
    if port_in_use(host, port):
        raise ServerStartError(
            f"port {port} on {host} is in use: is a Prefect server already running? "
            f"Then set PREFECT_API_URL=http://{host}:{port}/api, or choose another --port"
        )
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        host,
        "--port",
        str(port),
        "--analytics-off",
        "--ui" if ui else "--no-ui",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            cmd,
            env=server_env(home, env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LocalServer(host, port, home, log, process)
    try:
        _wait_healthy(server, deadline_s)
    except BaseException:
        stop(server)
        raise
    return server


def _wait_healthy(server: LocalServer, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while not healthy(server.api_url, timeout=1.0):
        if server.process.poll() is not None:
            raise ServerStartError(f"the Prefect server exited with code {server.process.returncode}; see {server.log}")
        if time.monotonic() > deadline:
            raise ServerStartError(f"the Prefect server was not healthy after {deadline_s:.0f}s; see {server.log}")
        time.sleep(0.25)  # polling the health endpoint with a deadline


def stop(server: LocalServer, *, grace_s: float = 20.0) -> None:
    """Stop the server's whole process group: SIGTERM, wait, then SIGKILL whatever is left."""
    pgid = server.process.pid  # start_new_session: the child leads its own group
    _signal_group(pgid, signal.SIGTERM)
    try:
        server.process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        _signal_group(pgid, signal.SIGKILL)
        server.process.wait(timeout=grace_s)
    _signal_group(pgid, signal.SIGKILL)  # a worker that outlived its parent


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is left (what the tests check after stop)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def running(home: Path, **kwargs: object) -> Iterator[LocalServer]:
    """A server for the block, stopped on any exit (Ctrl-C included)."""
    server = start(home, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        stop(server)
