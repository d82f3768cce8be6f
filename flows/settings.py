"""Run settings, built once per invocation from arguments and the environment.

Nothing here is read at import time. Secrets (apprise URLs with passwords or tokens) come only from
the environment and are kept out of `repr`, Prefect parameters and logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

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
    apprise_urls: str | None = field(default=None, repr=False)
    min_alert_confidence: float = 0.5
    max_alert_attempts: int = 10
    fetch_workers: int = 8
    fetch_retries: int = 2
    fetch_retry_delays: tuple[float, ...] = (2.0, 8.0)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 10_000_000


def _path(value: str | os.PathLike[str] | None, fallback: Path) -> Path:
    return Path(value) if value else fallback


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
    alerts_path = _path(alerts or env.get(ENV_PREFIX + "ALERTS"), cfg / "alerts.yml")
    return Settings(
        config_dir=cfg,
        sources_file=_path(sources or env.get(ENV_PREFIX + "SOURCES"), cfg / "sources.yaml"),
        alerts_file=alerts_path if alerts_path.exists() or alerts else None,
        db_path=_path(db or env.get(ENV_PREFIX + "DB"), Path("data") / "treatywatch.duckdb"),
        apprise_urls=env.get(ENV_PREFIX + "APPRISE_URLS") or None,
        min_alert_confidence=float(env.get(ENV_PREFIX + "MIN_ALERT_CONFIDENCE", 0.5)),
        max_alert_attempts=int(env.get(ENV_PREFIX + "MAX_ALERT_ATTEMPTS", 10)),
        fetch_retries=int(env.get(ENV_PREFIX + "FETCH_RETRIES", 2)),
        fetch_retry_delays=tuple(float(x) for x in env.get(ENV_PREFIX + "FETCH_RETRY_DELAYS", "2,8").split(",")),
    )


def apply_prefect_defaults(env: dict[str, str] | None = None, *, home: Path | None = None) -> None:
    """Set quiet offline Prefect defaults before Prefect is imported (it reads them on import)."""
    target = os.environ if env is None else env
    for key, value in PREFECT_DEFAULTS.items():
        target.setdefault(key, value)
    if home is not None:
        target.setdefault("PREFECT_HOME", str(home))
