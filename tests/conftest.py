"""Shared fixtures: a real SMTP server, Prefect's test harness."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support import SmtpSink, free_port, start_smtp

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# `treatywatch run` in a test must not leave a kept Prefect server behind (tests/test_keeper.py tests that mode)
os.environ.setdefault("TREATYWATCH_PREFECT_SERVER", "ephemeral")
if os.environ.get("PREFECT_HOME"):  # `make test` points it at data/prefect, which a fresh clone lacks
    os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink, controller = start_smtp(free_port())
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session (~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
