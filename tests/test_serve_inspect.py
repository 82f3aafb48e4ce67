"""serve.inspect: the query inspection the endpoint relies on before evaluation. SERVICE in every disguise the
engine accepts, updates, nesting; the quick inspection agrees with the tokenizer; and a randomised check that no
query the engine would send to a listener gets past it.
"""

from __future__ import annotations

import contextlib
import random

import pyoxigraph as ox
import pytest

from ryoiki_ld.config import Paths
from ryoiki_ld.serve.inspect import QueryRefused, _inspect_plain, check, inspect

from .support.listener import Listener

QUERIES = Paths().queries


U = "http://127.0.0.1:9/"


REFUSED_SERVICE = [
    f"SELECT * {{ SERVICE <{U}> {{ ?s ?p ?o }} }}",
    f"select * {{ service silent <{U}> {{ }} }}",
    f"SELECT * {{ ?s ?p ?o . SeRvIcE ?endpoint {{ }} VALUES ?endpoint {{ <{U}> }} }}",
    f"PREFIX ex: <{U}> SELECT * {{ SERVICEex:a {{ }} }}",  # Oxigraph needs no space after the keyword
    f"PREFIX : <{U}> SELECT * {{ SERVICE:b {{ }} }}",
    f"SELECT * {{ SERVICESILENT<{U}> {{ }} }}",
    f"SELECT * {{ ?s ?p ?o.SERVICE<{U}>{{}} }}",
    f"SELECT * {{ SERVICE#a comment\n<{U}> {{ }} }}",
    f"SELECT * {{ FILTER EXISTS {{ SERVICE <{U}> {{ }} }} }}",
    f"SELECT (EXISTS {{ SERVICE <{U}> {{ }} }} AS ?x) {{ }}",
    f"ASK {{ BIND(NOT EXISTS {{ SERVICE <{U}> {{}} }} AS ?x) }}",
    f"SELECT * {{ SERVIC\\u0045 <{U}> {{ }} }}",  # SPARQL §19.2 escapes, applied by some parsers
    f"PREFIX s: <{U}> SELECT * {{ ?a s:b\\# SERVICE <{U}> {{ }} }}",  # an escaped '#' is not a comment
    f"PREFIX service: <{U}> SELECT * {{ ?s service:p ?o }}",  # a prefix named 'service' is refused too
]


ALLOWED = [
    "SELECT ?service WHERE { ?service a <http://schema.org/Service> }",
    "PREFIX schema: <http://schema.org/> SELECT * { ?x a schema:Service ; schema:serviceType ?t }",
    'SELECT * { ?s ?p "SERVICE <http://127.0.0.1:9/> {}" }',
    "SELECT * { ?s ?p '''\nSERVICE <x> {}\n''' }  # SERVICE in a comment",
    "SELECT * { <http://example.org/SERVICE> ?p ?o }",
    "SELECT * { ?s ?p ?o } # uses no SERVICE",
]


@pytest.mark.parametrize("query", REFUSED_SERVICE)
def test_service_is_refused_in_every_form(query):
    with pytest.raises(QueryRefused) as refused:
        check(query, 100)
    assert refused.value.status == 403 and "SERVICE is not allowed" in refused.value.message


@pytest.mark.parametrize("query", ALLOWED)
def test_service_as_a_word_in_data_is_allowed(query):
    assert check(query, 100).form == "SELECT"


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("INSERT DATA { <a> <b> <c> }", 403, "read-only"),
        ("PREFIX x: <y>\nDELETE WHERE { ?s ?p ?o }", 403, "read-only"),
        ("LOAD <http://example.org/>", 403, "read-only"),
        ("  \n ", 400, "empty"),
        ("SELECT * { FILTER(" + "(" * 101 + "1" + ")" * 101 + ") }", 400, "nests brackets 103 deep"),
    ],
)
def test_other_refusals(query, status, words):
    with pytest.raises(QueryRefused) as refused:
        check(query, 100)
    assert refused.value.status == status and words in refused.value.message


def test_inspection_reads_the_form_and_volatile_functions():
    assert inspect("PREFIX a: <b>\nBASE <c>\nconstruct { } where { }").form == "CONSTRUCT"
    assert inspect("ASK{}").form == "ASK"
    assert inspect("SELECT (RAND() AS ?r) {}").volatile
    assert inspect("SELECT (now() AS ?r) {}").volatile
    assert not inspect("SELECT ?rand { ?rand ?p 'NOW()' }").volatile


# Each names graph <http://g/a> as its dataset, however it is spelled; Oxigraph agrees (tested below).
OWN_DATASET = [
    "SELECT ?s FROM <http://g/a> { ?s ?p ?o }",
    "select ?s from<http://g/a>{ ?s ?p ?o }",
    "SELECT ?s FROM\t<http://g/a> { ?s ?p ?o }",
    "PREFIX g: <http://g/> SELECT ?s FROM g:a { ?s ?p ?o }",
    "PREFIX : <http://g/> SELECT ?s FROM:a { ?s ?p ?o }",
    "SELECT ?s FROM NAMED <http://g/a> { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?s FROMNAMED<http://g/a> { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?s # FROM nothing\nFROM <http://g/a> { ?s ?p ?o }",
]
NO_DATASET = [
    "SELECT ?from { ?from ?p 'FROM <http://g/a>' } # FROM <http://g/a>",
    "SELECT ?s { ?s <http://g/FROM> ?o }",
    "PREFIX ex: <http://g/> SELECT ?s { ?s ex:from ?o }",
    "SELECT ?s { GRAPH <http://g/a> { ?s ?p ?o } }",
]


def test_a_dataset_clause_is_found_however_it_is_spelled():
    """What Oxigraph reads as FROM / FROM NAMED, `inspect` finds (so the union default graph is not put in its
    place); a FROM in a string, IRI, comment, variable or local name is not one."""
    engine = ox.Store()
    for i, graph in enumerate(("http://g/a", "http://g/b")):
        engine.add(
            ox.Quad(ox.NamedNode(f"http://s/{i}"), ox.NamedNode("http://p"), ox.Literal("o"), ox.NamedNode(graph))
        )
    for query in OWN_DATASET:
        assert check(query, 100).dataset, query
        assert [s["s"].value for s in engine.query(query)] == ["http://s/0"], query
    for query in NO_DATASET:
        assert not check(query, 100).dataset, query


PROLOGUES = [
    "",
    "PREFIX a: <http://x/> ",
    "prefix : <http://x/>\n",
    "BASE <http://x/> PREFIX rdfs:<http://www.w3.org/2000/01/rdf-schema#>",
    "# a comment\r\n",
    "PREFIXES: <http://x/> ",
    "PREFIX a{b: <x> ",
    "PREFIX a: SELECT ",
    "BASE<x>",
    "_:b ",
    "(",
]


FORMS = ["SELECT *", "select ?rand", "ASK", "CONSTRUCT", "describe <x>", "INSERT DATA", "DELETE", "PREFIX", "SELECT-x:"]


BODIES = [
    "{ ?s ?p ?o }",
    "{ BIND(RAND() AS ?r) }",
    "{ BIND(now () AS ?r) }",
    "{ ?s <http://xmlns.com/foaf/0.1/knows> ?o }",
    "{ ?s ?p 'UUID()' }",
    "{ FILTER(((((1)))) }",
    "{ ?s ex:bnode ?o }",
    "{ ?s ?p ?o } # STRUUID()",
]


def test_the_quick_inspection_agrees_with_the_tokenizer():
    """`check` reads only the prologue of a query that cannot name SERVICE (`_inspect_plain`); wherever it
    answers, it agrees with the tokenizer: the same form, update and SERVICE, volatile whenever the
    tokenizer finds a volatile function, and at least as deep."""
    queries = [p + f + b for p in PROLOGUES for f in FORMS for b in BODIES]
    queries += [*ALLOWED, *REFUSED_SERVICE, *(path.read_text(encoding="utf-8") for path in QUERIES.glob("*.rq"))]
    answered = 0
    for query in queries:
        quick = _inspect_plain(query, 100)
        if quick is None:
            continue
        answered += 1
        full = inspect(query)
        assert (quick.form, quick.update, quick.service, quick.dataset) == (
            full.form,
            full.update,
            full.service,
            full.dataset,
        ), query
        assert quick.volatile or not full.volatile, query
        assert quick.depth >= full.depth, query
    assert answered > len(queries) // 3  # most: the odd prologues above are there to be left to the tokenizer
    assert _inspect_plain(REFUSED_SERVICE[0], 100) is None
    assert _inspect_plain("SELECT * { FILTER(" + "(" * 101 + "1" + ")" * 101 + ") }", 100) is None


KEYWORDS = ["SERVICE", "service", "Service", "SERVIC\\u0045", "SERV ICE"]


GAPS = ["", " ", "\n", "\t", "#c\n", " #c\n", "\\"]


TARGETS = ["<{u}>", "ex:a", ":b", "?v", "<{u}x#y>", "ex:SERVICE"]


CONTEXTS = [
    ("", ""),
    ("?s ?p ?o . ", ""),
    ("?s ?p ?o ", ""),
    ("FILTER EXISTS { ", " }"),
    ("OPTIONAL { ", " }"),
    ("{ } UNION { ", " }"),
    ("BIND(EXISTS { ", " } AS ?z)"),
    ('"', '"'),
    (", "),
    ("#", "\n"),
    ("<", ">"),
    ("?s ex:p\\", ""),
    ("MINUS { ", " }"),
]


NOISE = ["", "", "", "'", '"', "#", "\\", "{", "}", "<", ">", "?", ":", ".", ";", "\n", " "]


def _random_query(rng: random.Random, url: str) -> str:
    keyword = rng.choice(KEYWORDS)
    silent = rng.choice(["", "", "SILENT", "silent"])
    target = rng.choice(TARGETS).replace("{u}", url)
    call = f"{keyword}{rng.choice(GAPS)}{silent}{rng.choice(GAPS)}{target}{rng.choice(GAPS)}{{ }}"
    before, after = rng.choice(CONTEXTS)
    body = before + call + after
    for _ in range(rng.randint(0, 2)):  # damage it somewhere
        at = rng.randint(0, len(body))
        body = body[:at] + rng.choice(NOISE) + body[at:]
    head = rng.choice(["SELECT * WHERE", "ASK", "SELECT (COUNT(*) AS ?n)", "CONSTRUCT WHERE"])
    return f"PREFIX ex: <{url}> PREFIX : <{url}> {head} {{ {body} }}"


def test_nothing_the_engine_would_send_out_gets_past_the_check():
    """Random SERVICE calls in random contexts, glued or spaced, some damaged: each one that reaches a
    listener when Oxigraph evaluates it must have been refused by the check."""
    listener = Listener()
    engine = ox.Store()
    rng = random.Random(5)
    sent_out = refused_count = 0
    try:
        for _ in range(3000):
            query = _random_query(rng, listener.root)
            try:
                check(query, 100)
                refused = False
            except QueryRefused:
                refused = True
                refused_count += 1
            before = listener.connections
            with contextlib.suppress(SyntaxError, OSError, RuntimeError, ValueError):
                result = engine.query(query)
                if not isinstance(result, ox.QueryBoolean):
                    list(result)
            if listener.connections > before:
                sent_out += 1
                assert refused, f"reached the listener but not refused: {query!r}"
    finally:
        listener.close()
    assert sent_out > 100 and refused_count < 3000  # both kinds were exercised


def test_example_queries_pass_the_check():
    for path in sorted(QUERIES.glob("*.rq")):
        assert check(path.read_text(encoding="utf-8"), 100).form in ("SELECT", "CONSTRUCT")
