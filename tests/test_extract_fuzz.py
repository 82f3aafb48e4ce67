"""extract on hostile text: a mutated report either gives a table with as many rows as the total it states, or a
located SourceError (exit 2) — never another exception, never rows lost, never a number kept as a note.

The property test draws mutations of the real report (tests/support/mutate.py; benchmarks/fuzz_extract.py runs
the same mutations 10,000 times). The regression corpus (tests/regressions/extract/*.json) holds every crashing or
silently accepted input of issue 13, minimised to edits of the report's lines; each runs through the extract API,
and those marked `cli` through the real `ryoiki-ld build`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ryoiki_ld.config import DEFAULT_SOURCE, Paths
from ryoiki_ld.errors import SourceError
from ryoiki_ld.extract import extract
from ryoiki_ld.extract.report import Extractor
from ryoiki_ld.extract.rules import load_rules

from .support import report
from .support.cli import run_cli
from .support.mutate import mutate, numbers_in_notes, stated_total, to_bytes

SEED = DEFAULT_SOURCE.read_text(encoding="utf-8")
SEED_LINES = SEED.split("\n")
CORPUS = sorted((Path(__file__).parent / "regressions" / "extract").glob("*.json"))
RULES = load_rules(Paths())


def edited(edits: list[dict]) -> str:
    """The report with each edit applied to its line (`new` None deletes the line); `old` must still be the line."""
    lines: list[str | None] = list(SEED_LINES)
    for e in edits:
        assert lines[e["line"] - 1] == e["old"], f"the report's line {e['line']} has changed: update the case"
        lines[e["line"] - 1] = e["new"]
    return "\n".join(line for line in lines if line is not None)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report.txt"
    path.write_bytes(to_bytes(text))
    return path


# --- the property ---------------------------------------------------------------------------------


@settings(
    derandomize=True,
    max_examples=1000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rnd=st.randoms(use_true_random=False))
def test_mutated_report_gives_the_stated_rows_or_a_located_error(tmp_path: Path, rnd: random.Random) -> None:
    text, done = mutate(SEED, rnd)
    source = write(tmp_path, text)
    try:
        table = Extractor(source, RULES).run()
    except SourceError as e:
        assert e.exit_code == 2 and e.path in (source, RULES.corrections_path), (done, e)
        return
    total = stated_total(text)
    assert isinstance(total, int), (done, f"a table was returned without a total to check it against: {total}")
    assert list(table["no"]) == list(range(1, total + 1)), (done, len(table), total)
    assert not numbers_in_notes(list(table["value_notes"])), done


# --- the regression corpus ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CORPUS, ids=lambda p: p.stem)
def test_regression_through_the_extractor(case: Path, tmp_path: Path) -> None:
    spec = json.loads(case.read_text(encoding="utf-8"))
    source = write(tmp_path, edited(spec["edits"]))
    with pytest.raises(SourceError) as e:
        extract(source, expected_networks=spec["expected_networks"])
    assert e.value.exit_code == spec["exit"]
    assert spec["message"] in str(e.value)


@pytest.mark.parametrize(
    "case", [p for p in CORPUS if json.loads(p.read_text(encoding="utf-8"))["cli"]], ids=lambda p: p.stem
)
def test_regression_through_the_build(case: Path, tmp_path: Path) -> None:
    spec = json.loads(case.read_text(encoding="utf-8"))
    source = write(tmp_path, edited(spec["edits"]))
    expected = ["--expected-networks", str(spec["expected_networks"])] if spec["expected_networks"] else []
    result = run_cli("build", "--source", source, "--out", tmp_path / "out", *expected)
    assert result.returncode == spec["exit"], result.stderr
    assert "Traceback" not in result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(f"error: {source}") and spec["message"] in error, error
    assert not (tmp_path / "out").exists()


def test_corpus_covers_the_issue() -> None:
    assert len(CORPUS) >= 13
    assert all(json.loads(p.read_text(encoding="utf-8"))["exit"] == 2 for p in CORPUS)


# --- what is read, not refused ---------------------------------------------------------------------


def test_full_width_digits_are_read_as_the_number_they_are(tmp_path: Path) -> None:
    """Row 93 (line 501) printed with full-width digits, also in its row number: NFKC reads them."""
    line = SEED_LINES[500]
    new = (
        line.replace("93 15新潟県", "９３ １５新潟県").replace(" 1,416 ", " １，４１６ ").replace("26年度", "２６年度")
    )
    table = extract(write(tmp_path, edited([{"line": 501, "old": line, "new": new}]))).set_index("no")
    assert len(table) == report.NETWORKS
    assert table.loc[93, "registered_patients"] == 1416 and table.loc[93, "start_fiscal_year"] == 2014
    assert table.loc[93, "value_notes"] == "" and table.loc[93, "name"] == "SWANネット"


def test_missing_total_sentence_with_expected_networks_builds_the_table(tmp_path: Path) -> None:
    source = write(tmp_path, edited([{"line": 42, "old": SEED_LINES[41], "new": None}]))
    with pytest.raises(SourceError, match="missing or damaged"):
        extract(source)
    assert len(extract(source, expected_networks=report.NETWORKS)) == report.NETWORKS


def test_numbers_at_a_columns_maximum_are_read(tmp_path: Path) -> None:
    """The maxima are inclusive: 1,000,000 institutions and ¥1 trillion are read; one more is refused."""
    line = SEED_LINES[500]
    at_max = line.replace(" 74 74 ", " 1,000,000 74 ").replace("1,416 0 なし", "1,416 1,000,000,000,000 なし")
    table = extract(write(tmp_path, edited([{"line": 501, "old": line, "new": at_max}]))).set_index("no")
    assert (table.loc[93, "participating"], table.loc[93, "funding_jpy"]) == (1_000_000, 10**12)
    over = line.replace(" 74 74 ", " 1,000,001 74 ")
    with pytest.raises(SourceError) as e:
        extract(write(tmp_path, edited([{"line": 501, "old": line, "new": over}])))
    assert (e.value.line, e.value.row, e.value.column) == (501, 93, "participating")


def test_a_letter_in_place_of_a_digit_is_a_garbled_number(tmp_path: Path) -> None:
    """Text in place of a number is Japanese (不明, a sentence); an 'O' for a 0 is refused, not kept as a note."""
    line = SEED_LINES[500]
    with pytest.raises(SourceError, match="garbled number 'O'") as e:
        extract(write(tmp_path, edited([{"line": 501, "old": line, "new": line.replace(" 0 なし", " O なし")}])))
    assert (e.value.line, e.value.row) == (501, 93)


def test_expected_networks_below_one_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("build", "--expected-networks", "0", "--out", tmp_path / "out")
    assert result.returncode == 2 and "--expected-networks" in result.stderr


def test_correction_value_beyond_the_column_is_refused(tmp_path: Path, project_copy: Paths) -> None:
    with project_copy.corrections.open("a", encoding="utf-8") as f:
        f.write("2,participating,14,99999999999999999999,test\n")
    with pytest.raises(SourceError) as e:
        extract(DEFAULT_SOURCE, project_copy)
    assert (e.value.path, e.value.line, e.value.column) == (project_copy.corrections, 6, "participating")
    assert "out of range" in str(e.value)


def test_changed_note_printed_out_of_place_names_the_source_line_and_its_correction(tmp_path: Path) -> None:
    """Row 169's note at the page foot (lines 852–854) with a character deleted: the error is at the source line and
    names the correction that no longer matches."""
    line = SEED_LINES[852]
    source = write(tmp_path, edited([{"line": 853, "old": line, "new": line.replace("により", "によ")}]))
    with pytest.raises(SourceError) as e:
        extract(source)
    assert (e.value.path, e.value.line) == (source, 852)
    assert "the note for row 169 declared at corrections.csv:4 expects" in str(e.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("93 15新潟県", "٩٣ 15新潟県", "garbled row number in '٩٣ 15新潟県"),
        ("平成26年度", "平成२६年度", "start year not recognised: '平成२६年度' ('२' (DEVANAGARI DIGIT TWO)"),
    ],
    ids=["row-number", "start-year"],
)
def test_other_script_digits_are_refused_where_they_stand(tmp_path: Path, old: str, new: str, message: str) -> None:
    line = SEED_LINES[500]
    with pytest.raises(SourceError) as e:
        extract(write(tmp_path, edited([{"line": 501, "old": line, "new": line.replace(old, new)}])))
    assert e.value.line == 501 and message in str(e.value)
