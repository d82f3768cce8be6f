"""Graceful stop on SIGTERM / SIGINT: finish and commit what is done, start nothing new.

A run that ignores SIGTERM gets SIGKILLed by its supervisor and loses everything it fetched. A Stop
is built per run and passed down (fetch context, batches); the signal handler only sets it and runs
its hooks (shutting down in-flight sockets, so no read waits out its timeout). A second signal
stops hard.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stop:
    """A stop request shared by the threads of one run."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._hooks: list[Callable[[], None]] = []
        self.signal: int | None = None

    def requested(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking at once on a stop request; True if stopped."""
        return self._event.wait(seconds)

    def on_stop(self, hook: Callable[[], None]) -> None:
        """Run `hook` when a stop is requested (at once if it already was)."""
        self._hooks.append(hook)
        if self.requested():
            hook()

    def request(self, signum: int | None = None) -> None:
        if self.requested():
            return
        self.signal = signum
        self._event.set()
        for hook in list(self._hooks):
            try:
                hook()
            except Exception:  # a hook failing must not stop the others (or the handler)
                pass

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.requested():  # the second signal: the person means it
            raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)
        self.request(signum)

    @contextmanager
    def handling(self) -> Iterator[Stop]:
        """Route SIGTERM and SIGINT to this Stop for the block (main thread only; elsewhere a no-op)."""
        previous = {}
        try:
            for sig in SIGNALS:
                previous[sig] = signal.signal(sig, self._handler)
        except ValueError:  # not the main thread: signals stay with whoever has them
            pass
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
