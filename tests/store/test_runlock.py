"""The run lock beside the DuckDB file, across real processes: one run at a time, no stale locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flows.store.runlock import RunLockedError, holder, lock_path, run_lock
from tests.support import REPO

HOLDER = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from flows.store.runlock import run_lock
with run_lock(Path({db!r}), wait_s=0):
    print("held", flush=True)
    sys.stdin.readline()  # hold until the test closes our stdin
"""


@pytest.fixture
def held(tmp_path):
    """Another process holding the run lock of tmp_path/tw.duckdb until released."""
    db = tmp_path / "tw.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(repo=str(REPO), db=str(db))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    try:
        yield db, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_second_process_is_refused_with_the_holders_pid(held):
    db, proc = held
    with pytest.raises(RunLockedError, match=rf"pid {proc.pid} since .* is using .*tw.duckdb.*skipped"):
        with run_lock(db, wait_s=0.2):
            pass
    assert holder(lock_path(db)).startswith(f"pid {proc.pid}")


def test_waiting_run_gets_the_lock_when_the_holder_finishes(held):
    db, proc = held
    proc.stdin.close()  # the holder's run ends while we wait
    with run_lock(db, wait_s=30) as path:
        assert holder(path).startswith(f"pid {os.getpid()}")


def test_a_killed_holder_leaves_no_stale_lock(held):
    db, proc = held
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert lock_path(db).exists()  # the file stays; the kernel lock went with the process
    with run_lock(db, wait_s=0):
        pass


@pytest.mark.parametrize("name", ["tw.duckdb", "other name.duckdb"])
def test_lock_file_sits_beside_the_database(tmp_path, name):
    db = tmp_path / "sub" / name
    with run_lock(db, wait_s=0) as path:
        assert path == db.parent / f"{name}.lock" and path.exists()


def test_same_process_cannot_take_it_twice(tmp_path):
    db = tmp_path / "tw.duckdb"
    with run_lock(db, wait_s=0), pytest.raises(RunLockedError), run_lock(db, wait_s=0):
        pass


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_monitor_run_is_skipped_not_failed_while_another_run_holds_the_db(held, monkeypatch, tmp_path):
    from flows.monitor import monitor

    db, proc = held
    monkeypatch.setenv("TREATYWATCH_RUN_LOCK_WAIT", "0.2")
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    state = monitor(sources=str(sources), db_path=str(db), config_dir=str(REPO / "config"), return_state=True)

    assert state.is_completed() and state.name == "Skipped"
    summary = state.result()
    assert f"pid {proc.pid}" in summary.skipped and summary.fetches == []
    assert not Path(db).exists()  # the skipped run never touched the database


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_cli_run_exits_3_with_the_holder_while_another_run_holds_the_db(held, tmp_path):
    from typer.testing import CliRunner

    from flows.cli.app import app

    db, proc = held
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    env = {
        "TREATYWATCH_RUN_LOCK_WAIT": "0.2",
        "COLUMNS": "300",
        # given, so `run` (apply_prefect_defaults) sets nothing in os.environ that outlives the test
        "PREFECT_HOME": os.environ.get("PREFECT_HOME") or str(tmp_path / "prefect"),
    }
    result = CliRunner().invoke(
        app, ["run", "--sources", str(sources), "--db", str(db), "--config-dir", str(REPO / "config")], env=env
    )

    assert result.exit_code == 3, result.output
    assert f"error: another treatywatch run (pid {proc.pid} since" in result.output
    assert "this run is skipped" in result.output
    assert "new items:" not in result.output  # no run summary is printed for a skipped run
    assert not Path(db).exists()
