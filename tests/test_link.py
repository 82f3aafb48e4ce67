"""link: coverage-area text → prefecture / secondary medical area / municipality, never guessing."""

from __future__ import annotations

import pytest

from ryoiki_ld.config import Paths
from ryoiki_ld.link import Gazetteer, resolution_rates, resolve_table


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
    links, statuses = resolve_table(table.reset_index(drop=True), gazetteer)
    rates = resolution_rates(statuses)
    assert rates["total"].sum() == 218
    assert rates.loc["secondary_medical_area", "resolved"] == 100
    assert set(links["kind"]) == {"prefecture", "secondary_medical_area", "municipality"}
