"""extract: the report's table → the tidy table. One test per quirk, named after its row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ryoiki_ld.config import DEFAULT_SOURCE, Paths
from ryoiki_ld.errors import SourceError
from ryoiki_ld.extract import extract, read_csv, write_csv

from .support import report

COUNTS = ["participating", "disclosing", "accessing", "registered_patients", "funding_jpy"]


def values(table: pd.DataFrame, no: int, columns: list[str]) -> list:
    return [None if pd.isna(v) else v for v in table.loc[no, columns]]


# --- the report's own summary figures (page 2 of the report) --------------------------------------


def test_218_rows_numbered_1_to_218(table):
    assert list(table["no"]) == list(range(1, report.NETWORKS + 1))


def test_coverage_types_match_the_report_27_104_32_15_40(table):
    assert table["area_type"].value_counts().to_dict() == report.COVERAGE_TYPES


def test_59_networks_with_exactly_one_disclosing_institution(table):
    assert (table["disclosing"] == 1).sum() == report.ONE_DISCLOSING


def test_20_networks_with_exactly_one_accessing_institution(table):
    assert (table["accessing"] == 1).sum() == report.ONE_ACCESSING


def test_79_networks_without_own_funding(table):
    assert (table["own_funding"] == False).sum() == report.NO_OWN_FUNDING  # noqa: E712 (pandas nullable boolean)


def test_every_row_has_a_prefecture_name_type_and_start(table):
    for column in ["pref_code", "pref_name", "name", "area_text", "area_type", "start_raw"]:
        empty = table.index[table[column] == ""].tolist()
        assert not empty, f"rows {empty} have an empty {column}"
    assert table["start_fiscal_year"].notna().all()


# --- quirks, one per row --------------------------------------------------------------------------


def test_row_001_note_beside_a_number_stays_a_note(table):
    assert table.loc[1, "registered_patients"] == 143308
    assert table.loc[1, "value_notes"] == "registered_patients: （重複あり）"
    assert (table.loc[1, "name"], table.loc[1, "area_text"]) == (
        "道南地域医療連携協議会",
        "函館市を中心とした道南地域ほか",
    )


def test_row_012_wrapped_name_and_wrapped_area_are_joined(table):
    assert table.loc[12, "name"] == "ICTネットワークシステム(ID-LINK+シンクライアント)"
    assert table.loc[12, "area_text"] == "函館市、札幌市、苫小牧市、釧路市"


def test_row_014_name_with_a_space_and_single_line(table):
    assert (table.loc[14, "name"], table.loc[14, "area_text"]) == ("DASCH Pro", "札幌")


def test_row_050_name_running_into_the_area_is_split(table):
    assert table.loc[50, "name"] == "特定非営利活動法人 釜石・大槌地域医療連携推進協議会"
    assert table.loc[50, "area_text"] == "釜石保健医療圏"


def test_row_052_after_two_repeated_page_headers(table):
    assert table.loc[51, "source_lines"] == "347-347"
    assert values(table, 52, COUNTS) == [9, 9, 9, 8758, 0]
    assert table.loc[52, "source_lines"] == "402-402"


def test_row_061_aggregate_dash_month_start_and_no_own_funding(table):
    assert values(table, 61, COUNTS) == [272, 28, 160, 90438, None]
    assert table.loc[61, "value_notes"] == "funding_jpy: －"
    assert pd.isna(table.loc[61, "own_funding"])
    assert (table.loc[61, "start_raw"], table.loc[61, "start_fiscal_year"]) == ("平成31年3月", 2018)


def test_row_061_counts_are_the_sums_of_rows_57_to_60(table):
    """The report says so in the name of row 61; the data agrees (we model 61 as an aggregate)."""
    for column in ["participating", "disclosing", "accessing", "registered_patients"]:
        assert table.loc[61, column] == table.loc[57:60, column].sum(), column


def test_row_069_reiwa_gannen_is_2019(table):
    assert (table.loc[69, "start_raw"], table.loc[69, "start_fiscal_year"]) == ("令和元年度", 2019)


def test_row_086_name_running_into_the_area_without_any_space(table):
    assert table.loc[86, "name"] == "国分寺病院を中核とする地域医療・介護連携ＩＣＴシステム"
    assert table.loc[86, "area_text"] == "北多摩西部"


def test_row_109_one_area_per_line_and_separate_operation_start(table):
    assert table.loc[109, "area_text"] == "福井・坂井医療圏 奥越医療圏 丹南医療圏 嶺南医療圏"
    assert table.loc[109, "start_raw"] == "平成24年度（運用開始は平成26年度）"
    assert (table.loc[109, "start_fiscal_year"], table.loc[109, "operation_start_fiscal_year"]) == (2012, 2014)
    assert values(table, 109, COUNTS) == [193, 20, 59, 54241, 2588000]


def test_row_110_leading_space_and_wrapped_name(table):
    assert table.loc[110, "name"] == "富士・東部地域患者情報共有サービス　FT-Net"
    assert table.loc[110, "pref_code"] == "19"


def test_row_114_unknown_is_empty_not_zero(table):
    assert pd.isna(table.loc[114, "accessing"])
    assert table.loc[114, "value_notes"] == "accessing: 不明"


def test_row_121_sentence_printed_in_place_of_a_number(table):
    assert values(table, 121, COUNTS) == [5, 4, 5, None, 0]
    assert table.loc[121, "value_notes"] == "registered_patients: テレビ会議システムのため登録患者数無し"
    assert table.loc[121, "area_text"] == "郡上市内の基幹病院と診療所、その他自治体診療所"


def test_row_133_tabs_are_removed(table):
    assert table.loc[133, "name"] == "名鉄病院地域医療連携ネットワークシステム"
    assert table.loc[133, "area_text"] == "名古屋・尾張中部医療圏"


def test_row_142_area_running_into_the_type_symbol(table):
    assert table.loc[142, "area_text"] == "南河内圏域、堺市圏域、泉州圏域、大阪市圏域"
    assert table.loc[142, "area_type"] == "secondary_medical_area"


def test_row_162_tabs_and_a_name_running_into_the_area(table):
    assert table.loc[162, "name"] == "泉州南部診療情報ネットワーク（なすびんネット）"
    assert table.loc[162, "area_text"] == "泉州圏域（泉州南地域）"


def test_row_169_note_printed_at_the_page_foot_is_brought_back(table):
    assert values(table, 169, COUNTS) == [1, None, None, None, None]
    assert table.loc[169, "own_funding"] == True  # noqa: E712
    assert "医療機関や患者を登録するシステムではない" in table.loc[169, "value_notes"]
    assert table.loc[169, "source_lines"] == "760-760,852-854"


def test_row_170_four_values_are_the_four_counts(table):
    assert values(table, 170, COUNTS) == [7, 1, 3, 8, None]


def test_row_179_heisei_31_is_2019(table):
    assert table.loc[179, "start_fiscal_year"] == 2019


def test_rows_192_and_193_print_the_same_values(table):
    columns = ["area_text", "start_raw", *COUNTS, "own_funding"]
    assert table.loc[192, columns].tolist() == table.loc[193, columns].tolist()
    assert table.loc[192, "name"] != table.loc[193, "name"]


def test_row_205_earliest_start_2004(table):
    assert table["start_fiscal_year"].min() == 2004
    assert table.loc[205, "start_fiscal_year"] == 2004


def test_row_211_after_the_page_number_and_header(table):
    assert values(table, 211, COUNTS) == [32, 1, 31, 7771, 0]
    assert table.loc[210, "source_lines"] == "850-850"


def test_row_217_type_note_unknown_and_sentence(table):
    assert table.loc[217, "area_type_raw"] == "□その他（郡市医師会単位）"
    assert values(table, 217, COUNTS) == [119, 119, None, None, 0]
    assert table.loc[217, "value_notes"] == (
        "accessing: 不明 | registered_patients: 医療・介護従事者がメッセージで患者情報をやり取りするシステムのため、登録患者数無し"
    )


def test_unknown_counts_are_exactly_where_the_report_gives_no_number(table):
    missing = {c: table.index[table[c].isna()].tolist() for c in COUNTS}
    assert missing == {
        "participating": [],
        "disclosing": [169],
        "accessing": [114, 124, 169, 200, 217],
        "registered_patients": [121, 169, 217],
        "funding_jpy": [61, 169, 170],
    }


def test_source_lines_point_at_the_row_in_the_source(table, source_lines):
    for no, ranges in table["source_lines"].items():
        first = int(ranges.split("-")[0])
        assert source_lines[first - 1].strip().startswith(f"{no} "), no


# --- the corrections file -------------------------------------------------------------------------


def _edit_corrections(paths: Paths, edit) -> None:
    text = paths.corrections.read_text(encoding="utf-8")
    paths.corrections.write_text(edit(text), encoding="utf-8")


def test_every_correction_has_a_reason_and_is_used(project_copy):
    df = extract(DEFAULT_SOURCE, project_copy)
    assert len(df) == 218  # extract() fails on any unused correction


def test_missing_layout_correction_names_row_and_line(project_copy):
    _edit_corrections(project_copy, lambda t: "\n".join(ln for ln in t.split("\n") if not ln.startswith("170,")))
    with pytest.raises(SourceError) as e:
        extract(DEFAULT_SOURCE, project_copy)
    assert e.value.line == 762 and e.value.row == 170
    assert "expected 5 values" in str(e.value)


def test_stale_correction_is_an_error(project_copy):
    _edit_corrections(project_copy, lambda t: t.replace("170,layout,7 1 3 8 有", "170,layout,7 1 3 9 有"))
    with pytest.raises(SourceError) as e:
        extract(DEFAULT_SOURCE, project_copy)
    assert e.value.row == 170  # the source no longer fits any declared layout


def test_cell_correction_replaces_the_printed_value(project_copy):
    _edit_corrections(
        project_copy, lambda t: t + "2,name,PersonalNetworkぱるな,Personal Network ぱるな,spacing as in row 42\n"
    )
    df = extract(DEFAULT_SOURCE, project_copy).set_index("no")
    assert df.loc[2, "name"] == "Personal Network ぱるな"


def test_cell_correction_must_match_what_is_printed(project_copy):
    _edit_corrections(project_copy, lambda t: t + "2,name,something else,X,test\n")
    with pytest.raises(SourceError) as e:
        extract(DEFAULT_SOURCE, project_copy)
    assert e.value.path == project_copy.corrections and e.value.line == 6


def test_correction_without_reason_is_refused(project_copy):
    _edit_corrections(project_copy, lambda t: t + "2,name,PersonalNetworkぱるな,X,\n")
    with pytest.raises(SourceError, match="needs a reason"):
        extract(DEFAULT_SOURCE, project_copy)


def test_unplaced_stray_text_is_an_error(project_copy):
    _edit_corrections(
        project_copy, lambda t: "\n".join(ln for ln in t.split("\n") if not ln.startswith("169,value_notes"))
    )
    with pytest.raises(SourceError) as e:
        extract(DEFAULT_SOURCE, project_copy)
    assert e.value.line == 852 and "belongs to no row" in str(e.value)


# --- the CSV: typed round trip and golden copy -----------------------------------------------------


def test_csv_round_trips_with_types(table, tmp_path):
    path = tmp_path / "networks.csv"
    write_csv(table.reset_index(drop=True), path)
    back = read_csv(path, Paths().csvw_metadata)
    pd.testing.assert_frame_equal(back, table.reset_index(drop=True))


def test_golden_csv_byte_for_byte(built):
    golden = Path(__file__).parent / "golden" / "networks.csv"
    assert (built / "data" / "networks.csv").read_bytes() == golden.read_bytes(), (
        "networks.csv differs from tests/golden/networks.csv; if the change is intended, run `make golden` "
        "and review the diff"
    )
