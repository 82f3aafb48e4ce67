"""serve.app through the real `ryoiki-ld serve` on a free loopback port, queried over HTTP: the SPARQL 1.1
Protocol (through SPARQLWrapper and by hand), the service description, read-only, SERVICE and other refusals,
CORS, the cache, /health, the access log and the query page.

One server for the module (time limit 1 s, row limit 2,000, so the limits are quick to reach), stopped with
SIGTERM at the end whatever happens.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from ryoiki_ld.config import ROOT, Output, Settings
from ryoiki_ld.site.pages import read_examples
from ryoiki_ld.store import read_manifest

from .support.listener import Listener
from .support.report import BASE, RLD
from .support.server import (
    COUNT_NETWORKS,
    LIMITS,
    MAX_ROWS,
    TIME_LIMIT_S,
    Server,
    count_networks,
    fetch,
    get_query,
    serving,
    worker_pids,
)

ASK_NETWORK = f"ASK {{ <{BASE}id/network/001> a <{RLD}Network> }}"
DESCRIBE_TOKYO = f"CONSTRUCT WHERE {{ <{BASE}id/prefecture/13> ?p ?o }}"


@pytest.fixture(scope="module")
def server(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(built, tmp_path_factory.mktemp("serve") / "build", *LIMITS) as running:
        yield running


def wrapper(server: Server, query: str, fmt: str, method: str | None = None, request_method: str | None = None):
    sparql = SPARQLWrapper(server.endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method:
        sparql.setMethod(method)
    if request_method:
        sparql.setRequestMethod(request_method)
    return sparql


# --- SPARQL 1.1 Protocol through SPARQLWrapper ----------------------------------------------------


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


# --- the service description ----------------------------------------------------------------------


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
    assert len(dumps) == 4  # .ttl, .nt, .jsonld and .nq
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


# --- the row limit ------------------------------------------------------------------------------


def test_a_result_over_the_row_limit_is_refused_not_cut(server):
    reply = get_query(server, "SELECT * WHERE { ?s ?p ?o }")
    assert reply.status == 422
    assert reply.header("Query-Limit-Exceeded") == f"rows; limit={MAX_ROWS}"
    assert f"more than {MAX_ROWS:,} rows" in reply.text
    graph = get_query(server, "CONSTRUCT WHERE { ?s ?p ?o }")
    assert graph.status == 422 and graph.header("Query-Limit-Exceeded") == f"rows; limit={MAX_ROWS}"
    exactly = get_query(server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}", "text/csv")
    assert exactly.status == 200 and len(exactly.text.splitlines()) == MAX_ROWS + 1


# --- client errors are 4xx, never 500 -------------------------------------------------------------


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


# --- CORS, concurrency, health, logs --------------------------------------------------------------


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


# --- the query page -------------------------------------------------------------------------------


def query_config(page: str) -> dict:
    """The settings the query page gives its script (site/templates/query.html)."""
    found = re.search(r'<script type="application/json" id="query-config">(.*?)</script>', page, re.S)
    assert found, "no query-config in the page"
    return json.loads(found.group(1))


def test_query_page_for_browsers(server):
    """A browser at /sparql gets the site's query page (site header, Japanese; its switch leads to en/query.html)."""
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = fetch(server, "GET", "/sparql", {"Accept": browser})
    assert page.status == 200 and '<meta charset="utf-8">' in page.text and 'class="site-header"' in page.text
    assert "script-src 'self'" in page.header("Content-Security-Policy")
    assert page.body == (server.out / "site" / "query.html").read_bytes()
    assert 'href="en/query.html"' in page.text and 'src="assets/query.js"' in page.text
    linked = get_query(server, COUNT_NETWORKS, browser)  # a link to a query opens the page, filled in
    assert linked.status == 200 and linked.header("Content-Type") == "text/html; charset=utf-8"
    slash = fetch(server, "GET", "/sparql/?query=ASK%7B%7D", {"Accept": browser})
    assert slash.status == 301 and slash.header("Location") == "../sparql?query=ASK%7B%7D"
    for asset, media_type in (("/assets/query.js", "text/javascript"), ("/en/query.html", "text/html")):
        reply = fetch(server, "GET", asset)
        assert reply.status == 200 and reply.header("Content-Type").startswith(media_type)
    config = query_config(page.text)
    assert config["endpoint"] == "sparql" and config["base"] == BASE
    assert len(config["examples"]) >= 6 and all(e["title"] and e["query"] for e in config["examples"])
    assert query_config(fetch(server, "GET", "/en/query.html").text)["endpoint"] == "../sparql"


def test_every_example_query_runs_through_the_endpoint(server):
    for example in read_examples(Settings().paths.queries):
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


REMOTE = re.compile(
    r"""(?:src|href)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|fetch\(\s*["'`](?:https?:)?//"""
)


def test_query_page_loads_nothing_from_another_host():
    for path in (ROOT / "site" / "assets" / "query.js", ROOT / "site" / "templates" / "query.html"):
        assert not REMOTE.search(path.read_text(encoding="utf-8")), path


# --- relative IRIs and the body's charset (W3C protocol test query_content_type_construct) -----------------------


def test_relative_iris_resolve_against_the_endpoint_as_reached(server):
    """A query without BASE: its relative IRIs resolve against the endpoint IRI, as the request reached it."""
    query = b"CONSTRUCT { <s> <p> 1 } WHERE {}"
    reply = fetch(
        server,
        "POST",
        "/sparql",
        {"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
        query,
    )
    assert reply.status == 200, reply.text
    endpoint = f"http://{server.host}:{server.port}/"
    assert reply.text.strip() == f'<{endpoint}s> <{endpoint}p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .'
    other = fetch(
        server,
        "POST",
        "/sparql",
        {"Content-Type": "application/sparql-query", "Accept": "application/n-triples", "Host": "example.org"},
        query,
    )
    assert other.text.startswith("<http://example.org/s> <http://example.org/p>")  # not the first answer, cached
    based = fetch(
        server,
        "POST",
        "/sparql",
        {"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
        b"BASE <http://e.org/> " + query,
    )
    assert based.text.startswith("<http://e.org/s>")  # the query's own BASE wins


@pytest.mark.parametrize("charset", ["Shift_JIS", "EUC-JP", "utf-8", "UTF-16"])
def test_a_body_in_the_charset_it_declares_is_read_in_it(server, charset):
    query = 'SELECT ?name WHERE { ?n <http://www.w3.org/2000/01/rdf-schema#label> ?name FILTER(?name = "道南地域医療連携協議会"@ja) }'
    direct = fetch(
        server,
        "POST",
        "/sparql",
        {"Content-Type": f"application/sparql-query; charset={charset}", "Accept": "text/csv"},
        query.encode(charset),
    )
    form = fetch(
        server,
        "POST",
        "/sparql",
        {"Content-Type": f"application/x-www-form-urlencoded; charset={charset}", "Accept": "text/csv"},
        urllib.parse.urlencode({"query": query}, encoding=charset).encode("ascii"),
    )
    for reply in (direct, form):
        assert reply.status == 200, reply.text
        assert reply.text.splitlines()[1:] == ["道南地域医療連携協議会"]


def test_a_charset_the_endpoint_cannot_read_is_refused_saying_so(server):
    reply = fetch(server, "POST", "/sparql", {"Content-Type": "application/sparql-query; charset=x-klingon"}, b"ASK {}")
    assert reply.status == 415 and "charset 'x-klingon'" in reply.text and "UTF-8" in reply.text
    for codec in ("base64", "rot13", "zlib"):  # codecs Python has that are not text encodings
        other = fetch(
            server, "POST", "/sparql", {"Content-Type": f"application/sparql-query; charset={codec}"}, b"ASK {}"
        )
        assert other.status == 415 and f"charset '{codec}'" in other.text, (codec, other.status)
    wrong = fetch(
        server,
        "POST",
        "/sparql",
        {"Content-Type": "application/sparql-query; charset=utf-8"},
        'ASK { FILTER("道") }'.encode("shift_jis"),
    )
    assert wrong.status == 400 and "not valid utf-8" in wrong.text


# --- the not-found page -------------------------------------------------------------------------------------------


def test_a_path_that_names_nothing_gets_the_site_s_not_found_page(server):
    for path, words, base in (
        ("/no/such/page", "ページが見つかりません", '<base href="/">'),
        ("/en/no/such/page", "Page not found", '<base href="/en/">'),
        ("/doc/network/999.html", "ページが見つかりません", '<base href="/">'),
    ):
        reply = fetch(server, "GET", path, {"Accept": "text/html"})
        assert reply.status == 404 and reply.header("Content-Type").startswith("text/html"), path
        assert words in reply.text and base in reply.text, path  # its links work from any path: <base> is the root
        assert 'href="index.html#networks"' in reply.text or 'href="../en/index.html#networks"' in reply.text
    page = fetch(server, "GET", "/id/network/999", {"Accept": "text/html"})
    assert page.status == 404 and page.header("Location") is None and "ページが見つかりません" in page.text
    machine = fetch(server, "GET", "/id/network/999", {"Accept": "text/turtle"})
    assert machine.status == 404 and machine.header("Content-Type").startswith("text/plain")
    assert "no resource is named" in machine.text
