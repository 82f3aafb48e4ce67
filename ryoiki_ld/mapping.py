"""map: tables → RDF by running the SPARQL CONSTRUCT mappings in `mappings/` over the tables' rows.

Python only loads the tables and runs the mappings. Each table becomes a graph of rows in the
manner of CSVW csv2rdf minimal mode (row `…/networks.csv#row=3`, one property per column
`…/networks.csv#name`, empty cells absent), loaded into an in-memory Oxigraph store together with
the build settings (`…/config#baseIri`). Every `mappings/*.rq` CONSTRUCT query runs over that store;
the union of their results, plus the ontology, is the dataset. Any SPARQL 1.1 engine given the same
row graph would produce the same triples.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyoxigraph as ox

from .errors import SourceError

TABLE_NS = "https://w3id.org/ryoiki-ld/table/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {
    "rld": "https://w3id.org/ryoiki-ld/def#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": XSD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "http://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "vann": "http://purl.org/vocab/vann/",
    "ic": "http://imi.go.jp/ns/core/rdf#",
    "wd": "http://www.wikidata.org/entity/",
    "sac": "http://data.e-stat.go.jp/lod/sac/",
}
_INTEGER = ox.NamedNode(XSD + "integer")
_BOOLEAN = ox.NamedNode(XSD + "boolean")


def row_quads(name: str, table: pd.DataFrame) -> Iterable[ox.Quad]:
    """The csv2rdf-style row graph of one table; unknown (empty) cells give no triple."""
    url = f"{TABLE_NS}{name}.csv"
    columns = [(c, ox.NamedNode(f"{url}#{c}"), str(table[c].dtype)) for c in table.columns]
    for i, values in enumerate(table.itertuples(index=False, name=None), start=1):
        row = ox.NamedNode(f"{url}#row={i}")
        for (_, predicate, dtype), value in zip(columns, values, strict=True):
            if value is None or value is pd.NA or value == "" or (isinstance(value, float) and pd.isna(value)):
                continue
            if dtype == "Int64" or dtype.startswith("int"):
                literal = ox.Literal(str(int(value)), datatype=_INTEGER)
            elif dtype == "boolean" or dtype == "bool":
                literal = ox.Literal("true" if value else "false", datatype=_BOOLEAN)
            else:
                literal = ox.Literal(str(value))
            yield ox.Quad(row, predicate, literal)


def config_quads(settings: dict[str, str]) -> Iterable[ox.Quad]:
    subject = ox.NamedNode(f"{TABLE_NS}config")
    for key, value in sorted(settings.items()):
        yield ox.Quad(subject, ox.NamedNode(f"{TABLE_NS}config#{key}"), ox.Literal(value))


def run_mappings(tables: dict[str, pd.DataFrame], settings: dict[str, str], mappings: Path) -> set[ox.Triple]:
    """Run every CONSTRUCT in `mappings` (in file-name order) over the tables; return the triples."""
    store = ox.Store()
    for name, table in tables.items():
        store.extend(row_quads(name, table))
    store.extend(config_quads(settings))
    triples: set[ox.Triple] = set()
    for path in sorted(mappings.glob("*.rq")):
        query = path.read_text(encoding="utf-8")
        try:
            result = store.query(query)
        except SyntaxError as e:
            raise SourceError(path, _error_line(str(e)), f"mapping is not valid SPARQL: {e}") from None
        if not isinstance(result, ox.QueryTriples):
            raise SourceError(path, None, "a mapping must be a CONSTRUCT query")
        triples.update(result)
    return triples


INTEGER_SUBTYPES = {
    XSD + t
    for t in (
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}
_RANGE = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#range")


def restore_declared_ranges(triples: set[ox.Triple], ontology: list[ox.Triple]) -> set[ox.Triple]:
    """Give integer literals the integer subtype the ontology declares as the property's range.

    Oxigraph keeps every integer-derived datatype as xsd:integer (on insert and in STRDT), so a
    mapping cannot produce xsd:nonNegativeInteger itself; the ontology's rdfs:range says what it must be.
    """
    ranges = {t.subject: t.object for t in ontology if t.predicate == _RANGE and t.object.value in INTEGER_SUBTYPES}
    out = set()
    for t in triples:
        target = ranges.get(t.predicate)
        if target is not None and isinstance(t.object, ox.Literal) and t.object.datatype == _INTEGER:
            t = ox.Triple(t.subject, t.predicate, ox.Literal(t.object.value, datatype=target))
        out.add(t)
    return out


def load_rdf(path: Path) -> list[ox.Triple]:
    try:
        return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    except (SyntaxError, ValueError, OSError) as e:
        raise SourceError(path, _error_line(str(e)), f"cannot parse Turtle: {e}") from None


def sorted_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """A stable order (by N-Triples form of subject, predicate, object) so dumps are byte-identical."""
    return sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def write_dumps(triples: list[ox.Triple], stem: Path) -> list[Path]:
    """Write `stem`.ttl, .nt and .jsonld from already sorted triples."""
    ttl = stem.with_suffix(".ttl")
    nt = stem.with_suffix(".nt")
    jsonld = stem.with_suffix(".jsonld")
    ttl.write_bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES))
    nt.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
    expanded = json.loads(ox.serialize(triples, format=ox.RdfFormat.JSON_LD))
    jsonld.write_text(json.dumps(expanded, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return [ttl, nt, jsonld]


def _error_line(message: str) -> int | None:
    """Oxigraph reports positions as 'line N' or 'N:M'; take the line when it is there."""
    import re

    m = re.search(r"line (\d+)", message) or re.search(r"\b(\d+):(\d+)\b", message)
    return int(m[1]) if m else None
