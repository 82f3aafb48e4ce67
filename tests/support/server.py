"""The real `ryoiki-ld serve` on a free loopback port, and requests to it sent exactly as written."""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import signal
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .cli import CLI
from .report import RLD

# Limits quick to reach, for the tests of the endpoint and of its workers (`LIMITS`).
TIME_LIMIT_S = 1.0
MAX_ROWS = 2000
LIMITS = ("--time-limit", str(TIME_LIMIT_S), "--max-rows", str(MAX_ROWS))
COUNT_NETWORKS = f"PREFIX rld: <{RLD}> SELECT (COUNT(?n) AS ?networks) WHERE {{ ?n a rld:Network }}"


@dataclass
class Server:
    url: str
    host: str
    port: int
    process: subprocess.Popen
    out: Path
    log: Path
    stderr: Path

    @property
    def endpoint(self) -> str:
        return self.url + "sparql"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(
    server: Server, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> Reply:
    """One request with the path sent exactly as given (no normalisation, no redirect following)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def get_query(server: Server, query: str, accept: str | None = None, **params: str) -> Reply:
    target = "/sparql?" + urllib.parse.urlencode({"query": query, **params})
    return fetch(server, "GET", target, {"Accept": accept} if accept else {})


def start_server(out: Path, *options: str, cli: list[str] = CLI, cwd: Path | None = None) -> Server:
    """`ryoiki-ld serve` (the command `cli`: this checkout's by default) on a free port of 127.0.0.1."""
    log, stderr = out.parent / "access.log", out.parent / "server.stderr"
    command = [*cli, "serve", "--out", str(out), "--port", "0", "--access-log", str(log), *options]
    with stderr.open("w") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in stderr.read_text().splitlines():
            if line.startswith("serving ") and " on http://" in line:
                url = line.split(" on ", 1)[1].split(" ", 1)[0]
                parts = urllib.parse.urlsplit(url)
                return Server(url, parts.hostname, parts.port, process, out, log, stderr)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"the server did not start: {stderr.read_text()}")


@contextlib.contextmanager
def serving(built: Path, out: Path, *options: str) -> Iterator[Server]:
    """`ryoiki-ld serve` on a copy of a build (at `out`), stopped with SIGTERM at the end whatever happens."""
    shutil.copytree(built, out)
    running = start_server(out, *options)
    try:
        yield running
    finally:
        stop(running)


def count_networks(server: Server) -> int:
    return int(json.loads(get_query(server, COUNT_NETWORKS).body)["results"]["bindings"][0]["networks"]["value"])


def worker_pids(server_pid: int) -> set[int]:
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server_pid:
            pids.add(int(stat.parent.name))
    return pids


def stop(server: Server, sig: signal.Signals = signal.SIGTERM) -> int:
    if server.process.poll() is None:
        server.process.send_signal(sig)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    return server.process.returncode
