"""map + dump: the knowledge graph reproduces the report, uses only declared terms, and links out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib

from ryoiki_ld.config import Paths
from ryoiki_ld.errors import SourceError
from ryoiki_ld.mapping import run_mappings
from ryoiki_ld.rdf import SHAPES
from ryoiki_ld.validate.criteria import load_criteria

from .support import report
from .support.cli import run_cli

BASE = "https://w3id.org/ryoiki-ld/"
RLD = "https://w3id.org/ryoiki-ld/def#"
PREFIXES = f"""
PREFIX rld: <{RLD}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


@pytest.fixture(scope="module")
def dump(built: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(built / "dump" / "ryoiki-ld.ttl"), format=ox.RdfFormat.TURTLE)
    return store


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = store.query(PREFIXES + query)
    return [{v.value: s[v].value for v in result.variables if s[v] is not None} for s in result]


def scalar(store: ox.Store, query: str) -> int:
    (row,) = select(store, query)
    return int(next(iter(row.values())))


# --- the report's summary figures, by SPARQL over the dump ---------------------------------------


def test_sparql_reproduces_coverage_type_counts(dump):
    rows = select(
        dump,
        "SELECT ?notation (COUNT(?n) AS ?count) { ?n a rld:Network ; rld:coverageArea/rld:areaType ?t . "
        "?t skos:notation ?notation . FILTER(!REGEX(?notation, '^[◎○△▲□]$')) } GROUP BY ?notation",
    )
    assert {r["notation"]: int(r["count"]) for r in rows} == report.COVERAGE_TYPES


def test_sparql_reproduces_single_institution_and_funding_figures(dump):
    """From the FY2019 survey's observations (the networks themselves carry no survey values)."""
    prefix = "PREFIX qb: <http://purl.org/linked-data/cube#> "
    subject = "?n qb:dataSet <https://w3id.org/ryoiki-ld/id/dataset/fy2019>"
    for prop, figure in [
        ("rld:disclosingInstitutions 1", report.ONE_DISCLOSING),
        ("rld:accessingInstitutions 1", report.ONE_ACCESSING),
        ("rld:hasOwnFunding false", report.NO_OWN_FUNDING),
    ]:
        assert scalar(dump, f"{prefix}SELECT (COUNT(*) AS ?c) {{ {subject} ; {prop} }}") == figure, prop
        assert scalar(dump, f"SELECT (COUNT(*) AS ?c) {{ ?n a rld:Network ; {prop} }}") == 0, prop
    assert scalar(dump, "SELECT (COUNT(*) AS ?c) { ?n a rld:Network }") == report.NETWORKS


# --- shape of the data ------------------------------------------------------------------------------


def test_every_network_has_one_ja_label_a_prefecture_and_one_coverage_type(dump):
    bad = select(
        dump,
        """SELECT ?n (COUNT(DISTINCT ?l) AS ?labels) (COUNT(DISTINCT ?p) AS ?prefs) (COUNT(DISTINCT ?t) AS ?types) {
             ?n a rld:Network .
             OPTIONAL { ?n rdfs:label ?l FILTER(LANG(?l) = "ja") }
             OPTIONAL { ?n rld:prefecture ?p . ?p a rld:Prefecture }
             OPTIONAL { ?n rld:coverageArea/rld:areaType ?t . ?t a rld:CoverageType }
           } GROUP BY ?n HAVING (?labels != 1 || ?prefs != 1 || ?types != 1)""",
    )
    assert bad == []


def test_counts_are_typed_and_unknown_is_no_value(built):
    """The counts are on the observations, typed as the ontology says; an unknown one is ""^^rld:NoValue, not 0."""
    nt = (built / "dump" / "ryoiki-ld.nt").read_text(encoding="utf-8")
    properties = {f"<{RLD}{p}>" for p in ("participatingInstitutions", "disclosingInstitutions")}
    properties |= {f"<{RLD}{p}>" for p in ("accessingInstitutions", "registeredPatients")}
    counts = [ln for ln in nt.splitlines() if ln.split(" ", 2)[1] in properties]
    assert len(counts) == 218 * 4
    assert all(ln.startswith(f"<{BASE}id/observation/fy2019/") for ln in counts)
    assert all(
        ln.endswith(("^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> .", f'""^^<{RLD}NoValue> .'))
        for ln in counts
    )
    row = f"<{BASE}id/observation/fy2019/"
    assert f'{row}114#accessingInstitutions> <{RLD}accessingInstitutions> ""^^<{RLD}NoValue> .' in nt
    assert f'{row}121#registeredPatients> <{RLD}registeredPatients> ""^^<{RLD}NoValue> .' in nt
    assert f'{row}121#participatingInstitutions> <{RLD}participatingInstitutions> "5"^^' in nt


def test_fund_expenditure_is_a_number_only_where_printed(dump):
    expenditure = "?o rld:fundExpenditureJPY ?a ; rld:fiscalYear ?y FILTER(isNumeric(?a))"
    assert scalar(dump, f"SELECT (COUNT(*) AS ?c) {{ {expenditure} }}") == 215
    assert scalar(dump, "SELECT (COUNT(*) AS ?c) { ?r a rld:FundingRecord }") == 0
    rows = select(dump, f"SELECT ?a {{ ?o rld:network <{BASE}id/network/109> ; rld:fundExpenditureJPY ?a }}")
    assert rows == [{"a": "2588000"}]
    for no in ("061", "169", "170"):
        (row,) = select(dump, f"SELECT ?a {{ ?o rld:network <{BASE}id/network/{no}> ; rld:fundExpenditureJPY ?a }}")
        assert row == {"a": ""}, no


def test_row_061_is_a_combined_network_of_57_to_60(dump):
    rows = select(dump, f"SELECT ?m {{ <{BASE}id/network/061> a rld:CombinedNetwork ; rld:combinesNetwork ?m }}")
    assert sorted(r["m"] for r in rows) == [f"{BASE}id/network/0{n}" for n in (57, 58, 59, 60)]


def test_rows_192_and_193_are_the_same_network_both_ways(dump):
    a, b = f"<{BASE}id/network/192>", f"<{BASE}id/network/193>"
    assert dump.query(PREFIXES + f"ASK {{ {a} rld:sameNetworkAs {b} . {b} rld:sameNetworkAs {a} }}")


def test_unnamed_networks_get_a_label_that_says_so(dump):
    rows = select(dump, f"SELECT ?l ?printed {{ <{BASE}id/network/008> rdfs:label ?l ; rld:nameAsPrinted ?printed }}")
    assert rows == [{"l": "名称なし（北海道・番号8）", "printed": "なし"}]


def test_networks_derive_from_the_report_and_point_at_their_source_lines(dump):
    assert (
        scalar(
            dump,
            f"SELECT (COUNT(*) AS ?c) {{ ?n a rld:Network ; prov:wasDerivedFrom <{BASE}id/report/mhlw-chiren-nw-fy2019> }}",
        )
        == 218
    )
    rows = select(dump, f"SELECT ?loc {{ <{BASE}id/network/169> rld:sourceLocation ?loc }}")
    source = f"{BASE}source/mhlw-chiren-nw-fy2019.txt"
    assert sorted(r["loc"] for r in rows) == [f"{source}#line=759,760", f"{source}#line=851,854"]


def test_seven_criteria_as_criteria_csv_gives_them(dump):
    """Each row of data/criteria.csv is an rld:Criterion: wording, assessability, property, shape and notes."""
    rows = select(
        dump,
        "SELECT ?c ?notation ?ja ?en ?assessable ?basedOn ?shape { ?c a rld:Criterion ; skos:notation ?notation ; "
        "rld:assessableFromSurvey ?assessable ; rld:basedOn ?basedOn ; rld:validatedBy ?shape ; "
        "skos:definition ?ja, ?en FILTER(LANG(?ja) = 'ja' && LANG(?en) = 'en') } ORDER BY ?c",
    )
    criteria = sorted(load_criteria(Paths().criteria), key=lambda c: c.key)
    assert len(criteria) == 7  # (ア)–(キ), note 4 of the report
    assert [(r["c"], r["notation"], r["ja"], r["en"], r["assessable"], r["basedOn"], r["shape"]) for r in rows] == [
        (
            f"{BASE}id/criterion/{c.key}",
            c.notation,
            c.text_ja,
            c.text_en,
            str(c.assessable_from_survey).lower(),
            RLD + c.based_on,
            f"{SHAPES}criterion-{c.key}",
        )
        for c in criteria
    ]
    notes = select(dump, "SELECT ?c ?n { ?c a rld:Criterion ; skos:scopeNote ?n }")
    found = {(n["c"].rsplit("/", 1)[1], n["n"]) for n in notes}
    assert found == {
        (c.key, note)
        for c in criteria
        for note in (c.report_note_ja, c.report_note_en, c.scope_note_ja, c.scope_note_en)
        if note
    }
    # (オ)'s scope note is the report's note 2, kept apart from its definition.
    assert any(key == "e" and "サーバー構築費や維持費を各参加医療機関が負担している形もある" in n for key, n in found)


# --- vocabulary ------------------------------------------------------------------------------------


def test_every_rld_term_used_is_declared_in_the_ontology(built):
    ontology = rdflib.Graph().parse(Paths().ontology)
    declared = {s for s in ontology.subjects() if str(s).startswith(RLD)}
    data = rdflib.Graph().parse(built / "dump" / "ryoiki-ld.nt", format="nt")
    used = {t for triple in data for t in triple if isinstance(t, rdflib.URIRef) and str(t).startswith(RLD)}
    assert used - declared == set()


def test_every_declared_term_has_one_ja_and_one_en_label_and_definition():
    ontology = rdflib.Graph().parse(Paths().ontology)
    skos_def = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#definition")
    for term in {s for s in ontology.subjects() if str(s).startswith(RLD)}:
        for predicate in (rdflib.RDFS.label, skos_def):
            langs = sorted(o.language for o in ontology.objects(term, predicate))
            assert langs == ["en", "ja"], (term, predicate, langs)
        # A label names the term; a sentence belongs in the definition (one en label once held one).
        for label in ontology.objects(term, rdflib.RDFS.label):
            assert len(label) <= 60 and ". " not in label and "。" not in label, (term, str(label))


# --- links to national open data ----------------------------------------------------------------------


def test_all_47_prefectures_link_to_wikidata_and_estat(dump):
    rows = select(
        dump,
        "SELECT ?p ?code ?wd ?sac { ?p a rld:Prefecture ; rld:prefectureCode ?code ; owl:sameAs ?wd ; "
        "rld:standardAreaCode ?sac ; rdfs:label ?ja, ?en FILTER(LANG(?ja)='ja' && LANG(?en)='en') }",
    )
    assert len(rows) == 47
    assert all(r["wd"].startswith("http://www.wikidata.org/entity/Q") for r in rows)
    assert all(r["sac"] == f"http://data.e-stat.go.jp/lod/sac/C{r['code']}000" for r in rows)
    hokkaido = next(r for r in rows if r["code"] == "01")
    assert hokkaido["wd"].endswith("/Q1037393")


@pytest.mark.parametrize(
    ("no", "kind", "code"),
    [
        ("003", "secondary-medical-area", "0102"),  # 南檜山二次医療圏
        ("140", "secondary-medical-area", "2708"),  # 大阪市圏域: the area, not the city
        ("089", "municipality", "14207"),  # 茅ケ崎市 (printed ケ, reference ヶ)
        ("026", "municipality", "01106"),  # 札幌市中央区、南区: a bare ward after a ward of the same city
        ("047", "prefecture", "02"),  # 青森県全域
        ("033", "secondary-medical-area", "0116"),  # 道北圏域: Hokkaido's tertiary area, five secondary areas
        ("103", "municipality", "16323"),  # 中新川郡: the district's towns and village
        ("200", "secondary-medical-area", "4013"),  # 全13医療圏: every area of Fukuoka
        ("199", "secondary-medical-area", "3903"),  # 高播圏域: misprinted, by the curated alias to 高幡
    ],
)
def test_known_areas_resolve_to_the_right_codes(dump, no, kind, code):
    assert dump.query(PREFIXES + f"ASK {{ <{BASE}id/coverage-area/{no}> ?p <{BASE}id/{kind}/{code}> }}")


def test_unresolved_text_stays_a_label_with_its_reason(dump):
    area = f"<{BASE}id/coverage-area/130>"  # 地域での区切りではなく名古屋掖済会病院の医療連携施設が対象
    rows = select(dump, f"SELECT ?p ?o {{ {area} ?p ?o }}")
    assert {r["p"].rsplit("#", 1)[-1] for r in rows} == {
        "type",
        "label",
        "areaType",
        "areaTypeAsPrinted",
        "unresolvedText",
        "unresolvedReason",
    }
    found = {r["p"].rsplit("#", 1)[-1]: r["o"] for r in rows}
    assert found["unresolvedText"] == "地域での区切りではなく名古屋掖済会病院の医療連携施設が対象"
    assert found["unresolvedReason"] == "https://w3id.org/ryoiki-ld/def#NotGeographic"


def test_a_partly_resolved_area_has_its_links_and_its_reason(dump):
    area = f"<{BASE}id/coverage-area/166>"  # 宇陀市及び周辺地域
    rows = select(dump, f"SELECT ?p ?o {{ {area} ?p ?o }}")
    found = {(r["p"].rsplit("#", 1)[-1], r["o"]) for r in rows}
    assert ("municipality", f"{BASE}id/municipality/29212") in found
    assert ("unresolvedText", "周辺地域") in found
    assert ("unresolvedReason", "https://w3id.org/ryoiki-ld/def#VagueExtent") in found


def test_secondary_medical_areas_have_codes_and_members(dump):
    assert scalar(dump, "SELECT (COUNT(*) AS ?c) { ?a a rld:SecondaryMedicalArea ; rld:areaCode ?code }") == 335
    members = select(dump, f"SELECT ?m {{ <{BASE}id/secondary-medical-area/0102> rld:memberMunicipality ?m }}")
    assert len(members) == 5
    assert dump.query(
        PREFIXES
        + f"ASK {{ <{BASE}id/municipality/01202> rld:standardAreaCode <http://data.e-stat.go.jp/lod/sac/C01202> }}"
    )


# --- dumps -------------------------------------------------------------------------------------------


def test_the_three_dumps_are_the_same_graph(built):
    graphs = {}
    for ext, fmt in (("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES), ("jsonld", ox.RdfFormat.JSON_LD)):
        graphs[ext] = {q.triple for q in ox.parse(path=str(built / "dump" / f"ryoiki-ld.{ext}"), format=fmt)}
    assert graphs["ttl"] == graphs["nt"] == graphs["jsonld"]
    assert not any(isinstance(t, ox.BlankNode) for triple in graphs["nt"] for t in triple)  # so equality is isomorphism
    standard = rdflib.Graph().parse(built / "dump" / "ryoiki-ld.jsonld", format="json-ld")
    assert len(standard) == len(graphs["nt"])


def test_base_iri_changes_every_instance_iri(tmp_path):
    base = "https://example.org/regional/"
    result = run_cli("build", "--out", tmp_path / "b", "--base-iri", base)
    assert result.returncode == 0, result.stderr
    nt = (tmp_path / "b" / "dump" / "ryoiki-ld.nt").read_text(encoding="utf-8")
    assert "https://w3id.org/ryoiki-ld/id/" not in nt
    assert f"<{base}id/network/001>" in nt and f"<{RLD}Network>" in nt


@pytest.mark.parametrize("bad", ["not-an-iri", "https://example.org/no-slash", "ftp://example.org/"])
def test_bad_base_iri_exits_2(tmp_path, bad):
    result = run_cli("build", "--out", tmp_path / "b", "--base-iri", bad)
    assert result.returncode == 2 and "--base-iri" in result.stderr and "Traceback" not in result.stderr


def test_a_broken_mapping_is_reported_with_its_file(project_copy, tmp_path):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "broken.rq").write_text("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p }\n", encoding="utf-8")
    with pytest.raises(SourceError) as e:
        run_mappings({}, {"baseIri": BASE}, mappings)
    assert e.value.path == mappings / "broken.rq"


def test_keys_are_three_digits_and_longer_numbers_stay_whole():
    numbers = pd.array([7, 61, 218, 1234], dtype="Int64")
    relations = pd.DataFrame({"no": numbers, "relation": "sameNetworkAs", "other_no": numbers})
    tables = {"networks": pd.DataFrame({"no": numbers}), "network_relations": relations}
    lines = run_mappings(tables, {"baseIri": BASE}, Paths().mappings)
    subjects = {line.split(" ", 1)[0][1:-1] for line in lines}
    assert {f"{BASE}id/network/{k}" for k in ("007", "061", "218", "1234")} <= subjects


def test_relations_are_published_only_between_rows_of_the_table():
    numbers = pd.array([61, 57], dtype="Int64")
    relations = pd.DataFrame({"no": [61, 61], "relation": "combinesNetwork", "other_no": [57, 58]})
    tables = {
        "networks": pd.DataFrame({"no": numbers}),
        "network_relations": relations.astype("Int64", errors="ignore"),
    }
    lines = run_mappings(tables, {"baseIri": BASE}, Paths().mappings)
    combines = sorted(line for line in lines if "combinesNetwork" in line)
    assert combines == [
        f"<{BASE}id/network/061> <https://w3id.org/ryoiki-ld/def#combinesNetwork> <{BASE}id/network/057> ."
    ]
