"""`treatywatch serve`: the monitor flow on schedules, one deployment per source group.

Prefect cannot schedule on its ephemeral API. With PREFECT_API_URL set, serve registers the
deployments there; without it, serve starts a local Prefect server first (SQLite under the data
dir), serves, and stops the server on Ctrl-C or SIGTERM. The runner executes at most one run at a
time (`limit=1`); the run lock beside the DuckDB file covers runs started anywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.serve import keeper, local_server
from flows.serve.schedules import Schedule, load_schedules
from parsers.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What `serve` was asked for; paths are made absolute so flow-run subprocesses agree on them."""

    schedules_file: Path
    sources: Path | None = None
    alerts: Path | None = None
    db: Path | None = None
    config_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = local_server.DEFAULT_PORT
    ui: bool = True
    server_home: Path = Path("data") / "prefect-server"
    run_at_start: bool = True  # one run per schedule before serving, so a restart does not wait a full interval


def flow_parameters(opts: ServeOptions, schedule: Schedule) -> dict[str, Any]:
    """The monitor parameters of one deployment: its groups, and only the paths the user gave."""
    params: dict[str, Any] = {"groups": list(schedule.groups)}
    for key, value in (
        ("sources", opts.sources),
        ("alerts", opts.alerts),
        ("db_path", opts.db),
        ("config_dir", opts.config_dir),
    ):
        if value is not None:
            params[key] = str(Path(value).resolve())
    return params


def enabled_schedules(path: Path) -> list[Schedule]:
    active = [s for s in load_schedules(path) if s.enabled]
    if not active:
        raise ConfigError(f"{path}: every schedule is disabled; nothing to serve")
    return active


def prefect_schedule(s: Schedule) -> Any:
    from prefect.schedules import Cron, Interval

    if s.interval is not None:
        return Interval(s.interval, timezone=s.timezone or "UTC")
    return Cron(s.cron, timezone=s.timezone or "UTC")


def build_deployments(opts: ServeOptions, schedules: Sequence[Schedule]) -> list[Any]:
    """One RunnerDeployment of the monitor flow per schedule."""
    from flows.monitor import monitor

    out = []
    for s in schedules:
        out.append(
            monitor.to_deployment(
                name=s.deployment_name,
                parameters=flow_parameters(opts, s),
                schedule=prefect_schedule(s),
                description=s.describe(),
                tags=["treatywatch", *s.groups],
            )
        )
    return out


def serve(opts: ServeOptions, say: Callable[[str], None] = print) -> None:
    """Serve until Ctrl-C/SIGTERM; start (and finally stop) a local server when none is configured."""
    schedules = enabled_schedules(opts.schedules_file)  # fail on bad config before starting anything
    api = os.environ.get("PREFECT_API_URL")
    if api:
        say(f"using the Prefect API at {api}")
        _serve_on(api, opts, schedules, say)
        return
    home = opts.server_home.resolve()
    if keeper.stop_keeper(home.parent):  # one server per data dir: its SQLite is shared
        say("stopped the local Prefect server kept by `treatywatch run`")
    say(f"starting a local Prefect server on {opts.host}:{opts.port} (state in {home}, log {home / 'server.log'})")
    with local_server.running(home, host=opts.host, port=opts.port, ui=opts.ui) as server:
        say(
            f"Prefect server healthy (pid {server.pid}); "
            + (f"UI at {server.url}" if opts.ui else f"API at {server.api_url} (UI disabled)")
        )
        # `treatywatch run` meanwhile records to this server instead of starting its own
        keeper.write_state(home.parent, keeper.ServerState(server.api_url, os.getpid(), server.pid, "serve"))
        try:
            _serve_on(server.api_url, opts, schedules, say)
        finally:
            keeper.clear_state(home.parent, os.getpid())
            say(f"stopping the local Prefect server (pid {server.pid})")
    say("Prefect server stopped")


def _serve_on(api_url: str, opts: ServeOptions, schedules: Sequence[Schedule], say: Callable[[str], None]) -> None:
    os.environ["PREFECT_API_URL"] = api_url  # for the flow-run subprocesses the runner starts
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")  # a served process should say what it runs
    from flows.settings import apply_prefect_defaults

    apply_prefect_defaults()
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):  # Prefect may be imported already
        deployments = build_deployments(opts, schedules)
        if opts.run_at_start:
            run_once_each(opts, schedules, say)
        for s in schedules:
            say(f"schedule {s.describe()}")
        # pause_on_shutdown=False: a stopped service (systemctl stop) must not leave its schedules
        # paused on the server, or the next start would serve nothing
        prefect_serve(*deployments, limit=1, pause_on_shutdown=False, print_starting_message=False)


def run_once_each(opts: ServeOptions, schedules: Sequence[Schedule], say: Callable[[str], None]) -> None:
    """Run every schedule's flow once now (in this process, recorded on the API) and say how each went."""
    from flows.cli.summary import one_line
    from flows.monitor import monitor

    for s in schedules:
        say(f"{s.deployment_name}: first run now (--no-run-at-start to wait for the schedule)")
        try:
            summary = monitor(**flow_parameters(opts, s))
        except Exception as exc:  # one failed start-up run must not stop serving; the schedule retries
            say(f"{s.deployment_name}: first run failed: {type(exc).__name__}: {exc}")
            continue
        say(f"{s.deployment_name}: {one_line(summary)}")
