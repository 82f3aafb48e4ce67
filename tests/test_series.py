"""A survey series: the real FY2019 survey and a SYNTHETIC FY2021 one (tests/series/, README.md there lists what is
planted), built together with `build --surveys tests/series`."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pyoxigraph as ox
import pytest

from ryoiki_ld.config import ROOT

from .support.cli import run_cli, tree_digest

SERIES = ROOT / "tests" / "series"
BASE = "https://w3id.org/ryoiki-ld/"
RLD = BASE + "def#"
FY2021_PRESENT = {1, 2, 3, 4, 6, 8}


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("series") / "build"
    result = run_cli("build", "--surveys", SERIES, "--out", out)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def lines(out: Path) -> set[str]:
    return set((out / "dump" / "ryoiki-ld.nt").read_text(encoding="utf-8").splitlines())


def about(triples: set[str], *prefixes: str) -> set[str]:
    return {t for t in triples if t.startswith(tuple(f"<{BASE}id/{p}" for p in prefixes))}


class _Table(HTMLParser):
    """The cells of the table of one class on a page, row by row."""

    def __init__(self, cls: str) -> None:
        super().__init__()
        self.cls = cls
        self.rows: list[list[str]] = []
        self.inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", self.cls) in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.inside and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data.strip()


def table_cells(page: Path, cls: str) -> list[list[str]]:
    parser = _Table(cls)
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.rows


def test_adding_a_survey_changes_no_fy2019_triple(built, series):
    """Every triple about FY2019's networks, prefectures, areas, its cube and its assessments is as in the build of
    FY2019 alone; what is new is about FY2021 and its two new networks."""
    alone, both = lines(built), lines(series)
    fy2019 = ("network/", "coverage-area/", "prefecture/", "municipality/", "secondary-medical-area/")
    fy2019 += ("observation/fy2019/", "assessment/fy2019/", "dataset/fy2019>")
    new_networks = {t for t in about(both, "network/219", "network/220", "coverage-area/219", "coverage-area/220")}
    assert about(both, *fy2019) - new_networks == about(alone, *fy2019)
    assert len(about(alone, *fy2019)) > 40_000
    added = both - alone
    assert all(
        "/fy2021" in t or t in new_networks or "/id/build/" in t or "/source/" in t or "/id/distribution/" in t
        for t in added
    ), sorted(t for t in added if "/fy2021" not in t and t not in new_networks)[:5]


def test_networks_first_seen_later_get_new_keys(series):
    triples = lines(series)
    for key, name in (("219", "【合成】道北オンライン連携ネット"), ("220", "【合成】多摩南部地域連携ネット")):
        network = f"<{BASE}id/network/{key}>"
        assert f'{network} <http://www.w3.org/2000/01/rdf-schema#label> "{name}"@ja .' in triples
        assert f"{network} <http://www.w3.org/ns/prov#wasDerivedFrom> <{BASE}id/dataset/fy2021> ." in triples
        assert not any(t.startswith(f"{network} <{RLD}surveyRowNumber>") for t in triples)  # not a FY2019 row
    row7 = f"<{BASE}id/observation/fy2021/007>"
    assert f"{row7} <{RLD}network> <{BASE}id/network/219> ." in triples
    assert f'{row7} <{RLD}surveyRowNumber> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .' in triples
    # The renamed network keeps its key and its name as first printed; the slice has the new name.
    assert f"<{BASE}id/observation/fy2021/003> <{RLD}network> <{BASE}id/network/003> ." in triples
    assert f'<{BASE}id/observation/fy2021/003> <{RLD}nameAsPrinted> "南檜山医療ネット（ID-Link）" .' in triples
    assert f'<{BASE}id/network/003> <{RLD}nameAsPrinted> "イ・ネット南檜山　　（ID-Link）" .' in triples


def test_comparing_the_two_years_finds_exactly_the_planted_changes(series):
    result = run_cli("query", "--out", series, "--format", "csv", f"@{SERIES / 'changes-between-surveys.rq'}")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    key = lambda r: int(r["network"].rsplit("/", 1)[1])  # noqa: E731
    found = {(key(r), r["change"], r["property"].removeprefix(RLD), r["before"], r["after"]) for r in rows}
    absent = {k for k, change, *_ in found if change == "absent"}
    assert absent == set(range(1, 219)) - FY2021_PRESENT
    assert {f for f in found if f[1] != "absent"} == {
        (1, "value", "participatingInstitutions", "58", "63"),
        (2, "value", "registeredPatients", "2546", "3010"),
        (3, "renamed", "nameAsPrinted", "イ・ネット南檜山　　（ID-Link）", "南檜山医療ネット（ID-Link）"),
        (4, "value", "accessingInstitutions", "12", ""),  # 不明: ""^^rld:NoValue
        (219, "new", "", "", ""),
        (220, "new", "", "", ""),
    }


def test_each_survey_is_assessed_and_fy2019_outcomes_do_not_change(built, series):
    alone = pd.read_csv(built / "validation" / "eligibility.csv")
    both = pd.read_csv(series / "validation" / "eligibility.csv")
    pd.testing.assert_frame_equal(both[both.survey == "fy2019"].reset_index(drop=True), alone)
    fy2021 = both[both.survey == "fy2021"].set_index(["no", "criterion"])["outcome"]
    assert len(fy2021) == 8 * 7
    assert fy2021[(4, "d")] == "not_assessable"  # accessing institutions 不明 in FY2021 (12 in FY2019)
    assert alone.set_index(["no", "criterion"])["outcome"][(4, "d")] == "met"
    assert fy2021[(8, "a")] == "not_met"  # the new one-institution network


def test_each_survey_has_its_graph(series):
    quads = (series / "dump" / "ryoiki-ld.nq").read_text(encoding="utf-8").splitlines()
    fy2021 = [q for q in quads if q.endswith(f"<{BASE}graph/fy2021> .")]
    assert any(f"<{BASE}id/observation/fy2021/008#participatingInstitutions>" in q for q in fy2021)
    assert any(q.startswith(f"<{BASE}id/assessment/fy2021/008-a>") for q in fy2021)
    assert not any("/fy2019" in q.split(" ", 1)[0] for q in fy2021)


def test_a_series_builds_byte_for_byte_the_same(series, tmp_path):
    again = tmp_path / "again"
    assert run_cli("build", "--surveys", SERIES, "--out", again).returncode == 0
    assert tree_digest(again / "dump") == tree_digest(series / "dump")


def copy_series(folder: Path) -> Path:
    shutil.copytree(SERIES, folder)
    toml = folder / "fy2019.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('"../../data/', f'"{ROOT / "data"}/'),
        encoding="utf-8",
    )
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new", "where", "says"),
    [
        ("fy2021-crosswalk.csv", "3,3,", "9,3,", "fy2021-crosswalk.csv:2", "row 9: the survey has no such row"),
        ("fy2021-crosswalk.csv", "3,3,", "3,221,", "fy2021-crosswalk.csv:2", "network 221: no earlier survey gave"),
        ("fy2021-crosswalk.csv", "3,3,", "3,1,", "fy2021-synthetic.csv:4", "network 001 is also the network of row 1"),
        ("fy2021-synthetic.csv", ",2-2,001", ",2-2,300", "fy2021-synthetic.csv:2", "network 300: no earlier survey"),
        ("fy2021-synthetic.csv", "2020,令和2年度", "2022,令和4年度", "fy2021-synthetic.csv:8", "after the survey's"),
        ("fy2021.toml", 'id = "fy2021"', 'id = "fy2019"', "fy2021.toml:2", "id: 'fy2019' is already the id"),
        ("fy2021-crosswalk.csv", "3,3,", "3,³,", "fy2021-crosswalk.csv:2", "must be numbers"),
        ("fy2021-synthetic.csv", ",2-2,001", ",2-2," + "9" * 20, "fy2021-synthetic.csv:2", "is not a network key"),
        (
            "fy2019.toml",
            'id = "fy2019"\n',
            'id = "fy2019"\ncrosswalk = "fy2021-crosswalk.csv"\n',
            "fy2019.toml:3",
            "a crosswalk belongs to a later survey",
        ),
    ],
    ids=[
        "crosswalk row missing",
        "crosswalk key never given",
        "a key reused",
        "unknown key",
        "start year",
        "dup id",
        "a digit that is not 0-9",
        "a key too long",
        "a crosswalk on the first survey",
    ],
)
def test_a_bad_survey_in_a_series_is_refused_and_the_previous_build_kept(series, tmp_path, name, old, new, where, says):
    folder = copy_series(tmp_path / "series")
    edit(folder / name, old, new)
    out = tmp_path / "out"
    shutil.copytree(series, out, symlinks=True)
    before = tree_digest(out)
    result = run_cli("build", "--surveys", folder, "--out", out)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{folder}/{where}" in result.stderr and says in result.stderr, result.stderr[-2000:]
    assert tree_digest(out) == before


def test_a_network_page_shows_its_values_in_both_years_and_the_change(series):
    def table(key: str) -> list[list[str]]:
        return table_cells(series / "site" / "doc" / "network" / f"{key}.html", "survey-values")

    header, fy2019, fy2021, change = table("004")
    measures = [
        "参加医療機関数",
        "開示医療機関数",
        "アクセス医療機関数",
        "登録患者数",
        "基金執行額（円）",
        "会費等自主財源の有無",
    ]
    assert header[1:] == [*measures, "出典の行"]
    assert "令和元年度調査" in fy2019[0] and "令和3年度調査" in fy2021[0] and "合成" in fy2021[0]
    assert fy2019[1:] == ["35", "1", "12", "1,648", "0", "有", "218-222"]  # the lines of the report text
    assert fy2021[1:] == ["35", "1", "不明", "1,648", "0", "有", "5-5"]  # the line of the synthetic CSV
    assert change == ["前回調査からの増減", "±0", "±0", "—", "±0", "±0", "—", ""]
    page = (series / "site" / "doc" / "network" / "004.html").read_text(encoding="utf-8")
    assert '<a href="../../source/mhlw-chiren-nw-fy2019.txt#line=217,222">218-222</a>' in page
    assert table("001")[-1][1] == "+5"  # participating 58 → 63
    header, only = table("219")  # first seen in FY2021: one row, no change
    assert "令和3年度調査" in only[0] and only[1:5] == ["12", "3", "9", "850"]
    assert len(table("005")) == 2  # absent in FY2021: its FY2019 row only


def test_each_survey_has_a_page_with_its_values_charts_changes_and_rows(series):
    fy2021 = series / "site" / "doc" / "dataset" / "fy2021.html"
    figures = {row[0]: row[1:] for row in table_cells(fy2021, "survey-figures")[1:]}
    assert figures["アクセス医療機関数"] == ["7", "5", "不明1"]  # 7 values, median 5, one 不明 (network 004)
    assert figures["会費等自主財源の有無"] == ["8", "有 4 · なし 4", "—"]
    changed = [row[1:] for row in table_cells(fy2021, "survey-changed")[1:]]
    assert changed == [
        ["参加医療機関数", "58", "63", "+5"],  # 001
        ["登録患者数", "2,546", "3,010", "+464"],  # 002
        ["アクセス医療機関数", "12", "不明", "—"],  # 004
    ]
    assert [row[1:] for row in table_cells(fy2021, "survey-renamed")[1:]] == [
        ["イ・ネット南檜山　　（ID-Link）", "南檜山医療ネット（ID-Link）"]
    ]
    page = fy2021.read_text(encoding="utf-8")
    counts = re.findall(r'<h3>([^<]+) <span class="number">([0-9,]+)</span></h3>', page)
    assert [count for _, count in counts] == ["2", "212", "1", "3"]  # new, absent, renamed, changed
    assert '<a href="../../doc/network/219.html">' in page and '<a href="../../doc/network/220.html">' in page
    rows = table_cells(fy2021, "survey-rows")[1:]
    assert [row[0] for row in rows] == [str(n) for n in range(1, 9)] and rows[3][5] == "不明"
    assert page.count('class="point"') == 8 and 'id="chart-years"' in page

    # "List with SPARQL" gives every row of the survey from the published graph.
    link = re.findall(r'<a class="query" href="([^"]+)"', page)[-1]
    query = parse_qs(urlsplit(html.unescape(link)).query)["query"][0]
    store = ox.Store()
    store.bulk_load(path=str(series / "dump" / "ryoiki-ld.nt"), format=ox.RdfFormat.N_TRIPLES)
    solutions = list(store.query(query))
    assert len(solutions) == 8 * 6 and {int(s["no"].value) for s in solutions} == set(range(1, 9))

    fy2019 = series / "site" / "doc" / "dataset" / "fy2019.html"
    assert 'id="survey-change"' not in fy2019.read_text(encoding="utf-8")  # the first survey: nothing before it
    assert len(table_cells(fy2019, "survey-rows")) == 1 + 218
    english = table_cells(series / "site" / "en" / "doc" / "dataset" / "fy2019.html", "survey-figures")
    assert {row[0]: row[1:] for row in english[1:]}["fund expenditure (JPY)"][0] == "215"


def test_the_catalogue_lists_each_edition_in_the_series_and_conforms_to_dcat_ap(series):
    import rdflib
    from pyshacl import validate

    catalog = rdflib.Graph().parse(series / "site" / "catalog.ttl")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    dataset = rdflib.Namespace(BASE + "id/dataset/")
    fy2019, fy2021, survey_series = dataset.fy2019, dataset.fy2021, dataset["chiren-nw-survey"]
    assert (survey_series, rdflib.RDF.type, dcat.DatasetSeries) in catalog
    assert set(catalog.objects(rdflib.URIRef(BASE + "id/catalog/ryoiki-ld"), dcat.dataset)) == {
        dataset["ryoiki-ld"],
        fy2019,
        fy2021,
    }
    assert {e for e in catalog.subjects(dcat.inSeries, survey_series)} == {fy2019, fy2021}
    assert catalog.value(survey_series, dcat.first) == fy2019 and catalog.value(survey_series, dcat.last) == fy2021
    assert catalog.value(fy2021, dcat.prev) == fy2019 and catalog.value(fy2019, dcat.prev) is None
    period = catalog.value(fy2021, rdflib.DCTERMS.temporal)
    assert str(catalog.value(period, dcat.startDate)) == "2021-04-01"
    assert str(catalog.value(period, dcat.endDate)) == "2022-03-31"
    assert not list(catalog.triples((None, rdflib.URIRef("http://purl.org/linked-data/cube#slice"), None)))
    shapes = rdflib.Graph().parse(ROOT / "tests" / "dcat_ap" / "dcat-ap-3.ttl")
    conforms, _, text = validate(catalog, shacl_graph=shapes, inference="none")
    assert conforms, text


def test_a_later_survey_s_source_is_published_and_its_rows_link_into_it(series):
    import rdflib

    published = series / "site" / "source" / "fy2021-synthetic.csv"
    assert published.read_bytes() == (SERIES / "fy2021-synthetic.csv").read_bytes()
    catalog = rdflib.Graph().parse(series / "site" / "catalog.ttl")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    distribution = rdflib.URIRef(BASE + "id/distribution/source-fy2021")
    assert catalog.value(distribution, dcat.downloadURL) == rdflib.URIRef(BASE + "source/fy2021-synthetic.csv")
    assert catalog.value(distribution, dcat.mediaType).endswith("text/csv")
    assert catalog.value(distribution, dcat.byteSize).toPython() == published.stat().st_size
    page = (series / "site" / "doc" / "network" / "219.html").read_text(encoding="utf-8")
    assert '<a href="../../source/fy2021-synthetic.csv#line=7,8">8-8</a>' in page
