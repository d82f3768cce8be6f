"""Duplicate alerts past the run lock: the lock follows the database's real path and cannot be forked
by replacing a side file, and even with no lock at all two overlapping deliveries send every alert
exactly once (the ledger's pending -> sending compare-and-set). Real processes, DuckDB, HTTP endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flows.alerts.destinations import load_destinations
from flows.alerts.plan import health_rows
from flows.alerts.render import Notice
from flows.store import db, ledger
from flows.store.runlock import RunLockedError, lock_path, run_lock
from tests.support import REPO, db_rows

HOLDER = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from flows.store.runlock import run_lock
with run_lock(Path({db!r}), wait_s=0):
    print("held", flush=True)
    sys.stdin.readline()
"""

DELIVER = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from flows.alerts.delivery import deliver
from flows.alerts.destinations import load_destinations
from parsers.policy.routing import AlertPolicy
dests = load_destinations(Path({alerts!r}), None)
print("ready", flush=True)
sys.stdin.readline()  # both processes start delivering at the same moment
report = deliver(Path({db!r}), dests, AlertPolicy(min_interval=0, backoff=(0.0,)))
print(report.sent, flush=True)
"""


@pytest.fixture
def held(tmp_path: Path):
    db_path = tmp_path / "tw.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(repo=str(REPO), db=str(db_path))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    try:
        yield db_path, proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_symlinked_path_meets_the_same_lock(held, tmp_path: Path) -> None:
    db_path, proc = held
    link_dir = tmp_path / "elsewhere"
    link_dir.mkdir()
    (link_dir / "alias.duckdb").symlink_to(db_path)
    with pytest.raises(RunLockedError, match=f"pid {proc.pid}"), run_lock(link_dir / "alias.duckdb", wait_s=0.2):
        pass


def test_replacing_the_lock_file_does_not_fork_the_lock(held) -> None:
    db_path, _proc = held
    side = lock_path(db_path)
    side.unlink()
    side.write_text("a fresh inode\n")
    with pytest.raises(RunLockedError), run_lock(db_path, wait_s=0.2):
        pass


def _endpoint(server: HTTPServer) -> Counter:
    """A json:// endpoint that takes 20 ms per post (so two senders really overlap) and counts titles."""
    got: Counter = Counter()
    guard = threading.Lock()

    def handle(request: Request) -> Response:
        time.sleep(0.02)  # a slow remote service, not a test wait
        with guard:
            got[json.loads(request.get_data())["title"]] += 1
        return Response("ok")

    server.expect_request("/hook", method="POST").respond_with_handler(handle)
    return got


def test_two_overlapping_deliveries_send_each_alert_exactly_once(tmp_path: Path, httpserver: HTTPServer) -> None:
    got = _endpoint(httpserver)
    alerts = tmp_path / "alerts.yml"
    alerts.write_text(f'version: 1\nurls:\n  - "json://127.0.0.1:{httpserver.port}/hook":\n      - tag: health\n')
    db_path = tmp_path / "tw.duckdb"
    dests = load_destinations(alerts, None)
    notices = [
        Notice(f"alert {n}", f"message {n}", subject=f"s{n}", reason="failing", unique=f"u{n}") for n in range(30)
    ]
    with db.connect(db_path) as con:
        assert ledger.insert(con, health_rows(notices, dests)) == 30
    script = DELIVER.format(repo=str(REPO), alerts=str(alerts), db=str(db_path))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for _ in range(2)
    ]
    try:
        assert [p.stdout.readline().strip() for p in procs] == ["ready", "ready"]
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        sent = [int(p.communicate(timeout=90)[0].strip()) for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert sum(got.values()) == 30 and set(got.values()) == {1}, got  # every alert once, none twice
    assert sum(sent) == 30
    assert db_rows(db_path, "SELECT status, count(*) FROM alerts GROUP BY status") == [("sent", 30)]


def test_a_live_overlapping_claim_is_not_recovered_but_a_dead_one_is(tmp_path: Path) -> None:
    """Recovery of `sending` rows must not steal a row another live run is sending right now."""
    db_path = tmp_path / "tw.duckdb"
    rows = [
        ledger.LedgerRow(
            f"a{n}", "health", "s", "failing", "d1", "masked", "health", payload={"title": "t", "message": "m"}
        )
        for n in range(2)
    ]
    sleeper = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()"], stdin=subprocess.PIPE)
    host = ledger.new_claimant().split(":")[0]
    try:
        with db.connect(db_path) as con:
            ledger.insert(con, rows)
            assert ledger.mark_sending(con, ["a0"], f"{host}:{sleeper.pid}:live") == ["a0"]
            assert ledger.mark_sending(con, ["a0", "a1"], f"{host}:{os.getpid()}:other") == ["a1"]  # a0 taken
            dead = subprocess.run(
                [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
            ).stdout.strip()
            con.execute("UPDATE alerts SET claimed_by = $1 WHERE alert_id = 'a1'", [f"{host}:{dead}:gone"])
            ledger.recover_interrupted(con, {"d1": "generic"}, ledger.new_claimant())
            assert dict(con.execute("SELECT alert_id, status FROM alerts").fetchall()) == {
                "a0": "sending",
                "a1": "pending",
            }
    finally:
        sleeper.kill()
        sleeper.wait()
