"""SHACL validation: the SHACL Core subset our shapes use, compiled to SPARQL and run in Oxigraph.

pySHACL walks the data node by node in Python; at 10,000 networks that takes seconds. Here every
(shape, constraint) pair becomes one SPARQL SELECT that finds all its violations at once in an
Oxigraph store. Two things an Oxigraph store cannot see are checked on the parsed triples instead:
the literal's datatype as written (the store keeps every integer subtype as xsd:integer) and
whether it is ill-typed ("24x"^^xsd:integer, which fails sh:datatype). Result values are reported as written
in the input, as pySHACL reports them.

`pyshacl_results` runs plain pySHACL on the same input; tests prove both give the same results.
Shapes that use anything outside the supported subset are refused with a clear error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import pyoxigraph as ox
import rdflib

from ..errors import RyoikiError
from ..rdf import INTEGER_SUBTYPES, RDF, RDFS, SH, XSD, XSD_INTEGER

_NT = ox.RdfFormat.N_TRIPLES

# Constraint parameters this engine evaluates; anything else in a shape is refused.
_PROPERTY_PARAMETERS = {
    "path", "minCount", "maxCount", "datatype", "or", "class", "in", "minInclusive", "maxInclusive",
    "minExclusive", "maxExclusive", "lessThan", "lessThanOrEquals", "languageIn", "pattern", "flags",
    "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount", "severity", "message", "name",
    "description", "deactivated", "order", "group",
}  # fmt: skip
_NODE_PARAMETERS = {
    "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "property", "severity", "message",
    "name", "description", "deactivated",
}  # fmt: skip
_QUALIFIED_PARAMETERS = {"languageIn", "in", "class"}
_COMPARISONS = {
    "minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">", "maxExclusive": "<",
}  # fmt: skip
_PAIR_COMPARISONS = {"lessThan": "<", "lessThanOrEquals": "<="}

# Datatypes whose literals an Oxigraph store re-encodes (integer subtypes become xsd:integer,
# lexical forms become canonical): results with such values are mapped back to the input's term.
_INTEGERS = {XSD_INTEGER, *INTEGER_SUBTYPES}
_NUMERIC = _INTEGERS | {XSD + "decimal", XSD + "float", XSD + "double"}


class ShapesError(RyoikiError):
    """The shapes use SHACL this engine does not evaluate, or are malformed."""


@dataclass(frozen=True)
class Result:
    """One validation result, every term in N-Triples form so results compare across engines.

    Results sort field by field, a missing path or value (None) before any term: one focus node can have a
    result without a value (sh:maxCount) and one with (sh:datatype) on the same path."""

    focus: str
    path: str | None
    value: str | None
    source_shape: str
    component: str
    severity: str
    messages: tuple[str, ...]

    def _key(self) -> tuple:
        return (self.focus, self.path or "", self.value or "", self.source_shape, self.component, self.severity,
                self.messages)  # fmt: skip

    def __lt__(self, other: Result) -> bool:
        return self._key() < other._key()


def term(nt: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A term of a Result from its N-Triples form."""
    if nt.startswith("<") and nt.endswith(">"):
        return ox.NamedNode(nt[1:-1])
    if nt.startswith("_:"):
        return ox.BlankNode(nt[2:])
    quad = next(iter(ox.parse(input=f"<x:s> <x:p> {nt} .".encode(), format=_NT)))
    return quad.object


def literal(nt: str) -> ox.Literal | None:
    """The literal an N-Triples term is, or None for an IRI or blank node (a message, a value)."""
    found = term(nt)
    return found if isinstance(found, ox.Literal) else None


@dataclass(frozen=True)
class Constraint:
    """One constraint of one property shape: what to ask and how to report it."""

    shape: str
    path: str
    component: str
    severity: str
    messages: tuple[str, ...]
    query: str | None  # SPARQL SELECT ?this [?value]; None for datatype checks done on the triples
    datatypes: frozenset[str] = frozenset()
    has_value: bool = True


@dataclass(frozen=True)
class CompiledShapes:
    constraints: tuple[Constraint, ...]
    targets: dict[str, str]  # property shape → its node shape's target pattern (binds ?this)
    watched: frozenset[str]  # predicates whose literals must be checked as written
    node_targets: dict[str, str]  # node shape → its target pattern (binds ?this), for the focus node counts


# --------------------------------------------------------------------------------------------------
# Reading the shapes graph
# --------------------------------------------------------------------------------------------------


class ShapesGraph:
    """A small in-memory view of the shapes graph: subject → predicate → objects."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.out: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for t in triples:
            self.out[str(t.subject)][t.predicate.value].append(t.object)

    def values(self, node: str, predicate: str) -> list:
        return self.out.get(node, {}).get(predicate, [])

    def one(self, node: str, predicate: str):
        values = self.values(node, predicate)
        if len(values) > 1:
            raise ShapesError(f"shape {node} has {len(values)} values of {predicate}; SHACL allows one")
        return values[0] if values else None

    def items(self, head) -> list:
        """The members of an RDF list."""
        members = []
        while str(head) != f"<{RDF}nil>":
            first = self.one(str(head), RDF + "first")
            if first is None:
                raise ShapesError(f"malformed RDF list at {head}")
            members.append(first)
            head = self.one(str(head), RDF + "rest")
        return members

    def subjects(self, predicate: str, obj: str) -> list[str]:
        return [s for s, po in self.out.items() if any(str(o) == obj for o in po.get(predicate, []))]


def _local_parameters(graph: ShapesGraph, node: str) -> set[str]:
    return {p.removeprefix(SH) for p in graph.out.get(node, {}) if p.startswith(SH)}


def _target_pattern(graph: ShapesGraph, node: str) -> str | None:
    """A SPARQL group that binds ?this to every focus node of the node shape (None: no target)."""
    parts = []
    for c in graph.values(node, SH + "targetClass"):
        parts.append(f"?this <{RDF}type>/<{RDFS}subClassOf>* {c} .")
    for n in graph.values(node, SH + "targetNode"):
        parts.append(f"VALUES ?this {{ {n} }}")
    for p in graph.values(node, SH + "targetSubjectsOf"):
        parts.append(f"?this {p} ?_target .")
    for p in graph.values(node, SH + "targetObjectsOf"):
        parts.append(f"?_target {p} ?this .")
    if not parts:
        return None
    if len(parts) == 1:
        return f"{{ SELECT DISTINCT ?this WHERE {{ {parts[0]} }} }}"
    union = " UNION ".join(f"{{ {p} }}" for p in parts)
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def _component(name: str) -> str:
    return f"<{SH}{name[0].upper()}{name[1:]}ConstraintComponent>"


def _value_condition(graph: ShapesGraph, shape, parameter: str) -> str:
    """A FILTER expression on ?value that holds when ?value conforms to one value-level parameter."""
    if parameter == "languageIn":
        tags = [t.value for t in graph.items(graph.one(str(shape), SH + "languageIn"))]
        matches = " || ".join(f'langMatches(lang(?value), "{t}")' for t in tags) or "false"
        return f"(isLiteral(?value) && ({matches}))"
    if parameter == "in":
        members = graph.items(graph.one(str(shape), SH + "in"))
        return "(" + (" || ".join(f"sameTerm(?value, {m})" for m in members) or "false") + ")"
    if parameter == "class":
        classes = graph.values(str(shape), SH + "class")
        return " && ".join(f"EXISTS {{ ?value <{RDF}type>/<{RDFS}subClassOf>* {c} }}" for c in classes)
    raise ShapesError(f"sh:{parameter} is not supported inside sh:qualifiedValueShape")


def _datatypes_of_or(graph: ShapesGraph, shape: str) -> frozenset[str]:
    """sh:or is supported where every member is a shape with only sh:datatype (a choice of datatypes)."""
    datatypes = set()
    for member in graph.items(graph.one(shape, SH + "or")):
        if _local_parameters(graph, str(member)) != {"datatype"}:
            raise ShapesError(f"shape {shape}: sh:or is supported only as a list of [ sh:datatype … ] shapes")
        datatypes.add(graph.one(str(member), SH + "datatype").value)
    return frozenset(datatypes)


def compile_shapes(triples: Iterable[ox.Triple]) -> CompiledShapes:
    """Turn a shapes graph into constraints, each answerable by one SPARQL query (or a datatype check)."""
    graph = ShapesGraph(triples)
    node_shapes = set(graph.subjects(RDF + "type", f"<{SH}NodeShape>"))
    node_shapes |= {s for s in graph.out if any(p in graph.out[s] for p in (SH + "property", SH + "targetClass"))}
    constraints: list[Constraint] = []
    targets: dict[str, str] = {}
    node_targets: dict[str, str] = {}
    watched: set[str] = set()
    for node in sorted(node_shapes):
        unknown = _local_parameters(graph, node) - _NODE_PARAMETERS
        if unknown:
            raise ShapesError(f"node shape {node}: unsupported SHACL {', '.join('sh:' + u for u in sorted(unknown))}")
        if _is_true(graph.one(node, SH + "deactivated")):
            continue
        target = _target_pattern(graph, node)
        if target is None:
            continue
        node_targets[node] = target
        for prop in graph.values(node, SH + "property"):
            shape = str(prop)
            targets[shape] = target
            constraints.extend(_compile_property(graph, shape, target, watched))
    return CompiledShapes(tuple(constraints), targets, frozenset(watched), node_targets)


def focus_nodes(store: ox.Store, compiled: CompiledShapes) -> dict[str, set[str]]:
    """Node shape → the focus nodes its targets select in `store` (N-Triples form)."""
    return {
        shape: {str(s["this"]) for s in store.query(f"SELECT ?this WHERE {target}")}
        for shape, target in compiled.node_targets.items()
    }


def _is_true(term) -> bool:
    return isinstance(term, ox.Literal) and term.value == "true"


def _compile_property(graph: ShapesGraph, shape: str, target: str, watched: set[str]) -> list[Constraint]:
    parameters = _local_parameters(graph, shape)
    unknown = parameters - _PROPERTY_PARAMETERS
    if unknown:
        raise ShapesError(f"property shape {shape}: unsupported SHACL {', '.join('sh:' + u for u in sorted(unknown))}")
    if _is_true(graph.one(shape, SH + "deactivated")):
        return []
    path = graph.one(shape, SH + "path")
    if not isinstance(path, ox.NamedNode):
        raise ShapesError(f"property shape {shape}: only an IRI sh:path is supported")
    p = str(path)
    severity = str(graph.one(shape, SH + "severity") or ox.NamedNode(SH + "Violation"))
    messages = tuple(sorted(str(m) for m in graph.values(shape, SH + "message")))

    def constraint(component: str, query: str | None, **kw) -> Constraint:
        return Constraint(shape, p, _component(component), severity, messages, query, **kw)

    values = f"{target} ?this {p} ?value ."
    out = []
    for bound, query in _count_queries(graph, shape, target, p, ("minCount", "maxCount")):
        out.append(constraint(bound, query, has_value=False))
    datatype = graph.one(shape, SH + "datatype")
    if datatype is not None:
        watched.add(path.value)
        out.append(constraint("datatype", None, datatypes=frozenset({datatype.value})))
    if "or" in parameters:
        watched.add(path.value)
        out.append(constraint("or", None, datatypes=_datatypes_of_or(graph, shape)))
    for name in ("class", "in", "languageIn"):
        if name in parameters:
            condition = _value_condition(graph, shape, name)
            out.append(constraint(name, f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER(!({condition})) }}"))
            if name == "in":
                watched.add(path.value)
    for name, op in _COMPARISONS.items():
        bound = graph.one(shape, SH + name)
        if bound is not None:
            watched.add(path.value)
            query = f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER(!COALESCE(?value {op} {bound}, false)) }}"
            out.append(constraint(name, query))
    for name, op in _PAIR_COMPARISONS.items():
        for other in graph.values(shape, SH + name):
            watched.update({path.value, other.value})
            query = (
                f"SELECT DISTINCT ?this ?value WHERE {{ {values} ?this {other} ?other "
                f"FILTER(!COALESCE(?value {op} ?other, false)) }}"
            )
            out.append(constraint(name, query))
    pattern = graph.one(shape, SH + "pattern")
    if pattern is not None:
        flags = graph.one(shape, SH + "flags")
        regex = f"REGEX(STR(?value), {pattern}{', ' + str(flags) if flags is not None else ''})"
        query = f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER(isBlank(?value) || !{regex}) }}"
        out.append(constraint("pattern", query))
    qualified = graph.one(shape, SH + "qualifiedValueShape")
    if qualified is not None:
        inner = _local_parameters(graph, str(qualified))
        if not inner or inner - _QUALIFIED_PARAMETERS:
            raise ShapesError(
                f"property shape {shape}: sh:qualifiedValueShape may use only "
                f"{', '.join('sh:' + q for q in sorted(_QUALIFIED_PARAMETERS))}"
            )
        condition = " && ".join(_value_condition(graph, qualified, name) for name in sorted(inner))
        bounds = ("qualifiedMinCount", "qualifiedMaxCount")
        for bound, query in _count_queries(graph, shape, target, p, bounds, f" FILTER({condition})"):
            out.append(constraint(bound, query, has_value=False))
    return out


def _count_queries(
    graph: ShapesGraph, shape: str, target: str, p: str, bounds: tuple[str, str], condition: str = ""
) -> list[tuple[str, str]]:
    """(parameter, query) for a shape's lower and upper bound on how many values (those meeting `condition`)
    a focus node has: the query finds the focus nodes with too few or too many."""
    found = []
    for bound, op in zip(bounds, ("<", ">"), strict=True):
        n = graph.one(shape, SH + bound)
        if n is not None:
            found.append(
                (
                    bound,
                    f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {p} ?value{condition} }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) {op} {int(n.value)})",
                )
            )
    return found


# --------------------------------------------------------------------------------------------------
# Running the constraints
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _ill_typed(lexical: str, datatype: str) -> bool:
    """As rdflib (and so pySHACL) judges it: the lexical form is not valid for its datatype."""
    return rdflib.Literal(lexical, datatype=datatype).ill_typed is True


def _literal_ill_typed(term) -> bool:
    return isinstance(term, ox.Literal) and term.language is None and _ill_typed(term.value, term.datatype.value)


def _same_value(original: ox.Literal, stored: ox.Literal) -> bool:
    """Whether the input's literal is the one an Oxigraph store holds as `stored`."""
    if original == stored:
        return True
    if original.datatype.value not in _NUMERIC or stored.datatype.value not in _NUMERIC:
        return False
    same_family = (original.datatype.value in _INTEGERS) == (stored.datatype.value in _INTEGERS)
    try:
        return same_family and Decimal(original.value.strip()) == Decimal(stored.value)
    except InvalidOperation:
        return False


def oxigraph_results(triples: list[ox.Triple], compiled: CompiledShapes, store: ox.Store | None = None) -> list[Result]:
    """Validate `triples` (optionally already loaded in `store`) against compiled shapes.

    An ill-typed literal ("24x"^^xsd:integer) fails sh:datatype (SHACL §4.1.1) and every comparison
    (Oxigraph's comparison errors count as failures, SHACL §4.3), as the specification says.
    """
    by_predicate: dict[str, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        if t.predicate.value in compiled.watched:
            by_predicate[t.predicate.value].append(t)
    if store is None:
        store = ox.Store()
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    focus_cache: dict[str, set[str]] = {}
    originals: dict[tuple[str, str], list] = {}
    results: list[Result] = []
    for c in compiled.constraints:
        if c.query is None:
            target = compiled.targets[c.shape]
            if target not in focus_cache:
                focus_cache[target] = {str(s["this"]) for s in store.query(f"SELECT ?this WHERE {target}")}
            focus = focus_cache[target]
            for t in by_predicate.get(c.path[1:-1], ()):
                s = str(t.subject)
                if s in focus and (not _has_datatype(t.object, c.datatypes) or _literal_ill_typed(t.object)):
                    results.append(Result(s, c.path, str(t.object), c.shape, c.component, c.severity, c.messages))
            continue
        for solution in store.query(c.query):
            this = str(solution["this"])
            if not c.has_value:
                results.append(Result(this, c.path, None, c.shape, c.component, c.severity, c.messages))
                continue
            value = solution["value"]
            for term in _as_written(value, this, c.path, by_predicate, originals):
                results.append(Result(this, c.path, term, c.shape, c.component, c.severity, c.messages))
    return sorted(set(results))


def _has_datatype(term, datatypes: frozenset[str]) -> bool:
    if not isinstance(term, ox.Literal):
        return False
    datatype = RDF + "langString" if term.language else term.datatype.value
    return datatype in datatypes


def _as_written(value, this: str, path: str, by_predicate: dict, originals: dict) -> list[str]:
    """The value as the input wrote it (a store may have re-encoded a numeric literal)."""
    if not isinstance(value, ox.Literal) or value.datatype.value not in _NUMERIC:
        return [str(value)]
    predicate = path[1:-1]
    if (this, predicate) not in originals:
        if predicate not in {p for _, p in originals}:
            for t in by_predicate.get(predicate, ()):
                originals.setdefault((str(t.subject), predicate), []).append(t.object)
        originals.setdefault((this, predicate), [])
    written = [str(o) for o in originals[(this, predicate)] if isinstance(o, ox.Literal) and _same_value(o, value)]
    return written or [str(value)]


# --------------------------------------------------------------------------------------------------
# Plain pySHACL, on the same input
# --------------------------------------------------------------------------------------------------


def _to_nt(term: rdflib.term.Node) -> str:
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    if term.language:
        return str(ox.Literal(str(term), language=term.language))
    datatype = term.datatype or rdflib.XSD.string
    return str(ox.Literal(str(term), datatype=ox.NamedNode(str(datatype))))


def to_rdflib(triples: list[ox.Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=_NT).decode("utf-8"), format="nt")
    return graph


def pyshacl_results(data: rdflib.Graph, shapes: rdflib.Graph) -> list[Result]:
    """Validate with plain pySHACL (no inference) and read its report into Results."""
    from pyshacl import validate

    try:
        _, report, _ = validate(data, shacl_graph=shapes, inference="none", advanced=False, allow_warnings=True)
    except Exception as e:  # pySHACL 0.40 raises TypeError comparing ill-typed literals, for one
        raise RyoikiError(
            f"pySHACL failed on this input ({type(e).__name__}: {e}); the default engine (--engine oxigraph) "
            "validates it as the SHACL specification says"
        ) from None
    return report_results(report)


def report_results(report: rdflib.Graph) -> list[Result]:
    """The results of a SHACL validation report graph (from any processor), comparable with ours."""
    sh = rdflib.Namespace(SH)
    results = []
    for r in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        path = report.value(r, sh.resultPath)
        value = report.value(r, sh.value)
        results.append(
            Result(
                focus=_to_nt(report.value(r, sh.focusNode)),
                path=_to_nt(path) if path is not None else None,
                value=_to_nt(value) if value is not None else None,
                source_shape=_to_nt(report.value(r, sh.sourceShape)),
                component=_to_nt(report.value(r, sh.sourceConstraintComponent)),
                severity=_to_nt(report.value(r, sh.resultSeverity)),
                messages=tuple(sorted(_to_nt(m) for m in report.objects(r, sh.resultMessage))),
            )
        )
    return sorted(set(results))
