"""One monitor run at a time per DuckDB file: an OS file lock beside the database.

Two schedules (legal every 30 min, news every 10 min) may fire together, a worker may pick up a
run while `treatywatch run` is going: they share one DuckDB file, and DuckDB has one writer. A
Prefect concurrency limit only covers runs that go through one Prefect server, so the guard that
always holds is `fcntl.flock` on `<db>.lock`: the kernel drops it when the process dies (no stale
lock files to clean up), and a second run waits briefly, then is skipped with a clear message.
stdlib only (POSIX); on Windows the `filelock` package would be the replacement.
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from parsers.errors import TreatywatchError

F = TypeVar("F", bound=Callable[..., Any])
WAIT_ENV = "TREATYWATCH_RUN_LOCK_WAIT"
DEFAULT_WAIT_S = 30.0


class RunLockedError(TreatywatchError):
    """Another run holds the database's run lock; says who and since when."""


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def holder(path: Path) -> str:
    """Who holds the lock, as the holder wrote it ("pid 123 since 2026-...Z"); '' if unknown."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


@contextmanager
def run_lock(db_path: Path, *, wait_s: float = DEFAULT_WAIT_S, poll_s: float = 0.1) -> Iterator[Path]:
    """Hold the run lock of `db_path` for the block; RunLockedError if still held after `wait_s`."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    who = holder(path) or "another process"
                    raise RunLockedError(f"another treatywatch run ({who}) is using {db_path}; "
                                         f"waited {wait_s:g}s, this run is skipped") from None
                time.sleep(poll_s)  # polling a kernel lock with a deadline; flock has no timeout
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n".encode())
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def wait_seconds(env: dict[str, str] | None = None) -> float:
    """TREATYWATCH_RUN_LOCK_WAIT, parsed (and refused with a clear message) by flows.settings."""
    from flows.settings import run_lock_wait

    return run_lock_wait(env)


def exclusive(on_skip: Callable[[str], Any]) -> Callable[[F], F]:
    """Decorate a flow's function (under @flow): hold its DB's run lock for the run, or skip it.

    The function must take `db_path`. A skipped run ends in a Completed state named "Skipped"
    whose result is `on_skip(message)`, so the Prefect UI shows it as skipped, not failed.
    """
    return functools.partial(_exclusive, on_skip=on_skip)  # type: ignore[return-value]


def _exclusive(fn: F, *, on_skip: Callable[[str], Any]) -> F:
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from prefect.states import Completed

        from flows.settings import load_settings

        bound = signature.bind(*args, **kwargs)
        settings = load_settings(db=bound.arguments.get("db_path"))
        with ExitStack() as stack:
            try:
                stack.enter_context(run_lock(settings.db_path, wait_s=wait_seconds()))
            except RunLockedError as exc:
                _log_skip(str(exc))
                return Completed(name="Skipped", message=str(exc), data=on_skip(str(exc)))
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _log_skip(message: str) -> None:
    try:
        from prefect import get_run_logger

        get_run_logger().warning("%s", message)
    except Exception:  # no run context (a plain call in a test)
        pass
