"""Which Prefect API a one-off `treatywatch run` records to: configured, kept local server, or ephemeral.

PREFECT_API_URL set: that server, nothing else to do. Otherwise (unless
TREATYWATCH_PREFECT_SERVER=ephemeral) a local server kept up between runs (flows/serve/keeper.py):
found through its state file, or started in the background while this process imports Prefect and
loads the rules. In ephemeral mode, or if no kept server can be had in time, the run serves
Prefect's API from its own process for its duration (flows/serve/in_process.py: one process
instead of Prefect's ephemeral server child, ~160 MB less for the process tree).

Signals (flows/cli/app.py `_exit_cleanly_on_signals`): a run stopped by SIGTERM/SIGHUP/SIGINT leaves
only what it means to keep. The kept server is the keeper's (its own session, published in
prefect-server.json, stopped after the idle period or `TREATYWATCH_PREFECT_SERVER=ephemeral`); the
run's lease dies with it, the lookup thread is a daemon so the exit does not wait for a starting
server, and the in-process API (ephemeral mode, the fallback) is a daemon thread of the run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from flows.serve import keeper

SERVER_DEADLINE_S = 60.0


class RunApi:
    """The API decision, resolved on first use (the lookup runs in a thread meanwhile)."""

    def __init__(self, data_dir: Path, future: Future[str | None] | None, say: Callable[[str], None]) -> None:
        self.data_dir = data_dir
        self._future = future
        self._say = say
        self._api: str | None = None

    def url(self) -> str | None:
        """The kept server's API URL, or None (PREFECT_API_URL set, ephemeral mode, or no server)."""
        if self._future is None:
            return self._api
        try:
            self._api = self._future.result()
        except Exception as exc:  # a server that cannot start must not stop the run
            self._say(f"local Prefect server unavailable ({type(exc).__name__}: {exc})")
        if self._api is None:
            self._say(
                f"no local Prefect server (see {self.data_dir / 'prefect-server.log'}); serving a temporary API "
                "from this run"
            )
        self._future = None
        return self._api

    def settings(self) -> AbstractContextManager[object]:
        """Prefect settings for the run: the configured API, the kept server's URL (Prefect may be
        imported already), or else an API served from this process for the block."""
        from prefect.settings import PREFECT_API_URL, temporary_settings

        api = self.url()
        if api is None:
            if PREFECT_API_URL.value():  # configured (environment or Prefect profile): used as it is
                return nullcontext()
            from flows.serve.in_process import in_process_api

            return in_process_api()
        return temporary_settings(updates={PREFECT_API_URL: api})


@contextmanager
def run_api(data_dir: Path, say: Callable[[str], None]) -> Iterator[RunApi]:
    """Start looking for (or starting) a kept server; the lease keeps it up until the block ends."""
    if os.environ.get("PREFECT_API_URL") or not keeper.keep_mode():
        yield RunApi(data_dir, None, say)
        return
    with keeper.lease(data_dir):  # before the lookup: the keeper must not stop it now
        yield RunApi(data_dir, _in_daemon_thread(_find_or_start, data_dir, say), say)


def _in_daemon_thread(fn: Callable[..., str | None], *args: object) -> Future[str | None]:
    """Run the lookup in a daemon thread: a run stopped by SIGTERM (SystemExit, flows/cli/app.py) exits at
    once instead of joining a thread that may wait up to SERVER_DEADLINE_S for a starting server."""
    future: Future[str | None] = Future()

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)

    threading.Thread(target=work, name="treatywatch-prefect-api", daemon=True).start()
    return future


def prewarm() -> threading.Thread:
    """Load apprise's plugin registry in a thread while the flow engine waits on the API server.

    Creating the flow run is a few HTTP round trips to the server (another process, another core);
    apprise loads all of its ~100 plugin modules on the first URL it parses (~0.1-0.3 s), which
    would otherwise happen inside the flow, before the first alert. apprise's manager holds a lock,
    so the flow's own parse waits for this load instead of repeating it.
    """

    def load() -> None:
        try:
            from apprise.manager_plugins import NotificationManager

            NotificationManager().load_modules()  # a singleton: the one apprise's parsers use
        except Exception:  # only a head start: the flow loads what it needs itself
            pass

    thread = threading.Thread(target=load, name="treatywatch-prewarm", daemon=True)
    thread.start()
    return thread


def _find_or_start(data_dir: Path, say: Callable[[str], None]) -> str | None:
    api = keeper.find_server(data_dir)
    if api:
        return api
    idle = keeper.idle_seconds()
    say(
        f"starting a local Prefect server for this and later runs (stops after {idle / 60:.0f} min without a run; "
        f"{keeper.MODE_ENV}=ephemeral to keep nothing running)"
    )
    return keeper.wait_for_server(data_dir, keeper.spawn_keeper(data_dir, idle), SERVER_DEADLINE_S)
