"""serve.workers: worker processes without network, stopped at the time and memory limits, retiring after
their requests in flight, replaced when they die; and the store copied into memory answering as on disk.

One server for the module (time limit 1 s, row limit 2,000); the tests that stop or starve workers on purpose
start their own.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import rdflib
import rdflib.compare

from ryoiki_ld.config import Settings
from ryoiki_ld.site.pages import read_examples

from .support.cli import CLI
from .support.listener import Listener
from .support.report import BASE
from .support.server import (
    COUNT_NETWORKS,
    LIMITS,
    TIME_LIMIT_S,
    Reply,
    Server,
    fetch,
    get_query,
    serving,
    start_server,
    stop,
    worker_pids,
)

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 36k³ rows, counted


@pytest.fixture(scope="module")
def server(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(built, tmp_path_factory.mktemp("serve") / "build", *LIMITS) as running:
        yield running


# --- no network -----------------------------------------------------------------------------------


def test_workers_have_no_network_of_their_own(server):
    """The second wall, on the running server: every worker is in another network namespace than the server."""
    health = json.loads(fetch(server, "GET", "/health").body)
    if health["worker_network"] != "isolated":
        pytest.skip(f"network namespaces are not available here: {health['worker_network']}")
    own = os.readlink(f"/proc/{server.process.pid}/ns/net")
    workers = worker_pids(server.process.pid)
    assert workers and all(os.readlink(f"/proc/{pid}/ns/net") != own for pid in workers)


WALLED = textwrap.dedent(
    """
    import os, socket, sys
    import pyoxigraph as ox
    from ryoiki_ld.serve.workers import enter_worker
    listening = socket.create_server(("127.0.0.1", 0))
    print(listening.getsockname()[1], flush=True)
    print(enter_worker(0, os.getppid()), flush=True)
    conn, _ = listening.accept()
    conn.sendall(b"accepted after the wall")
    conn.close()
    try:
        list(ox.Store().query("SELECT * WHERE { SERVICE <" + sys.argv[1] + "> { ?s ?p ?o } }"))
        print("evaluated")
    except Exception as e:
        print("failed:", e)
    """
)


def test_a_worker_accepts_on_its_socket_but_cannot_connect_anywhere():
    """What a worker does first (`enter_worker`), in a process of its own: the socket it listened on before
    keeps accepting; a SERVICE call that got past the check could reach nothing."""
    listener = Listener()
    process = subprocess.Popen(
        [sys.executable, "-c", WALLED, listener.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        port = int(process.stdout.readline())
        network = process.stdout.readline().strip()
        if network != "isolated":
            pytest.skip(f"network namespaces are not available here: {network}")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            assert conn.recv(100) == b"accepted after the wall"
        outcome = process.stdout.readline()
    finally:
        process.kill()
        process.wait()
        connections = listener.close()
    assert connections == 0
    assert outcome.startswith("failed:") and "unreachable" in outcome.lower(), outcome


# --- the time and memory limits -------------------------------------------------------------------


def test_a_runaway_query_is_stopped_at_the_time_limit_and_the_next_is_answered_at_once(server):
    before = wait_for_full_pool(server)["workers"]["retired_at_time_limit"]
    started = time.monotonic()
    reply = get_query(server, RUNAWAY)
    elapsed = time.monotonic() - started
    assert reply.status == 503, reply.text
    assert reply.header("Query-Limit-Exceeded") == f"time; limit={TIME_LIMIT_S:g}s"
    assert "time limit" in reply.text and "stopped" in reply.text
    assert TIME_LIMIT_S <= elapsed < TIME_LIMIT_S + 2
    started = time.monotonic()
    reply = get_query(server, COUNT_NETWORKS + "\n# not in the cache", "text/csv")
    assert reply.status == 200 and reply.text.splitlines() == ["networks", "218"]
    assert time.monotonic() - started < 0.5  # the other worker and the spare answer: no wait for a new one
    # two runaways at once, in one worker or in both; each is stopped, and the server goes on answering
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda i: get_query(server, RUNAWAY + f" # {i}"), range(2)))
    assert [r.status for r in replies] == [503, 503]
    reply = get_query(server, COUNT_NETWORKS + "\n# after two runaways", "text/csv")
    assert reply.status == 200 and reply.text.splitlines() == ["networks", "218"]
    health = wait_for_full_pool(server)
    assert health["workers"]["retired_at_time_limit"] >= before + 2
    # the retired workers are gone: their runaway threads stopped with them
    assert len(worker_pids(server.process.pid)) == 3


def wait_for_full_pool(server: Server, serving: int = 2) -> dict:
    """Health once every worker serves and a spare is ready, and no other process is left (retired workers
    take up to the time limit to finish, new ones a moment to start)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        health = json.loads(fetch(server, "GET", "/health").body)
        workers = health["workers"]
        if (workers["serving"], workers["spare"], len(worker_pids(server.process.pid))) == (serving, 1, serving + 1):
            return health
        time.sleep(0.1)
    raise AssertionError(f"the workers did not recover: {health}")


def test_a_retiring_worker_finishes_the_requests_it_has(built, tmp_path):
    """One worker serves (the spare waits), so both requests go to it: a POST whose body is still coming
    when a runaway query retires the worker is answered in full, then the spare answers the next query."""
    out = tmp_path / "build"
    shutil.copytree(built, out, ignore=shutil.ignore_patterns("site"))
    running = start_server(out, "--workers", "1", "--time-limit", "1")
    try:
        body = COUNT_NETWORKS.encode()
        slow = socket.create_connection((running.host, running.port), timeout=30)
        slow.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n"
            b"Content-Type: application/sparql-query\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        slow.sendall(body[:10])
        time.sleep(0.2)
        assert get_query(running, RUNAWAY).status == 503  # the worker retires
        time.sleep(0.5)
        slow.sendall(body[10:])
        answer = b""
        while not answer.endswith(b"218\r\n"):
            chunk = slow.recv(4096)
            assert chunk, answer
            answer += chunk
        slow.close()
        assert answer.startswith(b"HTTP/1.1 200 ") and b"connection: close" in answer.lower()
        reply = get_query(running, COUNT_NETWORKS + " # the spare took over", "text/csv")
        assert reply.status == 200 and reply.text.splitlines() == ["networks", "218"]
        health = wait_for_full_pool(running, serving=1)
        assert health["workers"]["retired_at_time_limit"] == 1 and health["workers"]["died"] == 0
    finally:
        assert stop(running) == 0


def test_queries_that_take_too_much_memory_are_stopped_and_the_worker_replaced(built, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(built, out, ignore=shutil.ignore_patterns("site"))
    running = start_server(out, "--memory-mb", "3072")
    try:
        started = time.monotonic()
        reply = get_query(running, "SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f LIMIT 1")
        assert reply.status == 503, reply.text
        assert reply.header("Query-Limit-Exceeded") == "memory; limit=3072MiB"
        assert reply.header("Retry-After") == "1" and "MiB limit" in reply.text
        assert time.monotonic() - started < 10  # long before the time limit
        reply = get_query(running, COUNT_NETWORKS + " # after the memory", "text/csv")
        assert reply.status == 200 and reply.text.splitlines() == ["networks", "218"]
        health = wait_for_full_pool(running)
        assert health["workers"]["retired_at_memory_limit"] == 1 and health["workers"]["died"] == 0
    finally:
        assert stop(running) == 0


def test_too_little_memory_for_a_worker_is_an_error(built):
    result = subprocess.run(
        [*CLI, "serve", "--out", str(built), "--port", "0", "--memory-mb", "1024"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "raise --memory-mb" in result.stderr and "Traceback" not in result.stderr


# --- failures -------------------------------------------------------------------------------------


ALL_FAIL_AT_ONCE = textwrap.dedent(
    """
    import sys, time
    from ryoiki_ld.config import Limits
    from ryoiki_ld.errors import RyoikiError
    from ryoiki_ld.serve.workers import Supervisor, WorkerFailed

    def fail(link, network):
        raise RyoikiError("this worker cannot start")

    class AllAtOnce(Supervisor):
        def _wait(self, timeout):
            time.sleep(1.0)  # by now every worker has failed: the selector reports them all in one batch
            super()._wait(timeout)

    try:
        AllAtOnce(2, Limits(memory_mb=0), fail, print).run(print)
    except WorkerFailed as e:
        sys.exit(f"stopped: {e}")
    sys.exit("started without a worker")
    """
)


def test_workers_that_all_fail_at_once_stop_the_start():
    result = subprocess.run([sys.executable, "-c", ALL_FAIL_AT_ONCE], capture_output=True, text=True, timeout=60)
    assert result.stderr.count("this worker cannot start") == 3
    assert result.stderr.endswith("stopped: a worker did not start (see the messages above)\n"), result.stderr


def test_workers_killed_from_outside_are_replaced(built, tmp_path):
    """A worker killed mid-query (here all of them) takes its connections with it: the client sees the
    connection close with no answer, never a 200 with a cut body; new workers take over."""
    out = tmp_path / "build"
    shutil.copytree(built, out, ignore=shutil.ignore_patterns("site"))
    running = start_server(out, "--time-limit", "5")
    try:
        before = worker_pids(running.process.pid)
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(get_query, running, RUNAWAY)
            time.sleep(0.5)
            for pid in before:
                os.kill(pid, signal.SIGKILL)
            with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
                in_flight.result()
        reply = get_query(running, COUNT_NETWORKS + "\n# after the kill", "text/csv")
        assert reply.status == 200 and reply.text.splitlines() == ["networks", "218"]
        health = wait_for_full_pool(running)
        assert health["workers"]["died"] == 3
        assert not before & worker_pids(running.process.pid)
        died = [json.loads(line) for line in running.log.read_text().splitlines() if "worker_died" in line]
        assert sorted(r["pid"] for r in died) == sorted(before)
    finally:
        assert stop(running) == 0


# --- the store in memory --------------------------------------------------------------------------


def canonical(reply: Reply) -> object:
    """An answer with its order and blank node labels left out: the two kinds of store may differ in those."""
    if reply.header("Content-Type").startswith("application/sparql-results+json"):
        results = json.loads(reply.body)
        if "boolean" in results:
            return results["boolean"]
        return sorted(json.dumps(row, sort_keys=True) for row in results["results"]["bindings"])
    return set(rdflib.compare.to_canonical_graph(rdflib.Graph().parse(data=reply.body, format="nt")))


def test_the_store_on_disk_gives_the_same_answers_as_its_copy_in_memory(server):
    on_disk = start_server(server.out, "--workers", "1", "--store-in", "disk")
    try:
        assert json.loads(fetch(on_disk, "GET", "/health").body)["store"] == "on disk"
        accept = "application/sparql-results+json, application/n-triples"
        queries = [example["query"] for example in read_examples(Settings().paths.queries)]
        queries += [
            "SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }",
            "SELECT ?class (COUNT(?s) AS ?instances) WHERE { ?s a ?class } GROUP BY ?class",
            f"DESCRIBE <{BASE}id/network/001>",
            "ASK { ?n a <https://w3id.org/ryoiki-ld/def#Network> }",
            "CONSTRUCT { ?c ?p ?o } WHERE { ?c a <https://w3id.org/ryoiki-ld/def#Criterion> ; ?p ?o }",
        ]
        for query in queries:
            answers = [get_query(s, query, accept) for s in (server, on_disk)]
            assert [a.status for a in answers] == [200, 200], query
            assert canonical(answers[0]) == canonical(answers[1]), query
    finally:
        assert stop(on_disk) == 0
