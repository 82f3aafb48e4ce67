"""The validate stage on the real data and `ryoiki-ld validate` through the real command.

Outcomes are checked against a direct pandas reading of the tidy table; the shapes are checked to be
portable (plain pySHACL's command line on the shapes and the dump gives our results).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib

from ryoiki_ld.config import DEFAULT_SOURCE, ROOT
from ryoiki_ld.validate import shacl

from .support import report
from .support.cli import run_cli

EXAMPLE = ROOT / "examples" / "my-network.ttl"
RLD = "https://w3id.org/ryoiki-ld/def#"


def expected_outcomes(networks: pd.DataFrame) -> pd.DataFrame:
    """What the criteria mean, read straight off the tidy table: unknown → not assessable."""

    def threshold(values: pd.Series, met: pd.Series) -> np.ndarray:
        return np.where(values.isna(), "not_assessable", np.where(met.fillna(False), "met", "not_met"))

    by_criterion = {
        "a": threshold(networks.disclosing, networks.disclosing >= 2),
        "b": "not_assessable",
        "c": "not_assessable",
        "d": threshold(networks.accessing, networks.accessing >= 2),
        "e": threshold(networks.own_funding, networks.own_funding.astype("boolean")),
        "f": "not_assessable",
        "g": "not_assessable",
    }
    frames = [pd.DataFrame({"no": networks.no, "criterion": k, "outcome": v}) for k, v in by_criterion.items()]
    return pd.concat(frames).sort_values(["no", "criterion"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def networks(built: Path) -> pd.DataFrame:
    return pd.read_csv(built / "data" / "networks.csv", dtype={"own_funding": "boolean"})


@pytest.fixture(scope="module")
def eligibility(built: Path) -> pd.DataFrame:
    return pd.read_csv(built / "validation" / "eligibility.csv")


def test_eligibility_agrees_with_pandas_for_every_network_and_criterion(networks, eligibility):
    assert list(eligibility.columns) == ["no", "criterion", "outcome"]
    pd.testing.assert_frame_equal(eligibility, expected_outcomes(networks))


def test_outcome_counts_per_criterion(networks, eligibility):
    counts = eligibility.groupby(["criterion", "outcome"]).size().unstack(fill_value=0)
    expected = expected_outcomes(networks).groupby(["criterion", "outcome"]).size().unstack(fill_value=0)
    pd.testing.assert_frame_equal(counts, expected)
    # The "not met" counts are the report's own figures (59, 20, 79); support/report.py says why the others are.
    for key, (met, not_met, not_assessable) in report.OUTCOMES.items():
        assert counts.loc[key].to_dict() == {"met": met, "not_assessable": not_assessable, "not_met": not_met}


@pytest.fixture(scope="module")
def store(built: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(built / "dump" / "ryoiki-ld.nt"), format=ox.RdfFormat.N_TRIPLES)
    return store


def test_assessments_are_in_the_graph_and_answer_the_issue_questions(store, networks, eligibility):
    prefix = f"PREFIX rld: <{RLD}>\n"
    count = next(iter(store.query(prefix + "SELECT (COUNT(*) AS ?n) WHERE { ?a a rld:CriterionAssessment }")))
    assert int(count["n"].value) == 218 * 7
    every = (
        prefix
        + """
        SELECT ?no WHERE {
          ?n a rld:Network ; rld:surveyRowNumber ?no .
          FILTER NOT EXISTS { ?a rld:network ?n ; rld:outcome rld:NotMet }
          FILTER EXISTS { ?a rld:network ?n ; rld:outcome rld:Met }
        }"""
    )
    meeting = sorted(int(s["no"].value) for s in store.query(every))
    wide = eligibility.pivot(index="no", columns="criterion", values="outcome")
    expected = wide[(wide != "not_met").all(axis=1) & (wide == "met").any(axis=1)].index.tolist()
    assert meeting == expected and len(meeting) > 0
    share = (
        prefix
        + """
        SELECT ?code (SUM(IF(?o = rld:Met, 1, 0)) / COUNT(*) AS ?share) WHERE {
          ?a rld:criterion ?c ; rld:outcome ?o ; rld:network/rld:prefecture/rld:prefectureCode ?code .
          ?c <http://www.w3.org/2004/02/skos/core#notation> "ア" .
        } GROUP BY ?code"""
    )
    shares = {s["code"].value: float(s["share"].value) for s in store.query(share)}
    a = eligibility[eligibility.criterion == "a"].merge(networks[["no", "pref_code"]], on="no")
    by_pref = a.groupby(a.pref_code.map("{:02d}".format)).outcome.apply(lambda o: (o == "met").mean())
    assert shares == pytest.approx(by_pref.to_dict())


def test_the_build_report_is_the_shacl_report_of_the_dump(built):
    report = rdflib.Graph().parse(built / "validation" / "report.ttl")
    (conforms,) = report.objects(predicate=rdflib.URIRef(shacl.SH + "conforms"))
    results = shacl.report_results(report)
    assert conforms.toPython() is False  # criteria not met are violations of the criteria shapes
    assert len(results) == 1037
    assert {r.severity for r in results} == {f"<{shacl.SH}Violation>", f"<{shacl.SH}Info>"}


@pytest.mark.parametrize("shapes", ["quality", "criteria"])
def test_plain_pyshacl_command_gives_our_results(built, tmp_path, shapes):
    """The shapes need no Python of ours: pySHACL's own CLI on shapes + dump agrees with `ryoiki-ld validate`."""
    pyshacl = Path(sys.executable).parent / "pyshacl"
    dump = built / "dump" / "ryoiki-ld.ttl"
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


# --------------------------------------------------------------------------------------------------
# The command: exit codes, formats, input kinds, bad input
# --------------------------------------------------------------------------------------------------


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


@pytest.mark.parametrize(("suffix", "fmt"), [(".nt", "N_TRIPLES"), (".jsonld", "JSON_LD"), (".rdf", "RDF_XML")])
def test_every_rdf_syntax_gives_the_same_outcome(tmp_path, suffix, fmt):
    triples = [q.triple for q in ox.parse(path=str(EXAMPLE), format=ox.RdfFormat.TURTLE)]
    path = tmp_path / f"my-network{suffix}"
    path.write_bytes(ox.serialize(triples, format=getattr(ox.RdfFormat, fmt)))
    converted = json.loads(run_cli("validate", path, "--format", "json").stdout)
    original = json.loads(run_cli("validate", EXAMPLE, "--format", "json").stdout)
    assert converted["assessments"] == original["assessments"]
    assert converted["results"] == original["results"]


def test_input_format_overrides_the_extension(tmp_path):
    path = tmp_path / "my-network.txt"
    shutil.copyfile(EXAMPLE, path)
    assert run_cli("validate", path).returncode == 2
    run = run_cli("validate", path, "--input-format", "turtle")
    assert run.returncode == 1 and "（ウ）✗" in run.stdout


def test_a_csv_in_the_tidy_schema_goes_through_the_mappings(built, tmp_path, eligibility):
    rows = (built / "data" / "networks.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "three.csv"
    path.write_text("\n".join(rows[:4]) + "\n", encoding="utf-8")  # header and rows 1–3
    run = run_cli("validate", path, "--format", "json")
    assert run.returncode == 1  # row 2 fails (ア), (エ) and (オ)
    outcomes = {(a["no"], a["criterion"]): a["outcome"] for a in json.loads(run.stdout)["assessments"]}
    expected = {(r.no, r.criterion): r.outcome for r in eligibility[eligibility.no <= 3].itertuples()}
    assert outcomes == expected


def test_turtle_format_is_the_shacl_report(tmp_path):
    run = run_cli("validate", EXAMPLE, "--format", "turtle")
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
    assert len(lines) == 2


@pytest.mark.parametrize(
    ("name", "content", "where", "says"),
    [
        (
            "syntax.ttl",
            '@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n',
            "syntax.ttl:3:",
            "not valid turtle",
        ),
        ("syntax.jsonld", '{"@id": "http://e/x",\n "http://e/p": [1,\n }', "syntax.jsonld:3:", "not valid jsonld"),
        (
            "syntax.rdf",
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<rdf:Description>\n</rdf:RDF>',
            "syntax.rdf:3:",
            "not valid rdfxml",
        ),
        (
            "syntax.nt",
            "<http://e/a> <http://e/b> <http://e/c> .\n<http://e/a> <http://e/b> .\n",
            "syntax.nt:2:",
            "not valid ntriples",
        ),
        ("empty.ttl", "", "empty.ttl:", "the file is empty"),
        ("comments.ttl", "# nothing here\n", "comments.ttl:", "no RDF triples"),
        ("network.xlsx", "PK", "network.xlsx:", "unknown extension '.xlsx'"),
        ("columns.csv", "no,name\n1,x\n", "columns.csv:1:", "missing column(s) pref_code"),
        (
            "remote.jsonld",
            '{"@context": "https://schema.org/", "@id": "http://e/x"}',
            "remote.jsonld:",
            "remote contexts",
        ),
    ],
)
def test_bad_files_exit_2_naming_the_place(tmp_path, name, content, where, says):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    run = run_cli("validate", path)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith(f"error: {tmp_path}/{where}"), run.stderr
    assert says in run.stderr and "Traceback" not in run.stderr


def test_a_csv_with_a_bad_cell_names_row_and_column(built, tmp_path):
    rows = (built / "data" / "networks.csv").read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].replace(",1,1,1,2546,", ",1,x,1,2546,")
    path = tmp_path / "cell.csv"
    path.write_text("\n".join(rows[:3]) + "\n", encoding="utf-8")
    run = run_cli("validate", path)
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: {path}:3: row 2, column disclosing:"), run.stderr


def test_a_missing_file_and_a_bad_option_exit_2(tmp_path):
    assert run_cli("validate", tmp_path / "nope.ttl").returncode == 2
    run = run_cli("validate", EXAMPLE, "--format", "yaml")
    assert run.returncode == 2 and "Invalid value for '--format'" in run.stderr


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
