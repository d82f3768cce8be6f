"""Prefect's API served from the run's own process (ephemeral mode): it records flow runs like a
server would, starts no process, and is gone when its block ends. A real API, a real flow run."""

from __future__ import annotations

import os
from pathlib import Path

from prefect import flow
from prefect.client.orchestration import get_client

from flows.serve.in_process import in_process_api
from flows.serve.local_server import healthy


def children(pid: int) -> set[int]:
    """Live direct children of `pid`, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


@flow(name="tw-in-process-probe", validate_parameters=False)
def probe(n: int) -> int:
    return n * 2


def test_flow_run_is_recorded_by_the_in_process_api_without_a_server_process():
    before = children(os.getpid())
    with in_process_api() as url:
        assert healthy(url)
        assert children(os.getpid()) <= before  # the API is a thread here, not Prefect's server child
        state = probe(21, return_state=True)
        assert state.result() == 42
        with get_client(sync_client=True) as client:
            recorded = client.read_flow_run(state.state_details.flow_run_id)
        assert recorded.state is not None and recorded.state.is_completed()
        assert recorded.parameters == {"n": 21}
    assert not healthy(url, timeout=1.0)  # stopped with the block
