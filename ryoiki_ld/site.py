"""site: the static, dereferenceable, bilingual website in DIR/site/.

Every IRI the graph mints has its documents where `iris.document_path` puts them: `doc/{kind}/{key}.html`
for people (Japanese; the English page is `en/doc/{kind}/{key}.html`) and `.ttl`, `.jsonld`, `.nt` for
machines (see `site_graph` for what a document holds). The vocabulary's hash IRIs share `doc/def.*`, with
an anchor per term. Around them: the landing page (summary figures, map, charts, a table of all networks),
the criteria, vocabulary and downloads pages, `sitemap.xml`, `robots.txt` and the Apache rewrite rules.

Links are relative, so the site works from any path on any static host. Pages are Jinja2 templates in
`site/templates/` with autoescape on: every value from the data is escaped when printed. Pages and documents
are filled straight from the grouped N-Triples lines, not through an RDF library (about 30× slower for the
documents alone, `benchmarks/bench_site.py`).

Speed (the whole site in under a second on tmpfs with two cores): a resource's page is resource.html rendered
once per language and depth with placeholders (`Skeleton`), filled in per page with values escaped once;
what varies in shape comes from small templates, rendered once per distinct value where it repeats (links,
labels, table rows). The ~4,500 resources go in tasks to forked workers, which claim them from both ends of
the list as they come free.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import functools
import gc
import json
import multiprocessing
import os
import re
import shutil
import statistics
import tomllib
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import jinja2
import pyoxigraph as ox
from markupsafe import Markup, escape

from . import catalog, iris, site_charts
from .config import CATALOG_FILES, Output, Settings
from .errors import SourceError
from .rdf import ONTOLOGY, OUTCOMES, PREFIXES, RDF_TYPE, RDFS_LABEL, SCHEMA, SKOS, VOCABULARY, XSD, compact
from .rdf import rld as _rld
from .site_graph import (
    Index,
    TermWriter,
    document_triples,
    index,
    iri,
    jsonld,
    literal,
    ntriples,
    turtle,
)

Echo = Callable[[str], None]
LANGS = ("ja", "en")
RLD = VOCABULARY

NETWORK, COMBINED, CRITERION, ASSESSMENT = map(_rld, ("Network", "CombinedNetwork", "Criterion", "CriterionAssessment"))
PREFECTURE, COVERAGE_TYPE, COVERAGE_AREA = _rld("Prefecture"), _rld("CoverageType"), _rld("CoverageArea")
REPORT = f"<{SCHEMA}Report>"
MET = _rld("Met")
# The counts of the report's table: (measure, property, the tidy table's column named in rld:valueNote).
MEASURES = (
    ("participating", _rld("participatingInstitutions"), "participating"),
    ("disclosing", _rld("disclosingInstitutions"), "disclosing"),
    ("accessing", _rld("accessingInstitutions"), "accessing"),
    ("patients", _rld("registeredPatients"), "registered_patients"),
)
MEASURE_OF: dict[str, Callable[[Network], int | Decimal | None]] = {
    **{name: (lambda n, k=name: n.counts[k]) for name, _, _ in MEASURES},
    "funding": lambda n: n.amount,
}
PEERS_SHOWN = 50  # a network page lists at most this many networks of its prefecture (the prefecture page: all)
NUMBER_TYPES = {f"{XSD}{t}" for t in ("integer", "nonNegativeInteger", "decimal", "positiveInteger", "int", "long")}
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")


# --------------------------------------------------------------------------------------------------
# What the pages are made of: the graph, the site's own words, and the networks as records
# --------------------------------------------------------------------------------------------------


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
            if (outcome := self.idx.one(assessment, _rld("outcome")))
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
        self._sorted: dict[tuple[str | None, str], tuple[list[Decimal], str | None]] = {}  # values, median
        self._predicate_order: dict[str, tuple[int, int, str]] = {}
        self._kind: dict[str, str] = {}
        self._property_groups: dict[str, list[tuple[str, list[str]]]] = {}
        self._inverse_groups: dict[str, list[tuple[str, str, list[str]]]] = {}

    def compare(self, n: Network, group: str | None, measure: str) -> tuple[int | None, int, str | None]:
        """(rank, out of how many, median) of network `n` on `measure` among the networks of `group` (its
        prefecture or coverage type). Rank 1 is the largest value; ties share a rank; unknown values are left out."""
        key = (group, measure)
        found = self._sorted.get(key)
        if found is None:
            known = (MEASURE_OF[measure](m) for m in self.peers.get(group, ()))
            values = sorted(Decimal(v) for v in known if v is not None)
            found = self._sorted[key] = (values, Html.number(statistics.median(values).normalize()) if values else None)
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


def _decimal(term: str | None) -> Decimal | None:
    if not term:
        return None
    try:
        return Decimal(literal(term)[0])
    except InvalidOperation:
        return None


def _notes(idx: Index, subject: str) -> dict[str, str]:
    """rld:valueNote "disclosing/accessing: text | registered_patients: text" → {column: text}."""
    notes = {}
    for term in idx.values(subject, _rld("valueNote")):
        for entry in literal(term)[0].split(" | "):
            columns, _, text = entry.partition(": ")
            for column in columns.split("/"):
                notes[column] = text
    return notes


def collect_networks(idx: Index) -> list[Network]:
    networks = []
    for s in sorted(s for s, p in idx.inverse.get(NETWORK, ()) if p == RDF_TYPE):
        area = idx.one(s, _rld("coverageArea"))
        funding = idx.one(s, _rld("fundingRecord"))
        own = idx.one(s, _rld("hasOwnFunding"))
        networks.append(
            Network(
                term=s,
                key=iri(s).rsplit("/", 1)[1],
                no=_int(idx.one(s, _rld("surveyRowNumber"))) or 0,
                prefecture=idx.one(s, _rld("prefecture")),
                coverage_type=idx.one(area, _rld("areaType")) if area else None,
                area=area,
                start=_int(idx.one(s, _rld("startFiscalYear"))),
                counts={name: _int(idx.one(s, prop)) for name, prop, _ in MEASURES},
                amount=_decimal(idx.one(funding, _rld("amountJPY"))) if funding else None,
                own_funding=None if own is None else literal(own)[0] == "true",
                combined=COMBINED in idx.types(s),
                notes=_notes(idx, s),
                assessments={
                    iri(idx.one(a, _rld("criterion")) or "<>").rsplit("/", 1)[-1]: a
                    for a in idx.subjects(_rld("network"), s)
                },
            )
        )
    return sorted(networks, key=lambda n: (n.no, n.term))


def collect_criteria(idx: Index) -> list[Criterion]:
    found = []
    for s in sorted(s for s, p in idx.inverse.get(CRITERION, ()) if p == RDF_TYPE):
        notation = idx.one(s, f"<{SKOS}notation>")
        assessable = idx.one(s, _rld("assessableFromSurvey"))
        found.append(
            Criterion(
                s,
                iri(s).rsplit("/", 1)[1],
                literal(notation)[0] if notation else "",
                bool(assessable and literal(assessable)[0] == "true"),
            )
        )
    return found


def documents(idx: Index, base: str) -> dict[str, list[str]]:
    """Document path → the IRIs (subjects) it describes, for every subject the site publishes."""
    found: dict[str, list[str]] = defaultdict(list)
    for s in idx.out:
        path = iris.document_path(iri(s), base) if s[0] == "<" else None
        if path:
            found[path].append(s)
    # The resource itself first, then the hash IRIs described in its document (…#fy2019, …#sha256).
    return {path: sorted(subjects, key=lambda s: ("#" in s, s)) for path, subjects in sorted(found.items())}


# --------------------------------------------------------------------------------------------------
# Terms as HTML, for the pages of one language at one depth
# --------------------------------------------------------------------------------------------------


class Skeleton:
    """A template rendered once with a placeholder for each value that changes from page to page, and cut at
    the placeholders: a page is then its fixed pieces joined with its values, each escaped as the template
    would have escaped it. Values are filled in one pass, so a value never fills another's placeholder."""

    SLOT = "\x00"  # marks a placeholder's name in the rendered text (no template or message holds it)

    def __init__(self, template: jinja2.Template, context: dict, names: Iterable[str]) -> None:
        placeholders = {name: f"{self.SLOT}{name}{self.SLOT}" for name in names}
        pieces = template.render(context | placeholders).split(self.SLOT)
        self.fixed, self.names = pieces[0::2], pieces[1::2]
        if len(pieces) % 2 == 0 or not set(self.names) <= set(placeholders):
            raise ValueError(f"{template.name}: a placeholder is cut or changed by the template")

    def fill(self, values: dict[str, object]) -> Markup:
        out = [self.fixed[0]]
        for name, fixed in zip(self.names, self.fixed[1:], strict=True):
            value = values[name]
            out.append(value if type(value) is Markup else _escaped(value))
            out.append(fixed)
        return Markup("".join(out))


_SPECIAL = re.compile("[&<>\"']")  # what `escape` replaces


def _escaped(value: object) -> str:
    """`escape(value)`, without making a Markup of the (most common) text that needs no escaping."""
    if type(value) is str and not _SPECIAL.search(value):
        return value
    return escape(value)


class QueryLink:
    """A query of site/templates/queries/ about one resource, quoted for a link to the query page: rendered once
    with a placeholder for the resource's IRI and quoted piece by piece (quoting works character by character,
    so the pieces and the IRI quoted apart equal the whole query quoted)."""

    def __init__(self, template: jinja2.Template) -> None:
        slot = f"{Skeleton.SLOT}iri{Skeleton.SLOT}"
        self.fixed = [quote(piece, safe="") for piece in template.render(iri=slot, vocabulary=RLD).strip().split(slot)]

    def quoted(self, quoted_iri: str) -> str:
        """The query about the resource whose IRI, quoted, is `quoted_iri`."""
        return quoted_iri.join(self.fixed)


class Html:
    """How terms print on the pages of one language whose path is `root` away from the site root.

    Cached, because the same few thousand resources are linked from thousands of pages.
    """

    def __init__(self, data: SiteData, lang: str, root: str, env: jinja2.Environment) -> None:
        self.data, self.lang, self.root, self.env = data, lang, root, env
        self.row_template = env.get_template("_network_row.html")
        self.home = root + ("" if lang == "ja" else "en/")
        self.switch_root = root + ("en/" if lang == "ja" else "")  # the other language's pages
        self.t = data.text[lang]
        self._links: dict[str, Markup] = {}
        self._values: dict[str, Markup] = {}
        self._predicates: dict[str, Markup] = {}
        self._kinds: dict[tuple[str, ...], Markup] = {}
        self._labels: dict[str, Markup] = {}
        self._row_heads: dict[str, str] = {}
        self.network_rows: dict[tuple[str, bool], Markup] = {}  # (network, is the page's own) → table row
        self._skeletons: dict[tuple[str, ...], Skeleton] = {}  # (template, names to fill in) → skeleton

    @functools.cached_property
    def context(self) -> dict:
        """What every template rendered for a part of a page needs (the page's own path is not among it)."""
        return page_context(self.data, self, "")

    def skeleton(self, template: str, names: Iterable[str]) -> Skeleton:
        """`template` as rendered on every page of this language and depth, with `names` left to fill in."""
        key = (template, *names)
        found = self._skeletons.get(key)
        if found is None:
            found = self._skeletons[key] = Skeleton(self.env.get_template(template), self.context, key[1:])
        return found

    def fragment(self, template: str, **values: str) -> Markup:
        """A template that is the same on every page of this language and depth but for a few `values`:
        rendered once with placeholders, then filled in (escaped) for each page."""
        return self.skeleton(template, values).fill(values)

    def section(self, template: str, **values: object) -> Markup:
        """A template rendered for one page (a part whose shape differs from page to page)."""
        return Markup(self.env.get_template(template).render(self.context | values))

    def kinds(self, types: list[str]) -> Markup:
        """The classes of a resource, linked (the same few combinations on thousands of pages)."""
        key = tuple(types)
        found = self._kinds.get(key)
        if found is None:
            found = self._kinds[key] = self.section("_kinds.html", kinds=[self.link(t) for t in types])
        return found

    def href(self, term: str) -> str | None:
        """A relative link to what the site has for an IRI term: its page, or a file such as the source text."""
        value = iri(term)
        path = iris.document_path(value, self.data.base)
        if path == iris.VOCABULARY_DOCUMENT:
            local = value[len(RLD) :] if value.startswith(RLD) else ""
            return f"{self.home}{path}.html" + (f"#{local}" if local else "")
        if path:
            fragment = value.partition("#")[2]
            return f"{self.home}{path}.html" + (f"#{fragment}" if fragment else "")
        if value.startswith(self.data.base):
            file, _, fragment = value[len(self.data.base) :].partition("#")
            if file in self.data.files:
                return self.root + file + (f"#{fragment}" if fragment else "")
        return None

    def label_text(self, term: str) -> tuple[str, str | None]:
        """The label to show for a term, and its language: the page's, else Japanese, else English."""
        labels = self.data.idx.labels.get(term) or self.data.term_labels.get(term)
        if labels:
            for lang in (self.lang, "ja", "en", ""):
                if lang in labels:
                    return labels[lang], lang or None
        if term[0] == "<":
            return compact(iri(term)) or iri(term), "zxx"
        return literal(term)[0], None

    def text(self, text: str, lang: str | None = None) -> Markup:
        """Text marked with its language where it differs from the page's (untagged text: guessed by script)."""
        if lang is None:
            lang = "ja" if _JAPANESE.search(text) else self.lang
        if lang in (self.lang, "zxx"):
            return escape(text)
        return Markup(f'<span lang="{escape(lang)}">{escape(text)}</span>')

    def label(self, term: str) -> Markup:
        found = self._labels.get(term)
        if found is None:
            found = self._labels[term] = self.text(*self.label_text(term))
        return found

    def plain_label(self, term: str) -> str:
        return self.label_text(term)[0]

    def link(self, term: str) -> Markup:
        found = self._links.get(term)
        if found is None:
            href = self.href(term)
            if href is not None:
                found = Markup(f'<a href="{escape(href)}">{self.label(term)}</a>')
            else:
                value = iri(term)
                found = Markup(f'<a class="ext" href="{escape(value)}">{escape(compact(value) or value)}</a>')
            self._links[term] = found
        return found

    def value(self, term: str) -> Markup:
        """An object term: a link for an IRI; a literal formatted for reading (numbers grouped, booleans in words)."""
        found = self._values.get(term)
        if found is None:
            if term[0] == "<":
                found = self.link(term)
            else:
                text, lang, datatype = literal(term)
                if datatype in NUMBER_TYPES:
                    found = escape(self.number(text))
                elif datatype == f"{XSD}boolean":
                    found = escape(self.t["true" if text == "true" else "false"])
                else:
                    found = self.text(text, lang)
            self._values[term] = found
        return found

    def row_head(self, predicate: str) -> str:
        """The start of a property table's row, up to its value."""
        found = self._row_heads.get(predicate)
        if found is None:
            found = self._row_heads[predicate] = f'<tr><th scope="row">{self.predicate(predicate)}</th><td>'
        return found

    def predicate(self, term: str) -> Markup:
        found = self._predicates.get(term)
        if found is None:
            name = compact(iri(term)) or iri(term)
            href = self.href(term) or iri(term)
            found = Markup(f'<a href="{escape(href)}">{self.label(term)}</a> <code>{escape(name)}</code>')
            self._predicates[term] = found
        return found

    @staticmethod
    def number(text: str | int | Decimal) -> str:
        """Digits grouped by thousands (143,308); anything not a number is printed as it is."""
        try:
            value = Decimal(str(text))
        except InvalidOperation:
            return str(text)
        return f"{value:,f}"

    def in_language(self, subject: str, predicate: str) -> Markup | None:
        """The one value of a language-tagged property best suited to the page (its language, else any)."""
        terms = self.data.idx.values(subject, predicate)
        if not terms:
            return None
        by_lang = {literal(t)[1]: t for t in terms}
        return self.value(by_lang.get(self.lang) or by_lang.get("ja") or terms[0])

    @functools.cached_property
    def endpoint(self) -> str:
        """The query page, from pages at this depth (the endpoint setting may be relative to the site root)."""
        endpoint = self.data.settings.sparql_endpoint
        return endpoint if "://" in endpoint else self.root + endpoint

    def query(self, sparql: str) -> str:
        """A link to the query page running `sparql`."""
        return self.query_quoted(quote(sparql, safe=""))

    def query_quoted(self, quoted: str) -> str:
        """A link to the query page running a query already quoted for a URL (by `quote(…, safe="")`)."""
        return f"{self.endpoint}?query={quoted}"


# --------------------------------------------------------------------------------------------------
# Page contexts
# --------------------------------------------------------------------------------------------------


def page_context(data: SiteData, h: Html, path: str) -> dict:
    """What every page needs: its language, the way back to the root, the language switch, the nav links."""
    other = "en" if h.lang == "ja" else "ja"
    return {
        "lang": h.lang,
        "other_lang": other,
        "root": h.root,
        "home": h.home,
        "t": h.t,
        "h": h,
        "path": path,
        "switch_href": h.root + ("en/" if other == "en" else "") + path,
        "query_page": h.endpoint,
        "source_href": h.root + "source/" + data.settings.source.name,
        "corrections_href": h.root + "data/corrections.csv",
        "data_credit_ja": data.text["ja"]["credit"],
    }


def network_rows(data: SiteData, h: Html, networks: list[Network], current: str | None = None) -> list[Markup]:
    """The rows of a table of networks (site/templates/_network_row.html), each rendered once per page depth."""
    rows = []
    for n in networks:
        key = (n.term, n.term == current)
        row = h.network_rows.get(key)
        if row is None:
            outcomes = []
            for c in data.criteria:
                if c.assessable:
                    o = data.outcome(n, c)
                    outcomes.append((c.notation, OUTCOMES.get(o or "", ""), h.plain_label(o) if o else ""))
            row = h.network_rows[key] = Markup(
                h.row_template.render(
                    t=h.t,
                    n=n,
                    current=n.term == current,
                    href=h.href(n.term),
                    name=h.label(n.term),
                    area_text=h.plain_label(n.area) if n.area else "",
                    prefecture=h.link(n.prefecture) if n.prefecture else "",
                    pref_code=iri(n.prefecture).rsplit("/", 1)[1] if n.prefecture else "",
                    coverage=h.label(n.coverage_type) if n.coverage_type else "",
                    coverage_code=iri(n.coverage_type).rsplit("#", 1)[-1] if n.coverage_type else "",
                    own_funding="" if n.own_funding is None else h.t["yes" if n.own_funding else "no"],
                    outcomes=outcomes,
                    meets=data.meets_assessable(n),
                )
            )
        rows.append(row)
    return rows


def summary_figures(data: SiteData) -> dict:
    """The report's own summary figures, computed from the graph (the report prints 27/104/32/15/40, 59, 20, 79)."""
    networks = data.networks
    by_type = Counter(n.coverage_type for n in networks)
    types = sorted(
        (s for s, p in data.idx.inverse.get(COVERAGE_TYPE, ()) if p == RDF_TYPE), key=lambda t: data.rank.get(t, 0)
    )
    return {
        "networks": len(networks),
        "coverage": [(t, by_type.get(t, 0)) for t in types],
        "one_disclosing": sum(1 for n in networks if n.counts["disclosing"] == 1),
        "one_accessing": sum(1 for n in networks if n.counts["accessing"] == 1),
        "no_own_funding": sum(1 for n in networks if n.own_funding is False),
        "meeting": sum(1 for n in networks if data.meets_assessable(n)),
    }


def landing_context(data: SiteData, h: Html, positions: dict[str, tuple[int, int]]) -> dict:
    networks = data.networks
    prefectures = sorted(s for s, p in data.idx.inverse.get(PREFECTURE, ()) if p == RDF_TYPE)
    per_pref = {
        iri(p).rsplit("/", 1)[1]: (
            sum(1 for n in networks if n.prefecture == p),
            sum(1 for n in networks if n.prefecture == p and data.meets_assessable(n)),
        )
        for p in prefectures
    }
    tiles = site_charts.tile_map(positions, per_pref)
    pref_terms = {iri(p).rsplit("/", 1)[1]: p for p in prefectures}
    figures = summary_figures(data)
    types = [t for t, _ in figures["coverage"]]
    points = []
    not_drawn = 0
    for n in networks:
        x, y = n.counts["participating"], n.counts["patients"]
        if n.combined or not x or not y:
            not_drawn += 1
            continue
        title = f"{n.no:03d} {h.plain_label(n.term)}: {x:,} / {y:,}"
        points.append((x, y, types.index(n.coverage_type) if n.coverage_type in types else len(types), title))
    years = Counter(n.start for n in networks if n.start is not None)
    # The schema.org Dataset for dataset search engines; "<" escaped so no text can close the script element.
    schema_org_json = Markup(json.dumps(data.schema_org, ensure_ascii=False, indent=1).replace("<", "\\u003c"))
    return {
        "schema_org_json": schema_org_json,
        "dataset": f"<{iris.dataset_iri(data.settings.base_iri)}>",
        "figures": figures,
        "map": tiles,
        "pref_terms": pref_terms,
        "short_name": lambda term: _short_prefecture_name(h.plain_label(term), h.lang),
        "bars": site_charts.bar_chart(dict(years)),
        "scatter": site_charts.log_scatter(points, [h.plain_label(t) for t in types]),
        "scatter_x": h.plain_label(MEASURES[0][1]),
        "scatter_y": h.plain_label(MEASURES[3][1]),
        "report": next((s for s, p in data.idx.inverse.get(REPORT, ()) if p == RDF_TYPE), None),
        "not_drawn": not_drawn,
        "rows": network_rows(data, h, networks),
        "prefectures": prefectures,
        "coverage_types": types,
        "criteria": data.criteria,
    }


def _short_prefecture_name(name: str, lang: str) -> str:
    if lang == "ja" and name != "北海道" and name[-1] in "都府県":
        return name[:-1]
    return name


def network_context(data: SiteData, h: Html, n: Network) -> SimpleNamespace:
    """What a network's section shows. Records are namespaces, not dicts: a template reads `n.figures` as an
    attribute, which Jinja tries first (on a dict it fails with an exception before Jinja tries the key)."""
    t = h.t
    idx = data.idx

    def note(column: str) -> Markup | None:
        return h.text(n.notes[column]) if column in n.notes else None

    figures = []
    for name, prop, column in MEASURES:
        value = n.counts[name]
        figures.append((h.label(prop), None if value is None else h.number(value), note(column)))
    start = idx.one(n.term, _rld("startFiscalYear"))
    printed = idx.one(n.term, _rld("startAsPrinted"))
    as_printed = Markup(f"{escape(t['start_as_printed'])}: {h.value(printed)}") if printed else None
    figures.append((h.label(_rld("startFiscalYear")), literal(start)[0] if start else None, as_printed))
    amount = None if n.amount is None else h.number(n.amount) + t["yen"]
    figures.append((escape(t["fy2019_funding"]), amount, note("funding_jpy")))
    own = None if n.own_funding is None else t["yes" if n.own_funding else "no"]
    figures.append((h.label(_rld("hasOwnFunding")), own, note("own_funding")))

    outcomes = []
    for c in data.criteria:
        assessment = n.assessments.get(c.key)
        outcome = idx.one(assessment, _rld("outcome")) if assessment else None
        reason = h.in_language(assessment, _rld("reason")) if assessment else None
        outcomes.append(
            SimpleNamespace(
                criterion=c,
                criterion_link=h.link(c.term),
                definition=h.in_language(c.term, f"<{SKOS}definition>"),
                code=OUTCOMES.get(outcome or "", ""),
                outcome=h.label(outcome) if outcome else escape(t["unknown"]),
                reason=reason or (escape(t["reason_met"]) if outcome == MET else ""),
                assessment=h.href(assessment) if assessment else None,
            )
        )

    comparison = []
    measures = [(name, h.label(prop)) for name, prop, _ in MEASURES] + [("funding", escape(t["fy2019_funding"]))]
    for name, label in [] if n.combined else measures:  # a sum of networks is not compared with them
        value = MEASURE_OF[name](n)
        pref_rank, pref_of, pref_median = data.compare(n, n.prefecture, name)
        type_rank, type_of, type_median = data.compare(n, n.coverage_type, name)
        comparison.append(
            SimpleNamespace(
                label=label,
                value=None if value is None else h.number(value),
                pref_rank=pref_rank,
                pref_of=pref_of,
                pref_median=pref_median,
                type_rank=type_rank,
                type_of=type_of,
                type_median=type_median,
            )
        )
    same_pref = data.by_prefecture.get(n.prefecture, [])
    shown = same_pref[:PEERS_SHOWN]
    if n not in shown:
        shown = [*shown[: PEERS_SHOWN - 1], n]
    return SimpleNamespace(
        figures=figures,
        outcomes=outcomes,
        comparison=comparison,
        prefecture=h.link(n.prefecture) if n.prefecture else "",
        prefecture_href=h.href(n.prefecture) if n.prefecture else None,
        coverage=h.label(n.coverage_type) if n.coverage_type else "",
        peers=network_rows(data, h, shown, current=n.term),
        peers_total=len(same_pref),
    )


def prefecture_context(data: SiteData, h: Html, term: str) -> SimpleNamespace:
    networks = [n for n in data.networks if n.prefecture == term]
    return SimpleNamespace(
        rows=network_rows(data, h, networks),
        count=len(networks),
        meeting=sum(1 for n in networks if data.meets_assessable(n)),
    )


def criterion_summary(data: SiteData, h: Html, c: Criterion) -> SimpleNamespace:
    """Outcome counts and the networks with each outcome, for the criteria page and a criterion's page."""
    by_outcome: dict[str, list[Markup]] = {code: [] for code in OUTCOMES.values()}
    for n in data.networks:
        code = OUTCOMES.get(data.outcome(n, c) or "")
        if code:
            by_outcome[code].append(h.link(n.term))
    return SimpleNamespace(
        criterion=c,
        link=h.link(c.term),
        label=h.label(c.term),
        definition=h.in_language(c.term, f"<{SKOS}definition>"),
        scope_note=h.in_language(c.term, f"<{SKOS}scopeNote>"),
        based_on=[h.link(o) for o in data.idx.values(c.term, _rld("basedOn"))],
        outcomes=[(code, h.label(term), by_outcome[code]) for term, code in OUTCOMES.items()],
        total=sum(len(v) for v in by_outcome.values()),
    )


def joined(items: Iterable[Markup | str]) -> Markup:
    """Items joined (text is escaped, Markup kept): the rows of a table, with no template loop."""
    return Markup("".join(item if type(item) is Markup else escape(item) for item in items))


def html_list(items: Iterable[Markup | str]) -> Markup:
    """`<li>` items (text is escaped, Markup kept): joined here, so the longest lists cost no template loop."""
    return Markup("".join(f"<li>{item if type(item) is Markup else escape(item)}</li>" for item in items))


def property_rows(data: SiteData, h: Html, subject: str) -> Markup:
    """The rows of the property table: every predicate of `subject` with its values (several become a list,
    the page's language first)."""
    own_language = f'"@{h.lang}'
    rows = []
    for p, objects in data.property_groups(subject):
        if len(objects) == 1:
            rows.append(f"{h.row_head(p)}{h.value(objects[0])}</td></tr>\n")
            continue
        first = [h.value(o) for o in objects if o.endswith(own_language)]
        values = first + [h.value(o) for o in objects if not o.endswith(own_language)]
        rows.append(f'{h.row_head(p)}<ul class="values">{html_list(values)}</ul></td></tr>\n')
    return Markup("".join(rows))


def inverse_section(data: SiteData, h: Html, subject: str) -> Markup:
    """The resources that link to `subject`, grouped by the linking property and the class of the linking
    resource (none: no section)."""
    groups = data.inverse_groups(subject)
    if not groups:
        return Markup()
    found = []
    for p, kind, linking in groups:
        links = [_with_network(data, h, s) for s in linking] if kind == COVERAGE_AREA else map(h.link, linking)
        group = {"kind": h.label(kind) if kind else "", "count": len(linking), "predicate": h.predicate(p)}
        found.append(h.fragment("_inverse_group.html", **group, links=html_list(links)))
    return h.fragment("_inverse_section.html", groups=Markup("".join(found)))


def _with_network(data: SiteData, h: Html, area: str) -> Markup:
    """A coverage area's link followed by its network's: the printed area text alone rarely says whose it is."""
    networks = data.idx.subjects(_rld("coverageArea"), area)
    if not networks:
        return h.link(area)
    opening, comma, closing = ("（", "、", "）") if h.lang == "ja" else (" (", ", ", ")")
    return Markup(f"{h.link(area)}{opening}{comma.join(h.link(n) for n in networks)}{closing}")


RESOURCE_SLOTS = (
    *("title", "switch_href", "doc", "kinds", "heading", "iri", "formats"),
    *("network", "prefecture", "criterion", "rows", "parts", "inverse"),
)


def resource_html(data: SiteData, h: Html, path: str, subject: str, queries: dict[str, str], parts: list[str]) -> str:
    """The page of the resource whose documents are at `path`: resource.html, rendered once per language and
    depth, filled in with this resource's values."""
    idx = data.idx
    types = idx.types(subject)
    doc = h.root + path
    formats = {"doc": doc, "describe": h.query_quoted(queries["describe"])}
    if "select" in queries:
        formats["select"] = h.query_quoted(queries["select"])
    values = {
        "title": h.plain_label(subject),
        "switch_href": h.switch_root + path + ".html",
        "doc": doc,
        "kinds": h.kinds(types),
        "heading": h.label(subject),
        "iri": iri(subject),
        "formats": h.fragment("_formats_select.html" if "select" in formats else "_formats.html", **formats),
        "network": Markup(),
        "prefecture": Markup(),
        "criterion": Markup(),
        "rows": property_rows(data, h, subject),
        # Hash IRIs described in this document (a period, a checksum): one section each, at their fragment.
        "parts": Markup("".join(_part_section(data, h, p) for p in parts)),
    }
    if NETWORK in types:
        values["network"] = h.section("_network_section.html", n=network_context(data, h, data.by_term[subject]))
    elif PREFECTURE in types:
        values["prefecture"] = h.section("_prefecture_section.html", prefecture=prefecture_context(data, h, subject))
    elif CRITERION in types:
        criterion = next(c for c in data.criteria if c.term == subject)
        values["criterion"] = h.section("_criterion_section.html", c=criterion_summary(data, h, criterion))
    values["inverse"] = inverse_section(data, h, subject)
    return h.skeleton("resource.html", RESOURCE_SLOTS).fill(values)


def _part_section(data: SiteData, h: Html, part: str) -> Markup:
    return h.fragment(
        "_part_section.html", id=iri(part).partition("#")[2], heading=h.label(part), rows=property_rows(data, h, part)
    )


def ontology_context(data: SiteData, h: Html, subjects: list[str]) -> dict:
    idx = data.idx
    ontology = f"<{ONTOLOGY}>"
    terms = sorted((s for s in subjects if s != ontology), key=lambda s: (data.rank.get(s, 1 << 30), s))
    entries = []
    for s in terms:
        uses = Counter(p for _, p in idx.inverse.get(s, ()))
        entries.append(
            {
                "id": iri(s)[len(RLD) :],
                "name": compact(iri(s)) or iri(s),
                "label": h.label(s),
                "kinds": [h.link(t) for t in idx.types(s)],
                "definition": h.in_language(s, f"<{SKOS}definition>"),
                "label_ja": h.text(idx.labels.get(s, {}).get("ja", ""), "ja"),
                "label_en": h.text(idx.labels.get(s, {}).get("en", ""), "en"),
                "rows": property_rows(data, h, s),
                "uses": [(h.predicate(p), count) for p, count in sorted(uses.items())],
            }
        )
    return {
        "title": h.plain_label(ontology),
        "heading": h.label(ontology),
        "iri": ONTOLOGY,
        "rows": property_rows(data, h, ontology),
        "terms": entries,
        "doc": h.root + iris.VOCABULARY_DOCUMENT,
        "describe": h.query(f"DESCRIBE <{ONTOLOGY}>"),
    }


def downloads_context(data: SiteData, h: Html, out: Output) -> dict:
    return {
        "files": [
            {
                "href": h.root + d.path,
                "name": d.path,
                "title": d.title[h.lang],
                "doc": h.href(f"<{iris.distribution_iri(data.settings.base_iri, d.key)}>"),
                "what": d.description[h.lang],
                "media_type": d.media_type,
                "size": d.byte_size,
                "sha256": d.sha256,
            }
            for d in data.downloads
        ],
        "catalogue": [
            {
                "href": h.root + path,
                "name": path,
                "what": h.t[f"dl_{key.replace('-', '_')}"],
                "size": out.catalog_file(key).stat().st_size,
            }
            for key, (path, _) in CATALOG_FILES.items()
        ],
    }


# --------------------------------------------------------------------------------------------------
# Writing the site
# --------------------------------------------------------------------------------------------------


def environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(["html", "svg", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # templates do not change during a build; checking costs a stat per page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = lambda v: "" if v is None else Html.number(v)
    env.filters["items"] = html_list
    env.filters["joined"] = joined
    # Imported once here rather than by `{% from … import %}` in each page, which would cost a lookup per page.
    env.globals["macros"] = env.get_template("_macros.html").module
    return env


def _write(path: str, text: str) -> None:
    """Write a new file with plain system calls: ~22,000 files make Python's buffered file objects show."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        written = os.write(fd, data)
        while written < len(data):
            written += os.write(fd, memoryview(data)[written:])
    finally:
        os.close(fd)


def _lang_path(lang: str, path: str) -> str:
    return path if lang == "ja" else f"en/{path}"


def _root(path: str) -> str:
    return "../" * path.count("/")


@dataclass
class Stats:
    documents: int
    pages: int


@contextlib.contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """The site stage allocates millions of short-lived objects and leaves only a few hundred in reference
    cycles: the cycle collector, which runs every few hundred allocations and walks the whole graph now and
    then, would only cost time (about 5 % of the stage) and, in forked workers, copies of shared memory."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_site(triples: set[str], settings: Settings, out: Output, published: catalog.Published, echo: Echo) -> Stats:
    """Write the pages and documents of DIR/site/ from the build's triples, beside the downloads and catalogue
    files that `catalog.publish` has already put there."""
    with _without_cycle_collector():
        return _build_site(triples, settings, out, published, echo)


def _build_site(triples: set[str], settings: Settings, out: Output, published: catalog.Published, echo: Echo) -> Stats:
    paths = settings.paths
    site = out.site
    idx = index(triples)
    data = SiteData(
        idx=idx,
        settings=settings,
        text=load_text(paths.site_messages),
        term_labels=load_term_labels(paths.site_term_labels),
        rank=ontology_order(paths.ontology),
        documents=documents(idx, settings.base_iri),
        networks=collect_networks(idx),
        criteria=collect_criteria(idx),
        downloads=published.downloads,
        schema_org=published.schema_org,
    )
    positions = site_charts.read_tile_positions(paths.prefecture_tiles)
    write_all(Writer(data, environment(paths.site_templates), out, positions), settings.site_workers)
    shutil.copytree(paths.site_assets, site / "assets")
    shutil.copyfile(paths.htaccess, site / ".htaccess")
    pages = (len(data.documents) + 3) * len(LANGS)
    echo(f"  {len(data.documents)} resources × 3 RDF documents, {pages} HTML pages (ja + en)")
    return Stats(len(data.documents), pages)


class Writer:
    """Writes the documents and pages of the site; its caches make each page cheap once a few are written."""

    def __init__(self, data: SiteData, env: jinja2.Environment, out: Output, positions: dict[str, tuple[int, int]]):
        self.data, self.env, self.out, self.positions = data, env, out, positions
        self.prefix = f"{out.site}{os.sep}"  # file names as strings: pathlib's joins show over ~22,000 files
        self.terms = TermWriter()
        self.helpers: dict[tuple[str, str], Html] = {}
        self.resource = env.get_template("resource.html")
        self.queries = {name: QueryLink(env.get_template(f"queries/{name}.rq")) for name in ("network", "prefecture")}
        self.describe = QueryLink(env.get_template("queries/describe.rq"))

    def helper(self, lang: str, root: str) -> Html:
        found = self.helpers.get((lang, root))
        if found is None:
            found = self.helpers[(lang, root)] = Html(self.data, lang, root, self.env)
        return found

    def render(self, path: str, template: jinja2.Template, make_context: Callable[[Html], dict]) -> None:
        """Write the page at `path` (Japanese) and at `en/{path}` (English)."""
        for lang in LANGS:
            target = _lang_path(lang, path)
            h = self.helper(lang, _root(target))
            _write(self.prefix + target, template.render(page_context(self.data, h, path) | make_context(h)))

    def documents(self, path: str) -> None:
        """doc/{kind}/{key}.nt, .ttl and .jsonld."""
        triples = document_triples(
            self.data.idx, self.data.documents[path], with_inverse=path != iris.VOCABULARY_DOCUMENT
        )
        target = self.prefix + path
        _write(f"{target}.nt", ntriples(triples))
        _write(f"{target}.ttl", turtle(triples, self.terms))
        _write(f"{target}.jsonld", jsonld(triples, self.terms))

    def resource_page(self, path: str) -> None:
        """doc/{kind}/{key}.html and en/doc/{kind}/{key}.html."""
        data = self.data
        subjects = data.documents[path]
        if path == iris.VOCABULARY_DOCUMENT:
            self.render(
                f"{path}.html", self.env.get_template("ontology.html"), lambda h: ontology_context(data, h, subjects)
            )
            return
        subject, parts = subjects[0], subjects[1:]
        kind = path.split("/")[1]
        quoted = quote(iri(subject), safe="")
        queries = {"describe": self.describe.quoted(quoted)}
        if kind in self.queries:
            queries["select"] = self.queries[kind].quoted(quoted)
        for lang in LANGS:
            target = _lang_path(lang, f"{path}.html")
            h = self.helper(lang, _root(target))
            _write(self.prefix + target, resource_html(data, h, path, subject, queries, parts))

    def site_pages(self) -> None:
        """The landing, criteria and downloads pages, the sitemap and robots.txt."""
        data, get = self.data, self.env.get_template
        self.render("index.html", get("index.html"), lambda h: landing_context(data, h, self.positions))
        self.render(
            "criteria.html",
            get("criteria.html"),
            lambda h: {"summaries": [criterion_summary(data, h, c) for c in data.criteria]},
        )
        self.render("downloads.html", get("downloads.html"), lambda h: downloads_context(data, h, self.out))
        pages = ["index.html", "criteria.html", "downloads.html"] + [f"{path}.html" for path in data.documents]
        entry = get("_sitemap_url.xml")
        urls = [Skeleton(entry, {"base": data.base, "lang": lang, "langs": LANGS}, ["page"]) for lang in LANGS]
        entries = "".join(url.fill({"page": page}) for page in pages for url in urls)
        _write(self.prefix + "sitemap.xml", get("sitemap.xml").render(urls=Markup(entries)))
        _write(self.prefix + "robots.txt", get("robots.txt").render(base=data.base))


SITE_PAGES = ""  # the task of the landing, criteria and downloads pages, the sitemap and robots.txt
TASK_SIZE = 48  # resources per task: small, so that every worker has work until the end


def tasks(data: SiteData) -> list[list[str]]:
    """The work in tasks of document paths: the site pages, the vocabulary, then the resources in path order
    (so by folder)."""
    paths = sorted(data.documents, key=lambda path: path != iris.VOCABULARY_DOCUMENT)
    return [[SITE_PAGES], paths[:1]] + [paths[i : i + TASK_SIZE] for i in range(1, len(paths), TASK_SIZE)]


class TaskQueue:
    """Task numbers that forked workers claim when they are free, from either end of the list.

    Workers at opposite ends write into different folders until they meet: on ext4, two processes creating
    files in one folder at once were several times slower than one alone here (benchmarks/bench_site.py).
    """

    def __init__(self, count: int) -> None:
        self.ends = multiprocessing.Array("q", [0, count - 1])  # next from the front, next from the back

    def claim(self, from_back: bool) -> int | None:
        with self.ends.get_lock():
            front, back = self.ends[0], self.ends[1]
            if front > back:
                return None
            if from_back:
                self.ends[1] = back - 1
                return back
            self.ends[0] = front + 1
            return front


def _work(writer: Writer, tasks: Iterable[list[str]]) -> None:
    for paths in tasks:
        for path in paths:
            if path == SITE_PAGES:
                writer.site_pages()
            else:
                writer.documents(path)
                writer.resource_page(path)


def write_all(writer: Writer, workers: int) -> None:
    """Every resource's documents and pages, and the site pages, shared among `workers` forked processes (1: in
    this one). Each claims the next task when it is free, so all stay busy to the end; and when they end, the
    system drops their memory at once, where this process would free the caches of its pages object by object.

    Each file is written by exactly one process and depends only on the data, so the output is the
    same whatever the number of workers.
    """
    folders = {os.path.dirname(_lang_path(lang, path)) for lang in LANGS for path in writer.data.documents}
    for folder in sorted(folders):
        os.makedirs(writer.prefix + folder, exist_ok=True)
    jobs = tasks(writer.data)
    if workers <= 1 or not hasattr(os, "fork"):
        _work(writer, jobs)
        return
    queue = TaskQueue(len(jobs))

    def claimed(from_back: bool) -> Iterator[list[str]]:
        while (i := queue.claim(from_back)) is not None:
            yield jobs[i]

    children: list[tuple[int, int]] = []  # (process id, the pipe that reports its error)
    try:
        for n in range(workers):
            children.append(_fork(lambda from_back=n % 2 == 1: _work(writer, claimed(from_back))))
    finally:
        errors = [error for error in map(_wait, children) if error]
    if errors:
        raise RuntimeError(f"a site worker failed:\n{errors[0]}")


def _fork(run: Callable[[], None]) -> tuple[int, int]:
    """Run `run` in a forked process: its process id, and the pipe where it reports an error."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: report an error, then leave without the parent's exit handlers
        os.close(read)
        status = 0
        try:
            run()
        except BaseException:
            os.write(write, traceback.format_exc().encode("utf-8", "replace"))
            status = 1
        finally:
            os._exit(status)
    os.close(write)
    return pid, read


def _wait(child: tuple[int, int]) -> str:
    """Wait for a forked worker to finish: its error, if it had one."""
    pid, read = child
    with os.fdopen(read, "rb") as pipe:
        error = pipe.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    return error or (f"worker exited with status {status}" if status else "")
