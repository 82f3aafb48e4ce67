"""The format table (data/formats.csv) and content negotiation (suffix > format= > Accept)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ryoiki_ld import formats


@pytest.mark.parametrize(
    ("accept", "ext"),
    [
        (None, "html"),
        ("", "html"),
        ("*/*", "html"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
        ("text/turtle", "ttl"),
        ("application/x-turtle", "ttl"),
        ("application/ld+json", "jsonld"),
        ("application/json", "jsonld"),
        ("application/n-triples", "nt"),
        ("text/turtle;q=0.5, application/ld+json", "jsonld"),
        ("application/ld+json;q=0.2, text/turtle;q=0.9, */*;q=0.1", "ttl"),
        ("text/*", "html"),
        ("text/*;q=0.3, text/turtle", "ttl"),
        ("text/html;q=0, */*", "ttl"),
        ("TEXT/TURTLE", "ttl"),
        ("text/turtle;q=abc, application/n-triples", "nt"),
    ],
)
def test_negotiate_accept(accept: str | None, ext: str) -> None:
    fmt = formats.negotiate(accept)
    assert fmt is not None
    assert fmt.ext == ext


@pytest.mark.parametrize("accept", ["image/png", "application/rdf+xml", "text/turtle;q=0, text/html;q=0"])
def test_negotiate_nothing_acceptable(accept: str) -> None:
    assert formats.negotiate(accept) is None


def test_suffix_wins_over_format_which_wins_over_accept() -> None:
    assert formats.negotiate("text/html", format_param="turtle", suffix="nt").ext == "nt"
    assert formats.negotiate("text/html", format_param="json-ld").ext == "jsonld"
    assert formats.negotiate("text/turtle", format_param="html").ext == "html"
    assert formats.negotiate("text/html", format_param="xlsx") is None


def test_of_media_type() -> None:
    assert formats.of_media_type("text/turtle; charset=utf-8", formats.DOCUMENTS).ext == "ttl"
    assert formats.of_media_type("image/png", formats.DOCUMENTS) is None


def test_a_name_means_what_the_offer_has() -> None:
    """`xml` and `json` name a results format for SELECT and a graph syntax for CONSTRUCT."""
    assert formats.named("xml", formats.SOLUTIONS).ext == "srx"
    assert formats.named("xml", formats.GRAPHS).ext == "rdf"
    assert formats.named("xml", formats.DOCUMENTS) is None
    assert formats.named("JSON", formats.SOLUTIONS).ext == "srj"
    assert formats.named("json", formats.GRAPHS).ext == "jsonld"
    assert formats.of_media_type("application/json; charset=utf-8", formats.SOLUTIONS).ext == "srj"
    assert formats.of_media_type("application/xml", formats.GRAPHS).ext == "rdf"
    assert formats.negotiate(None, formats=formats.SOLUTIONS).ext == "srj"
    assert formats.negotiate("text/csv, */*;q=0.1", formats=formats.SOLUTIONS).ext == "csv"
    assert formats.negotiate("application/json", format_param="csv", formats=formats.SOLUTIONS).ext == "csv"
    assert formats.negotiate("text/html", formats=formats.SOLUTIONS) is None


@pytest.mark.parametrize("offer", [formats.DOCUMENTS, formats.GRAPHS, formats.SOLUTIONS, formats.INPUTS])
def test_names_and_media_types_are_unambiguous_within_an_offer(offer) -> None:
    names = [name for f in offer for name in f.names]
    assert len(names) == len(set(names))
    media_types = [f.media_type for f in offer]
    assert len(media_types) == len(set(media_types))


def test_the_table() -> None:
    assert [f.ext for f in formats.DOCUMENTS] == ["html", "ttl", "jsonld", "nt"]
    assert [f.ext for f in formats.GRAPHS] == ["ttl", "jsonld", "nt", "rdf"]
    assert [f.ext for f in formats.SOLUTIONS] == ["srj", "srx", "csv", "tsv"]
    assert [f.name for f in formats.INPUTS] == ["turtle", "jsonld", "ntriples", "rdfxml", "csv"]
    for f in formats.GRAPHS:
        assert isinstance(f.oxigraph, ox.RdfFormat)
    for f in formats.SOLUTIONS:
        assert isinstance(f.oxigraph, ox.QueryResultsFormat)
    assert len(formats.BY_EXT) == len(formats.ALL)


@pytest.mark.parametrize("fmt", formats.GRAPHS, ids=lambda f: f.ext)
def test_every_graph_format_round_trips_in_oxigraph(fmt) -> None:
    triple = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("値"))
    text = ox.serialize([triple], format=fmt.oxigraph)
    assert [q.triple for q in ox.parse(text, format=fmt.oxigraph)] == [triple]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("old.htm", "text/html; charset=utf-8"),
        ("001.ttl", "text/turtle; charset=utf-8"),
        ("001.nt", "application/n-triples; charset=utf-8"),
        ("001.jsonld", "application/ld+json"),
        ("ckan-package.json", "application/json"),
        ("x.rdf", "application/rdf+xml"),
        ("networks.csv", "text/csv; charset=utf-8"),
        ("mhlw.txt", "text/plain; charset=utf-8"),
        ("q.rq", "application/sparql-query; charset=utf-8"),
        ("site.css", "text/css; charset=utf-8"),
        ("site.js", "text/javascript; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
        ("icon.png", "image/png"),
        ("favicon.ico", "image/x-icon"),
        ("sitemap.xml", "application/xml"),
        ("site.webmanifest", "application/manifest+json"),
        ("nginx.conf", "text/plain; charset=utf-8"),
    ],
)
def test_files_are_served_with_their_content_type(name: str, content_type: str) -> None:
    fmt = formats.for_file(name)
    assert fmt is not None and fmt.content_type == content_type


def test_unknown_files_have_no_format() -> None:
    assert formats.for_file("void") is None
    assert formats.for_file("data.xlsx") is None


@pytest.mark.parametrize(
    ("suffix", "name"),
    [(".ttl", "turtle"), (".nt", "ntriples"), (".jsonld", "jsonld"), (".json", "jsonld"), (".rdf", "rdfxml"),
     (".xml", "rdfxml"), (".owl", "rdfxml"), (".csv", "csv"), (".TTL", "turtle")],
)  # fmt: skip
def test_input_files_are_read_by_their_suffix(suffix: str, name: str) -> None:
    assert formats.for_input(suffix).name == name


def test_unknown_input_suffix() -> None:
    assert formats.for_input(".xlsx") is None
