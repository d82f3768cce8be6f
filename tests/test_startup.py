"""Commands that never run a flow start without importing Prefect (it costs ~1.3 CPU-s to import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flows.store import db
from tests.support import REPO

# Runs the real entry point with the given arguments, then reports whether Prefect got imported.
PROBE = """
import sys
from flows.cli.app import app
try:
    app(prog_name="treatywatch")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("EXIT", code, "PREFECT" if any(m == "prefect" or m.startswith("prefect.") for m in sys.modules) else "NO-PREFECT",
      file=sys.stderr)
"""


def _probe(args: list[str], tmp_path) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TREATYWATCH_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    return proc.stderr.strip().splitlines()[-1]


@pytest.fixture
def dbfile(tmp_path):
    path = tmp_path / "tw.duckdb"
    with db.connect(path):
        pass
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["extract", "--help"],
        ["extract", "seeds/russia-terminates-military-agreements.txt"],
        ["query", "SELECT count(*) AS n FROM events", "--db", "{db}"],
        ["check", "--db", "{db}"],
    ],
)
def test_command_does_not_import_prefect(args, tmp_path, dbfile):
    line = _probe([a.replace("{db}", str(dbfile)) for a in args], tmp_path)
    assert line.startswith("EXIT 0 "), line
    assert line.endswith(" NO-PREFECT"), line


def test_the_probe_sees_prefect_when_a_command_imports_it(tmp_path):
    """The probe itself can fail: importing the monitor flow pulls Prefect in."""
    code = PROBE.replace("from flows.cli.app import app", "import flows.monitor\nfrom flows.cli.app import app")
    proc = subprocess.run(
        [sys.executable, "-c", code, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PREFECT_HOME": str(tmp_path / "prefect")},
    )
    assert proc.stderr.strip().splitlines()[-1].endswith(" PREFECT")
