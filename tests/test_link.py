"""link: coverage-area text → prefecture / secondary medical area / municipality, never guessing."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.collection import Collection

from ryoiki_ld.config import ROOT, Paths
from ryoiki_ld.errors import RyoikiError, SourceError
from ryoiki_ld.extract import csv_rows
from ryoiki_ld.link import (
    Alias,
    Curation,
    Explanation,
    Gazetteer,
    load_curation,
    reason_codes,
    resolution_rates,
    resolve_table,
)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    paths = Paths()
    return Gazetteer(paths)


def codes(resolution) -> list[tuple[str, str]]:
    return [(e.kind, e.code) for e, _ in resolution.links]


def test_secondary_area_with_suffix(gazetteer):
    res = gazetteer.resolve("南檜山二次医療圏", "01", "secondary_medical_area")
    assert codes(res) == [("secondary_medical_area", "0102")] and res.status == "resolved"


def test_ambiguous_bare_ward_is_left_unresolved(gazetteer):
    """北区 alone could be 大阪市北区 or 堺市北区: no link, the text stays."""
    res = gazetteer.resolve("北区", "27", "sub_municipality")
    assert res.links == () and res.unresolved == ("北区",)


def test_bare_ward_after_a_ward_of_the_same_city(gazetteer):
    res = gazetteer.resolve("札幌市中央区、南区、豊平区", "01", "sub_municipality")
    assert codes(res) == [("municipality", "01101"), ("municipality", "01106"), ("municipality", "01105")]


def test_coverage_type_decides_between_area_and_city(gazetteer):
    assert codes(gazetteer.resolve("大阪市圏域", "27", "secondary_medical_area")) == [
        ("secondary_medical_area", "2708")
    ]


def test_misspelt_name_is_not_guessed(gazetteer):
    res = gazetteer.resolve("中央圏域、安芸圏域、高播圏域", "39", "secondary_medical_area")
    assert len(res.links) == 2 and res.unresolved == ("高播圏域",) and res.status == "partial"


def test_whole_prefecture_phrases(gazetteer):
    for text in ("青森県全域", "全県", "県内全域"):
        assert codes(gazetteer.resolve(text, "02", "prefecture")) == [("prefecture", "02")], text


def test_prefecture_prefix_and_kana_variant(gazetteer):
    assert codes(gazetteer.resolve("山形県村山地域", "06", "secondary_medical_area")) == [
        ("secondary_medical_area", "0601")
    ]
    assert codes(gazetteer.resolve("茅ケ崎市、寒川町", "14", "municipality")) == [
        ("municipality", "14207"),
        ("municipality", "14321"),
    ]


def test_resolution_rates_add_up(table, gazetteer):
    links, statuses, _ = resolve_table(table.reset_index(drop=True), gazetteer, load_curation(Paths()))
    rates = resolution_rates(statuses)
    assert rates["total"].sum() == 218
    assert rates.loc["secondary_medical_area", "resolved"] == 104
    assert rates["without_reason"].sum() == 0
    assert set(links["kind"]) == {"prefecture", "secondary_medical_area", "municipality"}


# --- groups named in the reference data --------------------------------------------------------------


def test_hokkaido_tertiary_medical_area_links_its_secondary_areas(gazetteer):
    res = gazetteer.resolve("道北圏域", "01", "other")
    assert codes(res) == [("secondary_medical_area", c) for c in ("0112", "0113", "0114", "0115", "0116")]
    assert res.status == "resolved" and {m for _, m in res.links} == {"道北圏域"}
    assert codes(gazetteer.resolve("オホーツク圏域", "01", "secondary_medical_area")) == [
        ("secondary_medical_area", "0117"),
        ("secondary_medical_area", "0118"),
    ]


def test_tertiary_area_names_are_hokkaidos_only(gazetteer):
    assert gazetteer.resolve("道北圏域", "02", "other").status == "unresolved"


def test_district_links_its_towns_and_villages(gazetteer):
    res = gazetteer.resolve("大村市、東彼杵郡", "42", "secondary_medical_area")
    assert codes(res) == [("municipality", c) for c in ("42205", "42321", "42322", "42323")]
    assert res.status == "resolved"


def test_connector_and_vague_rest(gazetteer):
    """函館市を中心とした道南地域ほか: the city, the three areas of 道南, and ほか left over."""
    res = gazetteer.resolve("函館市を中心とした道南地域ほか", "01", "other")
    assert codes(res) == [("municipality", "01202")] + [("secondary_medical_area", f"010{i}") for i in (1, 2, 3)]
    assert res.unresolved == ("ほか",)


def test_all_areas_of_the_prefecture(gazetteer):
    res = gazetteer.resolve("全13医療圏", "40", "prefecture")
    assert codes(res) == [("secondary_medical_area", f"40{i:02}") for i in range(1, 14)] and res.status == "resolved"
    assert len(gazetteer.resolve("全１３医療圏", "40", "prefecture").links) == 13  # full-width digits


def test_all_areas_with_another_count_is_refused(gazetteer):
    with pytest.raises(RyoikiError, match="全12医療圏 names 12 secondary medical areas, but 福岡県 has 13"):
        gazetteer.resolve("全12医療圏", "40", "prefecture")


def test_an_absurd_count_stays_unresolved(gazetteer):
    assert gazetteer.resolve("全" + "1" * 5000 + "医療圏", "40", "prefecture").status == "unresolved"


def test_a_refused_count_names_the_file_row_and_column(table, gazetteer, tmp_path):
    changed = table.reset_index(drop=True).copy()
    changed.loc[changed["no"] == 200, "area_text"] = "全12医療圏"
    with pytest.raises(SourceError) as e:
        resolve_table(changed, gazetteer, source=tmp_path / "mine.csv")
    assert str(e.value).startswith(f"{tmp_path / 'mine.csv'}: row 200, column area_text: 全12医療圏 names 12")


def test_hokkaidos_tertiary_areas_are_its_21_secondary_areas_each_once():
    """What data/reference/README.md says of the file: a partition of Hokkaido's 2020 secondary medical areas."""
    members = [r["secondary_medical_area_code_2020"] for r in csv_rows(Paths().hokkaido_tertiary_areas)]
    hokkaido = [r["area_code"] for r in csv_rows(Paths().secondary_medical_areas) if r["pref_code"] == "01"]
    assert sorted(members) == sorted(hokkaido) and len(members) == 21


def test_a_reference_group_file_with_another_header_is_refused(project_copy: Paths):
    path = project_copy.hokkaido_tertiary_areas
    path.write_text(path.read_text(encoding="utf-8").replace("tertiary_area_name", "area"), encoding="utf-8")
    with pytest.raises(SourceError, match=r"hokkaido_tertiary_medical_areas.csv:1: header must be"):
        Gazetteer(project_copy)


def test_an_ontology_that_does_not_parse_is_named(project_copy: Paths):
    project_copy.ontology.write_text("@prefix broken", encoding="utf-8")
    with pytest.raises(SourceError, match=r"ryoiki-ld.ttl:1: cannot parse Turtle"):
        load_curation(project_copy)


def test_a_second_alias_for_the_same_text_is_refused(project_copy: Paths):
    path = project_copy.area_aliases
    path.write_text(path.read_text(encoding="utf-8") + "27,小樽,札幌市,twice\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"area_aliases.csv:7: row 27's '小樽' has an alias already, on line 2"):
        load_curation(project_copy)


def test_a_group_member_unlike_the_reference_is_refused(project_copy: Paths):
    path = project_copy.root / "data" / "reference" / "districts_named_in_report.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("16321,舟橋村", "16321,立山町"), encoding="utf-8")
    with pytest.raises(SourceError) as e:
        Gazetteer(project_copy)
    assert str(e.value).startswith(f"{path}:2: member 16321 立山町: code 16321 is 舟橋村")


# --- curated rows: aliases and reasons ----------------------------------------------------------------


def test_alias_links_the_real_area_and_keeps_the_printed_text(gazetteer):
    res = gazetteer.resolve("中央圏域、安芸圏域、高播圏域", "39", "secondary_medical_area", {"高播": "高幡"})
    assert ("secondary_medical_area", "3903") in codes(res) and res.status == "resolved"
    assert dict((e.code, m) for e, m in res.links)["3903"] == "高播圏域"


def test_the_reports_rows_resolve_or_say_why(table, gazetteer):
    """Every coverage area is fully resolved, or every part left over carries a reason."""
    _, statuses, unresolved = resolve_table(table.reset_index(drop=True), gazetteer, load_curation(Paths()))
    by_no = statuses.set_index("no")
    for no in (27, 33, 38, 103, 135, 137, 199, 200, 206, 217):
        assert by_no.loc[no, "status"] == "resolved", no
    assert (unresolved["reason"] != "").all()
    assert dict(zip(unresolved["text"], unresolved["reason"], strict=False))["周辺地域"] == "VagueExtent"
    assert by_no.loc[6, "unresolved_text"] == "西岡 | 福住"
    assert by_no.loc[6, "reason"] == "BelowMunicipality | BelowMunicipality"
    assert by_no.loc[130, "status"] == "unresolved" and by_no.loc[130, "reason"] == "NotGeographic"


def curation(alias: Alias | None = None, explanation: Explanation | None = None) -> Curation:
    return Curation(
        (alias,) if alias else (), (explanation,) if explanation else (), Path("aliases.csv"), Path("reasons.csv")
    )


def test_an_alias_not_in_the_printed_text_is_refused(table, gazetteer):
    with pytest.raises(SourceError) as e:
        resolve_table(table.reset_index(drop=True), gazetteer, curation(Alias(199, "高幡", "高幡", 5)))
    assert str(e.value).startswith("aliases.csv:5: row 199 prints '中央圏域、安芸圏域、高播圏域'")
    assert "does not contain '高幡'" in str(e.value)


def test_an_alias_to_an_unknown_name_is_refused(table, gazetteer):
    with pytest.raises(SourceError, match="'高畑' is not one known name of row 199's prefecture"):
        resolve_table(table.reset_index(drop=True), gazetteer, curation(Alias(199, "高播", "高畑", 5)))


def test_a_reason_for_text_that_resolves_is_refused(table, gazetteer):
    with pytest.raises(SourceError) as e:
        resolve_table(
            table.reset_index(drop=True), gazetteer, curation(None, Explanation(1, "函館市", "VagueExtent", 3))
        )
    assert str(e.value).startswith("reasons.csv:3: row 1: '函館市' is not an unresolved part")


def test_a_reason_for_a_row_that_does_not_exist_is_refused(table, gazetteer):
    with pytest.raises(SourceError, match=r"^reasons\.csv:2: there is no row 999$"):
        resolve_table(table.reset_index(drop=True), gazetteer, curation(None, Explanation(999, "x", "VagueExtent", 2)))


def test_curation_is_for_the_reports_rows_only(table, gazetteer):
    """`validate` of someone's own CSV resolves without the curated rows: no refusal, no alias."""
    _, statuses, unresolved = resolve_table(table.reset_index(drop=True), gazetteer)
    assert statuses.set_index("no").loc[199, "status"] == "partial" and (unresolved["reason"] == "").all()


def test_an_unknown_reason_is_refused_with_its_line(project_copy: Paths):
    path = project_copy.root / "data" / "link" / "unresolved_areas.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("1,ほか,VagueExtent", "1,ほか,Vague"), encoding="utf-8")
    with pytest.raises(SourceError) as e:
        load_curation(project_copy)
    assert str(e.value) == f"{path}:2: unknown reason 'Vague'; one of BelowMunicipality, NotGeographic, VagueExtent"


def test_a_curated_row_without_its_reason_is_refused(project_copy: Paths):
    path = project_copy.root / "data" / "link" / "area_aliases.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = "135,名古屋北区,名古屋市北区,"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"area_aliases.csv:3: every row needs a value in each column; reason"):
        load_curation(project_copy)


def test_the_shapes_allow_exactly_the_ontologys_reasons():
    """One vocabulary: the ontology's concepts are the reasons the curated table and the shape accept."""
    shapes = rdflib.Graph().parse(ROOT / "shapes" / "quality.ttl")
    shape = rdflib.URIRef("https://w3id.org/ryoiki-ld/shapes#coverage-area-unresolved-reason")
    listed = Collection(shapes, shapes.value(shape, rdflib.SH["in"]))
    assert (
        {str(t).rsplit("#", 1)[1] for t in listed}
        == reason_codes(Paths().ontology)
        == {
            "NotGeographic",
            "BelowMunicipality",
            "VagueExtent",
        }
    )
