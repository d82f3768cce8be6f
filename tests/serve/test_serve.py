"""Scheduled operation: schedule config, deployments, and `treatywatch serve` for real (local
Prefect server started, a scheduled run happening, Ctrl-C stopping everything)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli.app import app
from flows.serve import local_server
from flows.serve.schedules import Schedule, coverage, load_schedules
from flows.serve.service import ServeOptions, flow_parameters
from parsers.errors import ConfigError
from tests.support import REPO, free_port, wait_for

SEED_FEED = REPO / "seeds" / "russia-terminates-military-agreements.xml"


def write(tmp: Path, text: str) -> Path:
    path = tmp / "schedules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_schedules_cover_every_source_group():
    from parsers.config.sources import load_sources

    schedules = load_schedules(REPO / "config" / "schedules.yaml")
    groups = {s.group for s in load_sources(REPO / "config" / "sources.yaml") if s.enabled}
    assert coverage(schedules, groups) == (set(), set())


def test_schedule_entries_load_as_interval_or_cron(tmp_path):
    path = write(
        tmp_path,
        """schedules:
  - {name: legal, groups: [legal], cron: "*/30 * * * *", timezone: Europe/Berlin}
  - {name: news, groups: news, interval: 600}
  - {name: off, groups: [x], interval: 60, enabled: false}
""",
    )
    legal, news, off = load_schedules(path)
    assert legal == Schedule("legal", ("legal",), None, "*/30 * * * *", "Europe/Berlin")
    assert news.interval_s == 600 and news.groups == ("news",) and news.deployment_name == "monitor-news"
    assert not off.enabled


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{groups: [legal], interval: 60}", "field 'name'"),
        ("{name: Legal, groups: [legal], interval: 60}", "field 'name'"),
        ("{name: a, interval: 60}", "field 'groups'"),
        ("{name: a, groups: [], interval: 60}", "field 'groups'"),
        ("{name: a, groups: [x]}", "exactly one of interval"),
        ("{name: a, groups: [x], interval: 60, cron: '* * * * *'}", "exactly one of interval"),
        ("{name: a, groups: [x], interval: 5}", "at least 10"),
        ("{name: a, groups: [x], interval: '10m'}", "whole seconds"),
        ("{name: a, groups: [x], cron: 'every day'}", "field 'cron'"),
        ("{name: a, groups: [x], interval: 60, every: 1}", "field 'every': unknown field"),
        ("{name: a, groups: [x], interval: 60, enabled: maybe}", "field 'enabled'"),
        ("just-a-string", "expected a mapping"),
    ],
)
def test_bad_schedule_entries_name_the_field(tmp_path, entry, message):
    path = write(tmp_path, f"schedules:\n  - {entry}\n")
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        load_schedules(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schedules: []\n", "at least one entry"),
        ("other: 1\n", "top-level 'schedules:'"),
        ("schedules: [\n", "invalid YAML"),
        (
            "schedules:\n  - {name: a, groups: [x], interval: 60}\n  - {name: a, groups: [y], interval: 60}\n",
            "used twice",
        ),
    ],
)
def test_bad_schedule_files(tmp_path, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_schedules(write(tmp_path, text))


def test_missing_schedule_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="schedules file: cannot read it: No such file"):
        load_schedules(tmp_path / "nope.yaml")


def test_coverage_reports_unscheduled_and_empty_groups():
    schedules = [
        Schedule("a", ("news",), 60),
        Schedule("b", ("legal",), 60, enabled=False),
        Schedule("c", ("ghost",), 60),
    ]
    assert coverage(schedules, {"news", "legal"}) == ({"legal"}, {"ghost"})


def test_deployment_parameters_carry_groups_and_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    opts = ServeOptions(Path("s.yaml"), sources=Path("conf/sources.yaml"), db=Path("data/tw.duckdb"))
    params = flow_parameters(opts, Schedule("news", ("news", "seed"), 600))
    assert params == {
        "groups": ["news", "seed"],
        "sources": str(tmp_path / "conf" / "sources.yaml"),
        "db_path": str(tmp_path / "data" / "tw.duckdb"),
    }


def test_deployments_have_one_schedule_each():
    from flows.serve.service import build_deployments

    opts = ServeOptions(REPO / "config" / "schedules.yaml")
    deps = build_deployments(opts, load_schedules(opts.schedules_file))
    assert [d.name for d in deps] == ["monitor-legal", "monitor-news"]
    legal, news = (d.schedules[0].schedule for d in deps)
    assert legal.cron == "*/30 * * * *" and news.interval.total_seconds() == 600
    assert deps[0].parameters == {"groups": ["legal"]}


def test_serve_refuses_bad_schedules_before_starting_a_server(tmp_path):
    bad = write(tmp_path, "schedules:\n  - {name: a, groups: [x], interval: 1}\n")
    result = CliRunner().invoke(app, ["serve", "--schedules", str(bad), "--db", str(tmp_path / "tw.duckdb")])
    assert result.exit_code == 2 and "at least 10" in result.output
    assert not (tmp_path / "prefect-server").exists()


def test_local_server_refuses_a_busy_port(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(local_server.ServerStartError, match="is in use.*PREFECT_API_URL"):
            local_server.start(tmp_path / "home", port=s.getsockname()[1])
    assert not (tmp_path / "home").exists()


def runs_recorded(db: Path) -> int:
    """Rows in `runs`, 0 while the file is missing or a run holds it."""
    if not db.exists():
        return 0
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return 0
    try:
        return con.execute("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL").fetchone()[0]
    except duckdb.Error:
        return 0
    finally:
        con.close()


def _kill_leftovers(proc: subprocess.Popen, server_pid: int | None) -> None:
    """Whatever a failed test left running: serve's process group and the local server's."""
    for pgid in (proc.pid, server_pid):
        if pgid is None:
            continue
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if proc.poll() is None:
        proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_serve_starts_a_server_runs_on_schedule_and_stops_it_on_ctrl_c(tmp_path):
    port = free_port()
    schedules = write(tmp_path, "schedules:\n  - {name: seed, groups: [seed], interval: 10}\n")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: seed, kind: rss, url: "{SEED_FEED}", lang: en, group: seed, '
        f'full_text: never}}\n  - {{id: other, kind: rss, url: "http://127.0.0.1:9/x", group: news}}\n'
    )
    db = tmp_path / "data" / "tw.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TREATYWATCH_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-client"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        TREATYWATCH_APPRISE_URLS="",
    )
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flows.cli.app",
                "serve",
                "--schedules",
                str(schedules),
                "--sources",
                str(sources),
                "--db",
                str(db),
                "--config-dir",
                str(REPO / "config"),
                "--port",
                str(port),
                "--no-ui",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # its own process group, so a failing test can kill all of it
    server_pid = None
    try:
        wait_for(lambda: "Prefect server healthy" in log.read_text() or proc.poll() is not None, timeout=120)
        text = log.read_text()
        assert f"API at http://127.0.0.1:{port}/api" in text, text
        server_pid = int(re.search(r"healthy \(pid (\d+)\)", text).group(1))
        assert local_server.healthy(f"http://127.0.0.1:{port}/api")
        assert (tmp_path / "data" / "prefect-server").is_dir()  # SQLite under the data dir

        # run at start: one run before the schedule, with its one-line summary
        wait_for(lambda: "monitor-seed: sources:" in log.read_text() or proc.poll() is not None, timeout=120)
        assert "monitor-seed: sources: 1 ok, 0 failed | new items: 1 | new events: 3" in log.read_text(), (
            log.read_text()
        )
        seen: list[int] = [0]  # a count read between runs (the file is locked while one writes)
        wait_for(lambda: seen.append(runs_recorded(db)) or max(seen) >= 2 or proc.poll() is not None, timeout=180)
        assert max(seen) >= 2 and proc.poll() is None, log.read_text()
        # a scheduled run (a subprocess of the runner) prints its summary too
        wait_for(lambda: "run summary (seed): sources: " in log.read_text(), timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            code = proc.wait(timeout=60)
            server_left = server_pid is not None and local_server.group_alive(server_pid)
        finally:
            _kill_leftovers(proc, server_pid)  # only does something when the stop above did not work
    text = log.read_text()
    assert code == 0, text
    assert "Prefect server stopped" in text
    assert not server_left
    assert not local_server.port_in_use("127.0.0.1", port)
    assert runs_recorded(db) >= 2
    con = duckdb.connect(str(db), read_only=True)
    try:  # the deployment ran only its group: `other` (group news) was never fetched
        assert {r[0] for r in con.execute("SELECT DISTINCT source_id FROM fetches").fetchall()} == {"seed"}
    finally:
        con.close()


# --- deploy/: files that cannot run here (no Docker engine, no systemd) are checked for drift ---

DEPLOY = REPO / "deploy"


def yaml_file(path: Path):
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_prefect_yaml_mirrors_the_schedules_and_points_at_real_flows():
    import importlib

    spec = yaml_file(DEPLOY / "prefect.yaml")
    deployments = {d["name"]: d for d in spec["deployments"]}
    for s in load_schedules(REPO / "config" / "schedules.yaml"):
        d = deployments[s.deployment_name]
        assert d["parameters"]["groups"] == list(s.groups)
        (sched,) = d["schedules"]
        assert sched.get("interval") == s.interval_s and sched.get("cron") == s.cron
        assert d["work_pool"]["name"] == "treatywatch"
    for d in deployments.values():
        file, func = d["entrypoint"].split(":")
        assert (REPO / file).is_file()
        module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
        assert hasattr(getattr(module, func), "to_deployment"), d["entrypoint"]  # a Prefect flow


def test_dockerfile_copies_only_what_exists_and_no_secrets():
    text = (DEPLOY / "Dockerfile").read_text()
    sources = [line.split()[1:-1] for line in text.splitlines() if line.startswith("COPY ")]
    for paths in sources:
        for p in paths:
            assert (REPO / p).exists(), p
    assert "config/alerts.yml" in (DEPLOY / "Dockerfile.dockerignore").read_text()
    assert "APPRISE_URLS" not in text and "PASSWORD" not in text


def test_compose_wires_server_postgres_worker_and_volume():
    spec = yaml_file(DEPLOY / "docker-compose.yml")
    services = spec["services"]
    assert {"postgres", "prefect-server", "worker", "deploy"} <= set(services)
    assert "postgresql+asyncpg" in services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    worker = services["worker"]
    assert worker["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert "duckdb:/data" in worker["volumes"] and worker["command"][:4] == ["prefect", "worker", "start", "--pool"]
    assert worker["environment"]["TREATYWATCH_APPRISE_URLS"].startswith("${")  # from the env file, not inline
    assert "deploy/.env" in (REPO / ".gitignore").read_text()


@pytest.mark.parametrize("command", ["serve", "check"])
def test_systemd_unit_runs_existing_commands(command):
    unit = (DEPLOY / "treatywatch.service").read_text()
    assert f"/.venv/bin/treatywatch {command}" in unit
    assert command in [c.name or c.callback.__name__ for c in app.registered_commands]
