"""serve, end to end: the real `ryoiki-ld serve` on a free loopback port, queried over HTTP.

One server per module (time limit 1 s, row limit 2,000, so the limits are quick to reach), stopped with
SIGTERM at the end whatever happens; tests that stop or starve workers on purpose start their own. Where the site stage has not written DIR/site, the fixture writes
a minimal one (a landing page and the documents of network 001 and of the vocabulary).
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import rdflib
import rdflib.compare
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from ryoiki_ld.config import Output
from ryoiki_ld.server import ResponseCache
from ryoiki_ld.static import Response
from ryoiki_ld.store import read_manifest

from .support.cli import CLI
from .support.server import (
    Reply,
    Server,
    fetch,
    get_query,
    minimal_site,
    start_server,
    stop,
    worker_pids,
)

RLD = "https://w3id.org/ryoiki-ld/def#"
BASE = "https://w3id.org/ryoiki-ld/"
TIME_LIMIT_S = 1.0
MAX_ROWS = 2000
COUNT_NETWORKS = f"PREFIX rld: <{RLD}> SELECT (COUNT(?n) AS ?networks) WHERE {{ ?n a rld:Network }}"
ASK_NETWORK = f"ASK {{ <{BASE}id/network/001> a <{RLD}Network> }}"
DESCRIBE_TOKYO = f"CONSTRUCT WHERE {{ <{BASE}id/prefecture/13> ?p ?o }}"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 36k³ rows, counted


@pytest.fixture(scope="module")
def server(built: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("serve") / "build"
    shutil.copytree(built, out)
    if not (out / "site" / "doc").is_dir():
        minimal_site(out / "site")
    running = start_server(out, "--time-limit", str(TIME_LIMIT_S), "--max-rows", str(MAX_ROWS))
    try:
        yield running
    finally:
        stop(running)


def wrapper(server: Server, query: str, fmt: str, method: str | None = None, request_method: str | None = None):
    sparql = SPARQLWrapper(server.endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method:
        sparql.setMethod(method)
    if request_method:
        sparql.setRequestMethod(request_method)
    return sparql


# --- SPARQL 1.1 Protocol through SPARQLWrapper -----------------------------------------------------


@pytest.mark.parametrize("method", [None, POST])
def test_sparqlwrapper_select_in_every_result_format(server, method):
    json_result = wrapper(server, COUNT_NETWORKS, JSON, method).queryAndConvert()
    assert json_result["results"]["bindings"][0]["networks"]["value"] == "218"
    xml_result = wrapper(server, COUNT_NETWORKS, XML, method).queryAndConvert()
    assert xml_result.getElementsByTagName("literal")[0].firstChild.data == "218"
    csv_result = wrapper(server, COUNT_NETWORKS, CSV, method).queryAndConvert()
    assert csv_result.decode().splitlines() == ["networks", "218"]
    tsv_result = wrapper(server, COUNT_NETWORKS, TSV, method).queryAndConvert()
    assert tsv_result.decode().splitlines()[0] == "?networks" and "218" in tsv_result.decode().splitlines()[1]


@pytest.mark.parametrize("method", [None, POST])
def test_sparqlwrapper_ask(server, method):
    assert wrapper(server, ASK_NETWORK, JSON, method).queryAndConvert()["boolean"] is True
    xml_result = wrapper(server, ASK_NETWORK, XML, method).queryAndConvert()
    assert xml_result.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("method", [None, POST])
@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, RDFXML, JSONLD])
def test_sparqlwrapper_construct_in_every_graph_format(server, method, fmt):
    result = wrapper(server, DESCRIBE_TOKYO, fmt, method).queryAndConvert()
    graph = rdflib.Graph().parse(data=result, format="turtle") if isinstance(result, bytes) else result
    assert (rdflib.URIRef(f"{BASE}id/prefecture/13"), rdflib.RDFS.label, rdflib.Literal("東京都", lang="ja")) in graph
    assert len(graph) == 7


def test_sparqlwrapper_post_directly(server):
    result = wrapper(server, COUNT_NETWORKS, JSON, POST, POSTDIRECTLY).queryAndConvert()
    assert result["results"]["bindings"][0]["networks"]["value"] == "218"
    graph = wrapper(server, DESCRIBE_TOKYO, RDFXML, POST, POSTDIRECTLY).queryAndConvert()
    assert len(graph) == 7


def test_sparqlwrapper_bad_syntax_is_query_bad_formed(server):
    with pytest.raises(QueryBadFormed, match="line 1, column"):
        wrapper(server, "SELECT * WHERE { ?s ?p }", JSON).query()


@pytest.mark.parametrize(
    ("accept", "media_type", "rdflib_format"),
    [
        ("text/turtle", "text/turtle; charset=utf-8", "turtle"),
        ("application/n-triples", "application/n-triples; charset=utf-8", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        (None, "text/turtle; charset=utf-8", "turtle"),
    ],
)
def test_construct_parsed_by_rdflib(server, accept, media_type, rdflib_format):
    reply = get_query(server, DESCRIBE_TOKYO, accept)
    assert reply.status == 200 and reply.header("Content-Type") == media_type
    graph = rdflib.Graph().parse(data=reply.body, format=rdflib_format)
    assert len(graph) == 7
    assert (
        rdflib.URIRef(f"{BASE}id/prefecture/13"),
        rdflib.OWL.sameAs,
        rdflib.URIRef("http://www.wikidata.org/entity/Q1490"),
    ) in graph


@pytest.mark.parametrize(
    ("params", "accept", "media_type"),
    [
        ({}, None, "application/sparql-results+json"),
        ({}, "*/*", "application/sparql-results+json"),
        ({}, "application/json", "application/sparql-results+json"),
        ({}, "text/csv", "text/csv; charset=utf-8"),
        ({"format": "tsv"}, "text/html", "text/tab-separated-values; charset=utf-8"),
        ({"output": "xml"}, None, "application/sparql-results+xml"),
        ({"format": "text/csv"}, None, "text/csv; charset=utf-8"),
        ({"unknown": "x", "timeout": "5"}, "application/sparql-results+json", "application/sparql-results+json"),
    ],
)
def test_result_format_by_accept_and_format_parameter(server, params, accept, media_type):
    reply = get_query(server, COUNT_NETWORKS, accept, **params)
    assert reply.status == 200, reply.text
    assert reply.header("Content-Type") == media_type
    assert "Accept" in reply.header("Vary")


def test_a_format_nobody_offers_is_406_listing_the_formats(server):
    for reply in (get_query(server, COUNT_NETWORKS, "image/png"), get_query(server, COUNT_NETWORKS, format="xlsx")):
        assert reply.status == 406 and "application/sparql-results+json" in reply.text
    reply = get_query(server, DESCRIBE_TOKYO, "text/csv")
    assert reply.status == 406 and "text/turtle" in reply.text


def test_head_answers_headers_only(server):
    target = "/sparql?" + urllib.parse.urlencode({"query": COUNT_NETWORKS})
    reply = fetch(server, "HEAD", target)
    assert reply.status == 200 and reply.body == b"" and int(reply.header("Content-Length")) > 0


def test_dataset_parameters(server):
    """The data is in the default graph; default-graph-uri / named-graph-uri select from the store's graphs."""
    empty = get_query(server, COUNT_NETWORKS, **{"default-graph-uri": "http://example.org/no-such-graph"})
    assert json.loads(empty.body)["results"]["bindings"][0]["networks"]["value"] == "0"
    named = get_query(server, "SELECT ?g { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": "http://example.org/g"})
    assert named.status == 200 and json.loads(named.body)["results"]["bindings"] == []
    bad = get_query(server, COUNT_NETWORKS, **{"default-graph-uri": "not an iri"})
    assert bad.status == 400


# --- the service description -----------------------------------------------------------------------


def test_service_description_with_void(server):
    reply = fetch(server, "GET", "/sparql", {"Accept": "text/turtle"})
    assert reply.status == 200 and reply.header("Content-Type") == "text/turtle; charset=utf-8"
    graph = rdflib.Graph().parse(data=reply.body, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    endpoint = rdflib.URIRef(server.endpoint)
    assert (endpoint, rdflib.RDF.type, sd.Service) in graph
    assert (endpoint, sd.endpoint, endpoint) in graph
    assert (endpoint, sd.supportedLanguage, sd.SPARQL11Query) in graph
    dataset = graph.value(graph.value(endpoint, sd.defaultDataset), sd.defaultGraph)
    manifest = read_manifest(Output(server.out))
    assert int(graph.value(dataset, void.triples)) == manifest.triples
    partitions = {
        graph.value(p, void["class"]): int(graph.value(p, void.entities))
        for p in graph.objects(dataset, void.classPartition)
    }
    assert partitions[rdflib.URIRef(RLD + "Network")] == 218
    assert int(graph.value(dataset, void.classes)) == len(partitions)
    dumps = sorted(str(d) for d in graph.objects(dataset, void.dataDump))
    assert len(dumps) == 3
    for dump in dumps:  # each dump the description names is served
        assert fetch(server, "GET", urllib.parse.urlsplit(dump).path).status == 200
    # …and it links the build's full VoID description and DCAT catalogue, which are served as Turtle
    linked = {urllib.parse.urlsplit(str(o)).path for o in graph.objects(dataset, rdflib.RDFS.seeAlso)}
    assert linked == {"/.well-known/void", "/catalog.ttl"}
    described = fetch(server, "GET", "/.well-known/void")
    assert described.status == 200 and described.header("Content-Type") == "text/turtle; charset=utf-8"
    full = rdflib.Graph().parse(data=described.body, format="turtle")
    assert int(full.value(rdflib.URIRef(BASE + "id/dataset/ryoiki-ld"), void.triples)) == manifest.triples


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("*/*", "text/turtle; charset=utf-8"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples; charset=utf-8"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html; charset=utf-8"),
    ],
)
def test_service_description_by_content_negotiation(server, accept, media_type):
    reply = fetch(server, "GET", "/sparql", {"Accept": accept})
    assert reply.status == 200 and reply.header("Content-Type") == media_type


# --- read-only ------------------------------------------------------------------------------------

INSERT = f"INSERT DATA {{ <{BASE}id/network/999> a <{RLD}Network> }}"


def count_networks(server: Server) -> int:
    return int(json.loads(get_query(server, COUNT_NETWORKS).body)["results"]["bindings"][0]["networks"]["value"])


def test_updates_are_refused_and_nothing_changes(server):
    before = count_networks(server)
    sparql = SPARQLWrapper(server.endpoint)
    sparql.setMethod(POST)
    sparql.setQuery(INSERT)  # SPARQLWrapper sends it as update=…
    with pytest.raises(urllib.error.HTTPError) as refused:
        sparql.query()
    assert refused.value.code == 403 and b"read-only" in refused.value.read()
    form = urllib.parse.urlencode({"update": INSERT}).encode()
    attempts = [
        fetch(server, "POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, form),
        fetch(server, "POST", "/sparql", {"Content-Type": "application/sparql-update"}, INSERT.encode()),
        fetch(server, "POST", "/sparql", {"Content-Type": "application/sparql-query"}, INSERT.encode()),
        get_query(server, INSERT),
        fetch(server, "PUT", "/sparql?default", {"Content-Type": "text/turtle"}, b"<a> <b> <c> ."),
        fetch(server, "POST", "/sparql?default", {"Content-Type": "text/turtle"}, b"<a> <b> <c> ."),
        fetch(server, "DELETE", "/sparql?graph=http://example.org/g"),
        fetch(server, "PATCH", "/doc/network/001.ttl", {"Content-Type": "text/turtle"}, b""),
    ]
    assert [a.status for a in attempts] == [403, 403, 403, 403, 405, 415, 405, 405]
    assert all(b"read-only" in a.body for a in attempts)
    assert count_networks(server) == before == 218
    assert get_query(server, f"ASK {{ <{BASE}id/network/999> ?p ?o }}").body.find(b"false") > 0


# --- SERVICE --------------------------------------------------------------------------------------


class Listener:
    """A local socket that records every connection made to it."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/sparql"
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.socket.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> int:
        time.sleep(0.3)  # time for a late connection to arrive
        self.stopped.set()
        self.thread.join()
        self.socket.close()
        return self.connections


def test_service_is_refused_and_nothing_reaches_the_named_host(server):
    listener = Listener()
    try:
        queries = [
            f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}> {{ ?s ?p ?o }} }}",
            f"PREFIX ex: <{listener.url}#> SELECT * WHERE {{ SERVICEex:x {{ }} }}",
            f"ASK {{ FILTER EXISTS {{ SERVICE <{listener.url}> {{ }} }} }}",
        ]
        for query in queries:
            for reply in (
                get_query(server, query),
                fetch(server, "POST", "/sparql", {"Content-Type": "application/sparql-query"}, query.encode()),
            ):
                assert reply.status == 403, reply.text
                assert "SERVICE is not allowed" in reply.text
    finally:
        assert listener.close() == 0


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
    import socket, sys
    import pyoxigraph as ox
    from ryoiki_ld.workers import enter_worker
    listening = socket.create_server(("127.0.0.1", 0))
    print(listening.getsockname()[1], flush=True)
    print(enter_worker(0), flush=True)
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


# --- limits ---------------------------------------------------------------------------------------


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


def test_a_result_over_the_row_limit_is_refused_not_cut(server):
    reply = get_query(server, "SELECT * WHERE { ?s ?p ?o }")
    assert reply.status == 422
    assert reply.header("Query-Limit-Exceeded") == f"rows; limit={MAX_ROWS}"
    assert f"more than {MAX_ROWS:,} rows" in reply.text
    graph = get_query(server, "CONSTRUCT WHERE { ?s ?p ?o }")
    assert graph.status == 422 and graph.header("Query-Limit-Exceeded") == f"rows; limit={MAX_ROWS}"
    exactly = get_query(server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}", "text/csv")
    assert exactly.status == 200 and len(exactly.text.splitlines()) == MAX_ROWS + 1


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


ALL_FAIL_AT_ONCE = textwrap.dedent(
    """
    import sys, time
    from ryoiki_ld.config import Limits
    from ryoiki_ld.errors import RyoikiError
    from ryoiki_ld.workers import Supervisor, WorkerFailed

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


# --- client errors are 4xx, never 500 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "target", "headers", "body", "status"),
    [
        ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B", {}, None, 400),
        ("GET", "/sparql?query=%ZZ%20", {}, None, 400),
        ("GET", "/sparql?query=%FF%FE", {}, None, 400),
        ("GET", "/sparql?query=SELECT+1&query=SELECT+2", {}, None, 400),
        ("GET", "/sparql?query=", {}, None, 400),
        ("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, b"", 400),
        ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b"\xff\xfe", 400),
        ("POST", "/sparql", {"Content-Type": "text/plain"}, b"SELECT * {}", 415),
        ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b"#" * (1024 * 1024 + 1), 413),
        ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b"ASK {}" + b" " * 100_000, 413),
        ("GET", "/sparql?query=ASK%7B%7D" + "%20" * 30_000, {}, None, 400),  # URLs over 64 KiB: use POST
        ("GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK {" + "{" * 600 + "}" * 601}), {}, None, 400),
        # 15,000 chained ||: deeper than the engine's parser survives on a default 8 MiB stack
        (
            "POST",
            "/sparql",
            {"Content-Type": "application/sparql-query"},
            b"ASK{FILTER(" + b"true||" * 15_000 + b"true)}",
            200,
        ),
        ("GET", "/sparql?graph=http://example.org/g", {}, None, 400),
        ("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=%3Cx", {}, None, 400),
        ("GET", "/id/network/001", {"Accept": "text/turtle;q=abc"}, None, 406),
        ("GET", "/no/such/page", {}, None, 404),
        ("TRACE", "/sparql", {}, None, 405),
    ],
)
def test_bad_requests_get_4xx_with_a_message(server, method, target, headers, body, status):
    reply = fetch(server, method, target, headers, body)
    assert reply.status == status, reply.text
    if status >= 400:
        assert reply.header("Content-Type") == "text/plain; charset=utf-8" and reply.text.strip()


def test_syntax_error_is_400_with_the_parsers_position(server):
    reply = get_query(server, "PREFIX x: <http://x/>\nSELECT * WHERE {\n  ?s ?p ?o ;\n}}")
    assert reply.status == 400
    assert reply.text.startswith("SPARQL syntax error: line 4, column 3:")


# --- CORS, concurrency, health, logs ---------------------------------------------------------------


def test_cors_is_open(server):
    reply = get_query(server, COUNT_NETWORKS)
    assert reply.header("Access-Control-Allow-Origin") == "*"
    assert "Query-Limit-Exceeded" in reply.header("Access-Control-Expose-Headers")
    preflight = fetch(
        server,
        "OPTIONS",
        "/sparql",
        {
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert preflight.status == 204
    assert preflight.header("Access-Control-Allow-Origin") == "*"
    assert "POST" in preflight.header("Access-Control-Allow-Methods")
    assert preflight.header("Access-Control-Allow-Headers") == "content-type, accept"
    for path in ("/", "/id/network/001", "/nothing-here", "/health"):
        assert fetch(server, "GET", path).header("Access-Control-Allow-Origin") == "*"


def test_200_concurrent_requests_from_8_clients(server):
    """Cached and uncached (a distinct comment makes each query new), SELECT, ASK and CONSTRUCT."""

    def one(i: int) -> bool:
        if i % 4 == 0:
            reply = get_query(server, COUNT_NETWORKS)
            return reply.status == 200 and b'"218"' in reply.body
        if i % 4 == 1:
            reply = get_query(server, COUNT_NETWORKS + f"\n# request {i}", "text/csv")
            return reply.status == 200 and reply.text.splitlines() == ["networks", "218"]
        if i % 4 == 2:
            reply = get_query(server, ASK_NETWORK + f" # {i}")
            return reply.status == 200 and b"true" in reply.body
        reply = get_query(server, DESCRIBE_TOKYO + f" # {i}", "application/n-triples")
        return reply.status == 200 and len(reply.text.splitlines()) == 7

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(200)))
    assert all(results), results.count(False)


def test_repeated_queries_are_answered_from_the_cache(server):
    query = COUNT_NETWORKS + " # cache test"
    first, second = get_query(server, query), get_query(server, query)
    assert first.body == second.body and first.status == second.status == 200
    volatile = [get_query(server, "SELECT (RAND() AS ?r) WHERE {}").body for _ in range(2)]
    assert volatile[0] != volatile[1]  # RAND(), NOW() … are evaluated every time
    time.sleep(0.7)  # the access log is flushed every half second
    lines = [json.loads(line) for line in server.log.read_text().splitlines()]
    mine = [r for r in lines if r.get("path") == "/sparql" and r.get("cache")]
    assert {"hit", "miss"} <= {r["cache"] for r in mine}


def test_cached_answers_are_not_tracked_by_the_garbage_collector():
    cache = ResponseCache(1024 * 1024)
    key = ("GET", b"query=ASK%7B%7D", "text/csv", None, b"")
    cache.put(key, Response(200, [("Content-Type", "text/csv")], b"true\n"))
    for _ in range(3):  # a tuple is let go once all it holds is: one level a pass (pairs, headers, entry)
        gc.collect()
    assert not gc.is_tracked(key) and not gc.is_tracked(cache.entries[key])
    hit = cache.get(key)
    assert hit is not None and hit.status == 200 and hit.body == b"true\n"
    assert (b"Content-Length", b"5") in hit.encoded


def test_health(server):
    reply = fetch(server, "GET", "/health")
    health = json.loads(reply.body)
    assert reply.status == 200 and health["status"] == "ok"
    assert health["triples"] == read_manifest(Output(server.out)).triples
    assert health["base_iri"] == BASE
    assert health["store"] == "in memory (a copy)"
    assert health["limits"]["time_limit_s"] == TIME_LIMIT_S and health["limits"]["max_rows"] == MAX_ROWS
    assert health["workers"]["serving"] == 2 and health["workers"]["spare"] == 1
    assert health["this_worker"]["pid"] in worker_pids(server.process.pid)


def test_access_log_is_json_lines(server):
    fetch(server, "GET", "/health?probe=log")
    time.sleep(0.7)
    records = [json.loads(line) for line in server.log.read_text().splitlines()]
    requests = [r for r in records if "status" in r]
    assert requests and all({"time", "client", "method", "path", "status", "bytes", "ms"} <= r.keys() for r in requests)
    assert any(r.get("event") == "started" for r in records)


# --- the query page ---------------------------------------------------------------------------------


def test_query_page_for_browsers(server):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = fetch(server, "GET", "/sparql", {"Accept": browser})
    assert page.status == 200 and '<meta charset="utf-8">' in page.text
    assert "script-src 'self'" in page.header("Content-Security-Policy")
    linked = get_query(server, COUNT_NETWORKS, browser)  # a link to a query opens the page, filled in
    assert linked.status == 200 and linked.header("Content-Type") == "text/html; charset=utf-8"
    for asset, media_type in (("/query/query.js", "text/javascript"), ("/query/query.css", "text/css")):
        reply = fetch(server, "GET", asset)
        assert reply.status == 200 and reply.header("Content-Type").startswith(media_type)
    examples = json.loads(fetch(server, "GET", "/query/examples.json").body)
    assert len(examples) >= 6 and all(e["title"] and e["query"] for e in examples)


def test_every_example_query_runs_through_the_endpoint(server):
    for example in json.loads(fetch(server, "GET", "/query/examples.json").body):
        reply = fetch(
            server,
            "POST",
            "/sparql",
            {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json, text/turtle"},
            example["query"].encode(),
        )
        assert reply.status == 200, (example["file"], reply.text)
        if reply.header("Content-Type").startswith("application/sparql-results+json"):
            assert json.loads(reply.body)["results"]["bindings"], example["file"]
        else:
            assert len(rdflib.Graph().parse(data=reply.body, format="turtle")) > 0


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
        queries = [example["query"] for example in json.loads(fetch(server, "GET", "/query/examples.json").body)]
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


# --- the site and /id/ dereferencing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "headers", "location"),
    [
        ("/id/network/001", {"Accept": "text/html"}, "../../doc/network/001.html"),
        ("/id/network/001", {}, "../../doc/network/001.html"),
        ("/id/network/001", {"Accept": "text/turtle"}, "../../doc/network/001.ttl"),
        ("/id/network/001", {"Accept": "application/ld+json"}, "../../doc/network/001.jsonld"),
        ("/id/network/001", {"Accept": "application/n-triples"}, "../../doc/network/001.nt"),
        ("/id/network/001", {"Accept": "text/turtle;q=0.5, application/n-triples"}, "../../doc/network/001.nt"),
        ("/id/network/001.ttl", {"Accept": "text/html"}, "../../doc/network/001.ttl"),
        ("/id/network/001?format=jsonld", {"Accept": "text/html"}, "../../doc/network/001.jsonld"),
        ("/id/network/001.nt?format=html", {}, "../../doc/network/001.nt"),
        ("/def", {"Accept": "text/turtle"}, "doc/def.ttl"),
        ("/def", {"Accept": "text/html"}, "doc/def.html"),
        ("/def.jsonld", {}, "doc/def.jsonld"),
    ],
)
def test_resource_iris_answer_303_to_the_negotiated_document(server, target, headers, location):
    reply = fetch(server, "GET", target, headers)
    assert reply.status == 303, reply.text
    assert reply.header("Location") == location
    assert "Accept" in reply.header("Vary")
    document = urllib.parse.urljoin(target, location)
    followed = fetch(server, "GET", document)
    assert followed.status == 200
    extension = location.rsplit(".", 1)[1]
    expected = {
        "html": "text/html",
        "ttl": "text/turtle",
        "jsonld": "application/ld+json",
        "nt": "application/n-triples",
    }
    assert followed.header("Content-Type").startswith(expected[extension])


def test_dereferencing_refuses_what_it_cannot_serve(server):
    unacceptable = fetch(server, "GET", "/id/network/001", {"Accept": "image/png"})
    assert unacceptable.status == 406 and "text/turtle" in unacceptable.text and unacceptable.header("Vary") == "Accept"
    assert fetch(server, "GET", "/id/network/999").status == 404
    assert fetch(server, "GET", "/id/network").status == 404
    assert fetch(server, "GET", "/id/network/001/x").status == 404


@pytest.mark.parametrize(
    "target",
    [
        "/../../../../etc/passwd",
        "/doc/../../build.json",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/doc/%2e%2e/%2e%2e/build.json",
        "/dump/../build.json",
        "/dump/%2e%2e/build.json",
        "/query/../../pyproject.toml",
        "/query/%2e%2e/%2e%2e/pyproject.toml",
        "/..%2f..%2fbuild.json",
        "/doc/..\\..\\build.json",
        "/.htaccess",
        "/id/../../build.json",
        "/id/..%2f..%2fbuild/x",
        "//etc/passwd",
    ],
)
def test_path_traversal_is_refused(server, target):
    reply = fetch(server, "GET", target)
    assert reply.status in (400, 404), (reply.status, reply.text[:200])
    assert b"root:" not in reply.body and b"base_iri" not in reply.body and b"[project]" not in reply.body


def test_static_files_with_types_and_validators(server):
    home = fetch(server, "GET", "/")
    assert home.status == 200 and home.header("Content-Type") == "text/html; charset=utf-8"
    document = fetch(server, "GET", "/doc/network/001.ttl")
    assert document.status == 200 and document.header("Content-Type") == "text/turtle; charset=utf-8"
    assert document.header("Cache-Control").startswith("public") and document.header("Last-Modified")
    etag = document.header("ETag")
    assert fetch(server, "GET", "/doc/network/001.ttl", {"If-None-Match": etag}).status == 304
    head = fetch(server, "HEAD", "/doc/network/001.ttl")
    assert head.status == 200 and head.body == b"" and head.header("Content-Length") == str(len(document.body))
    dump = fetch(server, "GET", "/dump/ryoiki-ld.nt")
    assert dump.status == 200 and dump.header("Content-Type") == "application/n-triples; charset=utf-8"
    assert dump.body == (server.out / "dump" / "ryoiki-ld.nt").read_bytes()
    directory = fetch(server, "GET", "/doc")
    assert directory.status == 301 and directory.header("Location") == "doc/"


def test_without_a_site_the_root_says_so(built, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(built, out, ignore=shutil.ignore_patterns("site"))
    running = start_server(out, "--workers", "1")
    try:
        home = fetch(running, "GET", "/")
        assert home.status == 200 and "DIR/site/" in home.text and 'href="sparql"' in home.text
        missing = fetch(running, "GET", "/doc/network/001.html")
        assert missing.status == 404 and "this build has no site" in missing.text
        assert str(out) not in missing.text  # no server path is shown
        assert fetch(running, "GET", "/id/network/001").status == 404
        assert count_networks(running) == 218
    finally:
        assert stop(running) == 0


# --- shutdown --------------------------------------------------------------------------------------


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
