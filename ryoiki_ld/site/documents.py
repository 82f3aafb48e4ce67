"""Each resource's machine-readable documents as text: N-Triples, Turtle and JSON-LD (what they hold: `graph`).

Written directly from the N-Triples terms rather than through an RDF library: rdflib is about 30× slower on the
documents of the real site, and pyoxigraph's serializer writes other bytes (see `TermWriter` for the figures,
from `benchmarks/bench_site.py --sections documents`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..rdf import PREFIXES, RDF_TYPE, XSD_STRING, compact
from .graph import Triple, iri, literal


def ntriples(triples: list[Triple]) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


class TermWriter:
    """Short forms of terms for Turtle and JSON-LD (cached: the same few thousand terms recur in every document).

    Against `pyoxigraph.serialize` (with the prefixes), on the Turtle and JSON-LD of the 4,509 documents of the
    real site in memory (`benchmarks/bench_site.py --sections documents`): ours takes 0.19–0.21 s; pyoxigraph
    0.09–0.10 s on triples it already holds (ours is about 2× slower there), and 0.19–0.20 s once the
    N-Triples lines that the site works from are read into its terms (even; at 1,000 networks ours is 1.6×
    faster). We keep ours because pyoxigraph writes other bytes in every document (all its prefixes declared,
    tab indents, no blank line between subjects; JSON-LD expanded, with no `@context` and `rdf:type` as a
    property): switching would change what the site publishes. rdflib (parse, serialise) is 28–40× slower.
    """

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
