"""graphs: the named graph each triple of the dataset belongs to, decided from its subject by `data/graphs.csv`.

Each row of the table gives a graph key and a subject IRI prefix (`{base}`, `{ontology}` and `{survey}` are
filled in; a row naming `{survey}` stands for one row per survey of the build); the longest prefix that a
subject starts with wins, and a subject no prefix matches stops the build, so nothing falls into a graph by
accident. The graph of key `k` is `{base}graph/k`. `build` writes the dump as N-Quads with these graphs and
loads the store from it; the other dumps are the union (docs/serving.md, "Named graphs").
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from . import surveys
from .config import Settings
from .errors import RyoikiError, SourceError
from .rdf import ONTOLOGY

GRAPH = "graph/"
COLUMNS = ["graph", "prefix", "what"]
SURVEY = "{survey}"


def graph_iri(base: str, key: str) -> str:
    return f"{base}{GRAPH}{key}"


class GraphTable:
    """Subject IRI prefixes → graph IRIs; `graph_of` picks the longest prefix a subject starts with."""

    def __init__(self, rules: dict[str, str], path: Path) -> None:
        self.rules = sorted(rules.items(), key=lambda r: (-len(r[0]), r[0]))
        self.path = path
        self._seen: dict[str, str | None] = {}  # subjects come in runs (sorted lines): look each up once

    def graph_of(self, subject: str) -> str | None:
        if subject not in self._seen:
            self._seen[subject] = next((g for p, g in self.rules if subject.startswith(p)), None)
        return self._seen[subject]

    @property
    def graphs(self) -> list[str]:
        return sorted(set(g for _, g in self.rules))


def read_table(path: Path, base: str, surveys: list[str]) -> GraphTable:
    """The table with its placeholders filled in for `base` and the build's `surveys` (ids)."""
    rules: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != COLUMNS:
            raise SourceError(path, 1, f"the columns must be {', '.join(COLUMNS)}")
        for line, row in enumerate(reader, 2):
            if not row["graph"] or not row["prefix"] or None in row.values():
                raise SourceError(path, line, "every row needs a graph, a prefix and what it is for")
            for survey in surveys if SURVEY in row["graph"] + row["prefix"] else [""]:
                key = row["graph"].replace(SURVEY, survey)
                prefix = row["prefix"].replace("{base}", base).replace("{ontology}", ONTOLOGY)
                prefix = prefix.replace(SURVEY, survey)
                if rules.get(prefix, graph_iri(base, key)) != graph_iri(base, key):
                    raise SourceError(path, line, f"{prefix} is given to two graphs")
                rules[prefix] = graph_iri(base, key)
    return GraphTable(rules, path)


def build_table(settings: Settings) -> GraphTable:
    """The table for a build: its base IRI and the ids of its surveys."""
    ids = [s.id for s in surveys.read_surveys(settings.surveys_dir)]
    return read_table(settings.paths.graphs, settings.base_iri, ids)


def _subject(line: str) -> str:
    return line[1 : line.index(">")] if line.startswith("<") else line.split(" ", 1)[0]


def nquads(lines: Iterable[str], table: GraphTable) -> list[str]:
    """N-Triples lines as N-Quads lines in their graphs, sorted; a subject the table does not place is an error."""
    quads = []
    unplaced: set[str] = set()
    for line in lines:
        subject = _subject(line)
        graph = table.graph_of(subject)
        if graph is None:
            unplaced.add(subject)
        else:
            quads.append(f"{line[:-2]} <{graph}> .")
    if unplaced:
        listed = ", ".join(sorted(unplaced)[:5])
        raise RyoikiError(
            f"{table.path}: no graph for {len(unplaced)} subject(s) ({listed}); add a prefix for them to the table"
        )
    quads.sort()
    return quads


def write_nquads(lines: Iterable[str], path: Path, table: GraphTable) -> Path:
    """Write the N-Quads dump (lines sorted, so byte-identical on every build)."""
    path.write_text("\n".join(nquads(lines, table)) + "\n", encoding="utf-8")
    return path
