"""Child processes that do not outlive the process that started them, however it ends."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to kill this (forked) process when its parent dies, even by SIGKILL, which the parent
    cannot pass on: an orphaned site writer or query worker would otherwise run on, holding memory and the
    build's lock. Exits at once if the parent is already gone."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)
