"""validate.render: the report as Turtle (the SHACL report), JSON and GitHub annotations, on the worked example."""

from __future__ import annotations

import json

import rdflib

from ryoiki_ld.validate import shacl

from .support.cli import run_cli
from .support.example import EXAMPLE


def test_turtle_format_is_the_shacl_report(tmp_path):
    run = run_cli("validate", EXAMPLE, "--format", "turtle")
    assert run.stdout.startswith("# focus nodes checked per shape: rlds:CoverageAreaShape 1, ")
    graph = rdflib.Graph().parse(data=run.stdout, format="turtle")
    sh = rdflib.Namespace(shacl.SH)
    (conforms,) = graph.objects(predicate=sh.conforms)
    assert conforms.toPython() is False
    assert {r.source_shape for r in shacl.report_results(graph)} == {
        "<https://w3id.org/ryoiki-ld/shapes#criterion-c-threshold>",
        "<https://w3id.org/ryoiki-ld/shapes#criterion-g-evidence>",
    }


def test_json_format(tmp_path):
    document = json.loads(run_cli("validate", EXAMPLE, "--format", "json").stdout)
    assert document["conforms"] is False
    assert document["counts"] == {"Violation": 1, "Warning": 0, "Info": 1}
    # The example's own resources only (a network, its area and funding record), not the reference data.
    focus = document["focusNodes"]
    assert focus["rlds:NetworkShape"] == 1 and focus["rlds:NamedResourceShape"] == 3
    assert focus["rlds:SecondaryMedicalAreaShape"] == 0 and focus["rlds:criterion-a"] == 1
    assert document["outcomeCounts"]["ウ"] == {"met": 0, "not_met": 1, "not_assessable": 0}
    (c,) = [a for a in document["assessments"] if a["criterion"] == "c"]
    assert c["network"] == "https://example.org/minato-net" and c["outcome"] == "not_met"
    assert c["reason"]["ja"].startswith("（ウ）を満たさない")


def test_github_format_annotates_file_and_line():
    run = run_cli("validate", EXAMPLE, "--format", "github")
    lines = run.stdout.splitlines()
    assert run.returncode == 1
    assert lines[0].startswith(f"::error file={EXAMPLE},line=17,title=rlds%3Acriterion-c-threshold::")
    assert lines[1].startswith("::notice ") and "rld:sharesStandardDocuments" in lines[1]
    assert lines[2].startswith("::notice title=focus nodes checked::") and "rlds:NetworkShape 1," in lines[2]
    assert len(lines) == 3


def test_every_report_format_the_command_offers_has_its_renderer():
    from ryoiki_ld.config import REPORT_FORMATS
    from ryoiki_ld.validate import RENDERERS

    assert tuple(RENDERERS) == REPORT_FORMATS
