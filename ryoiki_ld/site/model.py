"""What the site's pages are made of: the graph's networks and criteria as records, with the rankings and
groupings the pages compare, and the site's own words (messages.toml) and labels (term_labels.csv)."""

from __future__ import annotations

import bisect
import csv
import statistics
import tomllib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from .. import catalog, iris
from ..config import CATALOG_FILES, Settings
from ..errors import SourceError
from ..rdf import PREFIXES, QB, RDF_TYPE, RDFS_LABEL, SKOS, VOCABULARY, compact, rld
from .graph import Index, iri, literal

LANGS = ("ja", "en")

NETWORK, COMBINED, CRITERION, ASSESSMENT = map(rld, ("Network", "CombinedNetwork", "Criterion", "CriterionAssessment"))
PREFECTURE, COVERAGE_TYPE, COVERAGE_AREA = rld("Prefecture"), rld("CoverageType"), rld("CoverageArea")
MET = rld("Met")
SURVEY = f"<{QB}DataSet>"  # a survey: one edition of the series, as a data cube
# The counts of the report's table: (measure, property, the tidy table's column named in rld:valueNote).
MEASURES = (
    ("participating", rld("participatingInstitutions"), "participating"),
    ("disclosing", rld("disclosingInstitutions"), "disclosing"),
    ("accessing", rld("accessingInstitutions"), "accessing"),
    ("patients", rld("registeredPatients"), "registered_patients"),
)
MEASURE_OF: dict[str, Callable[[Network], int | Decimal | None]] = {
    **{name: (lambda n, k=name: n.counts[k]) for name, _, _ in MEASURES},
    "funding": lambda n: n.amount,
}


@dataclass
class Network:
    """One network as the landing table, the charts and the comparisons need it."""

    term: str
    key: str
    no: int
    prefecture: str | None
    coverage_type: str | None
    area: str | None
    start: int | None
    counts: dict[str, int | None]
    amount: Decimal | None
    own_funding: bool | None
    combined: bool
    notes: dict[str, str]  # tidy-table column → what the report prints instead of (or beside) a number
    assessments: dict[str, str]  # criterion key → assessment term
    survey: str | None  # the survey the counts and assessments are from: the first the network is in


@dataclass
class SurveyRow:
    """One row of a survey (a qb:Slice of its data cube), as a survey's page lists and compares it."""

    term: str
    no: int
    network: str | None
    name: str | None  # the network's name as this survey prints it
    combined: bool  # its network sums other rows (row 61 of FY2019)
    values: dict[str, tuple[str | None, str | None]]  # measure → (value, status): `observed`


@dataclass
class Criterion:
    term: str
    key: str
    notation: str
    assessable: bool


@dataclass
class SiteData:
    idx: Index
    settings: Settings
    text: dict[str, Messages]  # language → message key → text
    term_labels: dict[str, dict[str, str]]  # IRI term → language → label, for terms from other vocabularies
    rank: dict[str, int]  # IRI term → position in the ontology file (properties are listed in that order)
    documents: dict[str, list[str]]  # document path → the subjects it describes
    networks: list[Network]
    criteria: list[Criterion]
    downloads: list[catalog.Download]  # the published downloads (catalog.publish), in the order listed
    schema_org: dict  # the dataset as schema.org, embedded in the landing page

    @property
    def files(self) -> set[str]:
        """Site paths of the files the site links to by their IRI (downloads and catalogue files)."""
        return {d.path for d in self.downloads} | {path for path, _ in CATALOG_FILES.values()}

    def __post_init__(self) -> None:
        self.by_term = {n.term: n for n in self.networks}
        self.outcomes = {  # (network, criterion key) → outcome term
            (n.term, key): outcome
            for n in self.networks
            for key, assessment in n.assessments.items()
            if (outcome := self.idx.one(assessment, rld("outcome")))
        }
        self.meets = {
            n.term: all(self.outcome(n, c) == MET for c in self.criteria if c.assessable) for n in self.networks
        }
        self.by_prefecture: dict[str | None, list[Network]] = defaultdict(list)
        self.peers: dict[str | None, list[Network]] = defaultdict(list)  # prefecture or coverage type → networks
        for n in self.networks:
            self.by_prefecture[n.prefecture].append(n)
            if not n.combined:  # row 61 sums rows 57–60: comparing with it would count them twice
                self.peers[n.prefecture].append(n)
                self.peers[n.coverage_type].append(n)
        self._sorted: dict[tuple[str | None, str], tuple[list[Decimal], Decimal | None]] = {}  # values, median
        self._predicate_order: dict[str, tuple[int, int, str]] = {}
        self._kind: dict[str, str] = {}
        self._property_groups: dict[str, list[tuple[str, list[str]]]] = {}
        self._inverse_groups: dict[str, list[tuple[str, str, list[str]]]] = {}
        self._survey_rows: dict[str, list[SurveyRow]] = {}

    def survey_rows_of(self, dataset: str) -> list[SurveyRow]:
        """The rows of a survey (qb:DataSet) by row number (kept: each survey's page and the next one's read them)."""
        found = self._survey_rows.get(dataset)
        if found is None:
            idx = self.idx
            found = []
            for s in idx.values(dataset, f"<{QB}slice>"):
                network = idx.one(s, rld("network"))
                name = idx.one(s, rld("nameAsPrinted"))
                found.append(
                    SurveyRow(
                        term=s,
                        no=_int(idx.one(s, rld("surveyRowNumber"))) or 0,
                        network=network,
                        name=literal(name)[0] if name else None,
                        combined=bool(network) and COMBINED in idx.types(network),
                        values=observed(idx, s),
                    )
                )
            found.sort(key=lambda r: (r.no, r.term))
            self._survey_rows[dataset] = found
        return found

    def compare(self, n: Network, group: str | None, measure: str) -> tuple[int | None, int, Decimal | None]:
        """(rank, out of how many, median) of network `n` on `measure` among the networks of `group` (its
        prefecture or coverage type). Rank 1 is the largest value; ties share a rank; unknown values are left out."""
        key = (group, measure)
        found = self._sorted.get(key)
        if found is None:
            known = (MEASURE_OF[measure](m) for m in self.peers.get(group, ()))
            values = sorted(Decimal(v) for v in known if v is not None)
            found = self._sorted[key] = (values, statistics.median(values).normalize() if values else None)
        values, median = found
        value = MEASURE_OF[measure](n)
        if value is None:
            return None, len(values), median
        return 1 + len(values) - bisect.bisect_right(values, Decimal(value)), len(values), median

    def predicate_order(self, p: str) -> tuple[int, int, str]:
        """Where property `p` goes in a property table: rdf:type, rdfs:label, our terms in the ontology's order,
        then the others by name."""
        found = self._predicate_order.get(p)
        if found is None:
            if p in (RDF_TYPE, RDFS_LABEL):
                found = (0 if p == RDF_TYPE else 1, 0, p)
            elif p in self.rank:
                found = (2, self.rank[p], p)
            else:
                found = (3, 0, compact(iri(p)) or p)
            self._predicate_order[p] = found
        return found

    def property_groups(self, subject: str) -> list[tuple[str, list[str]]]:
        """The properties of `subject` in the order of its property table, each with its values (the same for
        the page in each language: kept until both are written)."""
        found = self._property_groups.get(subject)
        if found is None:
            grouped: dict[str, list[str]] = {}
            for p, o in self.idx.out.get(subject, ()):
                values = grouped.get(p)
                if values is None:
                    grouped[p] = [o]
                else:
                    values.append(o)
            found = [(p, grouped[p]) for p in sorted(grouped, key=self.predicate_order)]
            self._property_groups[subject] = found
        return found

    def inverse_groups(self, subject: str) -> list[tuple[str, str, list[str]]]:
        """(property, class, resources) of the resources that link to `subject`, grouped by the linking property
        and the class of the linking resource (kept until the page in each language is written)."""
        found = self._inverse_groups.get(subject)
        if found is None:
            types = self.idx.types(subject)
            # A network's and a criterion's assessments have a section of their own on its page.
            skip_types = {ASSESSMENT} if NETWORK in types or CRITERION in types else set()
            groups: dict[tuple[str, str], list[str]] = defaultdict(list)
            for s, p in self.idx.inverse.get(subject, ()):
                if p != RDF_TYPE:
                    kind = self.kind_of(s)
                    if kind not in skip_types:
                        groups[(p, kind)].append(s)
            ordered = sorted(groups, key=lambda g: (self.predicate_order(g[0]), g[1]))
            found = self._inverse_groups[subject] = [(p, kind, groups[(p, kind)]) for p, kind in ordered]
        return found

    def kind_of(self, s: str) -> str:
        """The class a resource is grouped by where others link to it: its last rdf:type ("" if none)."""
        found = self._kind.get(s)
        if found is None:
            types = self.idx.types(s)
            found = self._kind[s] = types[-1] if types else ""
        return found

    @property
    def base(self) -> str:
        return self.settings.base_iri

    def outcome(self, network: Network, criterion: Criterion) -> str | None:
        return self.outcomes.get((network.term, criterion.key))

    def meets_assessable(self, network: Network) -> bool:
        """Met on every criterion that the survey can assess ((ア), (エ), (オ))."""
        return self.meets[network.term]


class Messages(dict):
    """The site's words in one language: `t["key"]`, and `t.key` in templates as an attribute, which Jinja looks
    up first (in a plain dict it fails with an exception before Jinja tries the key, on every page)."""

    def __init__(self, entries: dict[str, str]) -> None:
        super().__init__(entries)
        self.__dict__.update(entries)


def load_text(path: Path) -> dict[str, Messages]:
    with path.open("rb") as f:
        entries = tomllib.load(f)
    missing = [key for key, value in entries.items() if set(value) != set(LANGS)]
    if missing:
        raise SourceError(path, None, f"every message needs exactly {', '.join(LANGS)}: {', '.join(missing)}")
    return {lang: Messages({key: value[lang] for key, value in entries.items()}) for lang in LANGS}


def load_term_labels(path: Path) -> dict[str, dict[str, str]]:
    labels = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            prefix, _, local = row["term"].partition(":")
            labels[f"<{PREFIXES[prefix]}{local}>"] = {lang: row[lang] for lang in LANGS}
    return labels


def ontology_order(path: Path) -> dict[str, int]:
    """Each subject of the ontology file by first appearance: the order in which its authors present terms."""
    rank: dict[str, int] = {}
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        rank.setdefault(str(quad.subject), len(rank))
    return rank


def _int(term: str | None) -> int | None:
    return int(literal(term)[0]) if term else None


def decimal_value(term: str | None) -> Decimal | None:
    if not term:
        return None
    try:
        return Decimal(literal(term)[0])
    except InvalidOperation:
        return None


def _notes(idx: Index, subject: str) -> dict[str, str]:
    """rld:valueNote "disclosing/accessing: text | registered_patients: text" → {column: text}."""
    notes = {}
    for term in idx.values(subject, rld("valueNote")):
        for entry in literal(term)[0].split(" | "):
            columns, _, text = entry.partition(": ")
            for column in columns.split("/"):
                notes[column] = text
    return notes


def survey_rows(idx: Index, network: str) -> list[str]:
    """The network's rows (slices) in the surveys it is in, oldest survey first."""
    rows = [x for x in idx.subjects(rld("network"), network) if f"<{QB}Slice>" in idx.types(x)]
    return sorted(rows, key=lambda x: (idx.one(x, rld("fiscalYear")) or "", x))


def dataset_of(idx: Index, row: str) -> str | None:
    """The survey (qb:DataSet) a row is a slice of."""
    return next(iter(idx.subjects(f"<{QB}slice>", row)), None)


def observed(idx: Index, row: str) -> dict[str, tuple[str | None, str | None]]:
    """Measure property → (value, status) of a survey row (N-Triples terms); the value is None where the survey
    gives no number (""^^rld:NoValue), and the status says why."""
    found = {}
    for observation in idx.values(row, f"<{QB}observation>"):
        measure = idx.one(observation, f"<{QB}measureType>")
        if measure is None:
            continue
        value = idx.one(observation, measure)
        if value is not None and literal(value)[2] == VOCABULARY + "NoValue":
            value = None
        found[measure] = (value, idx.one(observation, rld("observationStatus")))
    return found


def collect_networks(idx: Index) -> list[Network]:
    networks = []
    for s in sorted(s for s, p in idx.inverse.get(NETWORK, ()) if p == RDF_TYPE):
        area = idx.one(s, rld("coverageArea"))
        # Key figures and outcomes: the earliest survey the network is in (its page also shows every survey).
        rows = survey_rows(idx, s)
        first = rows[0] if rows else None
        values = {m: v for m, (v, _) in observed(idx, first).items() if v is not None} if first else {}
        dataset = dataset_of(idx, first) if first else None
        own = values.get(rld("hasOwnFunding"))
        networks.append(
            Network(
                term=s,
                key=iri(s).rsplit("/", 1)[1],
                no=_int(idx.one(s, rld("surveyRowNumber"))) or 0,
                prefecture=idx.one(s, rld("prefecture")),
                coverage_type=idx.one(area, rld("areaType")) if area else None,
                area=area,
                start=_int(idx.one(s, rld("startFiscalYear"))),
                counts={name: _int(values.get(prop)) for name, prop, _ in MEASURES},
                amount=decimal_value(values.get(rld("fundExpenditureJPY"))),
                own_funding=None if own is None else literal(own)[0] == "true",
                combined=COMBINED in idx.types(s),
                notes=_notes(idx, s),
                assessments={
                    iri(idx.one(a, rld("criterion")) or "<>").rsplit("/", 1)[-1]: a
                    for a in idx.subjects(rld("network"), s)
                    if idx.one(a, rld("criterion")) and idx.one(a, rld("survey")) == dataset
                },
                survey=dataset,
            )
        )
    return sorted(networks, key=lambda n: (n.no, n.term))


def collect_criteria(idx: Index) -> list[Criterion]:
    found = []
    for s in sorted(s for s, p in idx.inverse.get(CRITERION, ()) if p == RDF_TYPE):
        notation = idx.one(s, f"<{SKOS}notation>")
        assessable = idx.one(s, rld("assessableFromSurvey"))
        found.append(
            Criterion(
                s,
                iri(s).rsplit("/", 1)[1],
                literal(notation)[0] if notation else "",
                bool(assessable and literal(assessable)[0] == "true"),
            )
        )
    return found


def document_subjects(idx: Index, base: str) -> dict[str, list[str]]:
    """Document path → the IRIs (subjects) it describes, for every subject the site publishes."""
    found: dict[str, list[str]] = defaultdict(list)
    for s in idx.out:
        path = iris.document_path(iri(s), base) if s[0] == "<" else None
        if path:
            found[path].append(s)
    # The resource itself first, then the hash IRIs described in its document (…#fy2019, …#sha256).
    return {path: sorted(subjects, key=lambda s: ("#" in s, s)) for path, subjects in sorted(found.items())}
