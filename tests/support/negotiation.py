"""Requests for resource IRIs and generic documents, and what every server of the site must answer them: `serve`,
and Apache and nginx with the site's rewrite rules; and where the rules, which read no q-values, answer otherwise
than `serve` (docs/site.md says so)."""

from __future__ import annotations

from ryoiki_ld import formats, iris

from .report import BASE

NEGOTIATION_CASES = [  # (path below the site, Accept); the expected answer is what formats.negotiate decides
    ("id/network/001", None),
    ("id/network/001", "text/turtle"),
    ("id/network/001", "application/ld+json"),
    ("id/network/001", "application/json"),
    ("id/network/001", "application/n-triples"),
    ("id/network/001", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("id/network/001", "*/*"),
    ("id/network/001", "text/*"),
    ("id/network/001", "application/*"),
    ("id/network/001", "text/turtle, */*;q=0.1"),
    ("id/network/001", "application/rdf+xml"),
    ("id/network/001?format=ttl", "text/html"),
    ("id/network/001?format=json-ld", None),
    ("id/network/001?x=1&format=nt", None),
    ("id/network/001?format=TURTLE", None),
    ("id/network/001?format=xml", None),
    ("id/network/001.ttl", "text/html"),
    ("id/network/001.nt?format=ttl", None),
    ("id/network/001.JSON", None),
    ("id/network/001.xml", None),
    ("id/prefecture/13", "text/turtle"),
    ("def", None),
    ("def", "application/n-triples"),
    ("def.jsonld", None),
    ("def?format=ttl", None),
    # every media type, alias and name of every document format in data/formats.csv (the rules spell them out)
    *(("id/network/001", t) for f in formats.DOCUMENTS for t in (f.media_type, *f.aliases)),
    *((f"id/network/001?format={n}", None) for f in formats.DOCUMENTS for n in f.names),
    *((f"id/network/001.{n}", None) for f in formats.DOCUMENTS for n in f.names),
]


def expected_answer(path: str, accept: str | None) -> tuple[int, str | None]:
    """(status, Location path without the mount) as `serve` will answer, from formats.negotiate."""
    resource, _, query = path.partition("?")
    suffix = resource.rpartition("/")[2].partition(".")[2] or None
    params = dict(p.split("=", 1) for p in query.split("&")) if query else {}
    chosen = formats.negotiate(accept, params.get("format"), suffix)
    if chosen is None:
        return (400 if suffix or "format" in params else 406), None
    document = iris.document_path(BASE + resource.split(".")[0], BASE)
    return 303, f"{document}.{chosen.ext}"


# A document's generic name (no suffix): the same negotiation, answered with the variant itself (200).
GENERIC_CASES = [
    *((path.replace("id/", "doc/", 1), accept) for path, accept in NEGOTIATION_CASES if path.startswith("id/network")),
    ("doc/def", None),
    ("doc/def", "application/n-triples"),
    ("doc/def?format=ttl", "text/html"),
    ("doc/observation/fy2019/001", "text/turtle"),
]
GENERIC_CASES = [(path, accept) for path, accept in GENERIC_CASES if "." not in path.partition("?")[0]]


def expected_variant(path: str, accept: str | None) -> tuple[int, str | None]:
    """(status, Content-Location) as `serve` will answer a generic document: the variant's file name."""
    document, _, query = path.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&")) if query else {}
    chosen = formats.negotiate(accept, params.get("format"))
    if chosen is None:
        return (400 if "format" in params else 406), None
    return 200, f"{document.rsplit('/', 1)[1]}.{chosen.ext}"


# Accept headers whose q-values decide: (Accept, the extension `serve` picks, the one the Apache and nginx rules pick).
# The rules take the first of HTML, Turtle, JSON-LD, N-Triples that the header names, whatever its q (docs/site.md).
Q_VALUE_CASES = [
    ("text/turtle, text/html;q=0.5", "ttl", "html"),
    ("text/html;q=0, */*", "ttl", "html"),
    ("application/ld+json;q=0.9, text/turtle;q=0.5", "jsonld", "ttl"),
    ("text/turtle;q=0, application/n-triples", "nt", "ttl"),
    ("application/n-triples, */*;q=0.1", "nt", "nt"),
    ("text/turtle;q=0.9, application/ld+json;q=0.8", "ttl", "ttl"),
]
