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
    column: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        what = []
        if self.row is not None:
            what.append(f"row {self.row}")
        if self.column:
            what.append(f"column {self.column}")
        prefix = f"{where}: {', '.join(what)}: " if what else f"{where}: "
        return prefix + self.message


class DataQualityError(RyoikiError):
    """The data was read but fails the quality rules."""

    exit_code = 1
