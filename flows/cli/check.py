"""`treatywatch check`: validate the whole configuration before a schedule finds the mistake.

Each check loads a file with the same loader a run uses, so a check passes exactly when a run would
accept the file, and its message is the loader's (file, entry, field). Secrets never appear: apprise
destinations are shown in their privacy-masked form.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from flows.settings import Settings
from parsers.errors import TreatywatchError

OK, WARN, ERROR = "ok", "warning", "error"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    level: str  # ok | warning | error
    detail: str

    @property
    def ok(self) -> bool:
        return self.level != ERROR


def _guard(name: str, fn: Callable[[], CheckResult]) -> CheckResult:
    """A loader's own error is the message; anything else is reported with its type, never raised."""
    try:
        return fn()
    except TreatywatchError as exc:
        return CheckResult(name, ERROR, str(exc))
    except Exception as exc:  # a loader bug must not hide the other checks
        return CheckResult(name, ERROR, f"{type(exc).__name__}: {exc}")


def check_sources(settings: Settings) -> CheckResult:
    from parsers.config.sources import load_sources

    sources = load_sources(settings.sources_file)
    enabled = [s for s in sources if s.enabled]
    groups = sorted({s.group for s in enabled})
    return CheckResult(
        "sources",
        OK,
        f"{settings.sources_file}: {len(enabled)} enabled of {len(sources)}; groups {', '.join(groups) or '-'}",
    )


def check_rules(settings: Settings) -> CheckResult:
    from flows.extractor_cache import load_cached_extractor

    extractor = load_cached_extractor(settings.config_dir)
    return CheckResult(
        "rules",
        OK,
        f"{settings.config_dir}: {len(extractor.rules.rules)} rules, "
        f"{len(extractor.gazetteer.registry)} registry bodies, extractor {extractor.version}",
    )


def check_alerts(settings: Settings) -> CheckResult:
    from flows.alerts.destinations import describe, load_destinations

    destinations = load_destinations(settings.alerts_file, settings.apprise_urls)
    where = str(settings.alerts_file) if settings.alerts_file else "no alerts file"
    env = " + TREATYWATCH_APPRISE_URLS" if settings.apprise_urls else ""
    lines = "; ".join(" ".join(line.split()) for line in describe(destinations))
    level = WARN if [d.key for d in destinations] == ["console"] else OK
    note = " (alerts go to the console only)" if level == WARN else ""
    return CheckResult("alerts", level, f"{where}{env}: {len(destinations)} apprise destination(s){note}: {lines}")


def check_routing(settings: Settings) -> CheckResult:
    from parsers.config.routing import load_policy

    path = getattr(settings, "routing_file", None)
    load_policy(path)
    shown = path if path is not None and Path(path).exists() else "built-in defaults"
    return CheckResult("routing", OK, f"{shown}")


def check_schedules(settings: Settings, schedules_file: Path) -> CheckResult:
    from flows.serve.schedules import coverage, load_schedules
    from parsers.config.sources import load_sources

    schedules = load_schedules(schedules_file)
    text = "; ".join(s.describe() + ("" if s.enabled else " (disabled)") for s in schedules)
    try:
        groups = {s.group for s in load_sources(settings.sources_file) if s.enabled}
    except TreatywatchError:
        return CheckResult("schedules", OK, f"{schedules_file}: {text}")  # the sources check reports it
    unscheduled, empty = coverage(schedules, groups)
    problems = ([f"group(s) {', '.join(sorted(unscheduled))} have sources but no schedule"] if unscheduled else []) + (
        [f"scheduled group(s) {', '.join(sorted(empty))} have no enabled source"] if empty else []
    )
    return CheckResult(
        "schedules", WARN if problems else OK, f"{schedules_file}: {text}" + ("".join(f"; {p}" for p in problems))
    )


def check_database(settings: Settings) -> CheckResult:
    from flows.store import db

    path = settings.db_path
    if not path.exists():
        parent = next((p for p in (path.parent, *path.parent.parents) if p.exists()), Path("/"))
        if not os.access(parent, os.W_OK):
            return CheckResult("database", ERROR, f"{path} does not exist and {parent} is not writable")
        return CheckResult("database", OK, f"{path} does not exist yet; the first run creates it")
    try:
        with db.connect(path, read_only=True, wait_seconds=2.0) as con:
            version = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
            runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
            rows = read_everything(con)
    except db.DatabaseLockedError:
        return CheckResult("database", WARN, f"{path} is locked by a run in progress; try again when it finishes")
    except db.StorageError as exc:
        return CheckResult("database", ERROR, str(exc))
    except Exception as exc:  # not a DuckDB file, or not ours
        problem = db.storage_problem(exc, path)
        return CheckResult(
            "database",
            ERROR,
            problem
            or f"{path}: cannot read it as a treatywatch database: {str(exc).splitlines()[0] if str(exc) else exc}",
        )
    return CheckResult(
        "database", OK, f"{path}: schema v{version}, {runs} run(s) recorded; all {rows} row(s) read back"
    )


def read_everything(con) -> int:
    """Read every column of every row of every table, so a damaged block is found now, not mid-run.

    Hashing whole rows makes DuckDB read (and checksum) every block; counts alone come from metadata.
    """
    total = 0
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal ORDER BY 1").fetchall():
        count, _ = con.execute(f'SELECT count(*), sum(hash(t)) FROM "{name}" AS t').fetchone()
        total += count
    return total


def check_prefect_api(env: dict[str, str] | None = None) -> CheckResult:
    from flows.serve.local_server import healthy

    api = (os.environ if env is None else env).get("PREFECT_API_URL")
    if not api:
        return CheckResult(
            "prefect", OK, "no PREFECT_API_URL: `run` uses an ephemeral API, `serve` starts a local server"
        )
    if healthy(api.rstrip("/"), timeout=3.0):
        return CheckResult("prefect", OK, f"{api} is healthy")
    return CheckResult("prefect", ERROR, f"PREFECT_API_URL={api} does not answer /health")


def run_checks(settings: Settings, schedules_file: Path) -> list[CheckResult]:
    """Every check, each independent of the others' failures."""
    return [
        _guard("sources", lambda: check_sources(settings)),
        _guard("rules", lambda: check_rules(settings)),
        _guard("alerts", lambda: check_alerts(settings)),
        _guard("routing", lambda: check_routing(settings)),
        _guard("schedules", lambda: check_schedules(settings, schedules_file)),
        _guard("database", lambda: check_database(settings)),
        _guard("prefect", check_prefect_api),
    ]


def print_checks(results: list[CheckResult], console: Console) -> None:
    table = Table(title="treatywatch check", title_justify="left")
    for col in ("check", "result", "detail"):
        table.add_column(col, overflow="fold", no_wrap=col != "detail")
    colour = {OK: "green", WARN: "yellow", ERROR: "red"}
    for r in results:
        table.add_row(r.name, Text(r.level, style=colour[r.level]), Text(r.detail))  # details verbatim, never markup
    console.print(table)
    bad = sum(not r.ok for r in results)
    console.print(f"{bad} error(s)" if bad else "configuration ok", style="red" if bad else "green", highlight=False)
