"""validate.inputs: every RDF syntax and the tidy CSV as input, the input format, and bad files named by place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest

from .support.cli import run_cli
from .support.example import EXAMPLE


@pytest.fixture(scope="module")
def eligibility(built: Path) -> pd.DataFrame:
    return pd.read_csv(built / "validation" / "eligibility.csv")


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
