"""Ending with the parent: the servers Fleet starts exit when the process that started them is gone."""
from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (a dead process its parent has not
    reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def signal_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """On Linux, asks the kernel for ``signum`` when the parent dies (``PR_SET_PDEATHSIG``), if
    ``parent_pid`` is this process's parent; a poll loop's ``alive`` check covers any other process."""
    if not sys.platform.startswith("linux") or os.getppid() != parent_pid:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    except (OSError, AttributeError):
        pass
