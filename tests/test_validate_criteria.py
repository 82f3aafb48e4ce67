"""validate.criteria: data/criteria.csv is the one source of a criterion, and shapes/criteria.ttl its output.

The committed shapes file must be what the CSV and the template give; a criterion's threshold or
assessability is changed by editing its row alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from ryoiki_ld import validate
from ryoiki_ld.config import ROOT, Paths
from ryoiki_ld.errors import SourceError
from ryoiki_ld.rdf import SH, SHAPES, VOCABULARY
from ryoiki_ld.validate import criteria, shacl

from .support.example import EXAMPLE


def test_the_committed_shapes_are_what_criteria_csv_generates():
    paths = Paths()
    assert paths.criteria_shapes.read_text(encoding="utf-8") == criteria.render_shapes(paths), (
        f"{paths.criteria_shapes} is not what {paths.criteria} and {paths.criteria_template} generate: "
        "run `make shapes` (python -m ryoiki_ld.validate.criteria) and commit the result"
    )


def test_every_row_is_a_criterion_shape_judged_by_its_property():
    rows = criteria.load_criteria(Paths().criteria)
    shapes = validate.load_shapes(Paths(), "criteria")
    found = validate.criteria_of(shapes)
    assert [(c.key, c.notation, c.shape) for c in found] == [
        (r.key, r.notation, f"<{SHAPES}criterion-{r.key}>") for r in rows
    ]
    graph = shacl.ShapesGraph(shapes)
    for row, criterion in zip(rows, found, strict=True):
        evidence, threshold = f"<{SHAPES}criterion-{row.key}-evidence>", f"<{SHAPES}criterion-{row.key}-threshold>"
        assert criterion.outcome_of == {evidence: "not_assessable", threshold: "not_met"}
        for shape in (evidence, threshold):
            assert graph.one(shape, SH + "path") == ox.NamedNode(VOCABULARY + row.based_on)
            assert sorted(m.language for m in graph.values(shape, SH + "message")) == ["en", "ja"], shape


@pytest.fixture
def project(tmp_path: Path) -> Paths:
    """A copy of what the shapes are generated from, to change."""
    (tmp_path / "data").mkdir()
    shutil.copyfile(ROOT / "data" / "criteria.csv", tmp_path / "data" / "criteria.csv")
    shutil.copytree(ROOT / "shapes", tmp_path / "shapes")
    return Paths(root=tmp_path)


def _edit_row(paths: Paths, key: str, old: str, new: str) -> None:
    lines = paths.criteria.read_text(encoding="utf-8").splitlines(keepends=True)
    (index,) = [i for i, line in enumerate(lines) if line.startswith(f"{key},")]
    assert lines[index].count(old) == 1, (key, old)
    lines[index] = lines[index].replace(old, new)
    paths.criteria.write_text("".join(lines), encoding="utf-8")


def _outcome(paths: Paths, key: str) -> str:
    report = validate.run(
        validate.read_rdf(EXAMPLE, validate.input_format(EXAMPLE, None)), validate.load_shapes(paths, "criteria")
    )
    (outcome,) = [a.outcome for a in validate.assessments(report) if a.criterion == key]
    return outcome


def test_a_new_threshold_is_one_edit_of_criteria_csv(project):
    before = project.criteria_shapes.read_text(encoding="utf-8")
    assert _outcome(project, "a") == "met"  # the example has 3 disclosing institutions
    _edit_row(project, "a", ",sh:minInclusive 2,", ",sh:minInclusive 4,")
    assert criteria.main(["--check", "--root", str(project.root)]) == 1
    assert project.criteria_shapes.read_text(encoding="utf-8") == before
    assert criteria.main(["--root", str(project.root)]) == 0
    after = project.criteria_shapes.read_text(encoding="utf-8")
    changed = [(b, a) for b, a in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [("    sh:minInclusive 2 ;", "    sh:minInclusive 4 ;")]
    assert _outcome(project, "a") == "not_met"
    assert criteria.main(["--check", "--root", str(project.root)]) == 0


def test_whether_the_survey_can_assess_a_criterion_is_said_once(project):
    _edit_row(project, "a", ",sh:minInclusive 2,true,", ",sh:minInclusive 2,false,")
    text = criteria.render_shapes(project)
    assert "# (ア), (イ), (ウ), (カ), (キ) are judged by properties the FY2019 survey does not contain" in text
    assert "（ア）判定不能：開示医療機関数（rld:disclosingInstitutions。令和元年度調査にはない）が不明です。" in text
    assert "(ア) not assessable: the number of disclosing institutions (rld:disclosingInstitutions; not in" in text


def test_the_report_note_follows_the_wording_in_the_shape_only():
    """(オ): the shape's description is the wording and the report's note 2; the rld:Criterion keeps them apart."""
    (row,) = [r for r in criteria.load_criteria(Paths().criteria) if r.report_note_ja]
    graph = shacl.ShapesGraph(validate.load_shapes(Paths(), "criteria"))
    descriptions = {d.language: d.value for d in graph.values(f"<{SHAPES}criterion-{row.key}>", SH + "description")}
    assert descriptions == {
        "ja": f"{row.text_ja}　{row.report_note_ja}",
        "en": f"{row.text_en} {row.report_note_en}",
    }


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("key,notation,", "key,symbol,", ":1: header must be key,notation,"),
        (",sh:minInclusive 2,", ",,", ":2: criterion 'a' needs threshold"),
        (",sh:minInclusive 2,true,", ",sh:minInclusive 2,yes,", ":2: assessable_from_survey must be true or false"),
    ],
)
def test_a_bad_row_is_named_by_line(project, old, new, says):
    text = project.criteria.read_text(encoding="utf-8")
    project.criteria.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SourceError) as e:
        criteria.render_shapes(project)
    assert says in str(e.value)
    assert criteria.main(["--root", str(project.root)]) == 2
