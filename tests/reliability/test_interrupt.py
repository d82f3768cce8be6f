"""SIGTERM / SIGINT to `treatywatch run`: it stops within 10 s, keeps every batch it finished, and no
process outlives it except, in the default keep mode, the kept local server it means to leave for
later runs (flows/serve/keeper.py); in ephemeral mode the API is a thread of the run
(flows/serve/in_process.py). Real subprocesses and servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import duckdb
import pytest

from tests.reliability.servers import Site
from tests.support import REPO, wait_for

pytestmark = pytest.mark.slow


def feed(title: str) -> bytes:
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>{title} story {k}</title><link>http://example.invalid/{title}/{k}</link>"
        f"<pubDate>{now}</pubDate><description>{title} text {k}.</description></item>"
        for k in range(3)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'.encode()


def children(pid: int) -> set[int]:
    """Every live descendant of `pid`, from /proc."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def stored_sources(db: Path) -> set[str]:
    """Sources with items committed so far ('' while the run holds the file)."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return set()
    try:
        return {r[0] for r in con.execute("SELECT DISTINCT source_id FROM items").fetchall()}
    except duckdb.Error:
        return set()
    finally:
        con.close()


def keeper_stopped(db: Path) -> bool:
    """Stop a kept server (as a user would); True when none was kept or it and its server are gone."""
    from flows.serve import keeper

    pids = kept(db)
    keeper.stop_keeper(db.parent)
    try:
        wait_for(lambda: not any(alive(p) for p in pids), timeout=30)
    except AssertionError:
        return False
    return True


def kept(db: Path) -> set[int]:
    """The keeper and its Prefect server the run left on purpose (and their descendants), from the state file."""
    from flows.serve import keeper

    state = keeper.read_state(db.parent)
    if state is None:
        return set()
    return {state.owner_pid, state.server_pid} | children(state.owner_pid)


@pytest.mark.parametrize(
    ("sig", "mode"), [(signal.SIGTERM, "ephemeral"), (signal.SIGINT, "ephemeral"), (signal.SIGTERM, "keep")]
)
def test_signal_stops_the_run_fast_keeps_finished_work_and_leaves_no_process(
    tmp_path: Path, sig: int, mode: str
) -> None:
    with Site() as site:
        lines = [
            f'  - {{id: fast{n}, kind: rss, url: "{site.route(f"/fast{n}.xml", feed(f"fast{n}"))}", full_text: never}}'
            for n in range(2)
        ]
        lines += [
            f'  - {{id: slow{n}, kind: rss, url: "{site.route(f"/slow{n}.xml", feed(f"slow{n}"), stall=120)}", '
            "full_text: never}"
            for n in range(4)
        ]
        sources = tmp_path / "sources.yaml"
        sources.write_text("sources:\n" + "\n".join(lines) + "\n")
        (tmp_path / "alerts.yml").write_text("version: 1\nurls: []\n")
        db = tmp_path / "tw.duckdb"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TREATYWATCH_")}
        env.update(
            TREATYWATCH_COMMIT_EVERY="2",
            TREATYWATCH_FETCH_RETRIES="0",
            TREATYWATCH_TOTAL_TIMEOUT="300",
            TREATYWATCH_READ_TIMEOUT="300",
            TREATYWATCH_SOURCE_BUDGET="600",
            TREATYWATCH_APPRISE_URLS="",
            PREFECT_HOME=os.environ.get("PREFECT_HOME") or str(tmp_path / "prefect"),
            TREATYWATCH_PREFECT_SERVER=mode,
            TREATYWATCH_PREFECT_IDLE_MINUTES="2",
        )
        log = tmp_path / "run.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
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
                    str(db),
                    "--config-dir",
                    str(REPO / "config"),
                ],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            # the first batch (fast0, fast1) is committed; the second batch is stuck on stalled servers
            wait_for(
                lambda: (
                    (stored_sources(db) == {"fast0", "fast1"} and site.hits.get("/slow0.xml", 0) > 0)
                    or proc.poll() is not None
                ),
                timeout=120,
            )
            assert proc.poll() is None, log.read_text()
            family = children(proc.pid)
            # keep mode: the keeper it started is a child; ephemeral mode: the API is a thread, no child needed
            assert family or mode == "ephemeral", "expected the keeper the run started as a child"
            meant = kept(db)
            assert bool(meant) == (mode == "keep") and meant <= family | {proc.pid}
            started = time.monotonic()
            proc.send_signal(sig)
            code = proc.wait(timeout=30)
            took = time.monotonic() - started
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            survivors = {p for p in kept(db) if alive(p)}
            stopped = keeper_stopped(db)
        text = log.read_text()
        assert took < 10, (took, text)
        assert code == 128 + sig, text
        assert "stopped by signal" in text
        # nothing outlives the command but the kept server it meant to leave (still serving, until idle)
        wait_for(lambda: not any(alive(p) for p in family - meant), timeout=10)
        assert survivors == meant, (survivors, meant)
        assert stopped and not any(alive(p) for p in meant)  # and the keeper stops its server
        assert stored_sources(db) == {"fast0", "fast1"}
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM items").fetchone() == (6,)
            # the stalled sources were never fetched: no failure row, no health penalty
            assert con.execute("SELECT count(*) FROM fetches WHERE source_id LIKE 'slow%'").fetchone() == (0,)
            assert con.execute("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL").fetchone() == (1,)
        finally:
            con.close()
