"""SPARQL results from different stores, made comparable: what the JSON results format lets a store choose
(`typed-literal` for `literal`, an explicit xsd:string, an integer subtype kept or made xsd:integer) is normalised,
and solutions are compared as a multiset (the order of equal sort keys is the store's choice)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections import Counter

import pyoxigraph as ox

from ryoiki_ld.rdf import INTEGER_SUBTYPES, XSD_INTEGER, XSD_STRING

Solution = tuple[tuple[str, tuple[str, str, str, str]], ...]


def _term(binding: dict) -> tuple[str, str, str, str]:
    kind = "literal" if binding["type"] == "typed-literal" else binding["type"]
    value, datatype = binding["value"], binding.get("datatype", "")
    if datatype == XSD_STRING:
        datatype = ""
    if datatype in INTEGER_SUBTYPES:
        datatype, value = XSD_INTEGER, str(int(value))
    return kind, value, datatype, binding.get("xml:lang", "").lower()


def solutions(document: dict) -> Counter[Solution]:
    """The solutions of a SPARQL JSON results document, normalised, as a multiset."""
    return Counter(tuple(sorted((var, _term(b)) for var, b in row.items())) for row in document["results"]["bindings"])


def remote(endpoint: str, query: str) -> Counter[Solution]:
    request = urllib.request.Request(
        endpoint,
        data=urllib.parse.urlencode({"query": query}).encode("ascii"),
        headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return solutions(json.loads(response.read()))


def local(store: ox.Store, query: str) -> Counter[Solution]:
    """The same from our own store, whose default graph is the union of its graphs (as `serve` queries it)."""
    result = store.query(query, use_default_graph_as_union=True)
    return solutions(json.loads(result.serialize(format=ox.QueryResultsFormat.JSON)))
