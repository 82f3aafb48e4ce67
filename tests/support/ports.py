"""Servers the tests start themselves: a free port on 127.0.0.1, and waiting until a server listens on it."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, log: Path | None = None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"{process.args[0]} exited: {output} {log.read_text() if log and log.exists() else ''}")
            time.sleep(0.1)
    pytest.fail(f"{process.args[0]} did not listen on port {port} within {seconds} s")
