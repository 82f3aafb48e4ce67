"""The real `ryoiki-ld serve` on a free loopback port, and requests to it sent exactly as written."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .cli import CLI
from .report import BASE, RLD


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


def minimal_site(site: Path) -> None:
    """What the site stage writes, for the documents these tests dereference (used only without it)."""
    (site / "doc" / "network").mkdir(parents=True)
    (site / "index.html").write_text(
        '<!DOCTYPE html><html lang="ja"><meta charset="utf-8"><title>ryoiki-ld</title>', "utf-8"
    )
    for stem in ("doc/network/001", "doc/def"):
        for ext, content in (
            ("html", '<!DOCTYPE html><meta charset="utf-8"><title>001</title>'),
            ("ttl", f"<{BASE}id/network/001> a <{RLD}Network> ."),
            ("nt", f"<{BASE}id/network/001> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{RLD}Network> ."),
            ("jsonld", json.dumps({"@id": f"{BASE}id/network/001", "@type": RLD + "Network"})),
        ):
            (site / f"{stem}.{ext}").write_text(content, encoding="utf-8")


def start_server(out: Path, *options: str) -> Server:
    log, stderr = out.parent / "access.log", out.parent / "server.stderr"
    command = [*CLI, "serve", "--out", str(out), "--port", "0", "--access-log", str(log), *options]
    with stderr.open("w") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
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
