"""The graph grouped by resource, and what each resource's document holds.

The site is built straight from the build's N-Triples lines: grouping them once by subject and by object is
what every page and document reads (an N-Triples term is already a valid Turtle term; `documents` writes them).

What a resource's document holds (the same in all three formats): the triples with the resource as
subject; for an instance (`id/…`), also the triples of other instances that point at it (a prefecture's
networks, a network's assessments); and the `rdfs:label`s of every other resource it mentions, so that a
client can show the links without fetching each target. The vocabulary's document is the whole ontology.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..rdf import RDF_TYPE, RDFS_LABEL, XSD_STRING

Triple = tuple[str, str, str]  # N-Triples terms: <iri>, "literal"@lang / "literal"^^<datatype>

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


@dataclass
class Index:
    """Every triple, reachable from its subject and (for IRI objects) from its object."""

    out: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # subject → [(predicate, object)]
    inverse: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # object → [(subject, predicate)]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # IRI term → {language: text}
    label_terms: dict[str, list[str]] = field(default_factory=dict)  # IRI term → its rdfs:label literal terms

    def types(self, subject: str) -> list[str]:
        return [o for p, o in self.out.get(subject, ()) if p == RDF_TYPE]

    def values(self, subject: str, predicate: str) -> list[str]:
        return [o for p, o in self.out.get(subject, ()) if p == predicate]

    def one(self, subject: str, predicate: str) -> str | None:
        found = self.values(subject, predicate)
        return found[0] if found else None

    def subjects(self, predicate: str, obj: str) -> list[str]:
        return [s for s, p in self.inverse.get(obj, ()) if p == predicate]


def index(lines: Iterable[str]) -> Index:
    """Group N-Triples lines (as the pipeline holds them: one triple per line, single spaces)."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    inverse: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in sorted(lines):
        s, p, rest = line.split(" ", 2)
        o = rest[:-2]
        out[s].append((p, o))
        if o[0] == "<":
            inverse[o].append((s, p))
    idx = Index(dict(out), dict(inverse))
    for s, pairs in idx.out.items():
        terms = [o for p, o in pairs if p == RDFS_LABEL]
        if terms:
            idx.label_terms[s] = terms
            idx.labels[s] = {lang or "": text for text, lang, _ in map(literal, terms)}
    return idx


def iri(term: str) -> str:
    """The IRI of an N-Triples IRI term (`<…>`)."""
    return term[1:-1]


def literal(term: str) -> tuple[str, str | None, str | None]:
    """(text, language, datatype IRI) of an N-Triples literal term."""
    end = term.rindex('"')
    text = term[1:end]
    if "\\" in text:
        text = _ESCAPE.sub(_unescape, text)
    rest = term[end + 1 :]
    if rest.startswith("@"):
        return text, rest[1:], None
    if rest.startswith("^^"):
        return text, None, rest[3:-1]
    return text, None, XSD_STRING


def _unescape(m: re.Match) -> str:
    code = m[1] or m[2]
    return chr(int(code, 16)) if code else _ECHAR[m[3]]


# --------------------------------------------------------------------------------------------------
# One resource's document
# --------------------------------------------------------------------------------------------------


def document_triples(idx: Index, subjects: list[str], with_inverse: bool) -> list[Triple]:
    """The triples of the document describing `subjects` (see the module docstring).

    The described resources' own triples come first, then the others, each part sorted, so that a
    reader of the Turtle or JSON-LD meets the resource before its neighbours.
    """
    own = set(subjects)
    described = [(s, p, o) for s in sorted(subjects) for p, o in idx.out.get(s, ())]
    others = []
    if with_inverse:
        others = [(s2, p, s) for s in subjects for s2, p in idx.inverse.get(s, ()) if s2 not in own]
    mentioned = {o for _, p, o in described if o[0] == "<" and p != RDF_TYPE} | {s for s, _, _ in others}
    others += [(m, RDFS_LABEL, label) for m in mentioned - own for label in idx.label_terms.get(m, ())]
    return described + sorted(set(others))
