"""store: the on-disk store holds exactly the N-Quads dump (the named graphs), opens read-only, and answers the
example queries right on the union of its graphs.

The example queries are tested here, on the store itself: what they find must equal the table and the reference
data (the endpoint runs each of them too, in test_serve_app).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib

from ryoiki_ld.config import ROOT, Output, Paths
from ryoiki_ld.rdf import INTEGER_SUBTYPES, XSD
from ryoiki_ld.store import UNION_DEFAULT_GRAPH, read_manifest

from .support import report
from .support.cli import run_cli

RLD = "https://w3id.org/ryoiki-ld/def#"
QUERIES = Paths().queries
MEASURES = pd.read_csv(Paths().survey_measures).measure


@pytest.fixture(scope="module")
def store(built: Path) -> ox.Store:
    return ox.Store.read_only(str(built / "store"))


@pytest.fixture(scope="module")
def networks(built: Path) -> pd.DataFrame:
    return pd.read_csv(built / "data" / "networks.csv", dtype=str, keep_default_na=False)


def rows(store: ox.Store, name: str) -> list[dict[str, str]]:
    result = store.query((QUERIES / name).read_text(encoding="utf-8"), **UNION_DEFAULT_GRAPH)
    return [{v.value: s[v].value for v in result.variables if s[v] is not None} for s in result]


# --- the store ------------------------------------------------------------------------------------


def test_store_holds_exactly_the_quads_dump(built, store):
    """Every quad of the N-Quads dump, in its named graph, and nothing in the store's own default graph;
    Oxigraph keeps integer subtypes (the counts' xsd:nonNegativeInteger) as xsd:integer, as the README says."""
    dumped = ox.serialize(store.quads_for_pattern(None, None, None, None), format=ox.RdfFormat.N_QUADS)
    lines = sorted(dumped.decode("utf-8").splitlines())
    expected = (built / "dump" / "ryoiki-ld.nq").read_text(encoding="utf-8")
    for subtype in INTEGER_SUBTYPES:
        expected = expected.replace(f'"^^<{subtype}> ', f'"^^<{XSD}integer> ')
    assert lines == sorted(expected.splitlines())
    assert len(list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))) == 0
    assert sorted(g.value for g in store.named_graphs()) == [
        f"https://w3id.org/ryoiki-ld/graph/{k}" for k in ("catalog", "fy2019", "networks", "reference", "vocabulary")
    ]


def test_store_is_read_only(store):
    quad = ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("x"))
    with pytest.raises(RuntimeError, match="read-write"):
        store.add(quad)
    with pytest.raises(RuntimeError, match="read-write"):
        store.update("INSERT DATA { <http://example.org/s> <http://example.org/p> 'x' }")
    with pytest.raises(RuntimeError, match="read-write"):
        store.bulk_load(input=b"<http://example.org/s> <http://example.org/p> 'x' .", format=ox.RdfFormat.TURTLE)
    assert quad not in store


def test_manifest_records_the_base_iri_and_counts(built, store):
    manifest = read_manifest(Output(built))
    assert manifest.base_iri == "https://w3id.org/ryoiki-ld/"
    assert manifest.triples == len(store) == len((built / "dump" / "ryoiki-ld.nt").read_text().splitlines())
    assert sum(manifest.graphs.values()) == manifest.triples and len(manifest.graphs) == 5
    assert manifest.classes[RLD + "Network"] == 218
    assert manifest.classes[RLD + "Prefecture"] == 47
    assert manifest.classes[RLD + "CriterionAssessment"] == 218 * 7
    assert all((built / dump).is_file() for dump in manifest.dumps) and len(manifest.dumps) == 4
    assert json.loads((built / "build.json").read_text())["base_iri"] == manifest.base_iri


def test_another_base_iri_is_recorded_and_used(tmp_path):
    out = tmp_path / "b"
    result = run_cli("build", "--out", out, "--base-iri", "http://data.example.org/chiren/")
    assert result.returncode == 0, result.stderr
    assert read_manifest(Output(out)).base_iri == "http://data.example.org/chiren/"
    store = ox.Store.read_only(str(out / "store"))
    assert ox.NamedNode("http://data.example.org/chiren/id/network/001") in {q.subject for q in store}


def test_serve_and_query_need_a_build(tmp_path):
    for args in (["query", "ASK {}"], ["serve", "--port", "0"]):
        result = run_cli(*args, "--out", tmp_path / "nothing")
        assert result.returncode == 2
        assert "run `ryoiki-ld build" in result.stderr and "Traceback" not in result.stderr


# --- the example queries --------------------------------------------------------------------------


def test_every_example_says_what_it_asks_and_returns_rows(store):
    files = sorted(QUERIES.glob("*.rq"))
    assert len(files) >= 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# ") and text.splitlines()[1].startswith("# "), f"{path.name}: needs a comment"
        result = store.query(text, **UNION_DEFAULT_GRAPH)
        assert len(list(result)) > 0, f"{path.name} returns nothing"


def test_networks_per_prefecture_sum_to_218(store, networks):
    found = {r["code"]: int(r["networks"]) for r in rows(store, "networks-per-prefecture.rq")}
    assert sum(found.values()) == 218
    assert found == networks["pref_code"].value_counts().to_dict()


def test_networks_meeting_every_assessable_criterion(store, built):
    eligibility = pd.read_csv(built / "validation" / "eligibility.csv")
    outcomes = eligibility.groupby("no")["outcome"].agg(set)
    expected = {no for no, seen in outcomes.items() if "met" in seen and "not_met" not in seen}
    found = rows(store, "networks-meeting-every-assessable-criterion.rq")
    assert {int(r["no"]) for r in found} == expected
    met = eligibility[eligibility["outcome"] == "met"].groupby("no").size()
    assert all(int(r["criteriaMet"]) == met[int(r["no"])] for r in found)


def test_single_institution_networks_are_the_reports_59(store, networks):
    found = {int(r["no"]) for r in rows(store, "single-institution-networks.rq")}
    assert len(found) == report.ONE_DISCLOSING  # 開示医療機関数が１である地連ＮＷ ５９
    assert found == set(networks.loc[networks["disclosing"] == "1", "no"].astype(int))


def test_funding_by_prefecture_equals_the_table(store, networks):
    # Row 61 sums rows 57–60 and row 193 repeats row 192: the query leaves both out so that no fund counts twice.
    table = networks[~networks["no"].isin(["61", "193"]) & (networks["funding_jpy"] != "")]
    expected = table.assign(yen=table["funding_jpy"].astype(int)).groupby("pref_code")["yen"].sum().to_dict()
    found = {r["code"]: int(r["fundingJPY"]) for r in rows(store, "funding-fy2019-by-prefecture.rq")}
    assert found == expected
    assert sum(found.values()) == sum(expected.values()) > 0


def test_totals_from_the_cube_equal_the_table_without_double_counting(store, networks):
    """Left out: row 193 (192 again) and row 61 (the sum of 57–60) wherever they give a number; cells without a
    number are counted apart, row 61's － included."""
    columns = {
        "participatingInstitutions": "participating",
        "disclosingInstitutions": "disclosing",
        "accessingInstitutions": "accessing",
        "registeredPatients": "registered_patients",
        "fundExpenditureJPY": "funding_jpy",
    }
    found = {r["measure"].split("#")[1]: r for r in rows(store, "totals-fy2019.rq")}
    assert set(found) == set(columns)
    for measure, column in columns.items():
        repeating = networks["no"].eq("193") | (networks["no"].eq("61") & networks[column].ne(""))
        table = networks.loc[~repeating, column]
        given = table[table != ""].astype(int)
        assert int(found[measure]["total"]) == given.sum(), measure
        assert int(found[measure]["networks"]) == len(given), measure
        assert int(found[measure]["withoutNumber"]) == (table == "").sum(), measure


def test_values_without_a_number_are_the_tables_empty_cells(store, networks):
    """Every empty value cell of the table (不明, －, a sentence, nothing printed) is listed once, with its status."""
    found = rows(store, "values-without-a-number-fy2019.rq")
    columns = ["participating", "disclosing", "accessing", "registered_patients", "funding_jpy", "own_funding"]
    empty = sum((networks[c] == "").sum() for c in columns)
    assert len(found) == empty == 13
    assert {r["statusLabel"] for r in found} == {"不明", "－（該当なし）", "数値に代えた説明", "記載なし"}
    assert all(("printed" in r) == (r["statusLabel"] != "記載なし") for r in found)


def test_networks_by_start_year_equal_the_table(store, networks):
    found = {r["year"]: int(r["networks"]) for r in rows(store, "networks-by-start-year.rq")}
    assert found == networks["start_fiscal_year"].value_counts().to_dict()


def test_prefecture_links_equal_the_reference_data(store):
    reference = pd.read_csv(ROOT / "data" / "reference" / "prefectures.csv", dtype=str, keep_default_na=False)
    found = {r["code"]: (r["estat"], r["wikidata"], r["nameEn"]) for r in rows(store, "prefectures-and-links.rq")}
    assert found == {
        r.pref_code: (r.estat_sac_uri, r.wikidata_uri, r.name_en) for r in reference.itertuples(index=False)
    }


def test_one_network_as_rdf(store):
    result = store.query((QUERIES / "one-network-as-rdf.rq").read_text(encoding="utf-8"), **UNION_DEFAULT_GRAPH)
    graph = rdflib.Graph().parse(data=ox.serialize(list(result), format=ox.RdfFormat.N_TRIPLES), format="nt")
    network = rdflib.URIRef("https://w3id.org/ryoiki-ld/id/network/001")
    assert (network, rdflib.RDFS.label, rdflib.Literal("道南地域医療連携協議会", lang="ja")) in graph
    about = set(graph.subjects(rdflib.URIRef(RLD + "network"), network))
    assessments = {s for s in about if (s, rdflib.RDF.type, rdflib.URIRef(RLD + "CriterionAssessment")) in graph}
    assert len(assessments) == 7  # its seven assessments
    fy2019 = "https://w3id.org/ryoiki-ld/id/observation/fy2019/001"
    assert about - assessments == {rdflib.URIRef(fy2019)} | {rdflib.URIRef(f"{fy2019}#{m}") for m in MEASURES}
