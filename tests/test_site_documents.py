"""site.documents: every resource dereferences to its documents, each one graph in three syntaxes (N-Triples,
Turtle, JSON-LD) that independent parsers read alike, every term kept exactly."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from ryoiki_ld import iris
from ryoiki_ld.site import documents, graph

from .support.report import BASE

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PARSERS = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD}


@pytest.fixture(scope="module")
def published(dump: list[ox.Triple]) -> dict[str, set[str]]:
    """Document path → the IRIs it must describe: every subject the graph mints (iris.document_path)."""
    found: dict[str, set[str]] = {}
    for t in dump:
        if isinstance(t.subject, ox.NamedNode):
            path = iris.document_path(t.subject.value, BASE)
            if path:
                found.setdefault(path, set()).add(t.subject.value)
    return found


def test_every_minted_resource_has_its_four_documents_in_both_languages(built, published):
    kinds = Counter(path.split("/")[1] for path in published)
    assert kinds == {
        "assessment": 1526,
        "municipality": 1916,
        "secondary-medical-area": 335,
        "network": 218,
        "coverage-area": 218,
        "prefecture": 47,
        "criterion": 7,
        "report": 1,
        "organization": 2,  # MHLW and the publisher of the dataset
        "def": 1,
        "correction": 4,
        "distribution": 15,
        "dataset": 3,  # the publication (ryoiki-ld), the survey series (chiren-nw-survey), the FY2019 edition (fy2019)
        "observation": 218,  # a row of the FY2019 survey each: observation/fy2019/001, its six values in it
        "catalog": 1,
        "service": 1,
        "build": 1,
        "software": 1,
    }
    missing = [
        f"{prefix}{path}.{ext}"
        for path in published
        for prefix, ext in [("", "html"), ("en/", "html"), ("", "ttl"), ("", "jsonld"), ("", "nt")]
        if not (built / "site" / f"{prefix}{path}.{ext}").is_file()
    ]
    assert not missing, missing[:10]


def test_each_document_is_one_graph_in_three_syntaxes_describing_its_resource(built, dump, published):
    """Every .nt/.ttl/.jsonld parses to the same graph, which holds all the resource's own triples."""
    own: dict[str, set[ox.Triple]] = {}
    for t in dump:
        own.setdefault(t.subject.value, set()).add(t)
    problems = []
    for path, subjects in published.items():
        graphs = {
            ext: set(q.triple for q in ox.parse(path=str(built / "site" / f"{path}.{ext}"), format=fmt))
            for ext, fmt in PARSERS.items()
        }
        if not graphs["nt"] == graphs["ttl"] == graphs["jsonld"]:
            problems.append(f"{path}: the three syntaxes differ")
        for s in subjects:
            if not own[s] <= graphs["nt"]:
                problems.append(f"{path}: lacks triples of {s}")
            if not any(t.predicate.value == RDF_TYPE for t in own[s]):
                problems.append(f"{path}: {s} has no type")
    assert not problems, problems[:10]


def test_an_independent_parser_reads_the_json_ld_and_turtle(built):
    """rdflib (not the library that wrote them) parses one document of each kind to the same graph."""
    for path in ("doc/network/061", "doc/assessment/fy2019/169-d", "doc/prefecture/13", "doc/criterion/e", "doc/def"):
        nt = rdflib.Graph().parse(built / "site" / f"{path}.nt", format="nt")
        for ext, fmt in (("ttl", "turtle"), ("jsonld", "json-ld")):
            other = rdflib.Graph().parse(built / "site" / f"{path}.{ext}", format=fmt)
            assert isomorphic(nt, other), f"{path}.{ext}"


TRICKY = [
    '<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "quote \\" backslash \\\\ tab\\t nl\\n"@en-GB .',
    '<http://example.org/a> <http://example.org/p/with.dot> "\\u00E9\\U0001F600 ＜script＞"^^<http://example.org/dt#x> .',
    "<http://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/Thing> .",
    '<http://example.org/a> <https://w3id.org/ryoiki-ld/def#amountJPY> "12.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
    "<http://example.org/a> <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q1/x> .",
    '<http://example.org/b> <http://purl.org/dc/terms/title> "" .',
]


def test_turtle_and_json_ld_writers_keep_every_term_exactly():
    idx = graph.index(set(TRICKY))
    triples = graph.document_triples(idx, ["<http://example.org/a>", "<http://example.org/b>"], True)
    expected = {q.triple for q in ox.parse(input="\n".join(TRICKY).encode(), format=ox.RdfFormat.N_TRIPLES)}
    terms = documents.TermWriter()
    for text, fmt in (
        (documents.ntriples(triples), ox.RdfFormat.N_TRIPLES),
        (documents.turtle(triples, terms), ox.RdfFormat.TURTLE),
        (documents.jsonld(triples, terms), ox.RdfFormat.JSON_LD),
    ):
        assert {q.triple for q in ox.parse(input=text.encode(), format=fmt)} == expected, text
