"""The graph grouped by resource, and each resource's machine-readable documents (N-Triples, Turtle, JSON-LD).

The site is built straight from the build's N-Triples lines. Grouping them once by subject and by object
and writing every document as text is about ten times faster than an rdflib graph per resource
(`benchmarks/bench_site.py`), and an N-Triples term is already a valid Turtle term.

What a resource's document holds (the same in all three formats): the triples with the resource as
subject; for an instance (`id/…`), also the triples of other instances that point at it (a prefecture's
networks, a network's assessments); and the `rdfs:label`s of every other resource it mentions, so that a
client can show the links without fetching each target. The vocabulary's document is the whole ontology.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .rdf import PREFIXES, RDF_TYPE, RDFS_LABEL, XSD_STRING, compact

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


def ntriples(triples: list[Triple]) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


class TermWriter:
    """Short forms of terms for Turtle and JSON-LD (cached: the same few thousand terms recur in every document)."""

    def __init__(self) -> None:
        self._turtle: dict[str, str] = {}
        self._compact: dict[str, str | None] = {}
        self._json_key: dict[str, tuple[str, str]] = {}
        self._json_value: dict[str, tuple[str, str | None]] = {}
        self._json_type: dict[str, tuple[str, str | None]] = {}
        self._json_id: dict[str, str] = {}
        self._prefix: dict[str, str | None] = {}
        self._headers: dict[frozenset[str], str] = {}
        self._contexts: dict[frozenset[str], str] = {}

    def compact(self, iri_: str) -> str | None:
        if iri_ not in self._compact:
            self._compact[iri_] = compact(iri_)
        return self._compact[iri_]

    def json_key(self, predicate: str) -> tuple[str, str]:
        """The JSON key of a predicate (`"@type"` for rdf:type) and the form that names its prefix."""
        found = self._json_key.get(predicate)
        if found is None:
            form = "@type" if predicate == RDF_TYPE else self.compact(iri(predicate)) or iri(predicate)
            found = self._json_key[predicate] = (json.dumps(form), form)
        return found

    def json_value(self, term: str, is_type: bool) -> tuple[str, str | None]:
        """A term as a JSON-LD value (a bare compact IRI for `@type`) and the form that names its prefix."""
        cache = self._json_type if is_type else self._json_value
        found = cache.get(term)
        if found is None:
            form = None
            if is_type:
                form = self.compact(iri(term)) or iri(term)
                value: object = form
            elif term[0] == "<":
                value = {"@id": iri(term)}
            else:
                text, language, datatype = literal(term)
                if language:
                    value = {"@value": text, "@language": language}
                elif datatype == XSD_STRING:
                    value = {"@value": text}
                else:
                    form = self.compact(datatype) or datatype
                    value = {"@value": text, "@type": form}
            found = cache[term] = (json.dumps(value, ensure_ascii=False), form)
        return found

    def json_id(self, subject: str) -> str:
        """The start of a subject's node object: `{"@id": "…"`."""
        found = self._json_id.get(subject)
        if found is None:
            found = self._json_id[subject] = '{"@id": ' + json.dumps(iri(subject), ensure_ascii=False)
        return found

    def turtle(self, term: str) -> str:
        """An N-Triples term as Turtle: IRIs and datatypes as `prefix:local` where possible."""
        found = self._turtle.get(term)
        if found is None:
            if term[0] == "<":
                found = self.compact(term[1:-1]) or term
            elif term.endswith(">") and '"^^<' in term:
                head, _, datatype = term.rpartition("^^")
                found = f"{head}^^{self.compact(datatype[1:-1]) or datatype}"
            else:
                found = term
            self._turtle[term] = found
        return found

    def prefixes(self, forms: Iterable[str]) -> frozenset[str]:
        """The prefixes that the short forms `forms` use."""
        found = set()
        for form in forms:
            prefix = self._prefix.get(form, "")
            if prefix == "":
                prefix = self._prefix[form] = _prefix(form)
            if prefix:
                found.add(prefix)
        return frozenset(found)

    def turtle_header(self, prefixes: frozenset[str]) -> str:
        found = self._headers.get(prefixes)
        if found is None:
            found = self._headers[prefixes] = "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(prefixes))
        return found

    def json_context(self, prefixes: frozenset[str]) -> str:
        found = self._contexts.get(prefixes)
        if found is None:
            found = self._contexts[prefixes] = json.dumps({p: PREFIXES[p] for p in sorted(prefixes)})
        return found


def _prefix(form: str) -> str | None:
    """The known prefix that a short form (`prefix:local`, or a literal with such a datatype) uses, if any."""
    if form[0] == '"':
        form = form.rpartition('"^^')[2]
    if form and form[0] not in '<"' and ":" in form:
        prefix = form.split(":", 1)[0]
        if prefix in PREFIXES:
            return prefix
    return None


def turtle(triples: list[Triple], terms: TermWriter) -> str:
    """Turtle with prefixes, one block per subject, predicates joined with `;` and objects with `,`."""
    short = terms.turtle
    used: set[str] = set()
    subject = predicate = None
    parts: list[str] = []
    for s, p, o in triples:
        obj = short(o)
        if s != subject:
            if parts:
                parts.append(" .\n\n")
            subject, predicate = s, p
            pred = "a" if p == RDF_TYPE else short(p)
            name = short(s)
            used.add(name)
            parts += (name, " ", pred, " ", obj)
        elif p != predicate:
            predicate = p
            pred = "a" if p == RDF_TYPE else short(p)
            parts += (" ;\n    ", pred, " ", obj)
        else:
            parts += (", ", obj)
        used.add(pred)
        used.add(obj)
    if parts:
        parts.append(" .\n")
    return terms.turtle_header(terms.prefixes(used)) + "\n" + "".join(parts)


def jsonld(triples: list[Triple], terms: TermWriter) -> str:
    """Compacted JSON-LD: a `@context` of the prefixes used, one node object per subject in `@graph`, one per line.

    Written from cached JSON fragments of each term rather than through `json.dumps` of whole nodes: the
    same terms recur in thousands of documents, and this is what keeps the site stage fast.
    """
    used: set[str] = set()
    subject = predicate = None
    parts: list[str] = []
    key_of, value_of, type_of = terms.json_key, terms._json_value.get, terms._json_type.get
    for s, p, o in triples:
        if s != subject:
            parts.append("]},\n  " + terms.json_id(s) if parts else terms.json_id(s))
            subject, predicate = s, None
        if p != predicate:
            key, form = key_of(p)
            used.add(form)
            parts.append(f"], {key}: [" if predicate is not None else f", {key}: [")
            predicate = p
        else:
            parts.append(", ")
        is_type = p == RDF_TYPE
        found = (type_of if is_type else value_of)(o) or terms.json_value(o, is_type)
        if found[1]:
            used.add(found[1])
        parts.append(found[0])
    graph = "".join(parts) + "]}" if parts else ""
    return f'{{"@context": {terms.json_context(terms.prefixes(used))},\n "@graph": [\n  {graph}\n]}}\n'
