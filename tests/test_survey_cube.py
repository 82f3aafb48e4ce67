"""The survey as an RDF Data Cube: one observation per row and measure, equal to the table's cell, a status for
every value that says why a number is absent or qualified, and double counting named, never silent."""

from __future__ import annotations

import pandas as pd
import pyoxigraph as ox
import pytest

from ryoiki_ld.config import ROOT, Paths
from ryoiki_ld.mapping import read_table
from ryoiki_ld.observations import observations, printed_notes
from ryoiki_ld.rdf import RDFS, XSD

from .support import datacube

RLD = "https://w3id.org/ryoiki-ld/def#"
QB = "http://purl.org/linked-data/cube#"
BASE = "https://w3id.org/ryoiki-ld/"
MEASURES = read_table(Paths().survey_measures)

# Every FY2019 value the report does not give as a plain number, read from the report: (row, measure) → (status,
# what is printed). Every other value is rld:Reported.
NOT_PLAIN = {
    (1, "registeredPatients"): ("IncludesDuplicates", "（重複あり）"),
    (61, "fundExpenditureJPY"): ("NotApplicable", "－"),
    (61, "hasOwnFunding"): ("NotPrinted", None),
    (114, "accessingInstitutions"): ("Unknown", "不明"),
    (121, "registeredPatients"): ("ExplainedInstead", "テレビ会議システムのため登録患者数無し"),
    (124, "accessingInstitutions"): ("Unknown", "不明"),
    **{
        (169, m): (
            "ExplainedInstead",
            "病児・病後児保育施設に設置したカメラを利用して併設する医療機関により遠隔診断を行うものであり、"
            "医療機関や患者を登録するシステムではない。",
        )
        for m in ("disclosingInstitutions", "accessingInstitutions", "registeredPatients")
    },
    (169, "fundExpenditureJPY"): ("NotPrinted", None),
    (170, "fundExpenditureJPY"): ("NotPrinted", None),
    (200, "accessingInstitutions"): ("Unknown", "不明"),
    (217, "accessingInstitutions"): ("Unknown", "不明"),
    (217, "registeredPatients"): (
        "ExplainedInstead",
        "医療・介護従事者がメッセージで患者情報をやり取りするシステムのため、登録患者数無し",
    ),
}


@pytest.fixture(scope="module")
def graph(dump: list[ox.Triple]) -> ox.Store:
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in dump)
    return store


@pytest.fixture(scope="module")
def cube(graph: ox.Store, dump: list[ox.Triple]) -> pd.DataFrame:
    """Every observation: row, measure, value (as written in the dump: a store keeps every integer subtype as
    xsd:integer), status, printed text."""
    written = {(t.subject.value, t.predicate.value): t.object for t in dump if isinstance(t.object, ox.Literal)}
    query = f"""
        SELECT ?obs ?slice ?measure ?value ?status ?printed WHERE {{
          ?obs a <{QB}Observation> ; <{QB}dataSet> <{BASE}id/dataset/fy2019> ; <{QB}measureType> ?measure ;
               <{RLD}observationStatus> ?status .
          ?obs ?measure ?value .
          ?slice <{QB}observation> ?obs .
          OPTIONAL {{ ?obs <{RLD}valueAsPrinted> ?printed }}
        }}"""
    rows = [
        {
            "no": int(s["slice"].value.rsplit("/", 1)[1]),
            "obs": s["obs"].value,
            "measure": s["measure"].value.removeprefix(RLD),
            "value": written[(s["obs"].value, s["measure"].value)],
            "status": s["status"].value.removeprefix(RLD),
            "printed": s["printed"].value if s["printed"] else None,
        }
        for s in graph.query(query)
    ]
    return pd.DataFrame(rows)


def test_one_observation_per_row_and_measure_with_the_tables_value(cube, table):
    assert len(cube) == len(table) * len(MEASURES) == 1308
    assert not cube.duplicated(["no", "measure"]).any()
    for m in MEASURES.itertuples():
        mine = cube[cube.measure == m.measure].set_index("no").sort_index()
        cells = table[m.column].sort_index()
        for no, value in mine.value.items():
            cell = cells[no]
            if pd.isna(cell):
                assert value == ox.Literal("", datatype=ox.NamedNode(RLD + "NoValue")), (no, m.measure)
            else:
                expected = ("true" if cell else "false") if m.column == "own_funding" else str(int(cell))
                assert (value.value, value.datatype.value) == (expected, m.datatype), (no, m.measure)
        assert mine.obs[1] == f"{BASE}id/observation/fy2019/001#{m.measure}"


def test_every_value_that_is_not_a_plain_number_has_the_status_that_says_why(cube):
    plain = cube[cube.status == "Reported"]
    assert plain.printed.isna().all()
    found = {
        (r.no, r.measure): (r.status, None if pd.isna(r.printed) else r.printed)
        for r in cube[cube.status != "Reported"].itertuples()
    }
    assert found == NOT_PLAIN
    no_value = cube[cube.value.map(lambda v: v.datatype.value == RLD + "NoValue")]
    assert set(no_value.status) == {"Unknown", "NotApplicable", "ExplainedInstead", "NotPrinted"}
    assert len(no_value) == 13


def test_no_value_is_never_a_number(graph):
    """SUM over a value the report does not give is an error, not 0: a total cannot forget the status silently."""
    query = f"""SELECT (SUM(?v) AS ?total) WHERE {{
        ?obs <{QB}measureType> <{RLD}accessingInstitutions> ; <{RLD}accessingInstitutions> ?v }}"""
    (solution,) = list(graph.query(query))
    assert solution["total"] is None


def test_double_counting_is_named(graph):
    query = f"SELECT ?a ?b WHERE {{ ?a <{RLD}doubleCounts> ?b }}"
    pairs = {
        (s["a"].value.removeprefix(f"{BASE}id/observation/fy2019/"), s["b"].value.split("/")[-1])
        for s in graph.query(query)
    }
    counts = ["participatingInstitutions", "disclosingInstitutions", "accessingInstitutions", "registeredPatients"]
    combined = {(f"061#{m}", f"{other:03d}#{m}") for m in counts for other in (57, 58, 59, 60)}
    repeated = {(f"193#{m}", f"192#{m}") for m in MEASURES.measure}
    assert pairs == combined | repeated


def test_the_structure_is_shared_and_every_row_is_a_slice(graph):
    query = f"""SELECT (COUNT(DISTINCT ?slice) AS ?slices) (COUNT(DISTINCT ?ds) AS ?datasets) WHERE {{
        ?ds a <{QB}DataSet> ; <{QB}structure> <{RLD}NetworkSurveyStructure> ; <{QB}slice> ?slice .
        ?slice <{QB}sliceStructure> <{RLD}SurveyRow> ; <{RLD}network> ?network ; <{RLD}fiscalYear> "2019"^^<{XSD}gYear> }}"""
    (s,) = list(graph.query(query))
    assert (int(s["slices"].value), int(s["datasets"].value)) == (218, 1)
    labels = f"SELECT ?l WHERE {{ <{BASE}id/dataset/fy2019> <{RDFS}label> ?l }}"
    assert {(x["l"].value, x["l"].language) for x in graph.query(labels)} == {
        ("地域医療情報連携ネットワークの現状について（令和元年度調査）", "ja"),
        ("The current state of regional health information networks (FY2019 survey)", "en"),
    }


def test_the_whole_dump_satisfies_the_data_cube_integrity_constraints(dump):
    """IC-1 … IC-21 of the W3C Data Cube Recommendation, after its normalisation, over everything a build
    publishes; and the same checker finds what breaks our own cube."""
    assert datacube.violated(dump) == []
    row = f"{BASE}id/observation/fy2019/114"
    status = ox.NamedNode(RLD + "observationStatus")
    without_status = [
        t for t in dump if not (t.subject.value == f"{row}#participatingInstitutions" and t.predicate == status)
    ]
    assert datacube.violated(without_status) == ["IC-13"]
    twin = ox.NamedNode(f"{row}#twin")
    copied = [ox.Triple(twin, t.predicate, t.object) for t in dump if t.subject.value == f"{row}#registeredPatients"]
    assert "IC-12" in datacube.violated([*dump, *copied])


def test_measures_csv_agrees_with_the_ontology():
    store = ox.Store()
    store.load(path=str(ROOT / "ontology" / "ryoiki-ld.ttl"), format=ox.RdfFormat.TURTLE)
    for m in MEASURES.itertuples():
        ranges = [s["r"].value for s in store.query(f"SELECT ?r WHERE {{ <{RLD}{m.measure}> <{RDFS}range> ?r }}")]
        assert ranges == [m.datatype], m.measure
        assert store.query(f"ASK {{ <{RLD}{m.measure}> a <{QB}MeasureProperty> }}")


# --- the status rules, unit by unit ------------------------------------------------------------------------


def test_printed_notes_split_entries_and_shared_columns():
    assert printed_notes("accessing: 不明 | a/b: 文, with: colon") == {
        "accessing": ["不明"],
        "a": ["文, with: colon"],
        "b": ["文, with: colon"],
    }
    assert printed_notes("") == {}


@pytest.mark.parametrize(
    ("value", "note", "status"),
    [
        (5, "", "Reported"),
        (5, "participating: （重複あり）", "IncludesDuplicates"),
        (5, "participating: （概数）", "Annotated"),
        (None, "participating: 不明", "Unknown"),
        (None, "participating: ―", "NotApplicable"),
        (None, "participating: 説明の文", "ExplainedInstead"),
        (None, "", "NotPrinted"),
        (0, "", "Reported"),
    ],
)
def test_status_of_one_cell(value, note, status):
    table = pd.DataFrame([{"no": 7, "participating": value, "value_notes": note}]).astype({"participating": "Int64"})
    measures = MEASURES[MEASURES.column == "participating"]
    (row,) = observations(table, measures, read_table(Paths().printed_statuses)).itertuples()
    assert (row.no, row.measure, row.status) == (7, "participatingInstitutions", status)
    assert row.value == ("" if value is None else str(value))


def test_each_network_page_links_to_its_values_in_the_survey(built):
    for lang, prefix in (("ja", ""), ("en", "en/")):
        page = (built / "site" / prefix / "doc" / "network" / "114.html").read_text(encoding="utf-8")
        up = "../../" + ("../en/" if lang == "en" else "")
        assert f'href="{up}doc/observation/fy2019/114.html"' in page, lang
        row = (built / "site" / prefix / "doc" / "observation" / "fy2019" / "114.html").read_text(encoding="utf-8")
        assert 'id="accessingInstitutions"' in row or "#accessingInstitutions" in row, lang
