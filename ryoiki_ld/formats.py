"""Formats: the one table (`data/formats.csv`) of every format ryoiki-ld reads, writes, serves or negotiates.

A row is one format: its extension, what kind it is (an RDF `graph` syntax, a SPARQL `solutions` format, an
HTML `page`, or a plain `file` type that is only served), its media type and whether its Content-Type names
the charset, the names clients may give it (`?format=`, a suffix, `--input-format`; the first is the canonical
one), other media types that mean it, other file suffixes it is read from, the Oxigraph format that parses and
writes it, and whether the site publishes every resource in it.

Content negotiation is here too (RFC 9110 §12.5.1): a suffix wins over `format=`, which wins over `Accept`.
A name or media type is looked up among the formats on offer, so `xml` is RDF/XML for a CONSTRUCT result
and SPARQL Results XML for a SELECT.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .config import Paths


@dataclass(frozen=True, eq=False)
class Format:
    """One row of the table. Each is one object, compared and hashed by identity: negotiation is memoised on
    tuples of them (`serve.app.pick_format`), and a field-by-field hash cost more than the lookup."""

    ext: str
    kind: str  # graph | solutions | page | file
    media_type: str
    charset: bool  # Content-Type says charset=utf-8
    names: tuple[str, ...]  # what `?format=`, a suffix or `--input-format` may say; names[0] is canonical
    aliases: tuple[str, ...]  # other media types that mean this format
    suffixes: tuple[str, ...]  # other file suffixes that mean this format when a file is read or served
    oxigraph: ox.RdfFormat | ox.QueryResultsFormat | None
    documents: bool  # the site publishes every resource's document in this format

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


def _oxigraph(kind: str, name: str) -> ox.RdfFormat | ox.QueryResultsFormat | None:
    if not name:
        return None
    return getattr(ox.QueryResultsFormat if kind == "solutions" else ox.RdfFormat, name)


def load(path: Path) -> tuple[Format, ...]:
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(
            Format(
                ext=row["ext"],
                kind=row["kind"],
                media_type=row["media_type"],
                charset=row["charset"] == "true",
                names=tuple(row["names"].split()),
                aliases=tuple(row["aliases"].split()),
                suffixes=tuple(row["suffixes"].split()),
                oxigraph=_oxigraph(row["kind"], row["oxigraph"]),
                documents=row["documents"] == "true",
            )
            for row in csv.DictReader(f)
        )


ALL = load(Paths().formats)
BY_EXT = {f.ext: f for f in ALL}
HTML = BY_EXT["html"]
TURTLE, JSON_LD, N_TRIPLES, RDF_XML = BY_EXT["ttl"], BY_EXT["jsonld"], BY_EXT["nt"], BY_EXT["rdf"]
JSON_RESULTS, CSV = BY_EXT["srj"], BY_EXT["csv"]
# In server preference order where a client accepts several equally (the table's order): HTML first, for
# browsers send */*; Turtle first among graphs, JSON first among solutions.
DOCUMENTS = tuple(f for f in ALL if f.documents)  # a resource's documents: html, ttl, jsonld, nt
GRAPHS = tuple(f for f in ALL if f.kind == "graph")  # CONSTRUCT and DESCRIBE results
SOLUTIONS = tuple(f for f in ALL if f.kind == "solutions")  # SELECT and ASK results
INPUTS = (*GRAPHS, CSV)  # what `validate` reads: any RDF syntax, or the tidy table as CSV

_NAMED: dict[tuple[Format, ...], dict[str, Format]] = {}
_TYPED: dict[tuple[Format, ...], dict[str, Format]] = {}


def named(name: str, formats: tuple[Format, ...]) -> Format | None:
    """The format among `formats` that a `?format=` value or a file suffix names (case-insensitive), or None."""
    table = _NAMED.get(formats)
    if table is None:
        table = _NAMED[formats] = {}
        for f in reversed(formats):  # the first format that has a name keeps it
            table.update(dict.fromkeys(f.names, f))
    return table.get(name.strip().lower().lstrip("."))


def of_media_type(media_type: str, formats: tuple[Format, ...]) -> Format | None:
    """The format among `formats` of an exact media type (parameters such as charset ignored)."""
    table = _TYPED.get(formats)
    if table is None:
        table = _TYPED[formats] = {}
        for f in reversed(formats):
            table.update(dict.fromkeys((f.media_type, *f.aliases), f))
    return table.get(media_type.split(";")[0].strip().lower())


def for_file(name: str) -> Format | None:
    """The format of a file to serve, by its extension (`.htm` is HTML too), or None."""
    suffix = name.rpartition(".")[2].lower() if "." in name else ""
    return BY_EXT.get(suffix) or next((f for f in ALL if suffix in f.suffixes), None)


def for_input(suffix: str) -> Format | None:
    """The syntax a file to validate is read in, by its suffix (`.ttl`, `.json` as JSON-LD, `.owl` as RDF/XML)."""
    suffix = suffix.lower().lstrip(".")
    return next((f for f in INPUTS if suffix == f.ext or suffix in f.suffixes), None)


def _accepted(accept: str) -> list[tuple[float, int, str]]:
    """(q, specificity, media range) for each entry of an Accept header; malformed q counts as 0."""
    ranges = []
    for entry in accept.split(","):
        media_range, *params = (p.strip() for p in entry.split(";"))
        if not media_range:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        specificity = 0 if media_range == "*/*" else 1 if media_range.endswith("/*") else 2
        ranges.append((q, specificity, media_range.lower()))
    return ranges


def _quality(fmt: Format, ranges: list[tuple[float, int, str]]) -> float:
    """RFC 9110 §12.5.1: the q of the most specific range that matches any media type of the format."""
    best: tuple[int, float] | None = None
    for q, specificity, media_range in ranges:
        for media_type in (fmt.media_type, *fmt.aliases):
            kind = media_type.split("/")[0]
            if media_range in (media_type, f"{kind}/*", "*/*") and (best is None or specificity > best[0]):
                best = (specificity, q)
    return best[1] if best else 0.0


def negotiate(
    accept: str | None,
    format_param: str | None = None,
    suffix: str | None = None,
    formats: tuple[Format, ...] = DOCUMENTS,
) -> Format | None:
    """Pick a format from `formats` (in server preference order): a suffix wins over `format=`, which wins
    over `Accept`.

    None means the client named or accepts nothing we have (the caller answers 406 or 400).
    """
    for name in (suffix, format_param):
        if name:
            return named(name, formats)
    if not accept or not accept.strip():
        return formats[0]
    ranges = _accepted(accept)
    scored = [(_quality(f, ranges), -i, f) for i, f in enumerate(formats)]
    q, _, best = max(scored, key=lambda s: (s[0], s[1]))
    return best if q > 0 else None


def offered(formats: tuple[Format, ...]) -> str:
    """The formats on offer, for a 406 or 400 message: media type and canonical name of each."""
    return ", ".join(f"{f.media_type} (format={f.name})" for f in formats)
