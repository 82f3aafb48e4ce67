"""Queries are evaluated in worker processes, because only a process can be stopped in the middle of work.

pyoxigraph has no query timeout, and a query that runs in the server's own process could be stopped only
by stopping the server. Each worker is a separate Python process with the store open read-only; the
server sends it one query at a time over a socket pair and waits at most the time limit. When the limit
runs out, or the worker dies (a query can overflow the engine's stack or exhaust its memory limit), the
worker is killed and reaped, a spare that is already running takes its place, and a new spare starts.

A worker also cuts itself off the network before it opens the store: it moves into a network namespace
of its own (unshare(2) CLONE_NEWNET, with CLONE_NEWUSER where the server is not root), where no address
but its own loopback exists. The SERVICE check in `sparql.check` refuses such queries first; this is
the second wall, which holds even if that check is ever wrong. Where the kernel forbids namespaces the
worker says so, and `/health` and the log report it.

Frames on the socket: 4-byte big-endian length + JSON for requests; for answers, two lengths (header,
body), a JSON header and the body bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .store import Answer, text_answer

_REQUEST = struct.Struct("!I")
_ANSWER = struct.Struct("!II")
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
PR_SET_PDEATHSIG = 1
READY_TIMEOUT_S = 60.0
QUEUE_WAIT_S = 10.0  # how long a query may wait for a free worker (at least the time limit)


# --- inside a worker process ----------------------------------------------------------------------


def isolate_network() -> str:
    """Leave the host's network: 'isolated' when this process now has a network namespace of its own."""
    if not sys.platform.startswith("linux"):
        return "unavailable: not Linux"
    libc = ctypes.CDLL(None, use_errno=True)
    for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return "isolated"
    return f"unavailable: {os.strerror(ctypes.get_errno())}"


def _die_with_parent() -> None:
    """If the server is killed outright, its workers go too (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _send_answer(sock: socket.socket, header: dict, body: bytes = b"") -> None:
    head = json.dumps(header).encode("utf-8")
    sock.sendall(_ANSWER.pack(len(head), len(body)) + head + body)


def worker_main(store_dir: str, max_rows: int, memory_mb: int) -> None:
    """Serve queries from the socket on standard input until the server closes it."""
    import pyoxigraph as ox

    from .mapping import PREFIXES
    from .sparql import GRAPH_FORMATS, SOLUTION_FORMATS
    from .store import evaluate, text_answer, with_deep_stack

    _die_with_parent()
    network = isolate_network()
    _limit_memory(memory_mb)
    sock = socket.socket(fileno=0)
    formats = {f.ext: f for f in (*SOLUTION_FORMATS, *GRAPH_FORMATS)}

    def serve() -> None:
        store = ox.Store.read_only(store_dir)
        _send_answer(sock, {"ready": True, "network": network, "pid": os.getpid()})
        while True:
            size = _recv_exactly(sock, _REQUEST.size)
            if size is None:
                return
            payload = _recv_exactly(sock, _REQUEST.unpack(size)[0])
            if payload is None:
                return
            request = json.loads(payload)
            try:
                answer = evaluate(
                    store,
                    request["query"],
                    formats.get(request.get("solutions") or ""),
                    formats.get(request.get("graph") or ""),
                    max_rows,
                    PREFIXES,
                    request.get("default_graph"),
                    request.get("named_graphs"),
                )
            except Exception as e:  # a bug of ours: answer it, keep serving
                traceback.print_exc()
                answer = text_answer(500, f"internal error while evaluating the query: {type(e).__name__}")
            header = {"status": answer.status, "type": answer.content_type, "rows": answer.rows, "limit": answer.limit}
            _send_answer(sock, header, answer.body)

    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the server went away: so do we
        with_deep_stack(serve)


# --- in the server --------------------------------------------------------------------------------


class WorkerFailed(Exception):
    pass


@dataclass(eq=False)
class Worker:
    process: subprocess.Popen
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    network: str = ""

    async def read_answer(self) -> tuple[dict, bytes]:
        lengths = await self.reader.readexactly(_ANSWER.size)
        head_size, body_size = _ANSWER.unpack(lengths)
        header = json.loads(await self.reader.readexactly(head_size))
        body = await self.reader.readexactly(body_size) if body_size else b""
        return header, body

    async def ask(self, request: dict) -> Answer:
        payload = json.dumps(request).encode("utf-8")
        self.writer.write(_REQUEST.pack(len(payload)) + payload)
        header, body = await self.read_answer()
        return Answer(header["status"], header["type"], body, header.get("rows", 0), header.get("limit"))

    def kill(self) -> None:
        self.writer.close()
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()


@dataclass
class PoolStats:
    started: int = 0
    killed_for_time: int = 0
    died: int = 0
    busy: int = 0


@dataclass
class WorkerPool:
    """`size` workers that evaluate, and one spare that is started and waiting to replace a killed one."""

    store_dir: Path
    size: int
    time_limit_s: float
    max_rows: int
    memory_mb: int
    log: Callable[[dict], None] | None = None  # for events: a worker killed at the time limit, died, failed
    stats: PoolStats = field(default_factory=PoolStats)

    def __post_init__(self) -> None:
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        self._spare: Worker | None = None
        self._spawning: asyncio.Task | None = None
        self._reaping: set[asyncio.Task] = set()
        self._all: set[Worker] = set()
        self._missing = 0  # workers lost while no spare was ready; the next started ones go to work
        self._closed = False

    async def _spawn(self) -> Worker:
        parent, child = socket.socketpair()
        command = [
            sys.executable,
            "-m",
            "ryoiki_ld.workers",
            str(self.store_dir),
            str(self.max_rows),
            str(self.memory_mb),
        ]
        try:
            process = subprocess.Popen(command, stdin=child.fileno(), stdout=subprocess.DEVNULL, close_fds=True)
        finally:
            child.close()
        reader, writer = await asyncio.open_unix_connection(sock=parent)
        worker = Worker(process, reader, writer)
        self._all.add(worker)
        try:
            header, _ = await asyncio.wait_for(worker.read_answer(), READY_TIMEOUT_S)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as e:
            self._retire(worker)
            raise WorkerFailed(f"a query worker did not start (exit code {process.poll()}): {e!r}") from None
        worker.network = header.get("network", "")
        self.stats.started += 1
        return worker

    async def start(self) -> None:
        try:
            workers = await asyncio.gather(*(self._spawn() for _ in range(self.size + 1)))
        except WorkerFailed:
            await self.close()
            raise
        self._spare = workers.pop()
        for worker in workers:
            self._idle.put_nowait(worker)

    @property
    def network(self) -> str:
        """'isolated' when every worker runs without network; otherwise why not."""
        states = {w.network for w in self._all if w.network}
        return states.pop() if len(states) == 1 else ", ".join(sorted(states))

    def counts(self) -> dict[str, int]:
        return {
            "evaluating": self.size,
            "idle": self._idle.qsize(),
            "busy": self.stats.busy,
            "spare": int(self._spare is not None),
            "started": self.stats.started,
            "killed_at_time_limit": self.stats.killed_for_time,
            "died": self.stats.died,
        }

    def _retire(self, worker: Worker) -> None:
        """Kill and reap a worker that may be in any state; never give it another query."""
        self._all.discard(worker)
        worker.kill()
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(worker.process.wait))
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)

    def _replace(self) -> None:
        """Put the spare to work at once and start a new spare in the background."""
        if self._closed:
            return
        spare, self._spare = self._spare, None
        if spare is not None and spare.process.poll() is None:
            self._idle.put_nowait(spare)
        else:
            if spare is not None:
                self._retire(spare)
            self._missing += 1
        if self._spawning is None or self._spawning.done():
            self._spawning = asyncio.get_running_loop().create_task(self._refill())

    async def _refill(self) -> None:
        while not self._closed and (self._spare is None or self._missing):
            try:
                worker = await self._spawn()
            except WorkerFailed as e:
                self._event({"event": "worker_failed", "error": str(e)})
                await asyncio.sleep(1.0)
                continue
            if self._closed:
                self._retire(worker)
            elif self._missing:
                self._missing -= 1
                self._idle.put_nowait(worker)
            else:
                self._spare = worker

    def _event(self, record: dict) -> None:
        if self.log is not None:
            self.log(record)

    async def _idle_worker(self) -> Worker:
        """The next idle worker that is still alive (one may have been killed from outside)."""
        while True:
            worker = await self._idle.get()
            if worker.process.poll() is None:
                return worker
            self.stats.died += 1
            self._event({"event": "worker_died", "exit": worker.process.returncode, "pid": worker.process.pid})
            self._retire(worker)
            self._replace()

    async def run(self, request: dict) -> Answer:
        """Evaluate one query within the time limit; the answer is complete, or an error that says why."""
        try:
            worker = await asyncio.wait_for(self._idle_worker(), max(self.time_limit_s, QUEUE_WAIT_S))
        except TimeoutError:
            return text_answer(503, "every query worker is busy; try again shortly", limit="busy")
        self.stats.busy += 1
        started = time.monotonic()
        healthy = False
        try:
            answer = await asyncio.wait_for(worker.ask(request), self.time_limit_s)
            healthy = True
            return answer
        except TimeoutError:
            self.stats.killed_for_time += 1
            self._event({"event": "worker_killed", "reason": "time limit", "pid": worker.process.pid})
            return text_answer(
                503,
                f"the query ran for {self.time_limit_s:g} s, this endpoint's time limit, and was stopped; "
                "nothing was sent. Make it more selective, or add LIMIT.",
                limit="time",
            )
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self.stats.died += 1
            code = await _exit_status(worker.process)
            self._event({"event": "worker_died", "exit": code, "pid": worker.process.pid})
            why = {
                -signal.SIGABRT: f"it needed more than the {self.memory_mb} MiB of memory a query may use",
                -signal.SIGSEGV: "it nested deeper than the engine's stack allows",
            }.get(code, f"exit status {code}")
            return text_answer(
                422,
                f"the query engine stopped while evaluating this query after {time.monotonic() - started:.1f} s: "
                f"{why}. Nothing was sent; the query is too costly for this endpoint.",
            )
        finally:
            self.stats.busy -= 1
            if healthy:
                self._idle.put_nowait(worker)
            else:  # timed out, died, or the request was cancelled mid-answer
                self._retire(worker)
                self._replace()

    async def close(self) -> None:
        """Kill every worker and wait until each is reaped."""
        self._closed = True
        if self._spawning is not None:
            self._spawning.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._spawning
        for worker in list(self._all):
            self._retire(worker)
        if self._reaping:
            await asyncio.gather(*self._reaping, return_exceptions=True)


async def _exit_status(process: subprocess.Popen, timeout_s: float = 1.0) -> int | None:
    """The exit status of a worker whose socket closed (it is exiting), without blocking the event loop."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(process.wait), timeout_s)
    except TimeoutError:
        return None


if __name__ == "__main__":
    worker_main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
