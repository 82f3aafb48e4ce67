"""What each page shows: the contexts of the landing, criteria and downloads pages and of the vocabulary, and
the page of every other resource (resource.html filled in per resource, with the section its class adds).

A resource's page is resource.html rendered once per language and depth with placeholders (`html.Skeleton`),
filled in per page; what varies in shape comes from small templates, rendered once per distinct value where it
repeats (links, labels, table rows).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from markupsafe import Markup, escape

from .. import formats, iris
from ..config import CATALOG_FILES, Output
from ..rdf import DCAT, ONTOLOGY, OUTCOMES, PREFIXES, RDF_TYPE, SCHEMA, SKOS, VOCABULARY, compact, rld
from . import charts
from .graph import iri, literal
from .html import Html, html_list, number
from .model import (
    COVERAGE_AREA,
    COVERAGE_TYPE,
    CRITERION,
    MEASURE_OF,
    MEASURES,
    MET,
    NETWORK,
    PREFECTURE,
    SURVEY,
    Criterion,
    Network,
    SiteData,
    dataset_of,
    decimal_value,
    observed,
    survey_rows,
)

REPORT = f"<{SCHEMA}Report>"
PEERS_SHOWN = 50  # a network page lists at most this many networks of its prefecture (the prefecture page: all)
SURVEY_ROWS_SHOWN = 500  # a survey's page lists at most this many of its rows (all: the query link, the downloads)


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
    tiles = charts.tile_map(positions, per_pref)
    pref_terms = {iri(p).rsplit("/", 1)[1]: p for p in prefectures}
    figures = summary_figures(data)
    types = [t for t, _ in figures["coverage"]]
    points, not_drawn = scatter_points(
        h, types, [(n.no, n, n.counts["participating"], n.counts["patients"], n.combined) for n in networks]
    )
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
        "bars": charts.bar_chart(dict(years)),
        "scatter": charts.log_scatter(points, [h.plain_label(t) for t in types]),
        "scatter_x": h.plain_label(MEASURES[0][1]),
        "scatter_y": h.plain_label(MEASURES[3][1]),
        "report": next((s for s, p in data.idx.inverse.get(REPORT, ()) if p == RDF_TYPE), None),
        "not_drawn": not_drawn,
        "rows": network_rows(data, h, networks),
        "prefectures": prefectures,
        "coverage_types": types,
        "criteria": data.criteria,
        "map_caption": h.t["map_caption"].format(
            assessable=_criteria_list(h, [c for c in data.criteria if c.assessable])
        ),
    }


def scatter_points(
    h: Html, types: list[str], rows: list[tuple[int, Network | None, int | Decimal | None, int | Decimal | None, bool]]
) -> tuple[list[tuple[int, int, int, str]], int]:
    """The points of the participating-institutions/registered-patients chart from (row number, network, x, y,
    sums other rows), coloured by coverage type; and how many are not drawn (a sum of other rows, a value unknown
    or zero: a log scale has no 0)."""
    points, not_drawn = [], 0
    for no, n, x, y, combined in rows:
        if n is None or combined or not x or not y:
            not_drawn += 1
            continue
        title = f"{no:03d} {h.plain_label(n.term)}: {number(x)} / {number(y)}"
        points.append((int(x), int(y), types.index(n.coverage_type) if n.coverage_type in types else len(types), title))
    return points, not_drawn


def _criteria_list(h: Html, criteria: list[Criterion]) -> str:
    """（ア）（エ）（オ） / (ア), (エ) and (オ): criteria named in running text, in the page's language."""
    names = [h.t["criterion_notation"].format(notation=c.notation) for c in criteria]
    if len(names) < 2:
        return "".join(names)
    return h.t["list_separator"].join(names[:-1]) + h.t["list_last_separator"] + names[-1]


def _short_prefecture_name(name: str, lang: str) -> str:
    if lang == "ja" and name != "北海道" and name[-1] in "都府県":
        return name[:-1]
    return name


SURVEY_MEASURES = (*(prop for _, prop, _ in MEASURES), rld("fundExpenditureJPY"), rld("hasOwnFunding"))


def survey_cells(h: Html, found: dict[str, tuple[str | None, str | None]]) -> tuple[list, dict]:
    """One survey row's values as table cells (a value with no number shows its status, such as 不明), in the
    order of SURVEY_MEASURES, and the numbers among them (None for yes/no values) for computing a change."""
    t = h.t
    cells, numbers = [], {}
    for m in SURVEY_MEASURES:
        value, status = found.get(m, (None, None))
        if value is not None:
            text = literal(value)[0]
            numbers[m] = None if text in ("true", "false") else decimal_value(value)
            cells.append(t["yes" if text == "true" else "no"] if numbers[m] is None else number(text))
        elif status:
            cells.append(Markup(f'<span class="unknown">{h.label(status)}</span>'))
        else:
            cells.append("—")
    return cells, numbers


def _change(before: dict, after: dict) -> list[str]:
    """The change of each measure from one survey row to another (numbers only; "—" where either has none)."""
    change = []
    for m in SURVEY_MEASURES:
        if before.get(m) is not None and after.get(m) is not None:
            delta = after[m] - before[m]
            change.append(("+" if delta > 0 else "±" if delta == 0 else "−") + number(abs(delta)))
        else:
            change.append("—")
    return change


def values_by_survey(data: SiteData, h: Html, n: Network) -> tuple[list[SimpleNamespace], list[Markup], list]:
    """The network's row in each survey (a slice of its data cube), oldest first: each measure's value, or the
    status that says why there is no number, and the source lines it was read from; and, when there are two or
    more, the change from the one before the last to the last (numbers only). Returns (rows, column labels,
    change)."""
    idx = data.idx
    rows, numbers = [], []
    for s in survey_rows(idx, n.term):
        cells, found = survey_cells(h, observed(idx, s))
        numbers.append(found)
        dataset = dataset_of(idx, s)
        lines = idx.one(s, rld("sourceLines"))
        locations = [h.href(loc) for loc in sorted(idx.values(s, rld("sourceLocation")))]
        rows.append(
            SimpleNamespace(
                label=h.label(dataset) if dataset else h.label(s),
                href=h.href(s),
                cells=cells,
                # Where the row was read: a link into the source when the site publishes that file.
                source=literal(lines)[0] if lines else None,
                source_href=locations[0] if locations else None,
            )
        )
    change = _change(numbers[-2], numbers[-1]) if len(numbers) >= 2 else []
    return rows, [h.label(m) for m in SURVEY_MEASURES], change


def survey_context(data: SiteData, h: Html, dataset: str) -> SimpleNamespace:
    """What a survey's page shows: how many rows, each measure's values and why some have none, the charts,
    what changed since the survey before (networks new, absent, renamed; values changed) and its rows."""
    idx, t = data.idx, h.t
    rows = data.survey_rows_of(dataset)
    figures = []
    for m in SURVEY_MEASURES:
        values = [r.values[m] for r in rows if m in r.values]
        known = [literal(v)[0] for v, _ in values if v is not None]
        statuses = Counter(s for v, s in values if v is None and s)
        if m == rld("hasOwnFunding"):
            summary = f"{t['yes']} {known.count('true'):,} · {t['no']} {known.count('false'):,}"
        else:  # the median leaves out sums of other rows (row 61 of FY2019), as the comparisons do
            numbers = [d for r in rows if not r.combined and (d := decimal_value(r.values.get(m, (None, None))[0]))]
            summary = number(statistics.median(numbers).normalize()) if numbers else "—"
        without = [(h.label(s), count) for s, count in sorted(statuses.items(), key=lambda x: (-x[1], x[0]))]
        figures.append(SimpleNamespace(label=h.label(m), known=len(known), summary=summary, without=without))

    networks = {r.network for r in rows if r.network}
    in_survey = [(r, data.by_term.get(r.network or "")) for r in rows]
    years = Counter(n.start for _, n in in_survey if n is not None and n.start is not None)
    types = [t_ for t_, _ in summary_figures(data)["coverage"]]
    x, y = MEASURES[0][1], MEASURES[3][1]
    points, not_drawn = scatter_points(
        h,
        types,
        [
            (
                r.no,
                n,
                decimal_value(r.values.get(x, (None, None))[0]),
                decimal_value(r.values.get(y, (None, None))[0]),
                r.combined,
            )
            for r, n in in_survey
        ],
    )

    previous = idx.one(dataset, f"<{DCAT}prev>")
    change = None
    if previous:
        before = {r.network: r for r in data.survey_rows_of(previous)}
        after = {r.network: r for r in rows}
        changed = []
        for network, r in after.items():
            old = before.get(network)
            if old is None:
                continue
            old_cells, old_numbers = survey_cells(h, old.values)
            new_cells, new_numbers = survey_cells(h, r.values)
            deltas = _change(old_numbers, new_numbers)
            for i, m in enumerate(SURVEY_MEASURES):
                if old.values.get(m) != r.values.get(m):
                    changed.append((h.link(network), h.label(m), old_cells[i], new_cells[i], deltas[i]))
        new = [n for n in after if n not in before]
        absent = [n for n in before if n not in after]
        change = SimpleNamespace(
            previous=h.link(previous),
            new=[h.link(n) for n in new[:SURVEY_ROWS_SHOWN]],
            new_total=len(new),
            absent=[h.link(n) for n in absent[:SURVEY_ROWS_SHOWN]],
            absent_total=len(absent),
            renamed=[
                (h.link(n), before[n].name, r.name)
                for n, r in after.items()
                if n in before and before[n].name and r.name and before[n].name != r.name
            ],
            changed=changed[:SURVEY_ROWS_SHOWN],
            changed_total=len(changed),
        )

    shown = rows[:SURVEY_ROWS_SHOWN]
    return SimpleNamespace(
        rows_total=len(rows),
        networks=len(networks),
        figures=figures,
        bars=charts.bar_chart(dict(years)),
        scatter=charts.log_scatter(points, [h.plain_label(t_) for t_ in types]),
        scatter_x=h.plain_label(MEASURES[0][1]),
        scatter_y=h.plain_label(MEASURES[3][1]),
        not_drawn=not_drawn,
        change=change,
        columns=[h.label(m) for m in SURVEY_MEASURES],
        rows=[
            SimpleNamespace(
                no=r.no,
                href=h.href(r.term),
                network=h.link(r.network) if r.network else "—",
                name=r.name or "",
                cells=survey_cells(h, r.values)[0],
            )
            for r in shown
        ],
    )


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
        figures.append((h.label(prop), None if value is None else number(value), note(column)))
    start = idx.one(n.term, rld("startFiscalYear"))
    printed = idx.one(n.term, rld("startAsPrinted"))
    as_printed = Markup(f"{escape(t['start_as_printed'])}: {h.value(printed)}") if printed else None
    figures.append((h.label(rld("startFiscalYear")), literal(start)[0] if start else None, as_printed))
    amount = None if n.amount is None else number(n.amount) + t["yen"]
    figures.append((h.label(rld("fundExpenditureJPY")), amount, note("funding_jpy")))
    own = None if n.own_funding is None else t["yes" if n.own_funding else "no"]
    figures.append((h.label(rld("hasOwnFunding")), own, note("own_funding")))

    surveys, survey_columns, survey_change = values_by_survey(data, h, n)

    outcomes = []
    for c in data.criteria:
        assessment = n.assessments.get(c.key)
        outcome = idx.one(assessment, rld("outcome")) if assessment else None
        reason = h.in_language(assessment, rld("reason")) if assessment else None
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
    measures = [(name, h.label(prop)) for name, prop, _ in MEASURES] + [("funding", h.label(rld("fundExpenditureJPY")))]
    for name, label in [] if n.combined else measures:  # a sum of networks is not compared with them
        value = MEASURE_OF[name](n)
        pref_rank, pref_of, pref_median = data.compare(n, n.prefecture, name)
        type_rank, type_of, type_median = data.compare(n, n.coverage_type, name)
        comparison.append(
            SimpleNamespace(
                label=label,
                value=None if value is None else number(value),
                pref_rank=pref_rank,
                pref_of=pref_of,
                pref_median=None if pref_median is None else number(pref_median),
                type_rank=type_rank,
                type_of=type_of,
                type_median=None if type_median is None else number(type_median),
            )
        )
    unlinked, reasons = area_not_linked(data, h, n.area)
    same_pref = data.by_prefecture.get(n.prefecture, [])
    shown = same_pref[:PEERS_SHOWN]
    if n not in shown:
        shown = [*shown[: PEERS_SHOWN - 1], n]
    return SimpleNamespace(
        figures=figures,
        figures_survey=h.link(n.survey) if n.survey else None,
        surveys=surveys,
        survey_columns=survey_columns,
        survey_change=survey_change,
        outcomes=outcomes,
        comparison=comparison,
        prefecture=h.link(n.prefecture) if n.prefecture else "",
        prefecture_href=h.href(n.prefecture) if n.prefecture else None,
        coverage=h.label(n.coverage_type) if n.coverage_type else "",
        area=h.link(n.area) if n.area else None,
        unlinked=unlinked,
        reasons=reasons,
        peers=network_rows(data, h, shown, current=n.term),
        peers_total=len(same_pref),
    )


def area_not_linked(data: SiteData, h: Html, area: str | None) -> tuple[list[Markup], list[SimpleNamespace]]:
    """The parts of a coverage area's printed text that link to no reference area (in printed order), and why:
    a page says what it could not link rather than leaving it out silently."""
    if not area:
        return [], []
    printed = h.plain_label(area)
    texts = sorted((literal(t)[0] for t in data.idx.values(area, rld("unresolvedText"))), key=printed.find)
    reasons = [
        SimpleNamespace(link=h.link(r), definition=h.in_language(r, f"<{SKOS}definition>"))
        for r in sorted(data.idx.values(area, rld("unresolvedReason")))
    ]
    return [h.text(t) for t in texts], reasons


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
        based_on=[h.link(o) for o in data.idx.values(c.term, rld("basedOn"))],
        outcomes=[(code, h.label(term), by_outcome[code]) for term, code in OUTCOMES.items()],
        total=sum(len(v) for v in by_outcome.values()),
    )


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
    networks = data.idx.subjects(rld("coverageArea"), area)
    if not networks:
        return h.link(area)
    opening, comma, closing = ("（", "、", "）") if h.lang == "ja" else (" (", ", ", ")")
    return Markup(f"{h.link(area)}{opening}{comma.join(h.link(n) for n in networks)}{closing}")


RESOURCE_SLOTS = (
    *("title", "switch_href", "doc", "kinds", "heading", "iri", "formats"),
    *("network", "prefecture", "criterion", "survey", "rows", "parts", "inverse"),
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
        "survey": Markup(),
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
    elif SURVEY in types:
        values["survey"] = h.section("_survey_section.html", s=survey_context(data, h, subject))
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
                "id": iri(s)[len(VOCABULARY) :],
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


def not_found_context(data: SiteData, h: Html) -> dict:
    """The not-found page's root: the path of the base IRI, where the site is published (its English page one
    folder down); `serve` replaces it with the root it was reached at."""
    return {"base_href": iris.site_path(data.base) + ("en/" if h.lang == "en" else "")}


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


def read_examples(directory: Path) -> list[dict[str, str]]:
    """The example queries: file name, title (first comment line), description (other leading comments)."""
    examples = []
    for path in sorted(directory.glob("*.rq")):
        query = path.read_text(encoding="utf-8")
        comments = []
        for line in query.splitlines():
            if not line.startswith("#"):
                break
            comments.append(line.lstrip("#").strip())
        title = comments[0] if comments else path.stem
        examples.append({"file": path.name, "title": title, "description": " ".join(comments[1:]), "query": query})
    return examples


def query_context(data: SiteData, h: Html) -> dict:
    """The query page's settings for its script (site/assets/query.js): the endpoint it sends queries to, how a
    result's IRI becomes a link to its page here (as `Html.href` decides), its examples and its words."""
    return {
        "config": {
            "endpoint": h.endpoint,
            "answers": [f.media_type for f in (*formats.SOLUTIONS, *formats.GRAPHS)],
            "base": data.base,
            "id_space": iris.id_space(data.base),
            "vocabulary": ONTOLOGY,
            "vocabulary_document": iris.VOCABULARY_DOCUMENT,
            "prefixes": [[f"{name}:", namespace] for name, namespace in PREFIXES.items()],
            "home": h.home,
            "root": h.root,
            "nested": iris.NESTED_KEYS,
            "files": sorted(data.files),
            "messages": {key: value for key, value in h.t.items() if key.startswith("query_")},
            "examples": read_examples(data.settings.paths.queries),
        }
    }
