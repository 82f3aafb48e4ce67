"""Survey editions as data: one TOML file per edition in `surveys/` says what the survey is (id, fiscal year,
titles, publisher, source) and where its table is. A build reads them here; everything else asks `Survey`.

A bad file is refused with its path and the line of the key at fault (tomllib's own errors give the line too).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError

# mhlw-report-text: the FY2019 report's text, read by `extract`; tidy-csv: the columns of networks.csv (its CSVW
# description, data/networks.csv-metadata.json) and `network`. Each with the media type and EU file type its file is
# published with (a survey's source is a download: catalog.py).
FORMATS = {"mhlw-report-text": ("text/plain", "TXT"), "tidy-csv": ("text/csv", "CSV")}
_REQUIRED = {
    "id": str,
    "fiscal_year": int,
    "title_ja": str,
    "title_en": str,
    "publisher": str,
    "issued": str,
    "source_url": str,
    "format": str,
    "file": str,
}
_OPTIONAL = {"crosswalk": str}
_ID = re.compile(r"[a-z][a-z0-9-]{0,31}")
_ISSUED = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")


@dataclass(frozen=True)
class Survey:
    id: str  # the key in IRIs: id/dataset/{id}, id/observation/{id}/{row}
    fiscal_year: int  # the Gregorian year in which the fiscal year begins (令和元年度 is 2019)
    title_ja: str
    title_en: str
    publisher: str
    issued: str  # a year, year-month or date, as precisely as the publisher gives it
    source_url: str
    format: str
    file: Path  # the table's source, resolved against the TOML file's folder
    definition: Path  # the TOML file itself
    crosswalk: Path | None = None

    def line_of(self, key: str) -> int | None:
        """The line of its TOML file that sets `key` (for errors about that key)."""
        return _line_of(self.definition.read_text(encoding="utf-8"), key)


def read_survey(path: Path) -> Survey:
    """One survey TOML file, checked: every required key with its type, a known format, an id usable in IRIs."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as e:
        raise SourceError(path, None, f"cannot read the survey file: {e.strerror}") from None
    except UnicodeDecodeError:
        raise SourceError(path, None, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        line = re.search(r"line (\d+)", str(e))
        raise SourceError(path, int(line.group(1)) if line else None, f"not valid TOML: {e}") from None

    def fail(key: str, message: str) -> SourceError:
        return SourceError(path, _line_of(text, key), f"{key}: {message}")

    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise fail(unknown[0], f"unknown key (known: {', '.join([*_REQUIRED, *_OPTIONAL])})")
    for key, kind in {**_REQUIRED, **_OPTIONAL}.items():
        if key not in data:
            if key in _REQUIRED:
                raise SourceError(path, None, f"{key}: missing (every survey file has {', '.join(_REQUIRED)})")
            continue
        if type(data[key]) is not kind:
            raise fail(key, f"must be {'an integer' if kind is int else 'a string'}, not {data[key]!r}")
    if not _ID.fullmatch(data["id"]):
        raise fail("id", f"{data['id']!r} is not a survey id (lower-case letters, digits and -, e.g. fy2019)")
    if data["format"] not in FORMATS:
        raise fail("format", f"unknown format {data['format']!r} (known: {', '.join(FORMATS)})")
    if not 1900 <= data["fiscal_year"] <= 9999:
        raise fail("fiscal_year", f"{data['fiscal_year']} is not a fiscal year")
    if not _ISSUED.fullmatch(data["issued"]):
        raise fail("issued", f"{data['issued']!r} is not a year, year-month or date (YYYY, YYYY-MM, YYYY-MM-DD)")
    folder = path.parent
    return Survey(
        id=data["id"],
        fiscal_year=data["fiscal_year"],
        title_ja=data["title_ja"],
        title_en=data["title_en"],
        publisher=data["publisher"],
        issued=data["issued"],
        source_url=data["source_url"],
        format=data["format"],
        file=(folder / data["file"]).resolve(),
        definition=path,
        crosswalk=(folder / data["crosswalk"]).resolve() if "crosswalk" in data else None,
    )


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None


def read_surveys(folder: Path) -> list[Survey]:
    """Every `*.toml` in `folder`, in series order (fiscal year, then id); two files with one id are refused (the
    later file by name is named)."""
    found: list[Survey] = []
    for path in sorted(folder.glob("*.toml")):
        survey = read_survey(path)
        for other in found:
            if other.id == survey.id:
                raise SourceError(
                    path, survey.line_of("id"), f"id: {survey.id!r} is already the id of {other.definition}"
                )
        found.append(survey)
    if not found:
        raise SourceError(folder, None, "no survey files (*.toml) here")
    return sorted(found, key=lambda s: (s.fiscal_year, s.id))


def first_survey(folder: Path) -> Survey:
    """The survey that gives every network its key: the earliest fiscal year (then id). `build --source`
    replaces its file; the report, the corrections and the network relations are about its rows."""
    return read_surveys(folder)[0]
