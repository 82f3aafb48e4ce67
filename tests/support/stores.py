"""Real triple stores for the `publish` tests, each started on a free loopback port in a temporary folder and
stopped afterwards: Oxigraph server (`oxigraph serve`, from the `oxigraph` package we depend on; GSP at /store) and
Virtuoso 7 (Debian's virtuoso-opensource-7-bin, with examples/stores/virtuoso.ini; GSP at /sparql-graph-crud-auth
with digest auth)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from ryoiki_ld.config import ROOT

from .ports import free_port, wait_for

VIRTUOSO_INI = ROOT / "examples" / "stores" / "virtuoso.ini"
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "dba", "dba"  # a fresh database's; the port is on 127.0.0.1 only


@dataclass
class Store:
    name: str
    gsp: str  # the Graph Store Protocol URL
    query: str  # the SPARQL query endpoint
    stop: Callable[[], None]  # stops the server (again: does nothing)
    auth: tuple[str, ...] = ()  # publish's options for its credentials
    env: dict[str, str] | None = None  # and the environment they name
    sql_port: int | None = None  # Virtuoso's SQL port (isql-vt)


@contextmanager
def oxigraph_server(folder: Path) -> Iterator[Store]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    oxigraph = Path(sys.executable).with_name("oxigraph")
    command = [str(oxigraph), "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"]
    # The default graph is the union of the named graphs, as on our own endpoint (the example queries need it).
    command.append("--union-default-graph")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)

    store = Store("oxigraph", f"http://127.0.0.1:{port}/store", f"http://127.0.0.1:{port}/query", stop)
    try:
        wait_for(port, process)
        yield store
    finally:
        store.stop()


@contextmanager
def virtuoso(folder: Path, ini_text: str | None = None) -> Iterator[Store]:
    """A fresh Virtuoso with examples/stores/virtuoso.ini (or `ini_text`, the same with something changed)."""
    if not shutil.which("virtuoso-t"):
        pytest.skip(
            "no virtuoso-t: `apt-get install -y --no-install-recommends virtuoso-opensource-7-bin` (.ci/run does)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        (ini_text or VIRTUOSO_INI.read_text(encoding="utf-8")).format(
            dir=folder, sql_port=sql_port, http_port=http_port
        ),
        encoding="utf-8",
    )
    # +wait: the command returns once the server is online (it runs on in the background, a daemon).
    started = subprocess.run(
        ["virtuoso-t", "-c", str(ini), "+wait"], cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )
    if started.returncode != 0:
        log = folder / "virtuoso.log"
        pytest.fail(f"virtuoso-t: {started.stderr} {log.read_text() if log.exists() else ''}")
    url = f"http://127.0.0.1:{http_port}"

    def stop() -> None:
        subprocess.run(
            ["isql-vt", str(sql_port), VIRTUOSO_USER, VIRTUOSO_PASSWORD, "exec=shutdown;"],
            capture_output=True,
            timeout=120,
            check=False,
        )

    store = Store(
        "virtuoso",
        f"{url}/sparql-graph-crud-auth",
        f"{url}/sparql",
        stop,
        ("--auth", "digest", "--user", VIRTUOSO_USER, "--password-env", "RYOIKI_TEST_VIRTUOSO_PASSWORD"),
        {"RYOIKI_TEST_VIRTUOSO_PASSWORD": VIRTUOSO_PASSWORD},
        sql_port,
    )
    try:
        yield store
    finally:
        stop()
