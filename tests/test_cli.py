"""`ryoiki-ld build` end to end: determinism, atomicity, and bad input through the real command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ryoiki_ld.config import DEFAULT_SOURCE
from ryoiki_ld.errors import INTERNAL_ERROR

from .support.cli import run_cli, tree_digest


def test_build_writes_the_tidy_table_and_its_csvw_metadata(built):
    files = set(tree_digest(built))
    assert {"data/networks.csv", "data/networks.csv-metadata.json", "data/corrections.csv"} <= files


def test_two_builds_give_identical_bytes(built, tmp_path):
    """Every published file; the Oxigraph store's own files carry database ids (its content is tested in
    test_store.py: exactly the dump's triples)."""
    again = tmp_path / "again"
    result = run_cli("build", "--out", again)
    assert result.returncode == 0, result.stderr
    assert tree_digest(again, skip=("store",)) == tree_digest(built, skip=("store",))
    assert (again / "store").is_dir()


def test_build_shows_progress(tmp_path):
    result = run_cli("build", "--out", tmp_path / "b")
    assert "extract …" in result.stderr and "218 rows" in result.stderr and "built" in result.stderr


def test_rebuild_replaces_the_directory_and_leaves_no_temporaries(tmp_path):
    out = tmp_path / "out"
    assert run_cli("build", "--out", out).returncode == 0
    (out / "stale.txt").write_text("from an older build")
    assert run_cli("build", "--out", out).returncode == 0
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _bad_source(tmp_path: Path, edit) -> Path:
    text = DEFAULT_SOURCE.read_text(encoding="utf-8")
    bad = tmp_path / "bad.txt"
    data = edit(text)
    bad.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return bad


def _drop_line_starting(prefix: str):
    return lambda text: "\n".join(ln for ln in text.split("\n") if not ln.startswith(prefix))


BAD_INPUTS = {
    # name: (edit of the source, source line the message must name, words it must contain)
    "row_removed": (_drop_line_starting("100 15新潟県"), 521, "row 100 is missing"),
    "garbled_number": (lambda t: t.replace("74 74 29 1,416", "74 74 29 1,4l6"), 501, "garbled number '1,4l6'"),
    "unknown_coverage_symbol": (
        lambda t: t.replace("南檜山二次医療圏 ○二次医療圏", "南檜山二次医療圏 ●二次医療圏"),
        216,
        "no coverage-type symbol",
    ),
    "symbol_and_type_disagree": (
        lambda t: t.replace("千歳市 △市町村単位", "千歳市 △その他"),
        222,
        "stands for 市町村単位",
    ),
    "unknown_start_year": (
        lambda t: t.replace("函館市の一部 ▲市町村単位未満 平成26年度", "函館市の一部 ▲市町村単位未満 昭和26年度"),
        214,
        "start year not recognised",
    ),
    "last_row_removed": (_drop_line_starting("218 47沖縄県"), 42, "surveyed 218 networks"),
    "not_utf8": (lambda t: t.encode("utf-8").replace("ＭＭＷＩＮ".encode(), b"\xff\xfe"), 404, "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_naming_the_line_and_keeps_the_previous_build(case, built, tmp_path):
    edit, line, words = BAD_INPUTS[case]
    bad = _bad_source(tmp_path, edit)
    before = tree_digest(built)
    result = run_cli("build", "--source", bad, "--out", built)
    assert result.returncode == 2, result.stderr
    assert f"{bad}:{line}:" in result.stderr, result.stderr
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(built) == before
    assert not list(built.parent.glob(".build.*"))


def test_unreadable_source_exits_2(built, tmp_path):
    for path, words in ((tmp_path / "missing.txt", "no such file"), (tmp_path, "is a directory, not a file")):
        result = run_cli("build", "--source", path, "--out", built)
        assert result.returncode == 2
        assert f"error: {path}: {words}" in result.stderr and "Traceback" not in result.stderr


def test_a_source_over_max_bytes_is_refused_unread(tmp_path):
    size = DEFAULT_SOURCE.stat().st_size
    result = run_cli("build", "--max-bytes", size - 1, "--out", tmp_path / "b")
    assert result.returncode == 2 and not (tmp_path / "b").exists()
    assert f"{size:,} bytes, over {size - 1:,} (the limit; --max-bytes raises it)" in result.stderr


def test_empty_source_exits_2(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = run_cli("build", "--source", empty, "--out", tmp_path / "b")
    assert result.returncode == 2 and "empty" in result.stderr
    assert not (tmp_path / "b").exists()


def test_help_lists_the_build_options():
    result = run_cli("build", "--help")
    for option in ("--source", "--out", "--base-iri"):
        assert option in result.stdout


def test_an_internal_error_is_one_line_with_its_own_exit_code_and_the_traceback_in_a_file(tmp_path):
    """A bug of ours (here: the pipeline raising KeyError) is not exit 1 (violations) or 2 (bad input)."""
    code = (
        "import sys; from ryoiki_ld import cli, pipeline\n"
        "def broken(settings, echo): raise KeyError('no such thing')\n"
        "pipeline.build = broken\n"
        f"sys.argv = ['ryoiki-ld', 'build', '--out', {str(tmp_path / 'out')!r}]\n"
        "cli.main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == INTERNAL_ERROR == 3
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("internal error: KeyError: 'no such thing' (a bug in ryoiki-ld; the traceback is in ")
    report = Path(line.rsplit(" ", 1)[1].rstrip(")"))
    assert "Traceback" in report.read_text(encoding="utf-8") and "def broken" not in line
    report.unlink()
