"""Run settings, built once per invocation from arguments and the environment.

Nothing here is read at import time. Secrets (apprise URLs with passwords or tokens) come only from
the environment and are kept out of `repr`, Prefect parameters and logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from parsers.errors import TreatywatchError
from parsers.policy.health import DEFAULT_HEALTH

ENV_PREFIX = "TREATYWATCH_"

# Prefect settings that make an offline, serverless run quiet and robust; the user's own values win.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


@dataclass(frozen=True, slots=True)
class Settings:
    config_dir: Path
    sources_file: Path
    alerts_file: Path | None
    db_path: Path
    routing_file: Path | None = None
    apprise_urls: str | None = field(default=None, repr=False)
    fetch_workers: int = 8
    fetch_retries: int = 2
    fetch_retry_delays: tuple[float, ...] = (2.0, 8.0)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 10_000_000
    # Items older than this are stored but not alerted on a source's first run; None = no horizon.
    alert_horizon_days: int | None = 30
    fetch_per_host: int = 4  # requests in flight to one host
    fetch_chunk_size: int = 100  # sources per Prefect task (one task per source costs ~30 ms of API calls)
    max_in_run_retry_after: float = 30.0  # a longer Retry-After is honoured by the next run, not by waiting
    # Source health thresholds in score points (a hard failure counts 1, a soft one 0.5): see parsers/policy/health.py.
    health_failing_at: float = DEFAULT_HEALTH.failing_at  # `failing` + health alert
    health_disable_at: float = DEFAULT_HEALTH.disable_at  # auto-disabled, then probed once a day
    health_backoff_after: float = DEFAULT_HEALTH.backoff_after  # from this score on, wait (growing) between attempts
    run_lock_wait: float = 30.0  # seconds to wait for another run's lock (TREATYWATCH_RUN_LOCK_WAIT)
    # Bounds on what one hostile or huge source can cost a run (flows/ingest): wall-clock seconds of
    # requests per source, article pages per source and per run (the rest keep their summary and are
    # fetched by later runs), entries kept per feed document.
    source_budget_s: float = 120.0
    max_pages_per_source: int = 50
    max_pages_per_run: int = 500
    max_items_per_feed: int = 1000
    commit_every: int = 50  # sources per stored batch: a long run keeps what it did, a stop loses little
    # The HTML report each monitor run rewrites (last `report_days` days) and links as an artifact; None = off.
    report_path: Path | None = None
    report_days: int = 30


class SettingsError(TreatywatchError):
    """An environment variable with a value we cannot use; names the variable."""


def default_of(name: str) -> Any:
    """The default of a Settings field: defaults are written once, in `Settings`."""
    return next(f.default for f in fields(Settings) if f.name == name)


def _path(value: str | os.PathLike[str] | None, fallback: Path) -> Path:
    return Path(value) if value else fallback


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class _Env:
    """TREATYWATCH_* variables read through typed getters whose errors name the variable and the form."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def raw(self, name: str) -> str | None:
        value = self.env.get(ENV_PREFIX + name)
        return value if value is not None and value.strip() else None

    def fail(self, name: str, raw: str, expected: str) -> SettingsError:
        return SettingsError(f"{ENV_PREFIX}{name}={raw!r}: expected {expected}")

    def number(
        self,
        name: str,
        default: float,
        *,
        whole: bool = False,
        minimum: float = 0.0,
        strict: bool = False,
        unit: str = "",
    ) -> float:
        """A finite number >= minimum (> minimum when strict); whole numbers only when `whole`."""
        raw = self.raw(name)
        if raw is None:
            return default
        form = ("a whole number" if whole else "a number") + (f" of {unit}" if unit else "")
        bound = f" {'>' if strict else '>='} {_num(minimum)}"
        try:
            value = int(raw.strip()) if whole else float(raw)
        except ValueError:
            raise self.fail(name, raw, f"{form}{bound} (default {_num(default)})") from None
        if value != value or value in (float("inf"), float("-inf")) or value < minimum or (strict and value == minimum):
            raise self.fail(name, raw, f"{form}{bound} (default {_num(default)})")
        return value

    def numbers(self, name: str, default: tuple[float, ...], unit: str) -> tuple[float, ...]:
        """A comma-separated list of numbers >= 0, e.g. "2,8"."""
        raw = self.raw(name)
        if raw is None:
            return default
        try:
            values = tuple(float(x) for x in raw.split(","))
        except ValueError:
            values = ()
        if not values or any(not 0 <= v < float("inf") for v in values):
            shown = ",".join(_num(v) for v in default)
            raise self.fail(name, raw, f"comma-separated {unit} >= 0, e.g. {shown!r}")
        return values

    def horizon(self, name: str, default: int | None) -> int | None:
        """A whole number of days, or off/none for no horizon (every first-run item alerts)."""
        raw = self.env.get(ENV_PREFIX + name)
        if raw is None:
            return default
        if raw.strip().lower() in ("off", "none", ""):
            return None
        try:
            return int(self.number(name, 0, whole=True, unit="days"))
        except SettingsError:
            raise self.fail(name, raw, f"a whole number of days >= 0, or off (default {default})") from None


def _score(env: _Env, name: str, field_name: str) -> float:
    """A health threshold from TREATYWATCH_<name>: a positive number of score points."""
    default = float(default_of(field_name))
    raw = env.raw(name)
    try:
        return env.number(name, default, strict=True)
    except SettingsError:
        raise SettingsError(
            f"{ENV_PREFIX}{name}={raw!r}: expected a positive number of score points "
            f"(a hard failure counts 1, a soft one 0.5; default {default:g})"
        ) from None


def run_lock_wait(env: Mapping[str, str] | None = None) -> float:
    """Seconds a run waits for another run's lock (TREATYWATCH_RUN_LOCK_WAIT)."""
    return _Env(os.environ if env is None else env).number("RUN_LOCK_WAIT", default_of("run_lock_wait"), unit="seconds")


def load_settings(
    *,
    sources: str | os.PathLike[str] | None = None,
    alerts: str | os.PathLike[str] | None = None,
    db: str | os.PathLike[str] | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Arguments beat TREATYWATCH_* variables, which beat the defaults under ./config and ./data.

    Every TREATYWATCH_* variable is parsed here (and only here), so a bad value fails before anything
    starts, with a SettingsError that names the variable and the form it expects.
    """
    env = os.environ if env is None else env
    e = _Env(env)
    cfg = _path(config_dir or env.get(ENV_PREFIX + "CONFIG_DIR"), Path("config"))
    db_path = _path(db or env.get(ENV_PREFIX + "DB"), Path("data") / "treatywatch.duckdb")
    alerts_path = _path(alerts or env.get(ENV_PREFIX + "ALERTS"), cfg / "alerts.yml")

    def whole(name: str, field_name: str, unit: str, minimum: int = 0) -> int:
        return int(e.number(name, default_of(field_name), whole=True, minimum=minimum, unit=unit))

    def seconds(name: str, field_name: str) -> float:
        return e.number(name, default_of(field_name), strict=True, unit="seconds")

    return Settings(
        config_dir=cfg,
        sources_file=_path(sources or env.get(ENV_PREFIX + "SOURCES"), cfg / "sources.yaml"),
        alerts_file=alerts_path if alerts_path.exists() or alerts else None,
        db_path=db_path,
        routing_file=_path(env.get(ENV_PREFIX + "ROUTING"), cfg / "routing.yaml"),
        apprise_urls=env.get(ENV_PREFIX + "APPRISE_URLS") or None,
        fetch_retries=whole("FETCH_RETRIES", "fetch_retries", "retries"),
        fetch_retry_delays=e.numbers("FETCH_RETRY_DELAYS", default_of("fetch_retry_delays"), "seconds"),
        alert_horizon_days=e.horizon("ALERT_HORIZON_DAYS", default_of("alert_horizon_days")),
        fetch_per_host=whole("FETCH_PER_HOST", "fetch_per_host", "requests", minimum=1),
        connect_timeout=seconds("CONNECT_TIMEOUT", "connect_timeout"),
        read_timeout=seconds("READ_TIMEOUT", "read_timeout"),
        total_timeout=seconds("TOTAL_TIMEOUT", "total_timeout"),
        max_bytes=whole("MAX_BYTES", "max_bytes", "bytes", minimum=1),
        run_lock_wait=run_lock_wait(env),
        health_failing_at=_score(e, "HEALTH_FAILING_AT", "health_failing_at"),
        health_disable_at=_score(e, "HEALTH_DISABLE_AT", "health_disable_at"),
        health_backoff_after=_score(e, "HEALTH_BACKOFF_AFTER", "health_backoff_after"),
        source_budget_s=seconds("SOURCE_BUDGET", "source_budget_s"),
        max_pages_per_source=whole("MAX_PAGES_PER_SOURCE", "max_pages_per_source", "pages"),
        max_pages_per_run=whole("MAX_PAGES_PER_RUN", "max_pages_per_run", "pages"),
        max_items_per_feed=whole("MAX_ITEMS_PER_FEED", "max_items_per_feed", "entries", minimum=1),
        commit_every=whole("COMMIT_EVERY", "commit_every", "sources", minimum=1),
        report_path=_report_path(env.get(ENV_PREFIX + "REPORT"), db_path),
    )


def _report_path(value: str | None, db_path: Path) -> Path | None:
    """TREATYWATCH_REPORT: a file path, or off/none; by default report.html beside the database."""
    if value is None or not value.strip():
        return db_path.parent / "report.html"
    return None if value.strip().lower() in ("off", "none", "no", "false") else Path(value)


def apply_prefect_defaults(env: dict[str, str] | None = None, *, home: Path | None = None) -> None:
    """Set quiet offline Prefect defaults before Prefect is imported (it reads them on import)."""
    target = os.environ if env is None else env
    for key, value in PREFECT_DEFAULTS.items():
        target.setdefault(key, value)
    if home is not None:
        target.setdefault("PREFECT_HOME", str(home))
    if target.get("PREFECT_HOME"):  # Prefect creates its home but not the parents (e.g. a fresh data/)
        Path(target["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
