"""surveys/*.toml: one file per survey edition, checked key by key; a bad file names its path and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ryoiki_ld.config import ROOT
from ryoiki_ld.errors import SourceError
from ryoiki_ld.surveys import first_survey, read_survey, read_surveys

from .support.cli import run_cli, tree_digest

GOOD = (ROOT / "surveys" / "fy2019.toml").read_text(encoding="utf-8")


def write(folder: Path, text: str, name: str = "s.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fy2019_survey():
    survey = first_survey(ROOT / "surveys")
    assert (survey.id, survey.fiscal_year, survey.format) == ("fy2019", 2019, "mhlw-report-text")
    assert survey.file == (ROOT / "data" / "source" / "mhlw-chiren-nw-fy2019.txt").resolve()
    assert survey.file.is_file() and survey.crosswalk is None


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (('format = "mhlw-report-text"', 'format = "xlsx"'), 9, "format: unknown format 'xlsx'"),
        (("fiscal_year = 2019", 'fiscal_year = "2019"'), 3, "fiscal_year: must be an integer"),
        (('id = "fy2019"', 'id = "FY 2019"'), 2, "id: 'FY 2019' is not a survey id"),
        (('issued = "2020"', 'issued = "令和2年"'), 7, "issued: '令和2年' is not a year"),
        (('id = "fy2019"', 'id = "fy2019"\nedition = 1'), 3, "edition: unknown key"),
        (("fiscal_year = 2019", "fiscal_year = 2019 ="), 3, "not valid TOML"),
    ],
)
def test_a_bad_key_names_its_line(tmp_path, edit, line, message):
    path = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(SourceError) as e:
        read_survey(path)
    assert (e.value.path, e.value.line) == (path, line)
    assert message in e.value.message


def test_a_missing_key_is_named(tmp_path):
    path = write(tmp_path, "\n".join(line for line in GOOD.splitlines() if not line.startswith("publisher")))
    with pytest.raises(SourceError, match="publisher: missing"):
        read_survey(path)


def test_two_files_with_one_id_and_an_empty_folder_are_refused(tmp_path):
    write(tmp_path / "two", GOOD, "a.toml")
    second = write(tmp_path / "two", GOOD, "b.toml")
    with pytest.raises(SourceError) as e:
        read_surveys(tmp_path / "two")
    assert (e.value.path, e.value.line) == (second, 2) and "already the id of" in e.value.message
    (tmp_path / "none").mkdir()
    with pytest.raises(SourceError, match="no survey files"):
        read_surveys(tmp_path / "none")


def test_a_bad_survey_file_stops_the_build_and_keeps_the_previous_one(tmp_path, built):
    """`build --surveys DIR` with a broken file: exit 2 naming file and line; the output folder untouched."""
    out = tmp_path / "build"
    shutil.copytree(built, out, symlinks=True)
    before = tree_digest(out)
    broken = write(tmp_path / "surveys", GOOD.replace('format = "mhlw-report-text"', 'format = "pdf"'), "fy2019.toml")
    result = run_cli("build", "--surveys", broken.parent, "--out", out)
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr.strip() == f"error: {broken}:9: format: unknown format 'pdf' (known: mhlw-report-text, tidy-csv)"
    )
    assert tree_digest(out) == before


def test_the_survey_file_names_the_report_and_source_overrides_it(tmp_path):
    """The survey file's `file` is what a build reads; a missing one is an error naming it, unless --source."""
    moved = write(tmp_path / "surveys", GOOD.replace("../data/source/", "nowhere/"), "fy2019.toml")
    result = run_cli("build", "--surveys", moved.parent, "--out", tmp_path / "out")
    assert (
        result.returncode == 2 and str(tmp_path / "surveys" / "nowhere" / "mhlw-chiren-nw-fy2019.txt") in result.stderr
    )
    assert not (tmp_path / "out").exists()


# --- a survey as a tidy CSV ---------------------------------------------------------------------------------


def tidy_survey(folder: Path, built: Path, edit=None) -> Path:
    """A survey file of format tidy-csv whose table is the real build's networks.csv plus an empty `network`."""
    lines = (built / "data" / "networks.csv").read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + ",network"] + [line + "," for line in lines[1:]]
    if edit:
        rows = edit(rows)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "survey.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = GOOD.replace('format = "mhlw-report-text"', 'format = "tidy-csv"')
    return write(folder, text.replace('"../data/source/mhlw-chiren-nw-fy2019.txt"', '"survey.csv"'), "fy2019.toml")


def test_the_fy2019_table_as_a_tidy_csv_publishes_the_same_graph(tmp_path, built):
    """Everything but the provenance of the input (its file name and SHA-256) is the same as from the report."""
    survey = tidy_survey(tmp_path / "surveys", built)
    result = run_cli("build", "--surveys", survey.parent, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr[-2000:]

    def graph(out: Path) -> set[str]:
        lines = (out / "dump" / "ryoiki-ld.nt").read_text(encoding="utf-8").splitlines()
        return {line for line in lines if "/source/" not in line and "/id/build/" not in line}

    report_graph, csv_graph = graph(built), graph(tmp_path / "out")
    assert report_graph == csv_graph
    assert len(csv_graph) > 50_000


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (
            lambda rows: [rows[0], rows[1] + "001", *rows[2:]],
            2,
            "row 1, column network: network '001': no network",
        ),
        (lambda rows: [r.rsplit(",", 1)[0] for r in rows], 1, "no `network` column"),
        (lambda rows: [rows[0], rows[1], rows[1], *rows[3:]], 3, "row 2, column no: row number 1 is also on line 2"),
        (lambda rows: [rows[0], rows[1].replace(",58,", ",58人,", 1), *rows[2:]], 2, "column participating"),
    ],
    ids=["a network key in the first survey", "no network column", "a row number twice", "a bad count"],
)
def test_a_bad_tidy_csv_is_refused_at_its_line(tmp_path, built, edit, line, message):
    survey = tidy_survey(tmp_path / "surveys", built, edit)
    result = run_cli("build", "--surveys", survey.parent, "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr[-2000:]
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith(f"error: {survey.parent / 'survey.csv'}:{line}: "), error
    assert message in error
    assert not (tmp_path / "out").exists()
