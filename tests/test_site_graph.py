"""site.graph: the triples grouped by resource, literals read back, and what a resource's document holds."""

from __future__ import annotations

import pyoxigraph as ox

from ryoiki_ld.site import graph

from .support.report import BASE, RLD

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def test_documents_carry_inverse_links_and_the_labels_of_what_they_link_to(built):
    graph = {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in (q.triple for q in ox.parse(path=str(built / "site/doc/prefecture/01.ttl")))
    }
    network = BASE + "id/network/001"
    assert (network, RLD + "prefecture", BASE + "id/prefecture/01") in graph  # a network of Hokkaido
    assert (network, RDFS_LABEL, "道南地域医療連携協議会") in graph  # …with its label
    assert (BASE + "id/municipality/01202", RDFS_LABEL, "函館市") in graph


def test_literal_reads_escapes_language_and_datatype():
    assert graph.literal('"a\\"b\\\\c\\u00e9"@ja') == ('a"b\\cé', "ja", None)
    assert graph.literal('"5"^^<http://www.w3.org/2001/XMLSchema#integer>') == (
        "5",
        None,
        "http://www.w3.org/2001/XMLSchema#integer",
    )
