"""Everything a run needs, validated before Prefect starts: a user mistake costs one line, not a traceback.

The loaders are the ones the run uses (the extractor comes from the disk cache keyed by its inputs and
stays cached in the process, so the run's own load is free), so preflight passes exactly when the run
would accept its configuration.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

from flows.settings import Settings
from parsers.errors import StorageError


def writable_db(path: Path) -> None:
    """The database file can be created or written: its directory exists (or can be made) and takes files."""
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"database {path}: cannot create directory {parent}: {_why(exc)}") from None
    try:
        if path.exists():
            with open(path, "ab"):  # opening for append writes nothing; it fails on EROFS/EACCES
                pass
        else:
            with tempfile.NamedTemporaryFile(dir=parent, prefix=".treatywatch-probe-"):
                pass
    except OSError as exc:
        raise StorageError(f"database {path}: cannot write {path if path.exists() else parent}: {_why(exc)}") from None


def _why(exc: OSError) -> str:
    if isinstance(exc, FileExistsError):
        return "a file is in the way (not a directory)"
    return "read-only filesystem" if exc.errno == errno.EROFS else (exc.strerror or str(exc))


def preflight(settings: Settings, schedules_file: Path | None = None) -> None:
    """Load sources, rules, alert destinations, routing (and schedules) and check the database path;
    raises the first TreatywatchError found."""
    from flows.alerts.destinations import load_destinations
    from flows.extractor_cache import load_cached_extractor
    from parsers.config.routing import load_policy
    from parsers.config.sources import load_sources

    load_sources(settings.sources_file)
    load_cached_extractor(settings.config_dir)  # the compiled extractor from disk; the run reuses it
    load_destinations(settings.alerts_file, settings.apprise_urls)
    load_policy(settings.routing_file)
    if schedules_file is not None:
        from flows.serve.schedules import load_schedules

        load_schedules(schedules_file)
    writable_db(settings.db_path)
