"""Storage failures are one clear line each: disk full (the real ENOSPC), read-only file system, and a
truncated or corrupted database, which `check` finds by reading every row. Real DuckDB files; the disk
full and read-only cases use a real small tmpfs (skipped where mounting is not permitted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.app import app
from flows.store import db
from tests.support import REPO

SEED = REPO / "seeds" / "russia-terminates-military-agreements.xml"


def make_db(path: Path, rows: int = 20000) -> None:
    with db.connect(path) as con:
        con.execute(
            "INSERT INTO sources (source_id, kind, url, first_seen_at) SELECT 's' || i, 'rss', "
            "repeat('u', 300) || i, now() FROM range($1) t(i)",
            [rows],
        )
        con.execute("CHECKPOINT")


def check(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["check", "--db", str(path), "--config-dir", str(REPO / "config")], env={"COLUMNS": "400"}
    )
    return result.exit_code, result.output


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_check_reads_the_database_and_says_it_is_damaged(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "tw.duckdb"
    make_db(path)
    assert check(path)[0] == 0
    data = path.read_bytes()
    half = len(data) // 2
    path.write_bytes(data[:half] if damage == "truncated" else data[:half] + os.urandom(65536) + data[half + 65536 :])
    code, out = check(path)
    assert code != 0 and "is damaged" in out and "database ok" not in out and "Traceback" not in out, out


def test_a_damaged_database_is_one_line_when_read(tmp_path: Path) -> None:
    path = tmp_path / "tw.duckdb"
    make_db(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    result = CliRunner().invoke(
        app, ["query", "SELECT count(*), sum(hash(s)) FROM sources s", "--db", str(path)], env={"COLUMNS": "1000"}
    )
    assert result.exit_code == 2 and "is damaged" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output, result.output


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MB tmpfs, unmounted afterwards."""
    mount = tmp_path / f"fs-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> None:
    with (directory / "filler").open("wb") as out:
        try:
            while True:
                out.write(b"x" * 65536)
                out.flush()
        except OSError:
            pass


def run_cli(tmp_path: Path, db_path: Path) -> tuple[int, str]:
    """`treatywatch run` in a real process (its own ephemeral Prefect API); exit code and stderr."""
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f'sources:\n  - {{id: seed, kind: rss, url: "{SEED}", lang: en, group: seed, full_text: never}}\n'
    )
    (tmp_path / "alerts.yml").write_text("version: 1\nurls: []\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TREATYWATCH_", "PREFECT_API"))}
    env.update(
        COLUMNS="300",
        PREFECT_HOME=os.environ.get("PREFECT_HOME") or str(tmp_path / "prefect"),
        TREATYWATCH_RUN_LOCK_WAIT="1",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli.app",
            "run",
            "--sources",
            str(sources),
            "--alerts",
            str(tmp_path / "alerts.yml"),
            "--db",
            str(db_path),
            "--config-dir",
            str(REPO / "config"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done.returncode, done.stderr + done.stdout


@pytest.mark.slow
def test_disk_full_says_disk_full(tmp_path: Path, small_fs: Path) -> None:
    path = small_fs / "tw.duckdb"
    with db.connect(path):
        pass
    fill(small_fs)
    code, out = run_cli(tmp_path, path)
    assert code == 2, out
    assert "disk full" in out and "No space left on device" in out, out
    assert "no transaction is active" not in out and "Traceback" not in out, out


@pytest.mark.slow
def test_read_only_file_system_says_so(tmp_path: Path, small_fs: Path) -> None:
    path = small_fs / "tw.duckdb"
    make_db(path, rows=10)
    assert subprocess.run(["mount", "-o", "remount,ro", str(small_fs)]).returncode == 0
    code, out = run_cli(tmp_path, path)
    assert code == 2, out
    # preflight (before Prefect) or the store says it, in one line either way
    assert re.search(r"read-only file ?system", out) and "Traceback" not in out and "OSError" not in out, out
