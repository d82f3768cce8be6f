"""Run settings, built once per invocation from arguments and the environment.

Nothing here is read at import time. Secrets (apprise URLs with passwords or tokens) come only from
the environment and are kept out of `repr`, Prefect parameters and logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from parsers.errors import TreatywatchError

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
    # Source health thresholds in score points (a hard failure counts 1, a soft one 0.5): see flows/health.py.
    health_failing_at: float = 3.0  # `failing` + health alert
    health_disable_at: float = 10.0  # auto-disabled, then probed once a day
    health_backoff_after: float = 2.0  # from this score on, wait (growing) between attempts
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


def _path(value: str | os.PathLike[str] | None, fallback: Path) -> Path:
    return Path(value) if value else fallback


def _horizon(value: str) -> int | None:
    """A whole number of days, or off/none for no horizon (every first-run item alerts)."""
    return None if value.strip().lower() in ("off", "none", "") else int(value)


def _score(env: Mapping[str, str], name: str, field_name: str) -> float:
    """A health threshold from TREATYWATCH_<name>: a positive number of score points."""
    default = next(f.default for f in fields(Settings) if f.name == field_name)
    raw = env.get(ENV_PREFIX + name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{ENV_PREFIX}{name}={raw!r}: expected a positive number of score points "
                            f"(a hard failure counts 1, a soft one 0.5; default {default:g})")
    return value


def load_settings(
    *,
    sources: str | os.PathLike[str] | None = None,
    alerts: str | os.PathLike[str] | None = None,
    db: str | os.PathLike[str] | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Arguments beat TREATYWATCH_* variables, which beat the defaults under ./config and ./data."""
    env = os.environ if env is None else env
    cfg = _path(config_dir or env.get(ENV_PREFIX + "CONFIG_DIR"), Path("config"))
    db_path = _path(db or env.get(ENV_PREFIX + "DB"), Path("data") / "treatywatch.duckdb")
    alerts_path = _path(alerts or env.get(ENV_PREFIX + "ALERTS"), cfg / "alerts.yml")
    return Settings(
        config_dir=cfg,
        sources_file=_path(sources or env.get(ENV_PREFIX + "SOURCES"), cfg / "sources.yaml"),
        alerts_file=alerts_path if alerts_path.exists() or alerts else None,
        db_path=db_path,
        routing_file=_path(env.get(ENV_PREFIX + "ROUTING"), cfg / "routing.yaml"),
        apprise_urls=env.get(ENV_PREFIX + "APPRISE_URLS") or None,
        fetch_retries=int(env.get(ENV_PREFIX + "FETCH_RETRIES", 2)),
        fetch_retry_delays=tuple(float(x) for x in env.get(ENV_PREFIX + "FETCH_RETRY_DELAYS", "2,8").split(",")),
        alert_horizon_days=_horizon(env.get(ENV_PREFIX + "ALERT_HORIZON_DAYS", "30")),
        fetch_per_host=int(env.get(ENV_PREFIX + "FETCH_PER_HOST", 4)),
        connect_timeout=float(env.get(ENV_PREFIX + "CONNECT_TIMEOUT", 5)),
        read_timeout=float(env.get(ENV_PREFIX + "READ_TIMEOUT", 10)),
        total_timeout=float(env.get(ENV_PREFIX + "TOTAL_TIMEOUT", 30)),
        max_bytes=int(env.get(ENV_PREFIX + "MAX_BYTES", 10_000_000)),
        health_failing_at=_score(env, "HEALTH_FAILING_AT", "health_failing_at"),
        health_disable_at=_score(env, "HEALTH_DISABLE_AT", "health_disable_at"),
        health_backoff_after=_score(env, "HEALTH_BACKOFF_AFTER", "health_backoff_after"),
        source_budget_s=float(env.get(ENV_PREFIX + "SOURCE_BUDGET", 120)),
        max_pages_per_source=int(env.get(ENV_PREFIX + "MAX_PAGES_PER_SOURCE", 50)),
        max_pages_per_run=int(env.get(ENV_PREFIX + "MAX_PAGES_PER_RUN", 500)),
        max_items_per_feed=int(env.get(ENV_PREFIX + "MAX_ITEMS_PER_FEED", 1000)),
        commit_every=int(env.get(ENV_PREFIX + "COMMIT_EVERY", 50)),
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
