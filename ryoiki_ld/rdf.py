"""RDF plumbing every stage shares: namespaces and prefixes, IRIs shortened to `prefix:local`, the positions in
Oxigraph's error messages, and the outcome codes of the criteria.

Every namespace IRI is typed here once; a module that needs one imports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- the project's own namespaces (fixed, independent of deployment; docs/knowledge-graph.md) --------------------

VOCABULARY = "https://w3id.org/ryoiki-ld/def#"  # rld:
ONTOLOGY = "https://w3id.org/ryoiki-ld/def"  # the ontology's own IRI
SHAPES = "https://w3id.org/ryoiki-ld/shapes#"  # rlds:, the shapes in shapes/
TABLE = "https://w3id.org/ryoiki-ld/table/"  # the row graphs the mappings read (mapping.py)

# --- other vocabularies ---------------------------------------------------------------------------------------

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "http://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SPDX = "http://spdx.org/rdf/terms#"
SH = "http://www.w3.org/ns/shacl#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"

# The prefixes of the dataset, in the order the dumps declare them; `compact` tries them in this order.
QB = "http://purl.org/linked-data/cube#"
PREFIXES = {
    "rld": VOCABULARY,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "schema": SCHEMA,
    "prov": PROV,
    "vann": "http://purl.org/vocab/vann/",
    "ic": "http://imi.go.jp/ns/core/rdf#",
    "wd": "http://www.wikidata.org/entity/",
    "sac": "http://data.e-stat.go.jp/lod/sac/",
    "dcat": DCAT,
    "dcatap": "http://data.europa.eu/r5r/",
    "foaf": FOAF,
    "vcard": VCARD,
    "spdx": SPDX,
    "qb": QB,
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "unit": "http://qudt.org/vocab/unit/",
    "cur": "http://qudt.org/vocab/currency/",
}
# Further prefixes for what is not the dataset: VoID, validation reports, the service description.
OTHER_PREFIXES = {
    "rlds": SHAPES,
    "sh": SH,
    "void": VOID,
    "sd": SD,
    "formats": "http://www.w3.org/ns/formats/",
}
_ALL_PREFIXES = {**PREFIXES, **OTHER_PREFIXES}


def prefixes(*names: str) -> dict[str, str]:
    """The named prefixes, in the order given (a document declares them in that order)."""
    return {name: _ALL_PREFIXES[name] for name in names}


# --- terms ----------------------------------------------------------------------------------------------------


def rld(local: str) -> str:
    """A vocabulary term in N-Triples form (`<https://w3id.org/ryoiki-ld/def#Network>`)."""
    return f"<{VOCABULARY}{local}>"


RDF_TYPE = f"<{RDF}type>"
RDFS_LABEL = f"<{RDFS}label>"
XSD_STRING = f"{XSD}string"
XSD_INTEGER = f"{XSD}integer"
# Integer-derived datatypes: Oxigraph stores all of them as xsd:integer.
INTEGER_SUBTYPES = frozenset(
    XSD + t
    for t in (
        "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int", "short",
        "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    )
)  # fmt: skip

# The outcome of a network on a criterion: vocabulary term (N-Triples) → the code `eligibility.csv` uses.
OUTCOMES = {rld("Met"): "met", rld("NotMet"): "not_met", rld("NotAssessable"): "not_assessable"}

# --- short forms ----------------------------------------------------------------------------------------------

_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def compact(iri: str, known: dict[str, str] = PREFIXES) -> str | None:
    """`prefix:local` for an IRI in a known namespace whose local part is a plain name (valid in Turtle and
    SPARQL as it is), else None: the caller decides how to show the full IRI."""
    for prefix, namespace in known.items():
        if iri.startswith(namespace) and _LOCAL_NAME.match(iri, len(namespace)):
            return f"{prefix}:{iri[len(namespace) :]}"
    return None


# --- positions in Oxigraph's error messages -------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a parser error is (1-based; None where the message does not say) and what the error is."""

    line: int | None
    column: int | None
    message: str


_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)  # SPARQL: "error at 1:25: expected …"
_LINE = re.compile(r"line (\d+)(?: column (\d+))?")  # Turtle: "Parser error between line 3 column 11 and …"
_PAIR = re.compile(r"\b(\d+):(\d+)\b")


def error_position(message: str) -> Position:
    """The position Oxigraph gives in a SPARQL or RDF syntax error: 'error at L:C: …', 'line L column C', 'L:C'."""
    m = _AT.search(message)
    if m:
        return Position(int(m[1]), int(m[2]), m[3].strip())
    m = _LINE.search(message) or _PAIR.search(message)
    if m:
        return Position(int(m[1]), int(m[2]) if m[2] else None, message)
    return Position(None, None, message)
