"""What the extractor knows about the source, loaded from data files: the table's columns (from the CSVW
metadata), the printed page header, the coverage-type symbols, name endings, the reference names, and
`data/corrections.csv` (one row per decision no rule can make, with its reason)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from ..config import Paths
from ..errors import SourceError
from .table import cell_problem, checked_rows, csv_rows, row_number, rule_lines


@dataclass(frozen=True)
class Correction:
    """One row of data/corrections.csv; `line` is its line in that file, for messages."""

    no: int
    column: str
    printed: str
    value: str
    reason: str
    line: int


@dataclass(frozen=True)
class CoverageType:
    symbol: str
    label_ja: str
    area_type: str


@dataclass(frozen=True)
class Rules:
    """Everything the extractor knows about the source's layout, loaded from data files."""

    columns: tuple[str, ...]
    page_header: tuple[tuple[str, ...], ...]
    coverage: dict[str, CoverageType]
    name_endings: tuple[str, ...]
    prefectures: dict[str, str]
    area_names: dict[str, frozenset[str]]
    corrections: tuple[Correction, ...]
    corrections_path: Path


def load_rules(paths: Paths) -> Rules:
    meta = json.loads(paths.csvw_metadata.read_text(encoding="utf-8"))
    columns = tuple(c["name"] for c in meta["tableSchema"]["columns"])
    header_text = paths.page_header.read_text(encoding="utf-8")
    header = tuple(tuple(ln.strip() for ln in part.splitlines() if ln.strip()) for part in header_text.split("\n\n"))
    with open(paths.coverage_types, encoding="utf-8", newline="") as f:
        coverage = {r["symbol"]: CoverageType(r["symbol"], r["label_ja"], r["area_type"]) for r in csv.DictReader(f)}
    prefectures = {r["pref_code"]: r["name_ja"] for r in csv_rows(paths.prefectures)}
    names: dict[str, set[str]] = {code: set() for code in prefectures}
    for r in csv_rows(paths.secondary_medical_areas):
        names[r["pref_code"]].add(r["area_name"])
    for r in csv_rows(paths.municipalities):
        names[r["pref_code"]].add(r["name"])
    return Rules(
        columns=columns,
        page_header=header,
        coverage=coverage,
        name_endings=tuple(line for _, line in rule_lines(paths.name_endings)),
        prefectures=prefectures,
        area_names={code: frozenset(n for n in v if len(n) >= 2) for code, v in names.items()},
        corrections=load_corrections(paths.corrections, columns),
        corrections_path=paths.corrections,
    )


def load_corrections(path: Path, columns: tuple[str, ...]) -> tuple[Correction, ...]:
    allowed = {*columns, "layout"}
    out = []
    for line, r in checked_rows(path, ("no", "column", "printed", "value", "reason")):
        no = row_number(path, line, r["no"])
        if r["column"] not in allowed:
            raise SourceError(path, line, f"unknown column {r['column']!r}")
        if not r["reason"].strip():
            raise SourceError(path, line, "every correction needs a reason")
        problem = cell_problem(r["column"], r["value"]) if r["column"] in columns else None
        if problem:
            raise SourceError(path, line, f"value {problem}", row=no, column=r["column"])
        out.append(Correction(no, r["column"], r["printed"], r["value"], r["reason"], line))
    return tuple(out)
