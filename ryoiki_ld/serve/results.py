"""Evaluating a query on the store and writing its results, whole, within the row limit.

The endpoint's query threads (`workers.py`) call `evaluate`; the writers also serve the service description
(`app.py`) and `ryoiki-ld query` (`query.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from ..formats import Format
from ..rdf import error_position
from ..store import UNION_DEFAULT_GRAPH
from .responses import PLAIN_TEXT, message_body

# Oxigraph's parser recurses once per level of an expression or group; 256 MiB of stack holds the
# deepest query `Limits.max_query_chars` allows (tested), where the default 8 MiB fails near 10,000 levels.
QUERY_STACK_BYTES = 256 * 1024 * 1024


@dataclass
class Answer:
    """One query's complete response; `limit` names the limit that refused it ('rows', 'time', 'memory', 'busy')."""

    status: int
    content_type: str
    body: bytes
    rows: int = 0
    limit: str | None = None


def text_answer(status: int, message: str, limit: str | None = None) -> Answer:
    return Answer(status, PLAIN_TEXT, message_body(message), limit=limit)


def _dataset(graphs: list[str] | None) -> list[ox.NamedNode] | None:
    return None if graphs is None else [ox.NamedNode(g) for g in graphs]


def evaluate(
    store: ox.Store,
    query: str,
    solutions: Format | None,
    graph: Format | None,
    max_rows: int,
    prefixes: dict[str, str],
    default_graph: list[str] | None = None,
    named_graphs: list[str] | None = None,
    union: bool = True,
    base_iri: str | None = None,
) -> Answer:
    """Evaluate and serialise, whole: the status is known before a byte of the body is sent.

    `solutions` / `graph` are the formats negotiated for SELECT/ASK and for CONSTRUCT/DESCRIBE results;
    None where the client accepts none of them. The dataset is the one the request names (`default_graph`,
    `named_graphs`), else the query's own (FROM: `union` is False), else the union of the store's graphs.
    """
    try:
        dataset: dict = UNION_DEFAULT_GRAPH if union else {}
        if default_graph is not None or named_graphs is not None:
            dataset = {"default_graph": _dataset(default_graph or []), "named_graphs": _dataset(named_graphs or [])}
        result = store.query(query, base_iri=base_iri, **dataset)
        wanted = graph if isinstance(result, ox.QueryTriples) else solutions
        if wanted is None:
            kind = "graph" if isinstance(result, ox.QueryTriples) else "solutions"
            return text_answer(406, f"no acceptable format for these {kind}")
        if isinstance(result, ox.QueryBoolean):
            return Answer(200, wanted.content_type, write_boolean(result, wanted), 1)
        if isinstance(result, ox.QuerySolutions):
            body, rows = write_solutions(result, wanted, max_rows)
        else:
            body, rows = write_triples(result, wanted, max_rows, prefixes)
        return Answer(200, wanted.content_type, body, rows)
    except SyntaxError as e:
        at = error_position(str(e))
        where = f"line {at.line}, column {at.column}: " if at.line else ""
        return text_answer(400, f"SPARQL syntax error: {where}{at.message}")
    except RowLimitExceeded as e:
        return text_answer(
            422,
            f"the result has more than {e.limit:,} rows, this endpoint's limit; nothing was sent. "
            "Add LIMIT and OFFSET to page through it, or download the whole dataset from /dump/.",
            limit="rows",
        )
    except ValueError as e:  # e.g. a default-graph-uri that is not an IRI
        return text_answer(400, f"bad request: {e}")
    except (RuntimeError, OSError) as e:  # evaluation errors the query causes (OSError: e.g. a SERVICE call)
        return text_answer(400, f"the query could not be evaluated: {e}")


class RowLimitExceeded(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} results")
        self.limit = limit


class _RowCounter:
    """A file for Oxigraph's TSV writer: keeps what it writes, and stops it past `max_rows` solutions."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.parts: list[bytes] = []
        self.lines = 0

    def write(self, data: bytes) -> int:
        self.lines += data.count(b"\n")
        if self.lines > self.max_rows + 1:  # the header line, then one line per solution
            raise RowLimitExceeded(self.max_rows)
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def write_solutions(solutions: ox.QuerySolutions, fmt: Format, max_rows: int) -> tuple[bytes, int]:
    """Serialise at most `max_rows` solutions, or raise RowLimitExceeded: never a silently cut result.

    Oxigraph writes the solutions as TSV, one line each (terms in N-Triples syntax, which escapes line
    breaks and round-trips every term exactly), into a counter that stops it at the limit; the other
    formats are written by Oxigraph from that TSV.
    """
    counter = _RowCounter(max_rows)
    solutions.serialize(counter, format=ox.QueryResultsFormat.TSV)
    tsv = b"".join(counter.parts)
    if fmt.oxigraph == ox.QueryResultsFormat.TSV:
        return tsv, counter.lines - 1
    table = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return table.serialize(format=fmt.oxigraph), counter.lines - 1


def write_boolean(answer: ox.QueryBoolean, fmt: Format) -> bytes:
    return answer.serialize(format=fmt.oxigraph)


def write_triples(
    triples: Iterable[ox.Triple], fmt: Format, max_rows: int, prefixes: dict[str, str]
) -> tuple[bytes, int]:
    """Serialise at most `max_rows` triples, or raise RowLimitExceeded."""
    kept = []
    for triple in triples:
        if len(kept) >= max_rows:
            raise RowLimitExceeded(max_rows)
        kept.append(triple)
    return serialize_triples(kept, fmt, prefixes), len(kept)


def serialize_triples(triples: list[ox.Triple], fmt: Format, prefixes: dict[str, str]) -> bytes:
    """Turtle and RDF/XML declare only the prefixes the triples use."""
    options = {}
    if fmt.oxigraph in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        iris = {t.predicate.value for t in triples}
        for t in triples:
            for term in (t.subject, t.object):
                iris.add(term.datatype.value if isinstance(term, ox.Literal) else getattr(term, "value", ""))
        options["prefixes"] = {p: ns for p, ns in prefixes.items() if any(i.startswith(ns) for i in iris)}
    return ox.serialize(triples, format=fmt.oxigraph, **options)
