"""`treatywatch check`: each configuration problem is reported with the loader's own message."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.app import app
from flows.cli.check import ERROR, OK, WARN, check_database, check_prefect_api, run_checks
from flows.settings import load_settings
from flows.store import db
from tests.support import REPO, free_port

GOOD_ALERTS = 'version: 1\nurls:\n  - "json://127.0.0.1:9/hook":\n      - tag: termination\n'


@pytest.fixture
def conf(tmp_path) -> Path:
    """A copy of the repository config (rules, gazetteer, sources, schedules) to break one file at a time."""
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    (target / "alerts.yml").write_text(GOOD_ALERTS, encoding="utf-8")
    return target


def results(conf: Path, tmp_path: Path, **env: str) -> dict[str, tuple[str, str]]:
    settings = load_settings(config_dir=conf, db=tmp_path / "data" / "tw.duckdb", env=env)
    return {r.name: (r.level, r.detail) for r in run_checks(settings, conf / "schedules.yaml")}


def test_repository_config_passes(conf, tmp_path):
    got = results(conf, tmp_path)
    assert {k: v[0] for k, v in got.items()} == {
        "sources": OK,
        "rules": OK,
        "alerts": OK,
        "routing": OK,
        "schedules": OK,
        "database": OK,
        "prefect": OK,
    }
    assert "does not exist yet" in got["database"][1]
    assert "json://" in got["alerts"][1]
    assert "registry bodies" in got["rules"][1]


@pytest.mark.parametrize(
    ("file", "content", "check", "message"),
    [
        ("sources.yaml", "sources:\n  - {id: a, kind: rss}\n", "sources", "field 'url'"),
        ("sources.yaml", "sources: [\n", "sources", "invalid YAML"),
        (
            "alerts.yml",
            'version: 1\nurls:\n  - "nosuchscheme://x":\n      - tag: termination\n',
            "alerts",
            "nosuchscheme",
        ),
        ("schedules.yaml", "schedules:\n  - {name: a, groups: [legal]}\n", "schedules", "exactly one of interval"),
        ("rules/common.yaml", "rules: [\n", "rules", "common.yaml"),
        (
            "alerts.yml",
            'version: 1\nurls:\n  - "json://127.0.0.1:9/hook":\n      - tag: terminaton\n',
            "alerts",
            "unknown tag(s) 'terminaton' (did you mean 'termination'?)",
        ),
        ("registry/bodies.yaml", "entries:\n  - {id: XYZ, kind: club}\n", "rules", "bodies.yaml: entry 1 (XYZ)"),
    ],
)
def test_a_broken_file_is_an_error_naming_it(conf, tmp_path, file, content, check, message):
    (conf / file).write_text(content, encoding="utf-8")
    got = results(conf, tmp_path)
    level, detail = got[check]
    assert level == ERROR and message in detail, detail
    assert all(lvl != ERROR for name, (lvl, _) in got.items() if name != check)  # one bad file, one error


def test_unscheduled_group_is_a_warning(conf, tmp_path):
    (conf / "schedules.yaml").write_text("schedules:\n  - {name: legal, groups: [legal], interval: 1800}\n")
    level, detail = results(conf, tmp_path)["schedules"]
    assert level == WARN and "news, seed have sources but no schedule" in detail


def test_console_only_alerts_are_a_warning(conf, tmp_path):
    (conf / "alerts.yml").unlink()
    level, detail = results(conf, tmp_path)["alerts"]
    assert level == WARN and "console only" in detail


def test_env_secrets_are_masked(conf, tmp_path):
    _, detail = results(conf, tmp_path, TREATYWATCH_APPRISE_URLS="slack://T1/B2/supersecrettoken")["alerts"]
    assert "supersecrettoken" not in detail and "TREATYWATCH_APPRISE_URLS" in detail


def test_database_states(tmp_path):
    path = tmp_path / "tw.duckdb"
    settings = load_settings(db=path, env={})
    with db.connect(path):
        pass
    assert check_database(settings).level == OK and "schema v" in check_database(settings).detail
    holder = subprocess.Popen(  # another process (a run) holding the file
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('open', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        r = check_database(settings)
        assert r.level == WARN and "locked by a run in progress" in r.detail
    finally:
        holder.stdin.close()
        holder.wait(timeout=20)
    path.write_bytes(b"not a database")
    assert check_database(settings).level == ERROR


def test_unreachable_prefect_api_is_an_error():
    r = check_prefect_api({"PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"})
    assert r.level == ERROR and "does not answer" in r.detail


def test_cli_exit_codes(conf, tmp_path):
    args = [
        "check",
        "--config-dir",
        str(conf),
        "--schedules",
        str(conf / "schedules.yaml"),
        "--db",
        str(tmp_path / "tw.duckdb"),
    ]
    ok = CliRunner().invoke(app, args)
    assert ok.exit_code == 0 and "configuration ok" in ok.output
    (conf / "sources.yaml").write_text("sources: 5\n")
    bad = CliRunner().invoke(app, args)
    assert bad.exit_code == 1 and "1 error(s)" in bad.output
