"""shapes/criteria.ttl, generated from data/criteria.csv: the one place where a criterion is changed.

A row of `data/criteria.csv` says everything about a criterion: its key and notation, the report's wording
(ja/en) and the report's own note on it, the property it is judged by and its threshold (a SHACL constraint in
Turtle), whether the FY2019 survey can assess it, our scope note, and the words of its shapes' messages.
`mappings/criteria.rq` makes the dataset's rld:Criterion from the row and the template
`shapes/criteria.ttl.j2` its shapes. The shapes file stays committed, because it is published and people run it
with plain pySHACL; a test fails when it is not what the rows give.

    python -m ryoiki_ld.validate.criteria           rewrite shapes/criteria.ttl (what `make shapes` runs)
    python -m ryoiki_ld.validate.criteria --check   exit 1, writing nothing, if it is stale
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path

import jinja2
import pyoxigraph as ox

from ..config import DEFAULT_BASE_IRI, ROOT, Paths
from ..errors import RyoikiError, SourceError
from ..iris import resource_iri


@dataclass(frozen=True)
class CriterionRow:
    """One row of data/criteria.csv (data/README.md says what each column means)."""

    key: str
    notation: str
    text_ja: str
    text_en: str
    report_note_ja: str
    report_note_en: str
    based_on: str
    threshold: str
    assessable_from_survey: bool
    scope_note_ja: str
    scope_note_en: str
    evidence_ja: str
    evidence_en: str
    not_met_ja: str
    not_met_en: str


COLUMNS = tuple(f.name for f in fields(CriterionRow))
OPTIONAL = {"report_note_ja", "report_note_en", "scope_note_ja", "scope_note_en"}


def load_criteria(path: Path) -> list[CriterionRow]:
    """The rows of data/criteria.csv in file order; a missing column or value is named by line."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise SourceError(path, 1, f"header must be {','.join(COLUMNS)}, found {reader.fieldnames}")
        rows = []
        for r in reader:
            missing = [c for c in COLUMNS if c not in OPTIONAL and not (r[c] or "").strip()]
            if missing:
                raise SourceError(path, reader.line_num, f"criterion {r['key']!r} needs {', '.join(missing)}")
            if r["assessable_from_survey"] not in ("true", "false"):
                raise SourceError(path, reader.line_num, "assessable_from_survey must be true or false")
            rows.append(CriterionRow(**{**r, "assessable_from_survey": r["assessable_from_survey"] == "true"}))
    if not rows:
        raise SourceError(path, None, "no criteria")
    return rows


def _turtle_string(text: str) -> str:
    """Text escaped for the inside of a Turtle "…" string (Oxigraph's N-Triples form, without its quotes)."""
    return str(ox.Literal(text))[1:-1]


def render_shapes(paths: Paths) -> str:
    """The text of shapes/criteria.ttl that the template makes of data/criteria.csv."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths.criteria_template.parent),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["ttl"] = _turtle_string
    template = environment.get_template(paths.criteria_template.name)
    # The shapes are fixed like the vocabulary: they name the criteria by their IRIs under the default base.
    return template.render(criteria=load_criteria(paths.criteria), iri=partial(resource_iri, DEFAULT_BASE_IRI))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ryoiki_ld.validate.criteria",
        description="Regenerate shapes/criteria.ttl from data/criteria.csv and shapes/criteria.ttl.j2.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1, writing nothing, if the file is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project folder (default: this checkout)")
    args = parser.parse_args(argv)
    paths = Paths(args.root)
    target = paths.criteria_shapes
    try:
        text = render_shapes(paths)
    except (RyoikiError, jinja2.TemplateError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if target.exists() and target.read_text(encoding="utf-8") == text:
        print(f"{target} is up to date")
        return 0
    if args.check:
        print(f"{target} is not what {paths.criteria} gives: run `make shapes`", file=sys.stderr)
        return 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
