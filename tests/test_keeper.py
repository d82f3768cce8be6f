"""The local Prefect server kept between one-off runs: found, shared, held by a lease, stopped when idle."""

from __future__ import annotations

import os
import time

import pytest

from flows.serve import keeper, local_server
from tests.support import wait_for


def test_mode_and_idle_from_the_environment():
    assert keeper.keep_mode({})
    assert not keeper.keep_mode({"TREATYWATCH_PREFECT_SERVER": "ephemeral"})
    assert keeper.idle_seconds({}) == keeper.DEFAULT_IDLE_MINUTES * 60
    assert keeper.idle_seconds({"TREATYWATCH_PREFECT_IDLE_MINUTES": "0.5"}) == 30


def test_a_state_file_of_a_dead_process_is_not_trusted(tmp_path):
    keeper.write_state(tmp_path, keeper.ServerState("http://127.0.0.1:9/api", 2**22 + 12345, 1, "keeper"))
    assert keeper.read_state(tmp_path) is not None
    assert keeper.find_server(tmp_path) is None
    (tmp_path / keeper.STATE_FILE).write_text("{not json", encoding="utf-8")
    assert keeper.read_state(tmp_path) is None


def test_the_lease_keeps_the_server_busy(tmp_path):
    assert not keeper.in_use_or_recent(tmp_path, idle_s=0)
    with keeper.lease(tmp_path):
        assert keeper.in_use_or_recent(tmp_path, idle_s=0)
    assert keeper.in_use_or_recent(tmp_path, idle_s=60)  # just used
    assert not keeper.in_use_or_recent(tmp_path, idle_s=0)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an unreaped child still answers kill(pid, 0))."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_kept_server_is_reused_then_stops_when_idle(tmp_path):
    data = tmp_path / "data"
    env_before = dict(os.environ)
    api = keeper.ensure_server(data, idle_s=5, deadline_s=90)
    try:
        assert api and local_server.healthy(api)
        state = keeper.read_state(data)
        assert state is not None and state.kind == "keeper" and state.api_url == api
        assert keeper.ensure_server(data, idle_s=5) == api  # the second run finds it, starts nothing
        with keeper.lease(data):
            time.sleep(6)  # longer than the idle limit: a held lease must keep the server up
            assert local_server.healthy(api)
        wait_for(lambda: keeper.read_state(data) is None, timeout=30)
        wait_for(lambda: not local_server.healthy(api, timeout=0.5), timeout=30)
        wait_for(lambda: not _running(state.owner_pid) and not _running(state.server_pid), timeout=30)
    finally:
        keeper.stop_keeper(data)
        assert dict(os.environ) == env_before
