"""`ryoiki-ld publish` into real triple stores, each started by the tests on a free loopback port and stopped
afterwards (tests/support/stores.py): Oxigraph server and Virtuoso 7 (digest authentication)."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pyoxigraph as ox
import pytest

from ryoiki_ld import publish
from ryoiki_ld.config import ROOT, Output, Paths
from ryoiki_ld.errors import RyoikiError

from .support.cli import run_cli
from .support.ports import free_port
from .support.results import local, remote
from .support.stores import VIRTUOSO_INI, Store, oxigraph_server, virtuoso

QUERIES = sorted((ROOT / "queries").glob("*.rq"))
START = {"oxigraph": oxigraph_server, "virtuoso": virtuoso}


@pytest.fixture(scope="module", params=sorted(START))
def store(request, tmp_path_factory) -> Store:
    with START[request.param](tmp_path_factory.mktemp(request.param)) as running:
        yield running


@pytest.fixture(scope="module")
def published(store: Store, built: Path):
    """The real build published to the store once (the tests below read it)."""
    result = run_publish(store, built)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def run_publish(store: Store, built: Path, *extra: str):
    return run_cli("publish", "--endpoint", store.gsp, "--out", built, *store.auth, *extra, env=store.env)


def graph_sizes(built: Path) -> dict[str, int]:
    return json.loads((built / "build.json").read_text(encoding="utf-8"))["graphs"]


def remote_count(store: Store, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    [(only, n)] = remote(store.query, query).items()
    assert n == 1
    return int(dict(only)["n"][1])


def test_every_graph_arrives_and_is_verified(store, built, published):
    sizes = graph_sizes(built)
    assert len(sizes) == 5 and f"{len(sizes)} of {len(sizes)} graphs arrived" in published.stderr
    for graph, size in sizes.items():
        # Progress names each graph with its triples, bytes and seconds; the summary says it was verified.
        assert re.search(rf"<{re.escape(graph)}>  {size:,} triples  [0-9,]+ bytes  [0-9.]+ s", published.stderr)
        assert f"verified  <{graph}>" in published.stderr
        assert remote_count(store, graph) == size  # graph-scoped: a fresh Virtuoso holds its own triples


def test_publishing_again_replaces_and_never_duplicates(store, built, published):
    again = run_publish(store, built)
    assert again.returncode == 0, again.stderr[-3000:]
    for graph, size in graph_sizes(built).items():
        assert remote_count(store, graph) == size


def test_a_graph_sent_in_pieces_arrives_whole(store, built, published):
    again = run_publish(store, built, "--piece-triples", "4000")
    assert again.returncode == 0, again.stderr[-3000:]
    fy2019 = "https://w3id.org/ryoiki-ld/graph/fy2019"
    requests = "(2 requests, bulk)" if store.name == "oxigraph" else "(8 requests)"  # 31,349 triples, > 4,000
    assert re.search(rf"<{re.escape(fy2019)}>  31,349 triples .* {re.escape(requests)}", again.stderr), again.stderr
    # verified: for a graph above --piece-triples, read back with CONSTRUCT queries a batch of subjects at a time
    assert f"verified  <{fy2019}>" in again.stderr and remote_count(store, fy2019) == 31_349


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_every_example_query_answers_the_same_on_the_store(store, built, published, path):
    query = path.read_text(encoding="utf-8")
    ours = ox.Store.read_only(str(Output(built).store))
    if "CONSTRUCT" in query:
        request = urllib.request.Request(
            store.query,
            data=urllib.parse.urlencode({"query": query}).encode("ascii"),
            # N-Triples: Virtuoso's Turtle writes the xsd:decimal 0 as a bare `0`, which Turtle reads as an integer.
            headers={"Accept": "application/n-triples", "Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            theirs = publish.normalised(ox.parse(input=response.read(), format=ox.RdfFormat.N_TRIPLES))
        mine = publish.normalised(list(ours.query(query, use_default_graph_as_union=True)))
        assert theirs == mine and len(mine) > 10
    else:
        mine = local(ours, query)
        assert remote(store.query, query) == mine and sum(mine.values()) > 0


def test_a_wrong_password_is_refused_with_exit_2(tmp_path, built):
    with virtuoso(tmp_path / "virtuoso") as store:
        result = run_cli(
            *("publish", "--endpoint", store.gsp, "--out", built, "--auth", "digest", "--user", "dba"),
            *("--password-env", "WRONG"),
            env={"WRONG": "not-the-password"},
        )
    assert result.returncode == 2
    assert f"{store.gsp}: graph <" in result.stderr and "authentication refused (HTTP 401" in result.stderr
    assert "0 of 5 graphs arrived" in result.stderr and "not-the-password" not in result.stderr


def test_a_store_that_cuts_results_is_caught_by_verify(tmp_path, built):
    """Debian's Virtuoso default ResultSetMaxRows=10000 cuts a Graph Store GET at 10,000 triples with HTTP 200."""
    text = VIRTUOSO_INI.read_text(encoding="utf-8").replace("ResultSetMaxRows = 10000000", "ResultSetMaxRows = 10000")
    folder = tmp_path / "virtuoso"
    with virtuoso(folder, ini_text=text) as store:
        result = run_publish(store, built)
    fy2019 = "https://w3id.org/ryoiki-ld/graph/fy2019"
    assert result.returncode == 1, result.stderr[-3000:]
    assert f"{store.gsp}: graph <{fy2019}> read back differs from what was sent" in result.stderr
    assert f"differs   <{fy2019}>" in result.stderr and "5 of 5 graphs arrived" in result.stderr


def test_a_store_stopped_midway_says_which_graphs_arrived(tmp_path, built):
    graphs = publish.read_graphs(Output(built))
    lines: list[str] = []
    with oxigraph_server(tmp_path / "oxigraph") as store:

        def echo(line: str) -> None:  # the server stops as soon as the first graph has arrived
            lines.append(line)
            if line.startswith(f"  <{graphs[0].iri}>"):
                store.stop()

        target = publish.Endpoint(store.gsp, store.query)
        outcomes = publish.publish(graphs, [target], publish.Credentials("none"), echo, check=False, retries=1)
    summary, status = publish.summary(graphs, outcomes)
    assert status == 2
    assert outcomes[0].graphs == {graphs[0].iri: "published", graphs[1].iri: "failed"}
    assert f"{store.gsp}: 1 of 5 graphs arrived" in summary
    assert any(line.startswith(f"  not sent  <{graphs[2].iri}>") for line in summary)
    error = str(outcomes[0].errors[0])
    assert error.startswith(f"{store.gsp}: graph <{graphs[1].iri}>: cannot connect") and "tried 2 times" in error


def test_an_unreachable_endpoint_is_exit_2_naming_it(built):
    url = f"http://127.0.0.1:{free_port()}/store"
    result = run_cli("publish", "--endpoint", url, "--out", built, "--retries", "1")
    assert result.returncode == 2
    assert f"{url}: graph <https://w3id.org/ryoiki-ld/graph/catalog>: cannot connect" in result.stderr
    assert f"{url}: 0 of 5 graphs arrived" in result.stderr


def test_the_password_comes_only_from_the_environment_and_is_never_printed(tmp_path, built):
    with oxigraph_server(tmp_path / "oxigraph") as store:  # Oxigraph server ignores credentials: it still works
        secret = "s3cret-パス"
        result = run_cli(
            *("publish", "--endpoint", store.gsp, "--out", built, "--auth", "basic", "--user", "u"),
            *("--password-env", "RYOIKI_PW"),
            env={"RYOIKI_PW": secret},
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert secret not in result.stderr + result.stdout
    missing = run_cli("publish", "--endpoint", store.gsp, "--out", built, "--auth", "basic", "--user", "u")
    assert missing.returncode == 2 and "--auth basic needs --user and --password-env" in missing.stderr
    unset = run_cli(
        *("publish", "--endpoint", store.gsp, "--out", built, "--auth", "digest", "--user", "u"),
        *("--password-env", "RYOIKI_NO_SUCH_VARIABLE"),
    )
    assert unset.returncode == 2 and "RYOIKI_NO_SUCH_VARIABLE: the environment variable is not set" in unset.stderr


def test_the_graphs_sent_are_the_build_s_named_graphs(built):
    graphs = publish.read_graphs(Output(built))
    assert {g.iri: g.triples for g in graphs} == graph_sizes(built)
    quads = ox.parse(path=str(Output(built).dump_nq), format=ox.RdfFormat.N_QUADS)
    assert sum(len(list(ox.parse(input=g.body, format=ox.RdfFormat.N_TRIPLES))) for g in graphs) == len(list(quads))


def test_a_store_s_query_endpoint_is_told_from_its_url_or_given():
    layouts = publish.read_layouts(Paths().store_layouts)
    found = publish.endpoints(
        [
            "http://h:7878/store",
            "http://h:8890/sparql-graph-crud-auth",
            "http://h:3030/ds/data",
            "http://h:7200/repositories/r/rdf-graphs/service",
        ],
        [],
        layouts,
    )
    assert [e.query for e in found] == [
        "http://h:7878/query",
        "http://h:8890/sparql",
        "http://h:3030/ds/query",
        "http://h:7200/repositories/r",
    ]
    assert [e.bulk for e in found] == ["no_transaction", "", "", ""]  # Oxigraph server loads in bulk
    given = publish.endpoints(["http://h/gsp", "http://h:7878/store"], ["http://h/q", "http://h:7878/q"], layouts)
    assert given == [
        publish.Endpoint("http://h/gsp", "http://h/q"),
        publish.Endpoint("http://h:7878/store", "http://h:7878/q", "no_transaction"),
    ]
    with pytest.raises(RyoikiError, match="cannot tell this store's SPARQL query endpoint"):
        publish.endpoints(["http://h/gsp"], [], layouts)
    with pytest.raises(RyoikiError, match="1 --endpoint but 2 --query-endpoint"):
        publish.endpoints(["http://h/store"], ["http://h/a", "http://h/b"], layouts)
    with pytest.raises(RyoikiError, match="not an http"):
        publish.endpoints(["ftp://h/store"], [], layouts)
    with pytest.raises(RyoikiError, match="--endpoint http://h:99999/store: the port is not a number"):
        publish.endpoints(["http://h:99999/store"], [], layouts)
    with pytest.raises(RyoikiError, match="--query-endpoint h/q: not an http"):
        publish.endpoints(["http://h/gsp"], ["h/q"], layouts)


def test_a_damaged_dump_is_refused_at_its_line(tmp_path, built):
    out = tmp_path / "build"
    (out / "dump").mkdir(parents=True)
    lines = (built / "dump" / "ryoiki-ld.nq").read_bytes().splitlines(keepends=True)
    (out / "dump" / "ryoiki-ld.nq").write_bytes(b"".join([*lines[:2], b"cut\n", *lines[2:]]))
    result = run_cli("publish", "--endpoint", "http://127.0.0.1:1/store", "--out", out)
    assert result.returncode == 2 and "ryoiki-ld.nq:3: not a quad in a named graph" in result.stderr
    (out / "dump" / "ryoiki-ld.nq").write_bytes(b"\xff\xfe")
    result = run_cli("publish", "--endpoint", "http://127.0.0.1:1/store", "--out", out)
    assert result.returncode == 2 and "not UTF-8" in result.stderr


def test_digest_authorization_is_computed_as_rfc_2617_says(monkeypatch):
    """The worked example of RFC 2617, section 3.5."""
    monkeypatch.setattr(publish.secrets, "token_hex", lambda n: "0a4f113b")
    client = publish.Client(publish.Credentials("digest", "Mufasa", "Circle Of Life"), timeout=1, retries=0)
    client.challenge = {
        "realm": "testrealm@host.com",
        "qop": "auth,auth-int",
        "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "opaque": "5ccc069c403ebaf9f0171e9517f40e41",
    }
    header = client._authorization("GET", "http://www.nowhere.org/dir/index.html")
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert (
        "nc=00000001" in header
        and 'cnonce="0a4f113b"' in header
        and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header
    )


def test_integer_subtypes_are_compared_as_integers():
    nni = ox.Literal("007", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#nonNegativeInteger"))
    s, p = ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p")
    assert publish.normalised([ox.Triple(s, p, nni)]) == {
        ox.Triple(s, p, ox.Literal("7", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    }
    text = ox.Literal("007")
    assert publish.normalised([ox.Triple(s, p, text)]) == {ox.Triple(s, p, text)}
    ill_typed = ox.Literal("many", datatype=nni.datatype)  # as a store may give it back: left as it is, no crash
    assert publish.normalised([ox.Triple(s, p, ill_typed)]) == {ox.Triple(s, p, ill_typed)}


def test_one_build_goes_to_several_stores_in_one_run(tmp_path, built):
    with oxigraph_server(tmp_path / "oxigraph") as first, virtuoso(tmp_path / "virtuoso") as second:
        # Oxigraph server takes no credentials and ignores them: one --auth serves both.
        result = run_publish(second, built, "--endpoint", first.gsp)
        assert result.returncode == 0, result.stderr[-3000:]
        for store in (first, second):
            assert f"{store.gsp}: 5 of 5 graphs arrived" in result.stderr
            for graph, size in graph_sizes(built).items():
                assert remote_count(store, graph) == size


class _Busy(BaseHTTPRequestHandler):
    """A store that answers 503 (busy) to its first `busy` requests, then takes every graph."""

    busy = 0
    seen: ClassVar[list[int]] = []

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = 503 if len(self.seen) < self.busy else 201
        self.seen.append(status)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize(("busy", "retries", "status"), [(2, 2, 0), (3, 2, 2)])
def test_a_busy_store_is_tried_again_with_backoff(built, busy, retries, status):
    handler = type("Busy", (_Busy,), {"busy": busy, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/gsp"
        started = time.monotonic()
        result = run_cli(
            *("publish", "--endpoint", url, "--query-endpoint", url, "--out", built),
            *("--no-verify", "--retries", str(retries)),
        )
        took = time.monotonic() - started
    finally:
        server.shutdown()
    assert result.returncode == status, result.stderr[-2000:]
    if status == 0:  # two 503s, then every graph: waited 0.5 s and 1 s
        assert handler.seen == [503, 503] + [201] * 5 and took >= 1.5
    else:  # three 503s with two retries: the first graph fails with the store's answer, nothing else is sent
        assert handler.seen == [503, 503, 503]
        assert f"{url}: graph <https://w3id.org/ryoiki-ld/graph/catalog>: PUT: HTTP 503" in result.stderr
        assert f"{url}: 0 of 5 graphs arrived" in result.stderr


class _Slow(BaseHTTPRequestHandler):
    """A store that takes longer to answer than publish's --timeout."""

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(3)
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_store_over_the_time_limit_is_exit_2_naming_it(built):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/gsp"
        result = run_cli("publish", "--endpoint", url, "--query-endpoint", url, "--out", built, "--timeout", "1")
    finally:
        server.shutdown()
    assert result.returncode == 2
    assert f"{url}: graph <https://w3id.org/ryoiki-ld/graph/catalog>: no answer within 1 s" in result.stderr
