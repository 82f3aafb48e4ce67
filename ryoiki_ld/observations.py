"""A survey's table as the observations of the survey data cube: one per row and measure, each with the status
that says how the report gives its value, so that an absent value is never 0 and never silent.

The tidy table keeps what the report prints instead of or beside a number in `value_notes` ("column: text",
several columns joined by "/", entries by " | "). Which printed text means which status is data
(`data/survey/printed_statuses.csv`); which column becomes which measure too (`data/survey/measures.csv`).
`mappings/observations.rq` turns the result into RDF.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

COLUMNS = ["no", "measure", "datatype", "value", "status", "printed"]
# A cell's status without a printed text that decides it: (has a number, has a printed text) → status.
_BY_SHAPE = {
    (True, False): "Reported",
    (True, True): "Annotated",
    (False, True): "ExplainedInstead",
    (False, False): "NotPrinted",
}


def printed_notes(value_notes: str) -> dict[str, list[str]]:
    """`value_notes` of one row, by column: "accessing: 不明 | a/b: text" → {accessing: [不明], a: [text], b: [text]}."""
    notes: dict[str, list[str]] = defaultdict(list)
    for entry in filter(None, (value_notes or "").split(" | ")):
        columns, _, text = entry.partition(": ")
        for column in columns.split("/"):
            notes[column].append(text)
    return notes


def observations(table: pd.DataFrame, measures: pd.DataFrame, printed_statuses: pd.DataFrame) -> pd.DataFrame:
    """One row per table row and measure: the value's lexical form ("" when the report gives no number), its
    status (an `rld:` concept of rld:ObservationStatuses) and what the report prints in its place or beside it.
    `measures` and `printed_statuses` are the tables of data/survey/ (config.Paths), read as strings."""
    statuses = {(r.printed, r.with_value == "true"): r.status for r in printed_statuses.itertuples()}
    rows = []
    for record in table.to_dict("records"):
        notes = printed_notes(record.get("value_notes") or "")
        for m in measures.itertuples():
            value = record[m.column]
            known = value is not None and not pd.isna(value)
            printed = " ".join(notes.get(m.column, []))
            status = statuses.get((printed, known)) or _BY_SHAPE[(known, bool(printed))]
            rows.append([record["no"], m.measure, m.datatype, _lexical(value) if known else "", status, printed])
    return pd.DataFrame(rows, columns=COLUMNS).astype({"no": "Int64"})


def _lexical(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(int(value)) if not isinstance(value, str) else value
