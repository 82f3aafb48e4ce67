"""validate: SHACL over the dataset (or anyone's file), the criteria outcomes, and the report formats.

The shapes in `shapes/` are the rules; `shacl.py` runs them. This module reads the input (any RDF
syntax, or a CSV in the tidy table's schema, which goes through the same mappings as a build),
turns criteria results into one outcome per network and criterion, and writes the report as text,
Turtle (the SHACL report), JSON or GitHub workflow annotations.

Conformance follows pySHACL's `allow_warnings` convention: only sh:Violation results make data
non-conforming; sh:Info results (a criterion that cannot be assessed) are reported but do not fail.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import pandas as pd
import pyoxigraph as ox

from . import extract, formats, link, mapping, shacl
from .config import Paths, Settings
from .errors import SourceError
from .formats import Format
from .rdf import (
    DCTERMS,
    OUTCOMES,
    PREFIXES,
    RDF_TYPE,
    RDFS,
    RDFS_LABEL,
    SH,
    SKOS,
    VOCABULARY,
    XSD,
    compact,
    error_position,
    prefixes,
    rld,
)

VIOLATION = f"<{SH}Violation>"
SHAPE_SETS = {"quality": ("quality.ttl",), "criteria": ("criteria.ttl",), "all": ("quality.ttl", "criteria.ttl")}
# Shape IRIs, components and severities print as rlds:…, sh:…, and the data's own terms with its prefixes.
_SHORT = {**prefixes("rlds"), **PREFIXES, **prefixes("sh")}
Echo = Callable[[str], None]


# --------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------


def load_shapes(paths: Paths, which: str) -> list[ox.Triple]:
    triples: list[ox.Triple] = []
    for name in SHAPE_SETS[which]:
        triples.extend(read_rdf(paths.shapes / name, formats.TURTLE))
    return triples


def input_format(path: Path, given: str | None) -> Format:
    """The syntax of a file to validate: `--input-format` when given, else its suffix's (`formats.for_input`)."""
    if given:
        fmt = formats.named(given, formats.INPUTS)
        assert fmt is not None, given  # the CLI offers only these names
        return fmt
    fmt = formats.for_input(path.suffix) if path.suffix else None
    if fmt is None:
        known = ", ".join(sorted("." + s for f in formats.INPUTS for s in (f.ext, *f.suffixes)))
        raise SourceError(
            path, None, f"unknown extension {path.suffix or '(none)'!r}: use one of {known} or --input-format"
        )
    return fmt


def read_rdf(path: Path, fmt: Format) -> list[ox.Triple]:
    """Parse one RDF file; a syntax error names the file and line, a file without triples is an error."""
    _check_file(path)
    try:
        triples = [q.triple for q in ox.parse(path=str(path), format=fmt.oxigraph)]
    except (SyntaxError, ValueError) as e:
        line = error_position(str(e)).line or (_xml_error_line(path) if fmt is formats.RDF_XML else None)
        raise SourceError(path, line, f"not valid {fmt.name}: {e}") from None
    except OSError as e:
        raise SourceError(path, None, f"cannot read: {e.strerror or e}") from None
    if not triples:
        raise SourceError(path, None, f"no RDF triples in this {fmt.name} file")
    return triples


def _xml_error_line(path: Path) -> int | None:
    """Oxigraph's RDF/XML errors carry no position; expat finds the line of a well-formedness error."""
    parser = expat.ParserCreate()
    try:
        with open(path, "rb") as f:
            parser.ParseFile(f)
    except expat.ExpatError as e:
        return e.lineno
    return None


def _check_file(path: Path) -> None:
    if not path.exists():
        raise SourceError(path, None, "no such file")
    if path.is_dir():
        raise SourceError(path, None, "is a directory, not a file")
    if path.stat().st_size == 0:
        raise SourceError(path, None, "the file is empty")


def read_input(path: Path, fmt: Format, settings: Settings) -> list[ox.Triple]:
    """One input file as triples; a CSV in the tidy table's schema is mapped as a build maps it."""
    if fmt is not formats.CSV:
        return read_rdf(path, fmt)
    _check_file(path)
    paths = settings.paths
    table = extract.read_csv(path, paths.csvw_metadata)
    links, _ = link.resolve_table(table, link.Gazetteer(paths.reference, paths.whole_prefecture_phrases))
    return parse_lines(mapping.map_tables(table, links, settings))


def reference_triples(settings: Settings) -> set[str]:
    """What a network's own file links to: the ontology, prefectures, municipalities, secondary medical
    areas and criteria (the build's graph without a single network), so that sh:class checks on links
    to them can pass without the file restating them."""
    paths = settings.paths
    columns = [c["name"] for c in json.loads(paths.csvw_metadata.read_text(encoding="utf-8"))["tableSchema"]["columns"]]
    empty = extract.to_frame([], tuple(columns))
    no_links = pd.DataFrame(columns=["no", "kind", "code", "matched_text"])
    return mapping.map_tables(empty, no_links, settings)


def parse_lines(lines: set[str]) -> list[ox.Triple]:
    text = "\n".join(sorted(lines)) + "\n"
    return [q.triple for q in ox.parse(input=text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]


# --------------------------------------------------------------------------------------------------
# Running the shapes and reading outcomes
# --------------------------------------------------------------------------------------------------


@dataclass
class Criterion:
    key: str
    notation: str
    shape: str
    outcome_of: dict[str, str]  # property shape → outcome code it means when it reports a result


@dataclass
class Report:
    results: list[shacl.Result]
    store: ox.Store
    criteria: list[Criterion]
    engine: str
    files: list[Path] = field(default_factory=list)

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


def run(triples: list[ox.Triple], shapes: list[ox.Triple], engine: str = "oxigraph") -> Report:
    """Validate `triples` against `shapes` with the chosen engine: our SPARQL one (oxigraph) or plain pySHACL."""
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    if engine == "oxigraph":
        results = shacl.oxigraph_results(triples, shacl.compile_shapes(shapes), store)
    else:
        results = shacl.pyshacl_results(shacl.to_rdflib(triples), shacl.to_rdflib(shapes))
    return Report(results, store, criteria_of(shapes), engine)


def networks(store: ox.Store) -> pd.DataFrame:
    """Every network in the data: IRI (N-Triples form), survey row number when it has one, Japanese label."""
    query = f"""
        SELECT ?network (SAMPLE(?n) AS ?no) (SAMPLE(?l) AS ?label) WHERE {{
          ?network a/<{RDFS}subClassOf>* {rld("Network")} .
          OPTIONAL {{ ?network {rld("surveyRowNumber")} ?n }}
          OPTIONAL {{ ?network {RDFS_LABEL} ?l FILTER(langMatches(lang(?l), "ja")) }}
        }} GROUP BY ?network"""
    rows = [
        {
            "network": str(s["network"]),
            "no": int(s["no"].value) if s["no"] is not None else None,
            "label": s["label"].value if s["label"] is not None else "",
        }
        for s in store.query(query)
    ]
    frame = pd.DataFrame(rows, columns=["network", "no", "label"]).astype({"no": "Int64"})
    return frame.sort_values(["no", "network"], na_position="last").reset_index(drop=True)


def assessments(report: Report) -> pd.DataFrame:
    """One outcome per network and criterion: not assessable before not met before met."""
    by_pair: dict[tuple[str, str], list[tuple[str, shacl.Result]]] = defaultdict(list)
    for criterion in report.criteria:
        for r in report.results:
            outcome = criterion.outcome_of.get(r.source_shape)
            if outcome:
                by_pair[(r.focus, criterion.key)].append((outcome, r))
    rank = {"not_assessable": 0, "not_met": 1}
    rows = []
    for net in networks(report.store).itertuples():
        for criterion in report.criteria:
            found = sorted(by_pair.get((net.network, criterion.key), []), key=lambda x: (rank[x[0]], x[1]))
            outcome = found[0][0] if found else "met"
            deciding = [r for o, r in found if o == outcome]
            rows.append(
                {
                    "network": net.network,
                    "no": net.no,
                    "criterion": criterion.key,
                    "notation": criterion.notation,
                    "outcome": outcome,
                    "reason_ja": _messages(deciding, "ja"),
                    "reason_en": _messages(deciding, "en"),
                }
            )
    frame = pd.DataFrame(rows, columns=["network", "no", "criterion", "notation", "outcome", "reason_ja", "reason_en"])
    return frame.astype({"no": "Int64"})


def _messages(results: list[shacl.Result], lang: str) -> str:
    texts = []
    for r in results:
        for m in r.messages:
            literal = _literal(m)
            if literal is not None and literal.language == lang and literal.value not in texts:
                texts.append(literal.value)
    return " ".join(texts)


def _literal(nt: str) -> ox.Literal | None:
    term = _term(nt)
    return term if isinstance(term, ox.Literal) else None


def _term(nt: str):
    """A term from its N-Triples form."""
    if nt.startswith("<") and nt.endswith(">"):
        return ox.NamedNode(nt[1:-1])
    if nt.startswith("_:"):
        return ox.BlankNode(nt[2:])
    quad = next(iter(ox.parse(input=f"<x:s> <x:p> {nt} .".encode(), format=ox.RdfFormat.N_TRIPLES)))
    return quad.object


# --------------------------------------------------------------------------------------------------
# Output formats
# --------------------------------------------------------------------------------------------------


def report_ntriples(report: Report) -> str:
    """The SHACL validation report as N-Triples, blank nodes numbered in result order (deterministic)."""
    sh = f"<{SH}"
    conforms = "true" if report.conforms else "false"
    lines = [
        f"_:report {RDF_TYPE} {sh}ValidationReport> .",
        f'_:report {sh}conforms> "{conforms}"^^<{XSD}boolean> .',
    ]
    width = len(str(len(report.results)))
    nodes = [f"_:result{i:0{width}d}" for i in range(1, len(report.results) + 1)]
    lines.extend(f"_:report {sh}result> {node} ." for node in nodes)
    for node, r in zip(nodes, report.results, strict=True):
        lines.append(f"{node} {RDF_TYPE} {sh}ValidationResult> .")
        lines.append(f"{node} {sh}focusNode> {r.focus} .")
        if r.path:
            lines.append(f"{node} {sh}resultPath> {r.path} .")
        if r.value:
            lines.append(f"{node} {sh}value> {r.value} .")
        lines.append(f"{node} {sh}sourceShape> {r.source_shape} .")
        lines.append(f"{node} {sh}sourceConstraintComponent> {r.component} .")
        lines.append(f"{node} {sh}resultSeverity> {r.severity} .")
        lines.extend(f"{node} {sh}resultMessage> {m} ." for m in r.messages)
    return "\n".join(lines) + "\n"


def report_turtle(report: Report) -> str:
    triples = [q.triple for q in ox.parse(input=report_ntriples(report).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes("sh", "rld", "rlds", "xsd")).decode(
        "utf-8"
    )


def _short(nt: str | None) -> str:
    """A readable form of a term: prefixed name for known namespaces, the value for literals."""
    if nt is None:
        return ""
    term = _term(nt)
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return compact(term.value, _SHORT) or term.value
    return nt


SEVERITY_NAMES = {f"<{SH}Violation>": "Violation", f"<{SH}Warning>": "Warning", f"<{SH}Info>": "Info"}


def _owners(report: Report) -> dict[str, str]:
    """Focus node → the network it belongs to (itself, the network linking to it, or an assessment's network)."""
    owners: dict[str, str] = {}
    foci = {r.focus for r in report.results if r.focus.startswith("<")}
    if not foci:
        return owners
    values = " ".join(sorted(foci))
    network = f"a/<{RDFS}subClassOf>* {rld('Network')}"
    query = f"""
        SELECT ?focus ?network ?rank WHERE {{
          VALUES ?focus {{ {values} }}
          {{ ?focus {network} BIND(?focus AS ?network) BIND(0 AS ?rank) }}
          UNION {{ ?focus {rld("network")} ?network BIND(1 AS ?rank) }}
          UNION {{ ?network ?p ?focus . ?network {network} BIND(2 AS ?rank) }}
        }} ORDER BY ?rank STR(?network)"""
    for s in report.store.query(query):
        owners.setdefault(str(s["focus"]), str(s["network"]))
    return owners


def result_records(report: Report) -> list[dict]:
    owners = _owners(report)
    records = []
    for r in report.results:
        messages = {lit.language or "": lit.value for m in r.messages if (lit := _literal(m)) is not None}
        records.append(
            {
                "focusNode": _term(r.focus).value if r.focus.startswith("<") else r.focus,
                "network": _term(owners[r.focus]).value if r.focus in owners else None,
                "path": _term(r.path).value if r.path else None,
                "value": r.value and _short(r.value),
                "sourceShape": _short(r.source_shape),
                "constraintComponent": _short(r.component),
                "severity": SEVERITY_NAMES.get(r.severity, _short(r.severity)),
                "message": messages,
            }
        )
    return records


def render_json(report: Report) -> str:
    outcomes = assessments(report) if report.criteria else None
    document = {
        "conforms": report.conforms,
        "engine": report.engine,
        "counts": _severity_counts(report),
        "results": result_records(report),
    }
    if outcomes is not None:
        document["assessments"] = [
            {
                "network": _term(a.network).value,
                "no": None if pd.isna(a.no) else int(a.no),
                "criterion": a.criterion,
                "notation": a.notation,
                "outcome": a.outcome,
                "reason": {"ja": a.reason_ja, "en": a.reason_en},
            }
            for a in outcomes.itertuples()
        ]
        document["outcomeCounts"] = _outcome_counts(outcomes)
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _severity_counts(report: Report) -> dict[str, int]:
    counts = {"Violation": 0, "Warning": 0, "Info": 0}
    for r in report.results:
        name = SEVERITY_NAMES.get(r.severity, r.severity)
        counts[name] = counts.get(name, 0) + 1
    return counts


def _outcome_counts(outcomes: pd.DataFrame) -> dict[str, dict[str, int]]:
    table = outcomes.groupby(["notation", "outcome"]).size()
    counts: dict[str, dict[str, int]] = {}
    for (notation, outcome), n in table.items():
        counts.setdefault(notation, {"met": 0, "not_met": 0, "not_assessable": 0})[outcome] = int(n)
    return {k: counts[k] for k in sorted(counts, key=lambda n: "アイウエオカキ".find(n))}


_MARKS = {"met": "✓", "not_met": "✗", "not_assessable": "?"}


def render_text(report: Report) -> str:
    """Readable report, grouped by network, messages in Japanese and English."""
    records = result_records(report)
    nets = networks(report.store)
    names = {_term(n.network).value: _network_name(n) for n in nets.itertuples()}
    outcomes = assessments(report) if report.criteria else None
    groups: dict[str | None, list[dict]] = defaultdict(list)
    for rec in records:
        groups[rec["network"]].append(rec)
    order = [_term(n).value for n in nets.network] + sorted(k for k in groups if k and k not in names)
    lines = []
    by_network = outcomes.groupby("network") if outcomes is not None else None
    for iri in order:
        recs = groups.get(iri, [])
        assessed = (
            by_network.get_group(f"<{iri}>") if by_network is not None and f"<{iri}>" in by_network.groups else None
        )
        if not recs and assessed is None:
            continue
        lines.append(f"{names.get(iri, iri)}  <{iri}>")
        if assessed is not None:
            marks = "  ".join(f"（{a.notation}）{_MARKS[a.outcome]}" for a in assessed.itertuples())
            lines.append(f"  基準 criteria: {marks}")
        lines.extend(_text_result(rec) for rec in recs)
    other = groups.get(None, [])
    if other:
        lines.append("地連ＮＷ以外のリソース / other resources")
        lines.extend(_text_result(rec) for rec in other)
    counts = _severity_counts(report)
    lines.append("")
    if outcomes is not None:
        lines.append("基準ごとの判定 / outcomes per criterion (✓ met, ✗ not met, ? not assessable):")
        for notation, c in _outcome_counts(outcomes).items():
            lines.append(
                f"  （{notation}） met {c['met']:>4}  not met {c['not_met']:>4}  not assessable {c['not_assessable']:>4}"
            )
    verdict = "適合 conforms" if report.conforms else "不適合 does not conform"
    lines.append(
        f"{verdict}: {counts['Violation']} violation(s), {counts['Warning']} warning(s), {counts['Info']} info "
        f"({len(nets)} network(s), engine {report.engine})"
    )
    return "\n".join(lines) + "\n"


def _network_name(net) -> str:
    label = net.label or "(no Japanese label)"
    return f"番号{net.no:03d} {label}" if not pd.isna(net.no) else label


def _text_result(rec: dict) -> str:
    where = _short(f"<{rec['path']}>") if rec["path"] else ""
    value = f" = {rec['value']}" if rec["value"] else ""
    focus = "" if rec["focusNode"] == rec["network"] else f" on <{rec['focusNode']}>"
    message = " / ".join(rec["message"][lang] for lang in ("ja", "en", "") if lang in rec["message"])
    return f"  {rec['severity']:<9} {where}{value}{focus}: {message}  [{rec['sourceShape']}]"


def _annotation_escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: one ::error/::warning/::notice line per result."""
    levels = {"Violation": "error", "Warning": "warning", "Info": "notice"}
    locate = _line_finder(report.files)
    lines = []
    for rec in result_records(report):
        file, line = locate(rec["focusNode"])
        props = [f"file={_annotation_escape(str(file), True)}"] if file else []
        if line:
            props.append(f"line={line}")
        props.append(f"title={_annotation_escape(rec['sourceShape'], True)}")
        message = " / ".join(rec["message"][lang] for lang in ("ja", "en", "") if lang in rec["message"])
        text = f"<{rec['focusNode']}>{' ' + _short('<' + rec['path'] + '>') if rec['path'] else ''}: {message}"
        lines.append(f"::{levels.get(rec['severity'], 'notice')} {','.join(props)}::{_annotation_escape(text)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _line_finder(files: list[Path]) -> Callable[[str], tuple[Path | None, int | None]]:
    """Where a focus node is first written in the input files (its full IRI, or a CSV row's line)."""
    texts = []
    for f in files:
        try:
            texts.append((f, f.read_text(encoding="utf-8").splitlines()))
        except (OSError, UnicodeDecodeError):
            continue

    def locate(iri: str) -> tuple[Path | None, int | None]:
        if not files:
            return None, None
        row = re.search(r"/id/[a-z-]+/0*(\d+)", iri)
        for f, lines in texts:
            if f.suffix.lower() == ".csv" and row:
                for n, text in enumerate(lines[1:], 2):
                    if text.split(",", 1)[0] == row[1]:
                        return f, n
            for n, text in enumerate(lines, 1):
                if iri in text:
                    return f, n
        return files[0], None

    return locate


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "turtle": report_turtle,
    "json": render_json,
    "github": render_github,
}


def eligibility_table(report: Report) -> pd.DataFrame:
    """validation/eligibility.csv: no, criterion, outcome for every surveyed network and criterion."""
    outcomes = assessments(report)
    outcomes = outcomes[outcomes["no"].notna()]
    return outcomes[["no", "criterion", "outcome"]].sort_values(["no", "criterion"]).reset_index(drop=True)
