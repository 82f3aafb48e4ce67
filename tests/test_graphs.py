"""graphs: every triple in the named graph its subject's kind belongs to (data/graphs.csv), the N-Quads dump is
the other dumps' graph split into those graphs, and the endpoint's default graph is their union unless a
request or a query names its own dataset (FROM, FROM NAMED, default-graph-uri, named-graph-uri).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from ryoiki_ld import graphs
from ryoiki_ld.config import Output, Paths
from ryoiki_ld.errors import RyoikiError, SourceError
from ryoiki_ld.store import read_manifest

from .support.cli import run_cli
from .support.report import BASE, RLD
from .support.server import LIMITS, Server, fetch, get_query, serving

QB = "http://purl.org/linked-data/cube#"
SD = "http://www.w3.org/ns/sparql-service-description#"
GRAPH = f"{BASE}graph/"
JSON = "application/sparql-results+json"
# Every kind of subject in the dump, written out here independently of data/graphs.csv, and its graph.
KINDS = [
    (r"https://w3id\.org/ryoiki-ld/def(#.*)?", "vocabulary"),
    (re.escape(QB) + r".*|http://purl\.org/linked-data/sdmx/.*", "vocabulary"),
    (r".*/id/(prefecture|municipality|secondary-medical-area|criterion)/[^/#]+", "reference"),
    (r".*/id/(network|coverage-area|correction|report|organization)/[^/]+", "networks"),
    (
        r".*/id/dataset/fy2019(#fiscal-year)?|.*/id/observation/fy2019/\d{3}(#\w+)?|.*/id/assessment/fy2019/\d{3}-[a-g]",
        "fy2019",
    ),
    (
        r".*/id/dataset/(ryoiki-ld|chiren-nw-survey)(#\w+)?|.*/id/(catalog|distribution|service|build|software)/[^/]+",
        "catalog",
    ),
    (r"https://w3id\.org/ryoiki-ld/source/.*", "catalog"),
    (r"https://creativecommons\.org/licenses/.*|https://www\.digital\.go\.jp/resources/open_data/.*", "catalog"),
]


def expected_graph(subject: str) -> str:
    found = [graph for pattern, graph in KINDS if re.fullmatch(pattern, subject)]
    assert len(found) == 1, f"{subject}: the test knows no single kind for it ({found})"
    return GRAPH + found[0]


@pytest.fixture(scope="module")
def quads(built: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(built / "dump" / "ryoiki-ld.nq"), format=ox.RdfFormat.N_QUADS))


# --- the table ------------------------------------------------------------------------------------


def test_the_longest_prefix_wins_and_surveys_fill_in():
    table = graphs.read_table(Paths().graphs, "http://x.example/", ["fy2019", "fy2021"])
    assert table.graph_of("http://x.example/id/dataset/fy2021") == "http://x.example/graph/fy2021"
    assert table.graph_of("http://x.example/id/observation/fy2021/005#m") == "http://x.example/graph/fy2021"
    assert table.graph_of("http://x.example/id/dataset/ryoiki-ld#fy2019") == "http://x.example/graph/catalog"
    assert table.graph_of("https://w3id.org/ryoiki-ld/def#Network") == "http://x.example/graph/vocabulary"
    assert table.graph_of("http://x.example/id/unheard-of/1") is None
    assert table.graphs == [f"http://x.example/graph/{k}" for k in sorted(graphs_keys(["fy2019", "fy2021"]))]


def graphs_keys(surveys: list[str]) -> set[str]:
    return {"catalog", "networks", "reference", "vocabulary", *surveys}


def test_a_subject_no_prefix_places_stops_the_build(tmp_path):
    table = graphs.read_table(Paths().graphs, BASE, ["fy2019"])
    lines = [f"<{BASE}id/network/001> <{RLD}p> <{BASE}id/unknown/1> .", f"<{BASE}id/unknown/1> <{RLD}p> 'x' ."]
    with pytest.raises(RyoikiError, match=r"graphs\.csv: no graph for 1 subject\(s\) \(https://.*/id/unknown/1\)"):
        graphs.nquads(lines, table)


def test_a_prefix_given_to_two_graphs_is_refused_with_its_line(tmp_path):
    path = tmp_path / "graphs.csv"
    path.write_text("graph,prefix,what\na,{base}id/x/,one\nb,{base}id/x/,two\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"graphs\.csv:3.*given to two graphs"):
        graphs.read_table(path, BASE, ["fy2019"])
    path.write_text("graph,prefix\na,{base}id/x/\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"graphs\.csv:1.*columns must be graph, prefix, what"):
        graphs.read_table(path, BASE, ["fy2019"])


# --- the dumps ------------------------------------------------------------------------------------


def test_the_quads_dump_is_sorted_and_its_union_is_exactly_the_triples_dump(built, quads):
    text = (built / "dump" / "ryoiki-ld.nq").read_text(encoding="utf-8")
    assert text.splitlines() == sorted(text.splitlines())
    union = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES).decode("utf-8").splitlines()
    assert sorted(union) == (built / "dump" / "ryoiki-ld.nt").read_text(encoding="utf-8").splitlines()
    assert len({q.triple for q in quads}) == len(quads)  # each triple in one graph


def test_every_triple_is_in_the_graph_of_its_subjects_kind(quads):
    wrong = [q for q in quads if q.graph_name.value != expected_graph(q.subject.value)]
    assert wrong == []
    assert {q.graph_name.value for q in quads} == {GRAPH + k for k in graphs_keys(["fy2019"])}


def test_the_survey_graph_holds_exactly_the_cube_and_the_assessments(quads):
    survey = [q for q in quads if q.graph_name.value == GRAPH + "fy2019"]
    kinds = Counter(q.object.value for q in survey if q.predicate.value.endswith("#type"))
    dcat, dcterms = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
    assert kinds == {
        QB + "DataSet": 1,
        dcat + "Dataset": 1,  # the same resource: the edition in the catalogue
        dcterms + "PeriodOfTime": 1,  # its fiscal year, id/dataset/fy2019#fiscal-year
        QB + "Slice": 218,
        QB + "Observation": 1308,
        RLD + "CriterionAssessment": 1526,
    }
    assert len({q.subject for q in survey}) == 1 + 1 + 218 + 1308 + 1526
    cube = {q.subject for q in quads if q.predicate.value.endswith("#type") and q.object.value.startswith(QB)}
    assert {s for s in cube if "/id/" in s.value} <= {q.subject for q in survey}


def test_the_manifest_counts_the_triples_of_each_graph(built, quads):
    counted = Counter(q.graph_name.value for q in quads)
    assert read_manifest(Output(built)).graphs == dict(sorted(counted.items()))


# --- queries: the union, and datasets named by the request or the query ------------------------


@pytest.fixture(scope="module")
def server(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(built, tmp_path_factory.mktemp("serve") / "build", *LIMITS) as running:
        yield running


def solutions(server: Server, query: str, **params: str) -> list[dict[str, str]]:
    reply = get_query(server, query, JSON, **params)
    assert reply.status == 200, reply.body
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(reply.body)["results"]["bindings"]]


def count(server: Server, where: str, dataset: str = "", **params: str) -> int:
    return int(solutions(server, f"SELECT (COUNT(*) AS ?n) {dataset} WHERE {{ {where} }}", **params)[0]["n"])


def test_the_endpoints_default_graph_is_the_union(server, built):
    manifest = read_manifest(Output(built))
    assert count(server, "?s ?p ?o") == manifest.triples == sum(manifest.graphs.values())
    assert count(server, f"?o a <{QB}Observation> . ?o <{RLD}network> ?n . ?n a <{RLD}Network>") == 1308


def test_graph_lists_the_named_graphs_and_their_contents(server, built):
    found = solutions(server, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    assert {r["g"]: int(r["n"]) for r in found} == read_manifest(Output(built)).graphs
    assert count(server, f"GRAPH <{GRAPH}fy2019> {{ ?o a <{QB}Observation> }}") == 1308
    assert count(server, f"GRAPH <{GRAPH}reference> {{ ?o a <{QB}Observation> }}") == 0


def test_from_sees_only_the_graph_it_names(server, built):
    reference = read_manifest(Output(built)).graphs[GRAPH + "reference"]
    assert count(server, "?s ?p ?o", f"FROM <{GRAPH}reference>") == reference
    assert count(server, f"?s a <{RLD}Network>", f"FROM <{GRAPH}reference>") == 0
    assert count(server, f"?s a <{RLD}Prefecture>", f"FROM <{GRAPH}reference>") == 47
    both = f"FROM <{GRAPH}reference> FROM <{GRAPH}networks>"
    assert count(server, f"?n a <{RLD}Network> ; <{RLD}prefecture> ?p . ?p a <{RLD}Prefecture>", both) == 218
    named = f"FROM NAMED <{GRAPH}vocabulary>"
    assert solutions(server, f"SELECT DISTINCT ?g {named} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}") == [
        {"g": GRAPH + "vocabulary"}
    ]


def test_the_protocols_dataset_wins(server, built):
    reference = read_manifest(Output(built)).graphs[GRAPH + "reference"]
    assert count(server, "?s ?p ?o", **{"default-graph-uri": GRAPH + "reference"}) == reference
    assert count(server, f"?s a <{RLD}Network>", **{"default-graph-uri": GRAPH + "reference"}) == 0


def test_the_service_description_says_the_default_graph_is_the_union(server, built):
    reply = fetch(server, "GET", "/sparql", {"Accept": "text/turtle"})
    description = rdflib.Graph().parse(data=reply.body, format="turtle")
    sd = rdflib.Namespace(SD)
    assert (None, sd.feature, sd.UnionDefaultGraph) in description
    names = {str(description.value(n, sd.name)): n for n in description.objects(None, sd.namedGraph)}
    assert set(names) == set(read_manifest(Output(built)).graphs)
    survey = description.value(names[GRAPH + "fy2019"], sd.graph)
    triples = description.value(survey, rdflib.URIRef("http://rdfs.org/ns/void#triples")).toPython()
    assert triples == read_manifest(Output(built)).graphs[GRAPH + "fy2019"]


def test_the_query_command_uses_the_union_and_keeps_from(built):
    union = run_cli("query", "--out", built, "--format", "csv", f"SELECT (COUNT(*) AS ?n) {{ ?s a <{RLD}Network> }}")
    assert union.returncode == 0, union.stderr
    assert union.stdout.splitlines()[1] == "218"
    only = run_cli(
        "query",
        "--out",
        built,
        "--format",
        "csv",
        f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH}reference> {{ ?s a <{RLD}Network> }}",
    )
    assert only.returncode == 0, only.stderr
    assert only.stdout.splitlines()[1] == "0"


def test_the_quads_dump_is_served_as_n_quads(server, built):
    reply = fetch(server, "GET", "/dump/ryoiki-ld.nq")
    assert reply.status == 200 and reply.headers["Content-Type"] == "application/n-quads; charset=utf-8"
    assert reply.body == (built / "dump" / "ryoiki-ld.nq").read_bytes()
