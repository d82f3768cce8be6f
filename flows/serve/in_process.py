"""Prefect's API served from inside the run's own process, for a run that keeps no server.

Prefect's own ephemeral mode starts its API as a second Python process (uvicorn) and, to start it,
imports the whole server (FastAPI, SQLAlchemy, the models) into the run process as well: ~75 MB of
imports held twice, plus a second interpreter. A 500-feed cold run then peaked at ~550 MB for the
process tree (run ~325 + server ~225). Serving the same app (`create_app(ephemeral=True)`: SQLite
under PREFECT_HOME, no UI, only the services an ephemeral API runs) on a uvicorn thread of the run
process holds those imports once: ~390 MB measured, with the same cold and warm run times.

Trade-off: the API's request handling shares the run's GIL. A one-off run sends few requests (a
task per host chunk, its events and WARNING logs), so the cost did not show in the ingest bench;
the flow and task runs are recorded as before, and the API stops when the block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from parsers.errors import TreatywatchError

HOST = "127.0.0.1"


class ApiStartError(TreatywatchError):
    """The in-process Prefect API did not come up in time (or its thread ended first)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextmanager
def in_process_api(deadline_s: float | None = None) -> Iterator[str]:
    """Serve Prefect's API on a daemon thread for the block; Prefect's client points at it meanwhile.

    Yields the API URL. The deadline defaults to PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, the
    setting that bounded Prefect's own ephemeral start. A daemon thread: a run ended by a signal
    (SystemExit) is not held up by it.
    """
    import uvicorn
    from prefect.server.api.server import create_app
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings

    if deadline_s is None:
        deadline_s = float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())

    port = _free_port()
    config = uvicorn.Config(
        create_app(ephemeral=True, final=True), host=HOST, port=port, log_level="error", lifespan="on"
    )
    server = uvicorn.Server(config)  # off the main thread uvicorn installs no signal handlers
    thread = threading.Thread(target=server.run, name="treatywatch-prefect-api", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread, deadline_s)
        url = f"http://{HOST}:{port}/api"
        with temporary_settings(updates={PREFECT_API_URL: url}):
            try:
                yield url
            finally:
                _drain_prefect_queues()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _drain_prefect_queues(timeout_s: float = 5.0) -> None:
    """Send what Prefect still queues for the API (run logs; the events that record task runs) while
    the API is up, as Prefect's own test harness does before it stops its server: otherwise they are
    sent at exit, to an API already gone ("Error logging to API")."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=timeout_s)
        except Exception:  # a queue that never started, or one that cannot drain: the run is done anyway
            pass


def _wait_started(server: object, thread: threading.Thread, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while not getattr(server, "started", False):
        if not thread.is_alive():
            raise ApiStartError("the in-process Prefect API stopped while starting (see the log above)")
        if time.monotonic() > deadline:
            raise ApiStartError(f"the in-process Prefect API was not up after {deadline_s:.0f} s")
        time.sleep(0.05)  # waiting for uvicorn's startup (migrations, block types) with a deadline
