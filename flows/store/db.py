"""DuckDB connections: short-lived, migrated on open, patient with another process's lock.

DuckDB lets one process hold a read-write connection and then refuses every other process, even
read-only ones. So every writer opens, writes and closes at once, and every opener retries for a
bounded time before raising a clear `DatabaseLockedError`.
"""

from __future__ import annotations

import errno
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from parsers.errors import TreatywatchError

SCHEMA_VERSION_TABLE = "schema_migrations"


# DuckDB's own guards for connections that run SQL typed by a person (`query`, `export`): no files,
# no network, no extension installed or loaded behind our back, and no SET can undo any of it.
SANDBOX_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


class DatabaseLockedError(TreatywatchError):
    """Another process holds the DuckDB file; says which file and for how long we waited."""


class StorageError(TreatywatchError):
    """The database cannot be written or read: disk full, read-only file system, a damaged file."""


# DuckDB's wording (its IOException text carries the OS's strerror) -> what a person should do.
_PROBLEMS = (
    (
        errno.ENOSPC,
        "No space left on device",
        "disk full: cannot write {path} (No space left on device); "
        "free space and run again (this run's batch was not committed)",
    ),
    (
        errno.EROFS,
        "Read-only file system",
        "{path} is on a read-only file system; point --db / TREATYWATCH_DB at a writable place",
    ),
    (errno.EACCES, "Permission denied", "no permission to write {path} or its directory"),
    (errno.EDQUOT, "Disk quota exceeded", "disk quota exceeded: cannot write {path}"),
)
_DAMAGED = (
    "not a valid DuckDB database",
    "Corrupt",
    "corrupt",
    "checksum",
    "Checksum",
    "Serialization Error",
    "failed to read",
    "Failed to read",
    "Could not read enough bytes",
    "block id",
    "INTERNAL Error",
)


def storage_problem(exc: BaseException, path: Path | str) -> str | None:
    """One clear line for a storage failure (disk full, read-only, damaged), None for anything else."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    for number, words, message in _PROBLEMS:
        if code == number or words in text:
            return message.format(path=path)
    if any(words in text for words in _DAMAGED):
        first = text.splitlines()[0][:200] if text else type(exc).__name__
        return f"database {path} is damaged ({first}); restore it from a backup or move it aside to start afresh"
    return None


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK after a failure without hiding it: DuckDB may already have aborted the transaction
    (a failed COMMIT on a full disk), and "no transaction is active" must not replace the real error."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


class ReadOnlyQueryError(TreatywatchError):
    """A write was attempted through the read-only `query` path."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


@dataclass(slots=True)
class _Attached:
    alias: str
    read_only: bool
    users: int = 0


class _Host:
    """The process's one in-memory DuckDB instance; database files are ATTACHed to it per `connect`.

    Opening a DuckDB file starts a whole instance (its catalog of built-in functions): ~20-25 ms of
    CPU per open, even in memory, and a run opens its file ~20 times (every write is short so other
    processes can read between them). ATTACH on a live instance costs ~1.5 ms and DETACH releases the
    file's lock just as closing did, so the lock rules do not change. A file attached by two threads
    at once is attached once and detached when the last one leaves, as DuckDB shared one instance
    per file between a process's connections before. Rebuilt after a fork (a child must not use its
    parent's threads) and after DuckDB invalidated it (a fatal or internal error).
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.con = duckdb.connect(":memory:")
        self.lock = threading.Lock()
        self.names = (f"tw_{n}" for n in itertools.count(1))
        self.attached: dict[str, _Attached] = {}  # by the file's real path

    def attach(self, path: Path, read_only: bool) -> tuple[str, duckdb.DuckDBPyConnection]:
        """A new connection whose default database is `path` (attached now unless it is already)."""
        key = os.path.realpath(path)
        with self.lock:
            entry = self.attached.get(key)
            if entry is None:
                alias = next(self.names)
                mode = " (READ_ONLY)" if read_only else ""
                quoted = str(path).replace("'", "''")
                self.con.execute(f"ATTACH '{quoted}' AS {alias}{mode}")
                entry = self.attached[key] = _Attached(alias, read_only)
            elif entry.read_only and not read_only:
                raise duckdb.ConnectionException(f"{path} is open read-only in this process; cannot write to it now")
            entry.users += 1
        cursor = self.con.cursor()
        try:
            cursor.execute(f"USE {entry.alias}")
        except BaseException:
            cursor.close()
            self.release(key)
            raise
        return key, cursor

    def release(self, key: str) -> None:
        """One user less; the last one detaches the file (its lock is released with it)."""
        with self.lock:
            entry = self.attached[key]
            entry.users -= 1
            if entry.users == 0:
                del self.attached[key]
                self.con.execute(f"DETACH {entry.alias}")


_hosts: dict[str, _Host] = {}  # at most one entry: the current process's host


def _host() -> _Host:
    host = _hosts.get("current")
    if host is None or host.pid != os.getpid():
        host = _hosts["current"] = _Host()
    return host


def _drop_host(exc: BaseException) -> None:
    """After a fatal or internal error DuckDB refuses every further query on the instance: start afresh."""
    if isinstance(exc, (duckdb.FatalException, duckdb.InternalException)) or "invalidated" in str(exc):
        _hosts.pop("current", None)


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, wait_seconds: float = 10.0, config: dict[str, Any] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open `path`, retrying while another process holds the lock; migrate when writable.

    `config` goes to DuckDB at open (SANDBOX_CONFIG for SQL a person typed): such a connection gets
    an instance of its own. Without it the file is attached to the process's shared instance (_Host).
    """
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(storage_problem(exc, path) or f"cannot create {path.parent}: {exc.strerror}") from exc
    elif not path.exists():
        raise TreatywatchError(f"database {path} does not exist yet: run `treatywatch run` first")
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            con, release = _open(path, read_only, config)
            break
        except duckdb.Error as exc:
            _drop_host(exc)
            if not _is_lock_error(exc):
                if isinstance(exc, duckdb.IOException):
                    raise StorageError(storage_problem(exc, path) or f"cannot open database {path}: {exc}") from exc
                if problem := storage_problem(exc, path):
                    raise StorageError(problem) from exc
                raise
            if time.monotonic() >= deadline:
                raise DatabaseLockedError(
                    f"database {path} is locked by another process (a run in progress?); "
                    f"waited {wait_seconds:.0f}s. Try again when it finishes."
                ) from exc
            time.sleep(delay)  # back off while the other writer finishes its short transaction
            delay = min(delay * 2, 1.0)
    try:
        if not read_only:
            migrate(con)
        yield con
    except duckdb.Error as exc:  # disk full, read-only, damaged: one line instead of a traceback
        _drop_host(exc)
        problem = storage_problem(exc, path)
        if problem is None:
            raise
        raise StorageError(problem) from exc
    finally:
        con.close()
        release()


def _open(
    path: Path, read_only: bool, config: dict[str, Any] | None
) -> tuple[duckdb.DuckDBPyConnection, Callable[[], None]]:
    """A connection to `path` and what to call after closing it."""
    if config:
        shared = _hosts.get("current")
        if shared is not None and os.path.realpath(path) in shared.attached:  # two instances on one file: corrupt
            raise duckdb.ConnectionException(f"{path} is already open in this process")
        return duckdb.connect(str(path), read_only=read_only, config=dict(config)), lambda: None
    host = _host()
    key, con = host.attach(path, read_only)

    def release() -> None:
        try:
            host.release(key)
        except duckdb.Error as exc:
            _drop_host(exc)
            raise

    return con, release


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Another connection to the database `con` uses (DuckDB's `cursor()` starts in the instance's
    default database, which for an attached file (db._Host) is the empty in-memory one)."""
    (name,) = con.execute("SELECT current_database()").fetchone() or ("",)
    other = con.cursor()
    other.execute(f'USE "{name}"')
    return other


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All of the block's writes or none: commit on success, roll back and re-raise on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        rollback_quietly(con)  # a failed COMMIT may have ended the transaction already
        raise


def _migrations() -> list[tuple[int, str]]:
    files = resources.files("flows.store").joinpath("migrations")
    found = []
    for entry in files.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply numbered migrations not yet applied; returns the schema version."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {SCHEMA_VERSION_TABLE} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)"
    )
    applied = {row[0] for row in con.execute(f"SELECT version FROM {SCHEMA_VERSION_TABLE}").fetchall()}
    version = max(applied, default=0)
    for number, sql in _migrations():
        if number in applied:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute(f"INSERT INTO {SCHEMA_VERSION_TABLE} VALUES (?, ?)", [number, utcnow()])
        version = number
    return version


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    or_mode: str = "",
) -> int:
    """Insert many rows in one statement (UNNEST of column lists): ~200x faster than executemany."""
    if not rows:
        return 0
    cols = list(zip(*rows, strict=True))
    selects = ", ".join(f"UNNEST(${i + 1})" for i in range(len(columns)))
    verb = f"INSERT {or_mode} INTO" if or_mode else "INSERT INTO"
    con.execute(f"{verb} {table} ({', '.join(columns)}) SELECT {selects}", [list(c) for c in cols])
    return len(rows)


def utcnow() -> datetime:
    return datetime.now(UTC)
