"""`ryoiki-ld serve`: the listening socket, the supervisor of the worker processes, uvicorn's settings."""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
from typing import Any

from ..config import Output, ServeSettings
from ..errors import RyoikiError
from ..store import read_manifest, read_only
from .app import App
from .log import AccessLog, now
from .workers import Link, Supervisor, WorkerFailed


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise RyoikiError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(2048)
    return sock


def serve(settings: ServeSettings, echo: Any) -> None:
    """Serve until SIGINT or SIGTERM; then every worker finishes its requests in flight and exits."""
    out = Output(settings.out)
    manifest = read_manifest(out)
    read_only(out.store)  # a damaged store is one message here, not a traceback from every worker
    log_fd = sys.stderr.fileno()
    if settings.access_log is not None:
        try:
            log_fd = os.open(settings.access_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            raise RyoikiError(f"--access-log {settings.access_log}: cannot write: {e.strerror or e}") from None
    log = AccessLog(log_fd)
    sock = listening_socket(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host

    def event(record: dict[str, Any]) -> None:
        log.write({"time": now(), **record})
        log.flush()

    def announce(network: str) -> None:
        event({"event": "started", "workers": settings.limits.workers, "worker_network": network})
        wall = "workers have no network" if network == "isolated" else f"WARNING: workers keep the network ({network})"
        echo(f"serving {settings.out} on http://{shown}:{port}/ (SPARQL at /sparql; {wall}); Ctrl+C stops")

    def worker(link: Link, network: str) -> None:
        app = App(settings, manifest, AccessLog(log_fd), link, network)
        gc.freeze()  # what the worker has built so far lives as long as it: no collection need look at it
        link.send({"ready": network})
        if not link.wait_until_needed():
            return
        app.server = uvicorn_server(app, settings)
        # uvicorn re-raises the signal that stopped it once it has shut down; these make that a no-op.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: None)
        app.server.run(sockets=[sock])
        app.log.flush()

    supervisor = Supervisor(settings.limits.workers, settings.limits, worker, event)
    try:
        supervisor.run(announce)
        event({"event": "stopped", "workers_reaped": True})
    except WorkerFailed as e:
        raise RyoikiError(f"the server did not start: {e}") from None
    finally:
        sock.close()
        if log_fd != sys.stderr.fileno():
            os.close(log_fd)
    echo("stopped")


def uvicorn_server(app: App, settings: ServeSettings) -> Any:
    import uvicorn

    config = uvicorn.Config(
        app,
        loop=_available("uvloop", "asyncio"),
        http=_available("httptools", "h11"),
        lifespan="on",
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=int(settings.limits.time_limit_s) + 5,
        limit_concurrency=1024,
        proxy_headers=True,  # X-Forwarded-For/-Proto, trusted from 127.0.0.1 only: a local reverse proxy
    )
    return uvicorn.Server(config)


def _available(module: str, fallback: str) -> str:
    try:
        __import__(module)
    except ImportError:
        return fallback
    return module
