"""`ryoiki-ld query`: a query on the built store, with the endpoint's checks, printed for a terminal or a pipe.

The same checks as the endpoint (no SERVICE, no update, bounded nesting) but no time or row limit: the
query runs on a thread with the deep stack the endpoint's query threads have.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable
from typing import TypeVar

import pyoxigraph as ox

from .. import formats
from ..config import Output
from ..errors import RyoikiError, SourceError
from ..rdf import compact, error_position
from ..store import UNION_DEFAULT_GRAPH, open_store
from .inspect import QueryRefused, check
from .results import QUERY_STACK_BYTES, serialize_triples, write_boolean

T = TypeVar("T")


def with_deep_stack(work: Callable[[], T]) -> T:
    """Run `work` in a thread with a stack deep enough for any query we accept; return or raise its result."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as e:  # handed back to the caller's thread, re-raised there
            # without its traceback, whose frames hold pyoxigraph objects that must die in this thread
            outcome.append((False, e.with_traceback(None)))

    old = threading.stack_size(QUERY_STACK_BYTES)
    try:
        thread = threading.Thread(target=run, name="query")
        thread.start()
    finally:
        threading.stack_size(old)
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _short(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None, prefixes: dict[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value, prefixes) or f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _width(cell: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in cell)


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns aligned for a terminal (East Asian wide characters count double), and the row count."""
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    return "\n".join(out) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n"


def render(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, output: str, prefixes: dict[str, str]
) -> bytes:
    """A query result as `ryoiki-ld query` prints it; a format that does not fit the result is an error."""
    if isinstance(result, ox.QueryTriples):
        if output in ("turtle", "json"):
            fmt = formats.TURTLE if output == "turtle" else formats.JSON_LD
            return serialize_triples(list(result), fmt, prefixes)
        if output == "table":
            rows = [
                [_short(t.subject, prefixes), _short(t.predicate, prefixes), _short(t.object, prefixes)] for t in result
            ]
            return table(["subject", "predicate", "object"], rows).encode("utf-8")
        raise RyoikiError(
            "--format csv is for SELECT and ASK results; CONSTRUCT and DESCRIBE give table, turtle or json"
        )
    if output == "turtle":
        raise RyoikiError(
            "--format turtle is for CONSTRUCT and DESCRIBE results; SELECT and ASK give table, csv or json"
        )
    fmt = formats.JSON_RESULTS if output == "json" else formats.CSV
    if isinstance(result, ox.QueryBoolean):
        return write_boolean(result, fmt) if output != "table" else f"{bool(result)}\n".lower().encode()
    if output != "table":
        return result.serialize(format=fmt.oxigraph)
    header = [v.value for v in result.variables]
    return table(header, [[_short(t, prefixes) for t in row] for row in result]).encode("utf-8")


def run_query(out: Output, query: str, source: str, output: str, prefixes: dict[str, str], max_depth: int) -> bytes:
    """`ryoiki-ld query`: the same checks and dataset as the endpoint (no SERVICE, no update), no time or row
    limit."""
    try:
        seen = check(query, max_depth)
    except QueryRefused as e:
        raise SourceError(source, None, e.message) from None
    store = open_store(out)
    dataset = {} if seen.dataset else UNION_DEFAULT_GRAPH  # the union of the graphs, unless it has FROM
    try:
        return with_deep_stack(lambda: render(store.query(query, **dataset), output, prefixes))
    except SyntaxError as e:
        at = error_position(str(e))
        raise SourceError(
            source, at.line, f"SPARQL syntax error: {at.message}", column=str(at.column) if at.column else None
        ) from None
    except (RuntimeError, ValueError) as e:
        raise SourceError(source, None, f"the query could not be evaluated: {e}") from None
