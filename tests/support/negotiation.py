"""Requests for resource IRIs and what every server of the site must answer them: `serve`, and Apache and nginx
with the site's rewrite rules."""

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
