"""One monitor run at a time per DuckDB file: an OS lock on the database file itself.

Two schedules (legal every 30 min, news every 10 min) may fire together, a worker may pick up a
run while `treatywatch run` is going: they share one DuckDB file, and DuckDB has one writer. A
Prefect concurrency limit only covers runs that go through one Prefect server, so the guard that
always holds is `fcntl.flock` on the database file, reached through its real path (on its
directory while the file does not exist yet): the kernel drops it when the process dies, a
symlinked or relative path to the same file meets the same lock, and replacing a side `.lock` file
cannot fork it (an earlier version locked `<db>.lock`, whose inode could be swapped under a run).
`<db>.lock` now only says who holds the lock. flock and DuckDB's own fcntl record locks do not interact on Linux; the descriptor is closed only after the
run's connections are. A second run waits briefly, then is skipped with a clear message. The ledger's
compare-and-set claim (flows/store/ledger.py) keeps alerts single even if this lock is bypassed.
stdlib only (POSIX).
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
    """The informational holder file (pid, since when) beside the database's real path."""
    real = Path(os.path.realpath(db_path))
    return real.with_name(real.name + ".lock")


def holder(path: Path) -> str:
    """Who holds the lock, as the holder wrote it ("pid 123 since 2026-...Z"); '' if unknown."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _try_acquire(real: Path) -> int | None:
    """One attempt: the descriptor whose flock is now ours, or None.

    The directory is locked first; if the database exists its file is locked and the directory
    released, else (a first run) the directory stays locked for the run, so a run that starts after
    the file appears still meets it. Callers must hold no DuckDB connection to the file (closing a
    descriptor drops the process's fcntl locks on it, DuckDB's included).
    """
    dir_fd = os.open(real.parent, os.O_RDONLY)
    if not _try_flock(dir_fd):
        os.close(dir_fd)
        return None
    if not real.exists():
        return dir_fd
    file_fd = os.open(real, os.O_RDONLY)
    os.close(dir_fd)
    if _try_flock(file_fd):
        return file_fd
    os.close(file_fd)
    return None


@contextmanager
def run_lock(db_path: Path, *, wait_s: float = DEFAULT_WAIT_S, poll_s: float = 0.1) -> Iterator[Path]:
    """Hold the run lock of `db_path` for the block; RunLockedError if still held after `wait_s`."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    real = Path(os.path.realpath(db_path))
    deadline = time.monotonic() + wait_s
    while (fd := _try_acquire(real)) is None:
        if time.monotonic() >= deadline:
            who = holder(path) or "another process"
            raise RunLockedError(
                f"another treatywatch run ({who}) is using {db_path}; waited {wait_s:g}s, this run is skipped"
            )
        time.sleep(poll_s)  # polling a kernel lock with a deadline; flock has no timeout
    try:
        _write_holder(path)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _write_holder(path: Path) -> None:
    """Say who holds the lock, for the message a skipped run prints (best effort: only informative)."""
    try:
        path.write_text(
            f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n", encoding="utf-8"
        )
    except OSError:
        pass


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
