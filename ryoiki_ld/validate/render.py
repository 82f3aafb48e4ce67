"""The validation report for people and machines: text, Turtle (the SHACL report), JSON, GitHub annotations.

Every renderer reads one `Report`; results are grouped by the network they belong to, and the Turtle and
N-Triples forms are deterministic (blank nodes numbered in result order), so a build's report is
byte-identical.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from ..rdf import PREFIXES, RDF_TYPE, RDFS, SH, XSD, compact, prefixes, rld
from .outcomes import Assessment, NetworkRow, Report, assessments, networks
from .shacl import literal, term

# Shape IRIs, components and severities print as rlds:…, sh:…, and the data's own terms with its prefixes.
_SHORT = {**prefixes("rlds"), **PREFIXES, **prefixes("sh")}


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


def render_turtle(report: Report) -> str:
    """The SHACL validation report, after a comment saying how many focus nodes each shape checked (SHACL's
    report vocabulary has no term for it; the build's `validation/report.ttl` is the report alone)."""
    return f"# focus nodes checked per shape: {_focus_line(report)}\n" + report_turtle(report)


def _short(nt: str | None) -> str:
    """A readable form of a term: prefixed name for known namespaces, the value for literals."""
    if nt is None:
        return ""
    found = term(nt)
    if isinstance(found, ox.Literal):
        return found.value
    if isinstance(found, ox.NamedNode):
        return compact(found.value, _SHORT) or found.value
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
        messages = {lit.language or "": lit.value for m in r.messages if (lit := literal(m)) is not None}
        records.append(
            {
                "focusNode": term(r.focus).value if r.focus.startswith("<") else r.focus,
                "network": term(owners[r.focus]).value if r.focus in owners else None,
                "path": term(r.path).value if r.path else None,
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
        "focusNodes": focus_counts(report),
        "results": result_records(report),
    }
    if outcomes is not None:
        document["assessments"] = [
            {
                "network": term(a.network).value,
                "no": a.no,
                "criterion": a.criterion,
                "notation": a.notation,
                "outcome": a.outcome,
                "reason": {"ja": a.reason_ja, "en": a.reason_en},
            }
            for a in outcomes
        ]
        document["outcomeCounts"] = _outcome_counts(outcomes)
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def focus_counts(report: Report) -> dict[str, int]:
    """How many focus nodes each node shape checked, by its short name, in shape order."""
    return {_short(shape): n for shape, n in sorted(report.focus_counts.items())}


def _focus_line(report: Report) -> str:
    return ", ".join(f"{shape} {n}" for shape, n in focus_counts(report).items())


def _severity_counts(report: Report) -> dict[str, int]:
    counts = {"Violation": 0, "Warning": 0, "Info": 0}
    for r in report.results:
        name = SEVERITY_NAMES.get(r.severity, r.severity)
        counts[name] = counts.get(name, 0) + 1
    return counts


def _outcome_counts(outcomes: list[Assessment]) -> dict[str, dict[str, int]]:
    """Outcomes per criterion, in the criteria's order (the order `assessments` lists them in)."""
    counts: dict[str, dict[str, int]] = {}
    for a in outcomes:
        counts.setdefault(a.notation, {"met": 0, "not_met": 0, "not_assessable": 0})[a.outcome] += 1
    return counts


_MARKS = {"met": "✓", "not_met": "✗", "not_assessable": "?"}


def render_text(report: Report) -> str:
    """Readable report, grouped by network, messages in Japanese and English."""
    records = result_records(report)
    nets = networks(report.store)
    names = {term(n.network).value: _network_name(n) for n in nets}
    outcomes = assessments(report) if report.criteria else None
    groups: dict[str | None, list[dict]] = defaultdict(list)
    for rec in records:
        groups[rec["network"]].append(rec)
    order = [term(n.network).value for n in nets] + sorted(k for k in groups if k and k not in names)
    lines = []
    by_network: dict[str, list[Assessment]] = defaultdict(list)
    for a in outcomes or []:
        by_network[a.network].append(a)
    for iri in order:
        recs = groups.get(iri, [])
        assessed = by_network.get(f"<{iri}>")
        if not recs and assessed is None:
            continue
        lines.append(f"{names.get(iri, iri)}  <{iri}>")
        if assessed is not None:
            marks = "  ".join(f"（{a.notation}）{_MARKS[a.outcome]}" for a in assessed)
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
    lines.append(f"検証した対象 / focus nodes checked per shape: {_focus_line(report)}")
    verdict = "適合 conforms" if report.conforms else "不適合 does not conform"
    lines.append(
        f"{verdict}: {counts['Violation']} violation(s), {counts['Warning']} warning(s), {counts['Info']} info "
        f"({len(nets)} network(s), engine {report.engine})"
    )
    return "\n".join(lines) + "\n"


def _network_name(net: NetworkRow) -> str:
    label = net.label or "(no Japanese label)"
    return f"番号{net.no:03d} {label}" if net.no is not None else label


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
    lines.append(f"::notice title=focus nodes checked::{_annotation_escape(_focus_line(report))}")
    return "\n".join(lines) + "\n"


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
    "turtle": render_turtle,
    "json": render_json,
    "github": render_github,
}
