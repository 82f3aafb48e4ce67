"""The tidy table as a typed pandas frame, its cells as text, and the CSV it is written to and read from
(`read_csv` checks every cell against the CSVW metadata)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..config import InputLimits
from ..errors import SourceError

COUNT_COLUMNS = ("participating", "disclosing", "accessing", "registered_patients", "funding_jpy")
INT_COLUMNS = ("no", "start_fiscal_year", "operation_start_fiscal_year", *COUNT_COLUMNS)
# The largest value each integer column can mean (docs/extraction.md, "Limits"); a larger number is refused as bad
# input, naming its row and column. All are far below 2**53, so a column with unknown cells stays exact in Int64.
MAXIMUM = {
    "no": 999,  # the report prints row numbers of up to three digits
    "start_fiscal_year": 9999,  # xsd:gYear's four digits (平成/令和 with a 1–2 digit year give 1989–2117)
    "operation_start_fiscal_year": 9999,
    # Medical institutions: Japan has about 180,000 hospitals, clinics and dental clinics (and 60,000 pharmacies).
    "participating": 1_000_000,
    "disclosing": 1_000_000,
    "accessing": 1_000_000,
    "registered_patients": 200_000_000,  # more than Japan's population (125 million)
    "funding_jpy": 1_000_000_000_000,  # ¥1 trillion: the whole fund spends some ¥200 billion a year
}
# What the typed frame can hold at all, whatever the column: an Int64 column with unknown cells is built through
# float64, exact only up to 2**53. A CSV to validate may break MAXIMUM (the shapes judge its values) but not this.
INTEGER_LIMIT = 2**53


def format_cell(value: object) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_cell(column: str, text: str) -> object:
    if text == "":
        return None
    if column in INT_COLUMNS:
        return int(text)
    if column == "own_funding":
        return {"true": True, "false": False}[text]
    return text


def cell_problem(column: str, text: str) -> str | None:
    """Why `text` cannot be written as a cell of `column` (not a whole number, beyond MAXIMUM, not true/false);
    None when it can."""
    if text == "":
        return None
    if column in INT_COLUMNS:
        digits = text.lstrip("0") or "0"
        if not re.fullmatch(r"[0-9]+", text):
            return f"{text[:40]!r} is not a whole number"
        if len(digits) > len(str(MAXIMUM[column])) or int(digits) > MAXIMUM[column]:
            return f"{text[:40]!r} is out of range: {column} is at most {MAXIMUM[column]:,}"
    elif column == "own_funding" and text not in ("true", "false"):
        return f"{text[:40]!r} is not true or false"
    return None


def csv_rows(path: Path) -> list[dict[str, str]]:
    """A UTF-8 CSV file as dicts of strings (codes keep their leading zeros)."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def checked_rows(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """A curated or reference CSV file's rows with their line numbers (a row's last line: a quoted cell may span
    several): the header must be exactly `header`, and every row have as many fields, or a SourceError names the
    line."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) != header:
                raise SourceError(path, 1, f"header must be {','.join(header)}, found {reader.fieldnames}")
            for r in reader:
                if None in r or None in r.values():
                    raise SourceError(
                        path, reader.line_num, f"the header has {len(header)} fields, this row a different number"
                    )
                yield reader.line_num, r
    except UnicodeDecodeError:
        raise SourceError(path, None, "not UTF-8 text") from None


def row_number(path: Path, line: int, text: str) -> int:
    """A curated row's `no`, the row of the survey it is about: 1–3 ASCII digits, or a SourceError naming the line."""
    if not re.fullmatch(r"[0-9]{1,3}", text):
        raise SourceError(path, line, f"'no' must be a row number, found {text!r}")
    return int(text)


def rule_lines(path: Path) -> list[tuple[int, str]]:
    """A rules file's lines with their numbers, stripped; blank lines and # comments left out."""
    numbered = enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
    return [(number, line.strip()) for number, line in numbered if line.strip()[:1] not in ("", "#")]


def to_frame(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    for c in INT_COLUMNS:
        df[c] = df[c].astype("Int64")
    df["own_funding"] = df["own_funding"].astype("boolean")
    for c in df.columns:
        if c not in INT_COLUMNS and c != "own_funding":
            df[c] = df[c].fillna("").astype(str)
    return df


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Deterministic CSV: UTF-8, \\n, empty cell for unknown, booleans as true/false."""
    out = df.copy()
    out["own_funding"] = out["own_funding"].map(format_cell, na_action="ignore").fillna("")
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def read_csv(path: Path, metadata: Path, max_field_bytes: int = InputLimits.max_literal_bytes) -> pd.DataFrame:
    """Read a table in the tidy schema (as `metadata`, CSVW, describes it) into the typed frame.

    Every column must be present, once; cells are checked against their column's datatype, format and
    `required`, and the first bad one is named by file, line, row and column. Values that parse but
    break a data-quality rule (a negative count, a year out of range) are left to the SHACL shapes.
    A field over `max_field_bytes` is refused (`--max-literal-bytes`), as is anything the csv module cannot read.
    """
    schema = json.loads(metadata.read_text(encoding="utf-8"))["tableSchema"]["columns"]
    previous_limit = csv.field_size_limit(max_field_bytes)  # the module's one global limit, restored below
    reader = None
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise SourceError(path, None, "the file is empty")
            missing = [c["name"] for c in schema if c["name"] not in header]
            if missing:
                raise SourceError(
                    path,
                    1,
                    f"missing column(s) {', '.join(missing)}; the header must name all of "
                    f"{', '.join(c['name'] for c in schema)}",
                )
            twice = sorted({name for name in header if header.count(name) > 1})
            if twice:
                raise SourceError(path, 1, f"column(s) {', '.join(twice)} named more than once in the header")
            index = {name: i for i, name in enumerate(header)}
            rows = []
            for record in reader:
                line = reader.line_num
                if len(record) != len(header):
                    raise SourceError(path, line, f"{len(record)} cells where the header has {len(header)}")
                row = {}
                for column in schema:
                    name = column["name"]
                    row[name] = _checked_cell(record[index[name]], column, path, line, len(rows) + 1, max_field_bytes)
                rows.append(row)
    except UnicodeDecodeError as e:
        raise SourceError(path, None, f"not UTF-8 ({e.reason} at byte {e.start})") from None
    except csv.Error as e:
        line = reader.line_num if reader is not None else None  # the line where reading stopped
        if "field larger than field limit" in str(e):
            message = f"a field over {max_field_bytes:,} characters (the limit; --max-literal-bytes raises it)"
        else:
            message = f"not valid CSV: {e}"
        raise SourceError(path, line, message) from None
    finally:
        csv.field_size_limit(previous_limit)
    return to_frame(rows, tuple(c["name"] for c in schema))


def _checked_cell(text: str, column: dict, path: Path, line: int, row: int, max_bytes: int) -> object:
    name = column["name"]
    datatype = column.get("datatype", "string")
    base = datatype["base"] if isinstance(datatype, dict) else datatype
    pattern = datatype.get("format") if isinstance(datatype, dict) else None
    if text == "":
        if column.get("required"):
            raise SourceError(path, line, "a value is required", row=row, column=name)
        return None
    if len(text) > max_bytes // 4 and len(text.encode("utf-8")) > max_bytes:
        raise SourceError(
            path,
            line,
            f"a value over {max_bytes:,} bytes (the limit; --max-literal-bytes raises it)",
            row=row,
            column=name,
        )
    if pattern and not re.fullmatch(pattern, text):
        raise SourceError(path, line, f"{text[:40]!r} does not match {pattern}", row=row, column=name)
    if base in ("integer", "nonNegativeInteger", "gYear"):
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise SourceError(path, line, f"{text[:40]!r} is not an integer", row=row, column=name)
        digits = text.lstrip("+-").lstrip("0")
        if len(digits) > len(str(INTEGER_LIMIT)) or int(digits or "0") > INTEGER_LIMIT:
            raise SourceError(
                path, line, f"{text[:40]!r} is beyond ±{INTEGER_LIMIT:,}, what the column holds", row=row, column=name
            )
    elif base == "boolean" and text not in ("true", "false"):
        raise SourceError(path, line, f"{text[:40]!r} is not true or false", row=row, column=name)
    return parse_cell(name, text)
