"""Worker processes: each one serves HTTP on the shared listening socket and evaluates queries in threads.

pyoxigraph releases the GIL while it evaluates, so a query can run in a thread while the event loop goes
on serving other requests; but pyoxigraph has no timeout, and a thread cannot be stopped. A process can:

- `Supervisor` (the `serve` process) opens the listening socket and forks `workers` worker processes that
  share it, plus one spare that is started (store open, application built) and waits. It evaluates nothing.
- A worker evaluates queries in a few threads of its own (`Evaluator`), each on a deep stack, on a copy of
  the store in memory by default (`--store-in`). A watch on its
  event loop, every 50 ms, answers a query that has run past the time limit with 503 at once; the worker
  then retires: it tells the supervisor, which puts the spare to work and starts a new spare; it stops
  accepting connections, lets its other requests finish (each bounded by the time limit), and exits, which
  stops the runaway thread.
- Memory: an address-space limit per worker (RLIMIT_AS) is the hard wall, where Oxigraph aborts the whole
  process. The watch keeps queries away from it: when queries have taken half of what the limit leaves above
  the worker's own start, every query it is evaluating is answered 503 and the worker retires in the same
  way. Half, because a growing buffer doubles: one that was below the line cannot jump past the wall.
- Network: before it opens the store, a worker moves into a network namespace of its own (unshare(2)
  CLONE_NEWNET, with CLONE_NEWUSER where the server is not root), where no address but its own loopback
  exists. The listening socket, opened before, keeps accepting; no new connection can be made. The SERVICE
  check in `inspect.check` refuses such queries first; this is the second wall. Where the kernel forbids
  namespaces, the worker says so, and `/health` and the log report it.

The supervisor and its workers talk over a socket pair each, one JSON object per line: a worker says
`{"ready": network}` and `{"retiring": reason}`; the supervisor tells a spare `{"serve": true}`. A worker
that exits closes its end, which is how the supervisor learns of it. Counts for `/health` are kept by the
supervisor in a small shared memory block that every worker reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import mmap
import os
import queue
import resource
import selectors
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..config import Limits
from ..errors import RyoikiError
from ..formats import Format
from ..processes import die_with_parent
from ..rdf import PREFIXES
from ..store import read_only
from .results import QUERY_STACK_BYTES, Answer, evaluate, text_answer

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
QUERY_THREADS = 4  # queries one worker evaluates at once; more wait in its queue
FAST_WAIT_S = 0.002  # how long the event loop waits, blocked, for a quick answer before it goes on
QUEUE_WAIT_S = 10.0  # how long a query may wait for a free thread (at least the time limit)
WATCH_INTERVAL_S = 0.05  # how often a worker checks the time limit and its memory
MIN_QUERY_MEMORY_MB = 256  # what a worker must be able to give its queries, at least
READY_TIMEOUT_S = 60.0
RESPAWN_DELAY_S = 1.0  # after a worker failed to start, before the next attempt


class WorkerFailed(Exception):
    pass


# --- a worker process: isolation and limits -------------------------------------------------------


def isolate_network() -> str:
    """Leave the host's network: 'isolated' when this process now has a network namespace of its own."""
    if not sys.platform.startswith("linux"):
        return "unavailable: not Linux"
    libc = ctypes.CDLL(None, use_errno=True)
    for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return "isolated"
    return f"unavailable: {os.strerror(ctypes.get_errno())}"


def address_space_mb() -> int | None:
    """This process's address space (what RLIMIT_AS limits), or None where /proc does not say."""
    try:
        with open("/proc/self/statm", "rb") as f:
            pages = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * mmap.PAGESIZE >> 20


def enter_worker(memory_mb: int, server_pid: int) -> str:
    """What a worker process does first: die with the server, leave the network, limit its memory."""
    die_with_parent(server_pid)
    network = isolate_network()
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return network


# --- a worker process: evaluating queries in threads ----------------------------------------------


@dataclass(frozen=True)
class Query:
    """A query to evaluate, with the formats negotiated for solutions and for a graph (None: none acceptable),
    the dataset the protocol request names (None: the store's default) and whether the query names its own
    (FROM, FROM NAMED: `union` False)."""

    text: str
    solutions: Format | None
    graph: Format | None
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    union: bool = True
    base_iri: str | None = None  # what relative IRIs in the query resolve against (the endpoint's IRI)


@dataclass(eq=False)
class Job:
    """One query on its way through a thread. The event loop waits for a quick answer on `finished`;
    past that wait (`late`), the thread hands the answer over through `future` instead."""

    query: Query
    future: asyncio.Future
    queued: float
    started: float | None = None  # set by the thread that evaluates it
    answer: Answer | None = None
    late: bool = False
    finished: threading.Lock = field(default_factory=threading.Lock)


def copy_into_memory(disk: ox.Store) -> ox.Store:
    """An in-memory copy of the on-disk store, every graph and quad: the workers only ever read it, and Oxigraph
    evaluates on memory without RocksDB's lookups (measured: the aggregate query of bench_serve 0.27 ms against
    0.89 ms from disk). `extend`, not `bulk_extend`: the bulk loader reserves ~90 MiB more address space while it
    runs, which counts against the worker's memory limit."""
    store = ox.Store()
    store.extend(disk.quads_for_pattern(None, None, None, None))
    return store


@dataclass
class Evaluator:
    """Evaluates queries in threads of this process, each within the time limit; see the module docstring.

    `retire` is called once, with 'time' or 'memory', when the process must stop taking work.
    """

    store_dir: Path
    limits: Limits
    retire: Callable[[str], None]
    in_memory: bool  # query a copy of the store in memory: 1.4-3x faster evaluation, the same answers
    threads: int = QUERY_THREADS
    pending: set[Job] = field(default_factory=set)  # queued or evaluating
    retiring: str | None = None

    def __post_init__(self) -> None:
        disk = read_only(self.store_dir)
        self.jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self.loop: asyncio.AbstractEventLoop | None = None
        old = threading.stack_size(QUERY_STACK_BYTES)  # the parser recurses once per level of the query
        try:
            for i in range(self.threads):
                threading.Thread(target=self._work, name=f"query-{i}", daemon=True).start()
        except RuntimeError:  # no address space left for the thread's stack
            self._refuse_limit("more to start")
        finally:
            threading.stack_size(old)
        memory = self._check_limit("before its first query")
        self.store = disk
        if self.in_memory:  # after the check: a copy that does not fit would abort the process, not say why
            self.store = copy_into_memory(disk)
            memory = self._check_limit("with its copy of the store")
        limit = self.limits.memory_mb
        self.memory_stop_mb = (memory + (limit - memory) // 2) if limit and memory else None

    def _check_limit(self, when: str) -> int | None:
        """This process's address space now, if the memory limit leaves queries enough above it."""
        memory = address_space_mb()
        if self.limits.memory_mb and memory and self.limits.memory_mb - memory < 2 * MIN_QUERY_MEMORY_MB:
            self._refuse_limit(f"{memory} MiB of address space {when}")
        return memory

    def _refuse_limit(self, needs: str) -> None:
        hint = " (or --store-in disk)" if self.in_memory else ""
        raise RyoikiError(
            f"a worker needs {needs}, and twice {MIN_QUERY_MEMORY_MB} MiB more for queries; "
            f"a memory limit of {self.limits.memory_mb} MiB is too low: raise --memory-mb{hint}"
        )

    def start(self) -> None:
        """Begin watching, on the running event loop."""
        self.loop = asyncio.get_running_loop()
        self.loop.call_later(WATCH_INTERVAL_S, self._watch)

    async def run(self, query: Query) -> Answer:
        """The complete answer to one query, or an error that says which limit refused it."""
        assert self.loop is not None, "start() first"
        job = Job(query, self.loop.create_future(), time.monotonic())
        job.finished.acquire()
        self.jobs.put(job)
        if job.finished.acquire(timeout=FAST_WAIT_S):
            return job.answer  # type: ignore[return-value]
        job.late = True
        if job.answer is not None:  # finished between the wait and `late`: the thread may not have seen it
            return job.answer
        self.pending.add(job)
        try:
            return await job.future
        finally:
            self.pending.discard(job)

    def counts(self) -> dict[str, int]:
        evaluating = sum(1 for job in self.pending if job.started is not None)
        return {"pid": os.getpid(), "evaluating": evaluating, "queued": len(self.pending) - evaluating}

    def _work(self) -> None:
        """One query thread: evaluate and serialise, whole; hand the answer to the event loop."""
        while True:
            job = self.jobs.get()
            if job.future.done():  # answered while it waited (busy, memory) or its request was cancelled
                continue
            job.started = time.monotonic()
            answer = self._evaluate(job.query)
            job.answer = answer
            if job.late:
                assert self.loop is not None
                self.loop.call_soon_threadsafe(_answer, job.future, answer)
            job.finished.release()

    def _evaluate(self, query: Query) -> Answer:
        """Evaluate and serialise one query on the calling thread, whole."""
        try:
            return evaluate(
                self.store,
                query.text,
                query.solutions,
                query.graph,
                self.limits.max_rows,
                PREFIXES,
                query.default_graph,
                query.named_graphs,
                query.union,
                query.base_iri,
            )
        except Exception as e:  # a bug of ours: answer it, keep serving
            traceback.print_exc()
            return text_answer(500, f"internal error while evaluating the query: {type(e).__name__}")

    def _watch(self) -> None:
        """Every WATCH_INTERVAL_S: the time limit, the queue wait, and the memory of this process."""
        now = time.monotonic()
        memory = address_space_mb()
        if memory is not None and self.memory_stop_mb is not None and memory > self.memory_stop_mb:
            self._retire("memory")
        for job in list(self.pending):
            if job.future.done():
                continue
            if job.started is None:
                if self.retiring or now - job.queued > max(self.limits.time_limit_s, QUEUE_WAIT_S):
                    _answer(job.future, busy())
            elif self.retiring == "memory":
                _answer(job.future, memory_exceeded(self.limits.memory_mb, now - job.started))
            elif now - job.started > self.limits.time_limit_s:
                _answer(job.future, time_exceeded(self.limits.time_limit_s))
                self._retire("time")
        assert self.loop is not None
        self.loop.call_later(WATCH_INTERVAL_S, self._watch)

    def _retire(self, reason: str) -> None:
        if self.retiring is None:
            self.retiring = reason
            self.retire(reason)


def _answer(future: asyncio.Future, answer: Answer) -> None:
    if not future.done():
        future.set_result(answer)


def busy() -> Answer:
    return text_answer(503, "every query thread is busy; try again shortly", limit="busy")


def time_exceeded(time_limit_s: float) -> Answer:
    return text_answer(
        503,
        f"the query ran for {time_limit_s:g} s, this endpoint's time limit, and was stopped; nothing was sent. "
        "Make it more selective, or add LIMIT.",
        limit="time",
    )


def memory_exceeded(memory_mb: int, seconds: float) -> Answer:
    return text_answer(
        503,
        f"the queries evaluating in this server process together took half of the memory its {memory_mb} MiB "
        f"limit leaves them, so they were stopped (this one after {seconds:.1f} s); nothing was sent. A query "
        "that needs that much memory is too costly for this endpoint; any other may be tried again.",
        limit="memory",
    )


# --- the supervisor ---------------------------------------------------------------------------------

STATUS_FIELDS = ("serving", "spare", "started", "retired_at_time_limit", "retired_at_memory_limit", "died")
_STATUS = struct.Struct(f"{len(STATUS_FIELDS)}q")


class Link:
    """A worker's end of its socket pair to the supervisor, and its view of the shared counts."""

    def __init__(self, sock: socket.socket, status: mmap.mmap, spare: bool) -> None:
        self.sock = sock
        self.status_block = status
        self.spare = spare

    def send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def wait_until_needed(self) -> bool:
        """A spare waits here until the supervisor puts it to work (True) or goes away (False)."""
        if not self.spare:
            return True
        return self.sock.recv(64).startswith(b'{"serve"')

    def status(self) -> dict[str, int]:
        return dict(zip(STATUS_FIELDS, _STATUS.unpack_from(self.status_block), strict=True))


@dataclass(eq=False)
class Child:
    pid: int
    control: socket.socket  # the supervisor's end; EOF when the worker has exited
    spare: bool  # started to wait until it is needed
    state: str = "starting"  # starting, spare, serving, retiring
    network: str = ""
    buffer: bytes = b""


class Supervisor:
    """Keeps `size` workers serving and one spare ready; see the module docstring.

    `worker_main(link, network)` runs in each forked worker after `enter_worker`; it builds the application,
    says `link.send({"ready": network})`, waits with `link.wait_until_needed()` and serves until it retires
    or is stopped. Events (a worker retired, died, failed to start) go to `log`.
    """

    def __init__(
        self, size: int, limits: Limits, worker_main: Callable[[Link, str], None], log: Callable[[dict], None]
    ) -> None:
        self.size = size
        self.limits = limits
        self.worker_main = worker_main
        self.log = log
        self.children: dict[socket.socket, Child] = {}
        self.counts = dict.fromkeys(STATUS_FIELDS, 0)
        self.status_block = mmap.mmap(-1, _STATUS.size)
        self.selector = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe()  # signals wake the selector through this pipe
        self.stopping = False
        self.respawn_at = 0.0

    def run(self, announce: Callable[[str], None]) -> None:
        """Start the workers, call `announce(network)`, supervise until SIGINT or SIGTERM, stop them all."""
        for fd in (self.wake_r, self.wake_w):
            os.set_blocking(fd, False)
        self.selector.register(self.wake_r, selectors.EVENT_READ)
        signal.set_wakeup_fd(self.wake_w)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        try:
            self._start()
            if self.stopping:
                return
            announce(self.network)
            while not self.stopping:
                self._wait(max(0.0, self.respawn_at - time.monotonic()) if self.respawn_at else None)
                self._balance()
        finally:
            self._stop_all()
            signal.set_wakeup_fd(-1)
            self.selector.close()
            os.close(self.wake_r)
            os.close(self.wake_w)

    def _stop(self, *_: object) -> None:
        self.stopping = True

    @property
    def network(self) -> str:
        """'isolated' when every worker runs without network; otherwise why not."""
        states = {c.network for c in self.children.values() if c.network}
        return states.pop() if len(states) == 1 else ", ".join(sorted(states))

    def _spawn(self, spare: bool) -> None:
        ours, theirs = socket.socketpair()
        server_pid = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the supervisor's code
            code = 0
            try:
                ours.close()
                self._in_worker(theirs, spare, server_pid)
            except RyoikiError as e:
                print(f"error: {e}", file=sys.stderr)
                code = 1
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        self.children[ours] = Child(pid, ours, spare)
        self.selector.register(ours, selectors.EVENT_READ)
        self.counts["started"] += 1

    def _in_worker(self, control: socket.socket, spare: bool, server_pid: int) -> None:
        """In the forked worker: drop what belongs to the supervisor, then become a worker."""
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        self.selector.close()
        for child in self.children.values():
            child.control.close()
        os.close(self.wake_r)
        os.close(self.wake_w)
        network = enter_worker(self.limits.memory_mb, server_pid)
        self.worker_main(Link(control, self.status_block, spare), network)

    def _start(self) -> None:
        for i in range(self.size + 1):
            self._spawn(spare=i == self.size)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.stopping:
            # Count first: workers that all failed in one wait leave no child "starting" behind.
            if len(self.children) < self.size + 1:
                raise WorkerFailed("a worker did not start (see the messages above)")
            if not any(c.state == "starting" for c in self.children.values()):
                return
            if time.monotonic() > deadline:
                raise WorkerFailed(f"the workers did not start within {READY_TIMEOUT_S:g} s")
            self._wait(1.0)

    def _wait(self, timeout: float | None) -> None:
        """Wait for a signal or for what workers say, and take it in."""
        for key, _ in self.selector.select(timeout):
            if key.fileobj == self.wake_r:
                with contextlib.suppress(BlockingIOError):
                    os.read(self.wake_r, 512)
            else:
                self._receive(self.children[key.fileobj])  # type: ignore[index]
        self._publish()

    def _receive(self, child: Child) -> None:
        """Read what a worker said; when it has exited, reap it."""
        try:
            data = child.control.recv(4096)
        except ConnectionError:
            data = b""
        if not data:
            self._reap(child)
            return
        child.buffer += data
        while b"\n" in child.buffer:
            line, child.buffer = child.buffer.split(b"\n", 1)
            message = json.loads(line)
            if "ready" in message:
                child.network = message["ready"]
                child.state = "spare" if child.spare else "serving"
            elif "retiring" in message:
                child.state = "retiring"
                reason = message["retiring"]
                self.counts["retired_at_time_limit" if reason == "time" else "retired_at_memory_limit"] += 1
                self.log({"event": "worker_retired", "reason": reason, "pid": child.pid})

    def _reap(self, child: Child) -> None:
        self.selector.unregister(child.control)
        child.control.close()
        del self.children[child.control]
        _, status = os.waitpid(child.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if self.stopping or child.state == "retiring":
            return
        if child.state == "starting":
            self.log({"event": "worker_failed", "pid": child.pid, "exit": code})
            self.respawn_at = time.monotonic() + RESPAWN_DELAY_S
        else:
            self.counts["died"] += 1
            why = {-signal.SIGABRT: "aborted: out of memory", -signal.SIGSEGV: "stack overflow"}.get(code, "")
            self.log({"event": "worker_died", "pid": child.pid, "exit": code, "why": why})

    def _balance(self) -> None:
        """Put ready spares to work until `size` serve; start workers until one more is ready or starting."""
        if self.stopping:
            return
        children = list(self.children.values())
        serving = sum(c.state == "serving" for c in children)
        for child in children:
            if serving < self.size and child.state == "spare":
                try:
                    child.control.sendall(b'{"serve": true}\n')
                except OSError:  # it has just exited: its end of file comes next
                    continue
                child.state = "serving"
                serving += 1
        if time.monotonic() < self.respawn_at:
            return
        self.respawn_at = 0.0
        waiting = sum(c.state in ("spare", "starting") for c in children)
        for _ in range(self.size - serving + 1 - waiting):
            self._spawn(spare=True)
        self._publish()

    def _publish(self) -> None:
        states = [c.state for c in self.children.values()]
        self.counts["serving"] = states.count("serving")
        self.counts["spare"] = states.count("spare")
        _STATUS.pack_into(self.status_block, 0, *(self.counts[f] for f in STATUS_FIELDS))

    def _stop_all(self) -> None:
        """SIGTERM every worker (each finishes its requests in flight), wait, then SIGKILL what is left."""
        self.stopping = True
        for child in self.children.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.limits.time_limit_s + 10
        while self.children and time.monotonic() < deadline:
            self._wait(0.1)
        for child in list(self.children.values()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)
            self._reap(child)
