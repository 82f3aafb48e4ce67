"""store + query: the on-disk store holds exactly the dump, opens read-only, and answers the examples right.

Also the query inspection (`sparql.check`) that the endpoint relies on: SERVICE in every disguise the
engine accepts, updates, nesting; and a randomised check that no query the engine would send to a
listener gets past it.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib

from ryoiki_ld import sparql
from ryoiki_ld.config import ROOT, Output, Paths
from ryoiki_ld.rdf import INTEGER_SUBTYPES, XSD
from ryoiki_ld.store import read_manifest

from .support import report
from .support.cli import run_cli

RLD = "https://w3id.org/ryoiki-ld/def#"
QUERIES = Paths().queries


@pytest.fixture(scope="module")
def store(built: Path) -> ox.Store:
    return ox.Store.read_only(str(built / "store"))


@pytest.fixture(scope="module")
def networks(built: Path) -> pd.DataFrame:
    return pd.read_csv(built / "data" / "networks.csv", dtype=str, keep_default_na=False)


def rows(store: ox.Store, name: str) -> list[dict[str, str]]:
    result = store.query((QUERIES / name).read_text(encoding="utf-8"))
    return [{v.value: s[v].value for v in result.variables if s[v] is not None} for s in result]


# --- the store ------------------------------------------------------------------------------------


def test_store_holds_exactly_the_dump(built, store):
    """Every triple of the dump, in the default graph; Oxigraph keeps integer subtypes (the counts'
    xsd:nonNegativeInteger) as xsd:integer, as the README says."""
    dumped = ox.serialize(store.quads_for_pattern(None, None, None, None), format=ox.RdfFormat.N_QUADS)
    lines = sorted(dumped.decode("utf-8").splitlines())
    expected = (built / "dump" / "ryoiki-ld.nt").read_text(encoding="utf-8")
    for subtype in INTEGER_SUBTYPES:
        expected = expected.replace(f'"^^<{subtype}> .', f'"^^<{XSD}integer> .')
    assert lines == sorted(expected.splitlines())
    assert list(store.named_graphs()) == []


def test_store_is_read_only(store):
    quad = ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("x"))
    with pytest.raises(RuntimeError, match="read-write"):
        store.add(quad)
    with pytest.raises(RuntimeError, match="read-write"):
        store.update("INSERT DATA { <http://example.org/s> <http://example.org/p> 'x' }")
    with pytest.raises(RuntimeError, match="read-write"):
        store.bulk_load(input=b"<http://example.org/s> <http://example.org/p> 'x' .", format=ox.RdfFormat.TURTLE)
    assert quad not in store


def test_manifest_records_the_base_iri_and_counts(built, store):
    manifest = read_manifest(Output(built))
    assert manifest.base_iri == "https://w3id.org/ryoiki-ld/"
    assert manifest.triples == len(store) == len((built / "dump" / "ryoiki-ld.nt").read_text().splitlines())
    assert manifest.classes[RLD + "Network"] == 218
    assert manifest.classes[RLD + "Prefecture"] == 47
    assert manifest.classes[RLD + "CriterionAssessment"] == 218 * 7
    assert all((built / dump).is_file() for dump in manifest.dumps) and len(manifest.dumps) == 3
    assert json.loads((built / "build.json").read_text())["base_iri"] == manifest.base_iri


def test_another_base_iri_is_recorded_and_used(tmp_path):
    out = tmp_path / "b"
    result = run_cli("build", "--out", out, "--base-iri", "http://data.example.org/chiren/")
    assert result.returncode == 0, result.stderr
    assert read_manifest(Output(out)).base_iri == "http://data.example.org/chiren/"
    store = ox.Store.read_only(str(out / "store"))
    assert ox.NamedNode("http://data.example.org/chiren/id/network/001") in {q.subject for q in store}


def test_serve_and_query_need_a_build(tmp_path):
    for args in (["query", "ASK {}"], ["serve", "--port", "0"]):
        result = run_cli(*args, "--out", tmp_path / "nothing")
        assert result.returncode == 2
        assert "run `ryoiki-ld build" in result.stderr and "Traceback" not in result.stderr


# --- `ryoiki-ld query` ----------------------------------------------------------------------------

COUNT = f"PREFIX rld: <{RLD}> SELECT (COUNT(?n) AS ?networks) {{ ?n a rld:Network }}"


def test_query_prints_a_table_by_default(built):
    result = run_cli("query", COUNT, "--out", built)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["networks", "--------", "218"]
    assert "(1 row)" in result.stdout


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("csv", lambda out: out.splitlines() == ["networks", "218"]),
        ("json", lambda out: json.loads(out)["results"]["bindings"][0]["networks"]["value"] == "218"),
    ],
)
def test_query_formats_for_select(built, fmt, check):
    result = run_cli("query", COUNT, "--format", fmt, "--out", built)
    assert result.returncode == 0, result.stderr
    assert check(result.stdout)


def test_query_from_a_file_as_turtle(built, tmp_path):
    query = tmp_path / "q.rq"
    query.write_text("CONSTRUCT WHERE { <https://w3id.org/ryoiki-ld/id/prefecture/13> ?p ?o }", encoding="utf-8")
    result = run_cli("query", f"@{query}", "--format", "turtle", "--out", built)
    assert result.returncode == 0, result.stderr
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    assert (
        rdflib.URIRef("https://w3id.org/ryoiki-ld/id/prefecture/13"),
        None,
        rdflib.Literal("東京都", lang="ja"),
    ) in graph


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["SELECT * WHERE { ?s ?p }"], "query:1: column 25: SPARQL syntax error: expected"),
        (["PREFIX x: <http://x/>\nSELECT * WHERE {\n  ?s ?p ?o ;\n}}"], "query:4: column 3: SPARQL syntax error"),
        (["SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"], "query: SERVICE is not allowed"),
        (["INSERT DATA { <http://x/s> <http://x/p> 1 }"], "read-only"),
        ([COUNT, "--format", "turtle"], "--format turtle is for CONSTRUCT and DESCRIBE"),
        (["@missing.rq"], "missing.rq: cannot read the query"),
    ],
)
def test_query_errors_exit_2_with_one_line(built, args, message):
    result = run_cli("query", *args, "--out", built)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- the example queries --------------------------------------------------------------------------


def test_every_example_says_what_it_asks_and_returns_rows(store):
    files = sorted(QUERIES.glob("*.rq"))
    assert len(files) >= 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# ") and text.splitlines()[1].startswith("# "), f"{path.name}: needs a comment"
        result = store.query(text)
        assert len(list(result)) > 0, f"{path.name} returns nothing"


def test_networks_per_prefecture_sum_to_218(store, networks):
    found = {r["code"]: int(r["networks"]) for r in rows(store, "networks-per-prefecture.rq")}
    assert sum(found.values()) == 218
    assert found == networks["pref_code"].value_counts().to_dict()


def test_networks_meeting_every_assessable_criterion(store, built):
    eligibility = pd.read_csv(built / "validation" / "eligibility.csv")
    outcomes = eligibility.groupby("no")["outcome"].agg(set)
    expected = {no for no, seen in outcomes.items() if "met" in seen and "not_met" not in seen}
    found = rows(store, "networks-meeting-every-assessable-criterion.rq")
    assert {int(r["no"]) for r in found} == expected
    met = eligibility[eligibility["outcome"] == "met"].groupby("no").size()
    assert all(int(r["criteriaMet"]) == met[int(r["no"])] for r in found)


def test_single_institution_networks_are_the_reports_59(store, networks):
    found = {int(r["no"]) for r in rows(store, "single-institution-networks.rq")}
    assert len(found) == report.ONE_DISCLOSING  # 開示医療機関数が１である地連ＮＷ ５９
    assert found == set(networks.loc[networks["disclosing"] == "1", "no"].astype(int))


def test_funding_by_prefecture_equals_the_table(store, networks):
    table = networks[(networks["no"] != "61") & (networks["funding_jpy"] != "")]
    expected = table.assign(yen=table["funding_jpy"].astype(int)).groupby("pref_code")["yen"].sum().to_dict()
    found = {r["code"]: int(r["fundingJPY"]) for r in rows(store, "funding-fy2019-by-prefecture.rq")}
    assert found == expected
    assert sum(found.values()) == sum(expected.values()) > 0


def test_networks_by_start_year_equal_the_table(store, networks):
    found = {r["year"]: int(r["networks"]) for r in rows(store, "networks-by-start-year.rq")}
    assert found == networks["start_fiscal_year"].value_counts().to_dict()


def test_prefecture_links_equal_the_reference_data(store):
    reference = pd.read_csv(ROOT / "data" / "reference" / "prefectures.csv", dtype=str, keep_default_na=False)
    found = {r["code"]: (r["estat"], r["wikidata"], r["nameEn"]) for r in rows(store, "prefectures-and-links.rq")}
    assert found == {
        r.pref_code: (r.estat_sac_uri, r.wikidata_uri, r.name_en) for r in reference.itertuples(index=False)
    }


def test_one_network_as_rdf(store):
    result = store.query((QUERIES / "one-network-as-rdf.rq").read_text(encoding="utf-8"))
    graph = rdflib.Graph().parse(data=ox.serialize(list(result), format=ox.RdfFormat.N_TRIPLES), format="nt")
    network = rdflib.URIRef("https://w3id.org/ryoiki-ld/id/network/001")
    assert (network, rdflib.RDFS.label, rdflib.Literal("道南地域医療連携協議会", lang="ja")) in graph
    assert len(set(graph.subjects(rdflib.URIRef(RLD + "network"), network))) == 7  # its seven assessments


# --- query inspection -----------------------------------------------------------------------------

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
    with pytest.raises(sparql.QueryRefused) as refused:
        sparql.check(query, 100)
    assert refused.value.status == 403 and "SERVICE is not allowed" in refused.value.message


@pytest.mark.parametrize("query", ALLOWED)
def test_service_as_a_word_in_data_is_allowed(query):
    assert sparql.check(query, 100).form == "SELECT"


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
    with pytest.raises(sparql.QueryRefused) as refused:
        sparql.check(query, 100)
    assert refused.value.status == status and words in refused.value.message


def test_inspection_reads_the_form_and_volatile_functions():
    assert sparql.inspect("PREFIX a: <b>\nBASE <c>\nconstruct { } where { }").form == "CONSTRUCT"
    assert sparql.inspect("ASK{}").form == "ASK"
    assert sparql.inspect("SELECT (RAND() AS ?r) {}").volatile
    assert sparql.inspect("SELECT (now() AS ?r) {}").volatile
    assert not sparql.inspect("SELECT ?rand { ?rand ?p 'NOW()' }").volatile


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
        quick = sparql._inspect_plain(query, 100)
        if quick is None:
            continue
        answered += 1
        full = sparql.inspect(query)
        assert (quick.form, quick.update, quick.service) == (full.form, full.update, full.service), query
        assert quick.volatile or not full.volatile, query
        assert quick.depth >= full.depth, query
    assert answered > len(queries) // 3  # most: the odd prologues above are there to be left to the tokenizer
    assert sparql._inspect_plain(REFUSED_SERVICE[0], 100) is None
    assert sparql._inspect_plain("SELECT * { FILTER(" + "(" * 101 + "1" + ")" * 101 + ") }", 100) is None


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
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    reached: list[int] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            reached.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    engine = ox.Store()
    rng = random.Random(5)
    sent_out = refused_count = 0
    try:
        for _ in range(3000):
            query = _random_query(rng, url)
            try:
                sparql.check(query, 100)
                refused = False
            except sparql.QueryRefused:
                refused = True
                refused_count += 1
            before = len(reached)
            with contextlib.suppress(SyntaxError, OSError, RuntimeError, ValueError):
                result = engine.query(query)
                if not isinstance(result, ox.QueryBoolean):
                    list(result)
            if len(reached) > before:
                sent_out += 1
                assert refused, f"reached the listener but not refused: {query!r}"
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert sent_out > 100 and refused_count < 3000  # both kinds were exercised


def test_example_queries_pass_the_check():
    for path in sorted(QUERIES.glob("*.rq")):
        assert sparql.check(path.read_text(encoding="utf-8"), 100).form in ("SELECT", "CONSTRUCT")


REMOTE = re.compile(
    r"""(?:src|href)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|fetch\(\s*["'`](?:https?:)?//"""
)


def test_query_page_loads_nothing_from_another_host():
    for path in (ROOT / "site" / "query").iterdir():
        assert not REMOTE.search(path.read_text(encoding="utf-8")), path


def test_deep_queries_need_the_deep_stack(built):
    """A chain of 15,000 `||` overflows Oxigraph's parser on an 8 MiB stack (Linux's usual default for the
    main thread); `with_deep_stack` runs it."""
    code = (
        "import sys, threading, pyoxigraph as ox\n"
        "from ryoiki_ld.store import with_deep_stack\n"
        f"store = ox.Store.read_only({str(built / 'store')!r})\n"
        "query = 'ASK { FILTER(' + 'true||' * 15000 + 'true) }'\n"
        "run = lambda: print(bool(store.query(query)))\n"
        "if sys.argv[1] == 'deep':\n"
        "    with_deep_stack(run)\n"
        "else:\n"
        "    threading.stack_size(8 * 1024 * 1024)\n"
        "    thread = threading.Thread(target=run)\n"
        "    thread.start()\n"
        "    thread.join()\n"
    )
    deep = subprocess.run([sys.executable, "-c", code, "deep"], capture_output=True, text=True, timeout=120)
    assert deep.returncode == 0 and deep.stdout == "True\n", deep.stderr
    small = subprocess.run([sys.executable, "-c", code, "8MiB"], capture_output=True, text=True, timeout=120)
    assert small.returncode < 0  # killed by a signal (SIGSEGV): why the workers use the deep stack
