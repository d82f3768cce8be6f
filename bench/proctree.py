"""Run a command and measure it as a user feels it: CPU time, and peak RSS of its whole process tree.

Why not `ru_maxrss` from wait4: a forked child starts with its parent's pages counted, so a small
command started by a large bench reports the bench's size; and it is per process, so a run and its
Prefect server child are never added up. Here a thread samples /proc every `interval` seconds:
the sum of VmRSS over the child and all its descendants (the tree's peak is the largest sum seen,
and never less than the child's own VmHWM after exec, its true peak). Sampling can miss a spike of
the children shorter than the interval; CPU time (user + sys, children included) comes from wait4.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass


@dataclass
class Measured:
    code: int
    cpu_s: float
    wall_s: float
    tree_peak_mb: float  # largest sum of VmRSS over the process tree seen while it ran, at least main_peak_mb
    main_peak_mb: float  # the child's own VmHWM (after exec), last seen


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    return kids


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over root and every descendant now."""
    kids, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _status_kb(pid, "VmRSS:")
        todo.extend(kids.get(pid, ()))
    return total


def run(cmd: list[str], interval: float = 0.1, **popen: object) -> Measured:
    """Run cmd to completion while sampling its process tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, **popen)  # type: ignore[arg-type]
    peak = {"tree": 0, "main": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak["tree"] = max(peak["tree"], tree_rss_kb(proc.pid))
            peak["main"] = max(peak["main"], _status_kb(proc.pid, "VmHWM:"))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        proc.returncode,
        usage.ru_utime + usage.ru_stime,
        time.perf_counter() - t0,
        # the tree never used less than its main process alone: a spike between samples still shows in VmHWM
        max(peak["tree"], peak["main"]) / 1024,
        peak["main"] / 1024,
    )
