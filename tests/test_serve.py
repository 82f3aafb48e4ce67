"""serve: `ryoiki-ld serve` starts on its socket, and stops cleanly with every worker reaped."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from .support.cli import CLI
from .support.server import count_networks, start_server, stop, worker_pids


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown_reaps_the_workers(built, tmp_path, sig):
    out = tmp_path / "build"
    shutil.copytree(built, out)
    running = start_server(out, "--workers", "2")
    workers = worker_pids(running.process.pid)
    assert len(workers) == 3  # two evaluating and the spare
    assert count_networks(running) == 218
    assert stop(running, sig) == 0
    stderr = running.stderr.read_text()
    assert stderr.rstrip().endswith("stopped") and "Traceback" not in stderr
    alive = {pid for pid in workers if Path(f"/proc/{pid}").exists()}
    assert not alive, f"workers left running: {alive}"
    events = [json.loads(line).get("event") for line in running.log.read_text().splitlines()]
    assert events[0] == "started" and events[-1] == "stopped"


def test_serve_refuses_a_port_in_use(built):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*CLI, "serve", "--out", str(built), "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
