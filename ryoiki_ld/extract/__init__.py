"""extract: the report's text → the tidy table of networks, one row per table row.

`rules` loads what the extractor knows from data files (layout, names, corrections), `report` reads the
text into rows, `table` is the typed frame and its CSV. Other stages read the table through this module.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import InputLimits, Paths
from .report import Extractor
from .rules import load_rules
from .table import checked_rows, csv_rows, read_csv, row_number, rule_lines, to_frame, write_csv

__all__ = ["checked_rows", "csv_rows", "extract", "read_csv", "row_number", "rule_lines", "to_frame", "write_csv"]


def extract(
    source: Path, paths: Paths | None = None, expected_networks: int | None = None, limits: InputLimits | None = None
) -> pd.DataFrame:
    """Read the report text at `source` (within `limits`) into the tidy table (typed pandas DataFrame); its row
    count must equal the total the report states and `expected_networks` (one of the two is required)."""
    rules = load_rules(paths or Paths())
    return Extractor(source, rules, expected_networks, limits).run()
