"""Errors that reach the user as one clear line, never as a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class RyoikiError(Exception):
    """Base class: the CLI prints the message and exits with `exit_code`."""

    exit_code = 2


@dataclass
class SourceError(RyoikiError):
    """Bad input, located: file and line (1-based), and the table row/column when known."""

    path: Path | str
    line: int | None
    message: str
    row: int | None = None
    column: str | None = None  # the table's column
    char: int | None = None  # the character column on `line` (1-based), where a parser says it

    def __str__(self) -> str:
        where = str(self.path)
        if self.line:
            where += f":{self.line}" + (f":{self.char}" if self.char else "")
        what = []
        if self.row is not None:
            what.append(f"row {self.row}")
        if self.column:
            what.append(f"column {self.column}")
        prefix = f"{where}: {', '.join(what)}: " if what else f"{where}: "
        return prefix + self.message


# Exit codes (each means one thing; docs/build.md): 0 done, 1 violations, 2 bad input or usage,
# INTERNAL_ERROR a bug of ours (the message says where its traceback was written), 130 interrupted.
INTERNAL_ERROR = 3


class DataQualityError(RyoikiError):
    """The data was read but fails the quality rules."""

    exit_code = 1
