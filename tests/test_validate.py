"""The validate stage and `ryoiki-ld validate` through the real command: exit codes, the build's report, the
worked example, and the shapes' portability (plain pySHACL's command line gives our results)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from ryoiki_ld.config import DEFAULT_SOURCE, ROOT
from ryoiki_ld.validate import shacl

from .support.cli import run_cli
from .support.example import EXAMPLE


def test_the_build_report_is_the_shacl_report_of_the_dump(built):
    report = rdflib.Graph().parse(built / "validation" / "report.ttl")
    (conforms,) = report.objects(predicate=rdflib.URIRef(shacl.SH + "conforms"))
    results = shacl.report_results(report)
    assert conforms.toPython() is False  # criteria not met are violations of the criteria shapes
    assert len(results) == 1037
    assert {r.severity for r in results} == {f"<{shacl.SH}Violation>", f"<{shacl.SH}Info>"}


@pytest.mark.parametrize("shapes", ["quality", "criteria"])
def test_plain_pyshacl_command_gives_our_results(built, tmp_path, shapes):
    """The shapes need no Python of ours: pySHACL's own CLI agrees with `ryoiki-ld validate`, on the dump (the
    quality shapes) and on the survey rows any SPARQL engine makes of it with mappings/views/survey_rows.rq (the
    criteria: a network is assessed once per survey, on the row that stands for it)."""
    pyshacl = Path(sys.executable).parent / "pyshacl"
    dump = built / "dump" / "ryoiki-ld.ttl"
    if shapes == "criteria":
        view = ROOT / "mappings" / "views" / "survey_rows.rq"
        rows = run_cli("query", "--out", built, "--format", "turtle", f"@{view}")
        assert rows.returncode == 0, rows.stderr
        dump = tmp_path / "survey-rows.ttl"
        dump.write_text(rows.stdout, encoding="utf-8")
    theirs = subprocess.run(
        [pyshacl, "-s", ROOT / "shapes" / f"{shapes}.ttl", "-f", "nt", dump], capture_output=True, timeout=600
    )
    ours = run_cli("validate", "--out", built, "--shapes", shapes, "--format", "turtle")
    expected_code = 0 if shapes == "quality" else 1
    assert (theirs.returncode, ours.returncode) == (expected_code, expected_code), ours.stderr
    their_results = shacl.report_results(rdflib.Graph().parse(data=theirs.stdout, format="nt"))
    our_results = shacl.report_results(rdflib.Graph().parse(data=ours.stdout, format="turtle"))
    assert our_results == their_results
    assert len(our_results) == (0 if shapes == "quality" else 1037)


def test_engines_agree_on_the_real_data(built):
    results = {}
    for engine in ("oxigraph", "pyshacl"):
        run = run_cli("validate", "--out", built, "--engine", engine, "--format", "json")
        document = json.loads(run.stdout)
        assert document["engine"] == engine
        results[engine] = document
    assert results["oxigraph"]["results"] == results["pyshacl"]["results"]
    assert results["oxigraph"]["assessments"] == results["pyshacl"]["assessments"]


def test_the_built_dataset_meets_the_quality_shapes(built):
    run = run_cli("validate", "--out", built, "--shapes", "quality")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "適合 conforms: 0 violation(s)" in run.stdout and "218 network(s)" in run.stdout


def test_criteria_not_met_make_the_dataset_not_conform(built):
    run = run_cli("validate", "--out", built)
    assert run.returncode == 1
    assert "番号002 PersonalNetworkぱるな" in run.stdout
    assert "（ア） met  158  not met   59  not assessable    1" in run.stdout


def test_no_build_and_no_file_is_bad_usage(tmp_path):
    run = run_cli("validate", "--out", tmp_path / "nothing")
    assert run.returncode == 2
    assert "no built dataset here" in run.stderr and "Traceback" not in run.stderr


def test_the_worked_example(tmp_path):
    run = run_cli("validate", EXAMPLE)
    assert run.returncode == 1
    assert "（ア）✓  （イ）✓  （ウ）✗  （エ）✓  （オ）✓  （カ）✓  （キ）?" in run.stdout
    assert "(ウ) not met: in some month of the past twelve the network was not accessed." in run.stdout


def _example_meeting_everything(tmp_path: Path) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace("rld:monthsWithAccess 11", "rld:monthsWithAccess 12")
    text = text.replace(
        "rld:adoptsMhlwStandards true ;", "rld:adoptsMhlwStandards true ;\n    rld:sharesStandardDocuments true ;"
    )
    path = tmp_path / "meets.ttl"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_network_that_meets_every_criterion_conforms(tmp_path):
    run = run_cli("validate", _example_meeting_everything(tmp_path))
    assert run.returncode == 0, run.stdout
    assert "（ア）✓  （イ）✓  （ウ）✓  （エ）✓  （オ）✓  （カ）✓  （キ）✓" in run.stdout


def test_a_quality_violation_in_a_networks_own_file(tmp_path):
    path = tmp_path / "bad-count.ttl"
    text = EXAMPLE.read_text(encoding="utf-8").replace("rld:disclosingInstitutions 3", "rld:disclosingInstitutions 30")
    path.write_text(text, encoding="utf-8")
    run = run_cli("validate", path, "--shapes", "quality", "--format", "json")
    assert run.returncode == 1
    (result,) = json.loads(run.stdout)["results"]
    assert result["focusNode"] == "https://example.org/minato-net"
    assert result["sourceShape"] == "rlds:network-disclosing-within-participating"
    assert result["message"] == {
        "ja": "開示医療機関数が参加医療機関数を超えています。",
        "en": "More disclosing institutions than participating institutions.",
    }


def test_build_exits_1_when_the_data_fails_the_quality_shapes(tmp_path, built):
    text = DEFAULT_SOURCE.read_text(encoding="utf-8")
    row2 = "平成26年度 1 1 1 2,546 0 なし"
    assert text.count(row2) == 1
    source = tmp_path / "more-disclosing.txt"
    source.write_text(text.replace(row2, "平成26年度 1 5 1 2,546 0 なし"), encoding="utf-8")
    out = tmp_path / "out"
    shutil.copytree(built, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    run = run_cli("build", "--source", source, "--out", out)
    assert run.returncode == 1
    assert "rlds:network-disclosing-within-participating" in run.stderr
    assert "More disclosing institutions than participating institutions." in run.stderr
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_the_readme_plain_pyshacl_commands_for_a_networks_own_file(built):
    """As documented: criteria shapes on the file alone, quality shapes with the published dump beside it."""
    pyshacl = Path(sys.executable).parent / "pyshacl"
    criteria = subprocess.run(
        [pyshacl, "-s", ROOT / "shapes" / "criteria.ttl", "-f", "nt", EXAMPLE], capture_output=True, timeout=600
    )
    ours = run_cli("validate", EXAMPLE, "--shapes", "criteria", "--format", "turtle")
    assert shacl.report_results(rdflib.Graph().parse(data=criteria.stdout, format="nt")) == shacl.report_results(
        rdflib.Graph().parse(data=ours.stdout, format="turtle")
    )
    quality = subprocess.run(
        [pyshacl, "-s", ROOT / "shapes" / "quality.ttl", EXAMPLE, built / "dump" / "ryoiki-ld.ttl"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert quality.returncode == 0 and "Conforms: True" in quality.stdout


def test_an_ill_typed_count_is_a_violation_not_a_crash(tmp_path):
    path = tmp_path / "ill-typed.ttl"
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "rld:participatingInstitutions 24",
        'rld:participatingInstitutions "24x"^^<http://www.w3.org/2001/XMLSchema#integer>',
    )
    path.write_text(text, encoding="utf-8")
    run = run_cli("validate", path, "--shapes", "quality", "--format", "json")
    assert run.returncode == 1 and run.stderr == ""
    found = {(r["sourceShape"], r["constraintComponent"]) for r in json.loads(run.stdout)["results"]}
    assert found == {
        ("rlds:network-participating", "sh:OrConstraintComponent"),
        ("rlds:network-participating", "sh:MinInclusiveConstraintComponent"),
        ("rlds:network-disclosing-within-participating", "sh:LessThanOrEqualsConstraintComponent"),
        ("rlds:network-accessing-within-participating", "sh:LessThanOrEqualsConstraintComponent"),
    }
    plain = run_cli("validate", path, "--shapes", "quality", "--engine", "pyshacl")
    assert plain.returncode == 2 and plain.stderr.startswith("error: pySHACL failed on this input (TypeError")
