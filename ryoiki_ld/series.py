"""The surveys of a build as one series: each survey's table read, and each of its rows tied to a network.

A network is not a survey row. The first survey of a build (the earliest fiscal year) gives every network its
key, its row number (FY2019's rows are networks 001–218). A later survey's rows are tied to networks by the
survey's `network` column and its crosswalk file (`row,network,reason`; docs/survey-series.md); a row tied by
neither is a network first seen in that survey and gets a new key, one more than the largest key given so far
(surveys in fiscal-year order, rows in row order), so that a key is never given twice. Everything that needs
the surveys' tables or the networks asks `Series`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import extract, iris, reading, surveys
from .config import Settings
from .errors import SourceError
from .observations import observations

CROSSWALK_COLUMNS = ["row", "network", "reason"]
KEY = re.compile(r"[0-9]{1,9}")  # a network key or row number as written: ASCII digits that fit the tables' Int64


@dataclass(frozen=True)
class Edition:
    survey: surveys.Survey
    source: Path  # the file its table was read from
    table: pd.DataFrame  # the survey's typed table (the columns of networks.csv) and `network`: each row's key


def source_locations(edition: Edition) -> dict[str, pd.Series]:
    """Where each row of a survey was read, as site paths with line fragments (`iris.source_location`): a row read
    from two places (the report text prints some rows in two parts) has a second; "" where there is none."""
    file = edition.source.name
    ranges = edition.table["source_lines"].fillna("").astype(str).str.split(",")
    return {
        f"source_location_{i}": ranges.map(
            lambda r, i=i: iris.source_location(file, r[i - 1]) if len(r) >= i and r[i - 1] else ""
        )
        for i in (1, 2)
    }


@dataclass(frozen=True)
class Series:
    editions: tuple[Edition, ...]  # in fiscal-year order

    @property
    def first(self) -> Edition:
        return self.editions[0]

    def networks(self) -> pd.DataFrame:
        """One row per network, as first printed: the first survey's rows, then each later survey's rows that are
        new networks. `no` is the network's key (the first survey's row number; a new key for a network first
        seen later), `survey_row` its row in the first survey (empty when it was first seen later)."""
        frames, seen = [], set()
        for edition in self.editions:
            table = edition.table.assign(first_survey=edition.survey.id, **source_locations(edition))
            if edition is self.first:
                frames.append(table.assign(survey_row=table["no"]))
            else:
                new = table[~table["network"].isin(seen)]
                frames.append(new.assign(no=new["network"], survey_row=pd.array([None] * len(new), dtype="Int64")))
            seen.update(edition.table["network"])
        return pd.concat(frames, ignore_index=True).drop(columns="network").astype({"no": "Int64"})

    def rows(self) -> pd.DataFrame:
        """One row per survey row (a slice of the data cube): survey id, row number, network key, name as printed,
        and where it was read (lines of which file)."""
        frames = [
            pd.DataFrame(
                {
                    "survey": e.survey.id,
                    "no": e.table["no"],
                    "network": e.table["network"],
                    "name": e.table["name"],
                    "source_lines": e.table["source_lines"],
                    **source_locations(e),
                }
            )
            for e in self.editions
        ]
        return pd.concat(frames, ignore_index=True).astype({"no": "Int64", "network": "Int64"})

    def observations(self, measures: pd.DataFrame, printed_statuses: pd.DataFrame) -> pd.DataFrame:
        """Every survey's observations (`observations.observations`), with the survey's id and the network's key."""
        frames = []
        for e in self.editions:
            found = observations(e.table, measures, printed_statuses)
            network = found["no"].map(dict(zip(e.table["no"], e.table["network"], strict=True)))
            frames.append(found.assign(survey=e.survey.id, network=network.astype("Int64")))
        return pd.concat(frames, ignore_index=True)

    def surveys(self) -> pd.DataFrame:
        """One row per survey: what its qb:DataSet says of it."""
        return pd.DataFrame(
            [
                {
                    "id": e.survey.id,
                    "fiscal_year": e.survey.fiscal_year,
                    "title_ja": e.survey.title_ja,
                    "title_en": e.survey.title_en,
                    "issued": e.survey.issued,
                }
                for e in self.editions
            ]
        ).astype({"fiscal_year": "Int64"})


def single(table: pd.DataFrame, survey: surveys.Survey, source: Path) -> Series:
    """A series of one survey whose table is already read (`validate` reading a tidy CSV; the reference triples)."""
    return Series((Edition(survey, source, table.assign(network=table["no"])),))


def read_series(settings: Settings) -> Series:
    """The build's surveys in fiscal-year order, each table read and tied to networks. `settings.source` replaces
    the first survey's file (`build --source`)."""
    found = surveys.read_surveys(settings.surveys_dir)
    editions: list[Edition] = []
    keys: set[int] = set()
    for survey in found:
        first = not editions
        if first and survey.crosswalk:
            raise SourceError(
                survey.definition,
                survey.line_of("crosswalk"),
                "crosswalk: the first survey of a build has nothing to tie its rows to (each row is a new network "
                "whose key is its row number); a crosswalk belongs to a later survey",
            )
        source = settings.source if first else survey.file
        table = read_table(survey, source, settings, first)
        if first:
            table = table.assign(network=table["no"])
        else:
            table = table.assign(network=tie_rows(survey, source, table, keys))
        keys.update(table["network"])
        editions.append(Edition(survey, source, table))
    return Series(tuple(editions))


def read_table(survey: surveys.Survey, path: Path, settings: Settings, first: bool) -> pd.DataFrame:
    """A survey's table, typed: extracted from the report text, or read from a tidy CSV (its CSVW description
    checks every cell) with its `network` column as given (the first survey's must be empty: it gives every
    network its key)."""
    limits = settings.input_limits
    if survey.format == "mhlw-report-text":
        expected = settings.expected_networks if first else None
        table = extract.extract(path, settings.paths, expected, limits)
        lines = [int(str(s).split("-", 1)[0] or 0) for s in table["source_lines"]]
        check_years(survey, path, table, lines)
        return table
    reading.read_bounded(path, limits)
    table = extract.read_csv(path, settings.paths.csvw_metadata, limits.max_literal_bytes)
    records = extract.csv_rows(path)
    if records and "network" not in records[0]:
        raise SourceError(
            path, 1, "no `network` column: a tidy-csv survey has the columns of networks.csv and `network`"
        )
    seen: dict[int, int] = {}
    for line, no in enumerate(table["no"], 2):
        if no in seen:
            raise SourceError(path, line, f"row number {no} is also on line {seen[no]}", row=line - 1, column="no")
        seen[no] = line
    if table.empty:
        raise SourceError(path, None, "no rows: a survey table has at least one network")
    if first and settings.expected_networks is not None and settings.expected_networks != len(table):
        raise SourceError(path, None, f"{len(table)} rows, but --expected-networks says {settings.expected_networks}")
    check_years(survey, path, table, list(range(2, len(table) + 2)), csv_rows=True)
    given = []
    for line, record in enumerate(records, 2):
        text = record["network"].strip()
        if text and first:
            raise SourceError(
                path,
                line,
                f"network {record['network']!r}: no network has a key yet; in the first survey of a build every "
                "network is new and its key is its row number (leave `network` empty)",
                row=line - 1,
                column="network",
            )
        if text and not KEY.fullmatch(text):
            raise SourceError(
                path,
                line,
                f"network {text!r} is not a network key (a number such as 001)",
                row=line - 1,
                column="network",
            )
        given.append(int(text) if text else None)
    return table.assign(network=pd.array(given, dtype="Int64"))


def check_years(
    survey: surveys.Survey, path: Path, table: pd.DataFrame, lines: list[int], csv_rows: bool = False
) -> None:
    """A network cannot start after the fiscal year of a survey that lists it: such a year is a misprint or a
    misread, refused at its line (`lines`: each row's line in `path`)."""
    for column in ("start_fiscal_year", "operation_start_fiscal_year"):
        for line, no, year in zip(lines, table["no"], table[column], strict=True):
            if not pd.isna(year) and int(year) > survey.fiscal_year:
                raise SourceError(
                    path,
                    line,
                    f"row {no}: {column} {year} is after the survey's fiscal year {survey.fiscal_year} ({survey.id})",
                    row=line - 1 if csv_rows else None,
                    column=column if csv_rows else None,
                )


def tie_rows(survey: surveys.Survey, path: Path, table: pd.DataFrame, keys: set[int]) -> pd.Series:
    """Each row's network key: its `network` cell, else its crosswalk entry, else a new key (after the largest
    in `keys`, the keys given so far). A key that no earlier survey gave, or one given to two rows, is refused."""
    crosswalk = read_crosswalk(survey.crosswalk, set(table["no"]), keys) if survey.crosswalk else {}
    next_key = max(keys, default=0) + 1
    tied: list[int] = []
    taken: dict[int, int] = {}
    for line, (no, given) in enumerate(zip(table["no"], table["network"], strict=True), 2):
        key = None if pd.isna(given) else int(given)
        if key is not None and key not in keys:
            raise SourceError(
                path, line, f"network {key:03d}: no earlier survey gave this key", row=line - 1, column="network"
            )
        if no in crosswalk:
            walked, where = crosswalk[no]
            if key is not None and key != walked:
                raise SourceError(
                    where[0], where[1], f"row {no} is tied to network {walked:03d} here but to {key:03d} in {path}"
                )
            key = walked
        if key is None:
            key, next_key = next_key, next_key + 1
        if key in taken:
            raise SourceError(
                path,
                line,
                f"network {key:03d} is also the network of row {taken[key]}: a network has one row in a survey",
                row=line - 1,
                column="network",
            )
        taken[key] = no
        tied.append(key)
    return pd.Series(tied, index=table.index, dtype="Int64")


def read_crosswalk(path: Path, rows: set[int], keys: set[int]) -> dict[int, tuple[int, tuple[Path, int]]]:
    """A survey's crosswalk (`row,network,reason`): survey row → (network key, where it is said). A row the
    survey does not have, a key no earlier survey gave, or a row given twice is refused at its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SourceError(path, None, f"cannot read the crosswalk: {e.strerror}") from None
    except UnicodeDecodeError:
        raise SourceError(path, None, "not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames != CROSSWALK_COLUMNS:
        raise SourceError(path, 1, f"the columns must be {', '.join(CROSSWALK_COLUMNS)}")
    found: dict[int, tuple[int, tuple[Path, int]]] = {}
    for record in reader:
        line = reader.line_num  # the record's last line: a quoted reason may span several
        row_text, key_text = (record["row"] or "").strip(), (record["network"] or "").strip()
        if not KEY.fullmatch(row_text) or not KEY.fullmatch(key_text):
            raise SourceError(path, line, "`row` and `network` must be numbers (a survey row and a network key)")
        row, key = int(row_text), int(key_text)
        if row not in rows:
            raise SourceError(path, line, f"row {row}: the survey has no such row")
        if key not in keys:
            raise SourceError(path, line, f"network {key:03d}: no earlier survey gave this key")
        if row in found:
            raise SourceError(path, line, f"row {row} is already tied on line {found[row][1][1]}")
        found[row] = (key, (path, line))
    return found
