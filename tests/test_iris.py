"""IRIs → document paths, and content negotiation (suffix > format= > Accept)."""

from __future__ import annotations

import pytest

from ryoiki_ld import iris

BASE = "https://w3id.org/ryoiki-ld/"


@pytest.mark.parametrize(
    ("iri", "path"),
    [
        (BASE + "id/network/001", "doc/network/001"),
        (BASE + "id/secondary-medical-area/0102", "doc/secondary-medical-area/0102"),
        (BASE + "id/assessment/061-e", "doc/assessment/061-e"),
        ("https://w3id.org/ryoiki-ld/def#Network", "doc/def"),
        ("https://w3id.org/ryoiki-ld/def", "doc/def"),
        ("http://www.wikidata.org/entity/Q1037393", None),
        (BASE + "id/network", None),
        (BASE + "id/network/001/x", None),
        (BASE + "id/dataset/ryoiki-ld#fy2019", "doc/dataset/ryoiki-ld"),
        (BASE + "id/network#x", None),
        (BASE + "source/mhlw-chiren-nw-fy2019.txt", None),
    ],
)
def test_document_path(iri: str, path: str | None) -> None:
    assert iris.document_path(iri, BASE) == path


def test_resource_iri_round_trips() -> None:
    assert iris.document_path(iris.resource_iri(BASE, "prefecture", "01"), BASE) == "doc/prefecture/01"


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
    fmt = iris.negotiate(accept)
    assert fmt is not None
    assert fmt.ext == ext


@pytest.mark.parametrize("accept", ["image/png", "application/rdf+xml", "text/turtle;q=0, text/html;q=0"])
def test_negotiate_nothing_acceptable(accept: str) -> None:
    assert iris.negotiate(accept) is None


def test_suffix_wins_over_format_which_wins_over_accept() -> None:
    assert iris.negotiate("text/html", format_param="turtle", suffix="nt").ext == "nt"
    assert iris.negotiate("text/html", format_param="json-ld").ext == "jsonld"
    assert iris.negotiate("text/turtle", format_param="html").ext == "html"
    assert iris.negotiate("text/html", format_param="xlsx") is None


def test_media_type_format() -> None:
    assert iris.media_type_format("text/turtle; charset=utf-8").ext == "ttl"
    assert iris.media_type_format("image/png") is None


def test_negotiate_among_other_formats():
    """The endpoint negotiates SPARQL result formats with the same rules (sparql.SOLUTION_FORMATS)."""
    results = (
        iris.Format("srj", "application/sparql-results+json", ("json",), ("application/json",)),
        iris.Format("csv", "text/csv", ("csv",)),
    )
    assert iris.negotiate(None, formats=results).ext == "srj"
    assert iris.negotiate("text/csv, */*;q=0.1", formats=results).ext == "csv"
    assert iris.negotiate("application/json", format_param="csv", formats=results).ext == "csv"
    assert iris.negotiate("text/html", formats=results) is None
    assert iris.format_named("JSON", results).ext == "srj"
    assert iris.media_type_format("application/json; charset=utf-8", results).ext == "srj"
