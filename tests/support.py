"""Real parts the tests share: an SMTP sink on 127.0.0.1, free ports, condition waits."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll `condition` until true or fail at the deadline: tests wait on conditions, not sleeps."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmtpSink:
    """What a real aiosmtpd server on 127.0.0.1 received."""

    port: int
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=alerts@example.com&to=analyst@example.com&cto=2"


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            self.sink.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


def start_smtp(port: int) -> tuple[SmtpSink, object]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port)
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=port)
    controller.start()
    return sink, controller


def db_rows(db: Path, sql: str) -> list[tuple]:
    """Rows of `sql` from a DuckDB file, read-only and closed at once (a run may open it next)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
