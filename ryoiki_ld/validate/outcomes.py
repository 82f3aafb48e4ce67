"""The outcome of every network on every criterion, from a SHACL run of the criteria shapes.

A criterion's node shape (the one with a `dcterms:identifier`) has property shapes whose
`rld:failureOutcome` says what a result of theirs means: not assessable (the evidence is missing) or not
met. A network without a result from a criterion's shapes meets it.

Conformance follows pySHACL's `allow_warnings` convention: only sh:Violation results make data
non-conforming; sh:Info results (a criterion that cannot be assessed) are reported but do not fail.
A report also counts the focus nodes each node shape checked, and input in which nothing is checked is refused.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..config import InputLimits, Settings
from ..errors import SourceError
from ..rdf import DCTERMS, OUTCOMES, RDFS, RDFS_LABEL, SH, SKOS, VOCABULARY, rld
from . import inputs, shacl

if TYPE_CHECKING:  # pandas is loaded only by what returns a frame: a pipeline's `validate` never needs it
    import pandas as pd

VIOLATION = f"<{SH}Violation>"


@dataclass
class Criterion:
    key: str
    notation: str
    shape: str
    outcome_of: dict[str, str]  # property shape → outcome code it means when it reports a result


@dataclass(frozen=True)
class NetworkRow:
    network: str  # N-Triples form: a network, or a survey row standing for one (mappings/views/survey_rows.rq)
    no: int | None  # survey row number, when it has one that is a number
    label: str  # Japanese label, or ""
    survey: str = ""  # the survey's id, for a survey row
    about: str = ""  # N-Triples form of the network a survey row is about ("" for a network itself)


@dataclass(frozen=True)
class Assessment:
    network: str
    no: int | None
    criterion: str
    notation: str
    outcome: str  # met, not_met, not_assessable
    reason_ja: str
    reason_en: str
    survey: str = ""  # as NetworkRow
    about: str = ""


@dataclass
class Report:
    results: list[shacl.Result]
    store: ox.Store
    criteria: list[Criterion]
    engine: str
    files: list[Path] = field(default_factory=list)
    # Node shape → how many focus nodes it checked (of the validated input's own resources when files are given).
    focus_counts: dict[str, int] = field(default_factory=dict)

    @property
    def violations(self) -> list[shacl.Result]:
        return [r for r in self.results if r.severity == VIOLATION]

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def quality_violations(self) -> list[shacl.Result]:
        """Violations of shapes other than the criteria's (a network failing a criterion is not bad data)."""
        criterion_shapes = {shape for c in self.criteria for shape in c.outcome_of}
        return [r for r in self.violations if r.source_shape not in criterion_shapes]


def criteria_of(shapes: list[ox.Triple]) -> list[Criterion]:
    """The criterion node shapes (those with dcterms:identifier) and what their property shapes mean."""
    graph = shacl.ShapesGraph(shapes)
    found = []
    for node, props in graph.out.items():
        key = props.get(DCTERMS + "identifier")
        if not key or SH + "property" not in props:
            continue
        outcome_of = {}
        for prop in props[SH + "property"]:
            outcome = graph.one(str(prop), VOCABULARY + "failureOutcome")
            if outcome is not None:
                outcome_of[str(prop)] = OUTCOMES[str(outcome)]
        notation = graph.one(node, SKOS + "notation")
        found.append(Criterion(key[0].value, notation.value if notation else key[0].value, node, outcome_of))
    return sorted(found, key=lambda c: c.key)


def run(
    triples: list[ox.Triple],
    shapes: list[ox.Triple],
    engine: str = "oxigraph",
    counted: set[str] | None = None,
    store: ox.Store | None = None,
    uncounted: frozenset[str] = frozenset(),
) -> Report:
    """Validate `triples` (optionally already loaded in `store`) against `shapes` with the chosen engine: our
    SPARQL one (oxigraph) or plain pySHACL. The report counts each node shape's focus nodes: all of them, or
    those in `counted` (N-Triples form), less those `uncounted`."""
    if store is None:
        store = ox.Store()
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    compiled = shacl.compile_shapes(shapes)
    if engine == "oxigraph":
        results = shacl.oxigraph_results(triples, compiled, store)
    else:
        results = shacl.pyshacl_results(shacl.to_rdflib(triples), shacl.to_rdflib(shapes))
    focus = shacl.focus_nodes(store, compiled)
    counts = {shape: len((nodes if counted is None else nodes & counted) - uncounted) for shape, nodes in focus.items()}
    return Report(results, store, criteria_of(shapes), engine, focus_counts=counts)


@dataclass(frozen=True)
class WithSurveyRows:
    """A graph and the survey rows that stand for its networks (`survey_rows`), loaded in one store."""

    triples: list[ox.Triple]  # the graph's and the rows'
    store: ox.Store
    rows: frozenset[str]  # the rows (N-Triples form)
    represented: frozenset[str]  # the networks that rows stand for

    def extended(self, triples: list[ox.Triple]) -> WithSurveyRows:
        """The same graph and rows with `triples` added (to this store too): what the rows are made of does not
        change (the build adds the assessments)."""
        self.store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        return WithSurveyRows([*self.triples, *triples], self.store, self.rows, self.represented)


def with_survey_rows(triples: list[ox.Triple], view: Path) -> WithSurveyRows:
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    rows = survey_rows(store, view)
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in rows)
    return WithSurveyRows(
        [*triples, *rows],
        store,
        frozenset(str(t.subject) for t in rows),
        frozenset(str(t.object) for t in rows if t.predicate.value == VOCABULARY + "network"),
    )


def run_quality(
    graph: WithSurveyRows, shapes: list[ox.Triple], engine: str = "oxigraph", counted: set[str] | None = None
) -> Report:
    """The quality shapes over a graph and its survey rows: each survey's values are checked on the row that
    stands for the network in that survey. The rows are checked, not counted (the counts are of the graph's own
    resources)."""
    return run(graph.triples, shapes, engine, counted, graph.store, graph.rows)


def run_criteria(
    graph: WithSurveyRows, shapes: list[ox.Triple], engine: str = "oxigraph", counted: set[str] | None = None
) -> Report:
    """The criteria shapes over a graph with each survey row standing for its network: a network is assessed once
    per survey, and a network that survey rows stand for is not assessed itself (its results are dropped and it
    is not counted). A network stated on its own (a network's file) is assessed as it is."""
    if counted is not None:
        counted = counted | graph.rows
    report = run(graph.triples, shapes, engine, counted, graph.store, graph.represented)
    report.results = [r for r in report.results if r.focus not in graph.represented]
    return report


def combined(quality: Report, criteria: Report) -> Report:
    """One report of the quality shapes and the criteria over the same graph and its survey rows."""
    if quality.store is not criteria.store:
        quality.store.bulk_extend(criteria.store)
    return Report(
        sorted(set(quality.results) | set(criteria.results)),
        quality.store,
        criteria.criteria,
        quality.engine,
        focus_counts={**quality.focus_counts, **criteria.focus_counts},
    )


def validate_graph(
    triples: list[ox.Triple],
    settings: Settings,
    shape_set: str,
    engine: str = "oxigraph",
    counted: set[str] | None = None,
) -> Report:
    """A shape set over `triples` and their survey rows (`run_quality`, `run_criteria`)."""
    paths = settings.paths
    graph = with_survey_rows(triples, paths.survey_rows_view)
    quality = (
        run_quality(graph, inputs.load_shapes(paths, "quality"), engine, counted) if shape_set != "criteria" else None
    )
    if shape_set == "quality":
        return quality
    criteria = run_criteria(graph, inputs.load_shapes(paths, "criteria"), engine, counted)
    return criteria if quality is None else combined(quality, criteria)


def validate_files(
    files: Sequence[Path],
    settings: Settings,
    shape_set: str = "all",
    engine: str = "oxigraph",
    input_format: str | None = None,
    limits: InputLimits | None = None,
    references: bool = True,
) -> Report:
    """`ryoiki-ld validate FILE…`: the files read within `limits`, validated together (with the reference
    resources they may link to, unless `references` is False) against a shape set.

    Nothing validated is bad input, not success: a SourceError when the files hold no rld:Network or nothing
    the shapes target. Only what the files add to the reference resources is counted."""
    added: set[ox.Triple] = set()
    for path in files:
        added.update(inputs.read_input(path, inputs.input_format(path, input_format), settings, limits))
    reference = set(inputs.parse_lines(inputs.reference_triples(settings))) if references else set()
    added -= reference
    own = {str(t.subject) for t in added}
    report = validate_graph(sorted(added | reference, key=str), settings, shape_set, engine, own)
    report.files = list(files)
    where = ", ".join(map(str, files))
    if not own.intersection(n.network for n in networks(report.store)):
        raise SourceError(
            where, None, "nothing to validate: no rld:Network here (is its `a rld:Network` missing or misspelt?)"
        )
    if not any(report.focus_counts.values()):
        raise SourceError(where, None, f"nothing to validate: nothing here is a focus node of the {shape_set!r} shapes")
    return report


def networks(store: ox.Store) -> list[NetworkRow]:
    """Every network in the data, by survey and survey row number (networks without one last, by IRI).

    A network that survey rows stand for (`survey_rows`) is assessed through them, so it is not listed itself."""
    query = f"""
        SELECT ?network (SAMPLE(?n) AS ?no) (SAMPLE(?l) AS ?label) (SAMPLE(?s) AS ?survey) (SAMPLE(?a) AS ?about)
        WHERE {{
          ?network a/<{RDFS}subClassOf>* {rld("Network")} .
          FILTER NOT EXISTS {{ ?row {rld("network")} ?network ; a {rld("Network")} }}
          OPTIONAL {{ ?network {rld("surveyRowNumber")} ?n }}
          OPTIONAL {{
            ?network {rld("survey")}/<{DCTERMS}identifier> ?s ; {rld("network")} ?a .
            OPTIONAL {{ ?a {RDFS_LABEL} ?aboutLabel FILTER(langMatches(lang(?aboutLabel), "ja")) }}
          }}
          OPTIONAL {{ ?network {RDFS_LABEL} ?ownLabel FILTER(langMatches(lang(?ownLabel), "ja")) }}
          BIND(COALESCE(?aboutLabel, ?ownLabel) AS ?l)
        }} GROUP BY ?network"""
    rows = [
        NetworkRow(
            str(s["network"]),
            _row_number(s["no"]),
            s["label"].value if s["label"] is not None else "",
            s["survey"].value if s["survey"] is not None else "",
            str(s["about"]) if s["about"] is not None else "",
        )
        for s in store.query(query)
    ]
    return sorted(rows, key=lambda r: (r.survey, r.no is None, r.no or 0, r.network))


def survey_rows(store: ox.Store, view: Path) -> list[ox.Triple]:
    """Each survey row in `store` as the shapes see a network (`view`: mappings/views/survey_rows.rq): the
    network's facts and that survey's values."""
    return sorted(store.query(view.read_text(encoding="utf-8")), key=str)


def _row_number(term: ox.Literal | None) -> int | None:
    """A network's survey row number, or None when it has none that is a number: an ill-typed ("12x") or
    out-of-range value is the shapes' to report (rlds:network-survey-row-number), not a reason to stop."""
    if term is None or not re.fullmatch(r"[+-]?[0-9]{1,18}", term.value.strip()):
        return None
    return int(term.value)


def assessments(report: Report) -> list[Assessment]:
    """One outcome per network and criterion (networks in `networks` order, then criteria in key order):
    not assessable before not met before met."""
    by_pair: dict[tuple[str, str], list[tuple[str, shacl.Result]]] = defaultdict(list)
    for criterion in report.criteria:
        for r in report.results:
            outcome = criterion.outcome_of.get(r.source_shape)
            if outcome:
                by_pair[(r.focus, criterion.key)].append((outcome, r))
    rank = {"not_assessable": 0, "not_met": 1}
    found_all = []
    for net in networks(report.store):
        for criterion in report.criteria:
            found = sorted(by_pair.get((net.network, criterion.key), []), key=lambda x: (rank[x[0]], x[1]))
            outcome = found[0][0] if found else "met"
            deciding = [r for o, r in found if o == outcome]
            found_all.append(
                Assessment(
                    net.network,
                    net.no,
                    criterion.key,
                    criterion.notation,
                    outcome,
                    _messages(deciding, "ja"),
                    _messages(deciding, "en"),
                    net.survey,
                    net.about,
                )
            )
    return found_all


def assessment_frame(report: Report) -> pd.DataFrame:
    """`assessments` as a table (the build maps it and writes it)."""
    import pandas as pd

    columns = [f.name for f in fields(Assessment)]
    frame = pd.DataFrame([astuple(a) for a in assessments(report)], columns=columns)
    return frame.astype({"no": "Int64"})


def _messages(results: list[shacl.Result], lang: str) -> str:
    texts = []
    for r in results:
        for m in r.messages:
            literal = shacl.literal(m)
            if literal is not None and literal.language == lang and literal.value not in texts:
                texts.append(literal.value)
    return " ".join(texts)


def eligibility_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """validation/eligibility.csv: survey, no, criterion, outcome for every survey row and criterion, from the
    outcomes (`assessment_frame`)."""
    outcomes = outcomes[(outcomes["survey"] != "") & outcomes["no"].notna()]
    columns = ["survey", "no", "criterion", "outcome"]
    return outcomes[columns].sort_values(columns[:3]).reset_index(drop=True)
