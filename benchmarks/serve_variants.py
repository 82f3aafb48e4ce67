"""`ryoiki-ld serve` with another HTTP server or another way of evaluating, for `bench_serve.py --stacks`.

The experiments of issue 17 (6), kept out of the package: this launcher replaces two parts of the server in
its own process before running the ordinary command line (the workers are forked from it), so the variants
are measured with every other protection of the real server (supervisor, spare, limits, refusals, log).

    python benchmarks/serve_variants.py STACK serve --out DIR ...

STACK is `uvicorn` (the server as it is) or `granian` (granian's ASGI worker, Rust: hyper and tokio, on the
shared listening socket: needs `pip install granian`), optionally `-rust` (granian's own task implementation
instead of asyncio's) and `+inline` (each query evaluated on the event loop's thread; a watchdog thread ends
the worker when a query runs past the time limit or the memory line; the supervisor counts it retired and
the spare takes over). What `+inline` gives up, measured or tested by hand: the client of a runaway query gets
no HTTP answer (the connection closes: curl says "Empty reply from server"), nor do the other requests that
worker had in flight (a retiring worker no longer finishes them); a query that takes long delays every other
request of its worker; evaluation runs on the main thread's 8 MiB stack, not 256 MiB.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ryoiki_ld import cli
from ryoiki_ld.config import ServeSettings
from ryoiki_ld.serve import app as app_module
from ryoiki_ld.serve import server as server_module
from ryoiki_ld.serve.results import Answer
from ryoiki_ld.serve.workers import WATCH_INTERVAL_S, Evaluator, Query, address_space_mb


class GranianServer:
    """What server.py needs of a uvicorn.Server (`run(sockets=…)`, `should_exit`, `servers[…].close()`), run by
    granian's ASGIWorker on the listening socket the supervisor opened and every worker shares."""

    def __init__(self, app: Any, settings: ServeSettings, tasks: str) -> None:
        self.app = app
        self.settings = settings
        self.tasks = tasks
        self.should_exit = False
        self.signal: Any = None
        self.servers = [self]  # App.retire closes each: here, stop accepting and finish what is in flight

    def close(self) -> None:
        if self.signal is not None:
            self.signal.set()

    def run(self, sockets: list[socket.socket]) -> None:
        import uvloop
        from granian._futures import _future_watcher_wrapper, _new_cbscheduler
        from granian._granian import ASGIWorker, SocketHolder, WorkerSignal
        from granian.asgi import LifespanProtocol
        from granian.asgi import _callback_wrapper as asgi_callback
        from granian.http import HTTP1Settings

        loop = uvloop.new_event_loop()
        asyncio.set_event_loop(loop)
        self.signal = WorkerSignal()
        lifespan = LifespanProtocol(self.app)
        loop.run_until_complete(lifespan.startup())
        done = loop.create_future()
        self.signal.add_cb(lambda: loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None)))
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.close)
        # uvicorn's settings, as granian names them: HTTP/1.1, 5 s to read a request's head (keep-alive
        # included), 1,024 requests in flight; X-Forwarded-* are not read (uvicorn trusts them from 127.0.0.1).
        worker = ASGIWorker(
            1,
            (None, SocketHolder(sockets[0].fileno(), False, 2048)),
            None,  # no IPC: the supervisor is ours, not granian's
            1,  # Rust runtime threads
            512,  # Rust blocking threads
            1,  # Python blocking threads
            30,  # their idle timeout (s)
            1024,  # backpressure: requests in flight
            "1",
            HTTP1Settings(header_read_timeout=5000, keep_alive=True),
            None,
            False,  # websockets
            None,  # static files
            *(False, None, None, None, "tls1.3", None, [], False),  # no TLS
            (None, None),  # no metrics
        )
        callback = _future_watcher_wrapper(asgi_callback(self.app, {}, lifespan.state, None))
        scheduler = _new_cbscheduler(loop, callback, impl_asyncio=self.tasks != "rust")
        worker.serve_mtr(scheduler, loop, self.signal)
        loop.run_until_complete(done)
        loop.run_until_complete(lifespan.shutdown())


class InlineEvaluator(Evaluator):
    """Evaluates on the calling thread (the event loop's); a watchdog thread ends the process at a limit."""

    def __post_init__(self) -> None:
        self.threads = 0
        self.current: float | None = None
        super().__post_init__()

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        threading.Thread(target=self._watchdog, name="watchdog", daemon=True).start()

    def _watchdog(self) -> None:
        while True:
            time.sleep(WATCH_INTERVAL_S)
            started = self.current
            memory = address_space_mb()
            reason = None
            if memory is not None and self.memory_stop_mb is not None and memory > self.memory_stop_mb:
                reason = "memory"
            elif started is not None and time.monotonic() - started > self.limits.time_limit_s:
                reason = "time"
            if reason:
                self.retiring = reason
                self.retire(reason)  # the supervisor counts it retired, puts the spare to work
                os._exit(0)  # the loop's thread is the one evaluating: nothing else can stop it

    async def run(self, query: Query) -> Answer:
        self.current = time.monotonic()
        try:
            return self._evaluate(query)
        finally:
            self.current = None


def main() -> None:
    stack = sys.argv.pop(1)
    http, _, inline = stack.partition("+")
    http, _, tasks = http.partition("-")
    if http == "granian":
        server_module.uvicorn_server = lambda app, settings: GranianServer(app, settings, tasks)
    elif http != "uvicorn":
        raise SystemExit(f"unknown HTTP server {http!r}: uvicorn or granian")
    if inline:
        app_module.Evaluator = InlineEvaluator  # type: ignore[misc]
    cli.main()


if __name__ == "__main__":
    main()
