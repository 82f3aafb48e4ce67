"""store: the built dataset in an on-disk Oxigraph store, the build manifest, and running a query on it.

`build` loads the N-Triples dump into `DIR/store` (the default graph; there are no named graphs) and
writes `DIR/build.json`: the base IRI and the counts the service description publishes. `serve` and
`query` open the store read-only, so nothing they do can change it.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from . import formats, sparql
from .config import Output
from .errors import RyoikiError, SourceError
from .formats import Format
from .rdf import RDF_TYPE, compact, error_position

# Oxigraph's parser recurses once per level of an expression or group; 256 MiB of stack holds the
# deepest query `Limits.max_query_chars` allows (tested), where the default 8 MiB fails near 10,000 levels.
QUERY_STACK_BYTES = 256 * 1024 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class Manifest:
    """Facts about one build, written by `build`, read by `serve` (deterministic: no timestamps)."""

    base_iri: str
    version: str
    triples: int
    subjects: int
    properties: int
    classes: dict[str, int] = field(default_factory=dict)  # class IRI → number of instances
    dumps: list[str] = field(default_factory=list)  # paths relative to DIR


def build_store(nt: Path, directory: Path) -> ox.Store:
    """Load the dump into a new on-disk store; return it open (read-write) for the statistics."""
    store = ox.Store(str(directory))
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    store.optimize()
    return store


def _count(store: ox.Store, query: str) -> int:
    return int(next(iter(store.query(query)))[0].value)


def statistics(store: ox.Store) -> tuple[int, int, int, dict[str, int]]:
    """(triples, distinct subjects, distinct properties, instances per class) of the default graph."""
    classes = {
        row["c"].value: int(row["n"].value)
        for row in store.query(f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) {{ ?s {RDF_TYPE} ?c }} GROUP BY ?c")
    }
    return (
        _count(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"),
        _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }"),
        _count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }"),
        dict(sorted(classes.items())),
    )


def write_manifest(manifest: Manifest, out: Output) -> None:
    text = json.dumps(asdict(manifest), ensure_ascii=False, indent=1, sort_keys=True)
    out.manifest.write_text(text + "\n", encoding="utf-8")


def read_manifest(out: Output) -> Manifest:
    if not out.manifest.is_file() or not out.store.is_dir():
        raise RyoikiError(f"no built store in {out.root}: run `ryoiki-ld build --out {out.root}` first")
    try:
        return Manifest(**json.loads(out.manifest.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as e:
        raise RyoikiError(f"{out.manifest}: not a build manifest of this version ({e}); rebuild") from None


def open_store(out: Output) -> ox.Store:
    """The built store, read-only."""
    read_manifest(out)
    try:
        return ox.Store.read_only(str(out.store))
    except OSError as e:
        raise RyoikiError(f"{out.store}: cannot open the store ({e}); rebuild") from None


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


@dataclass
class Answer:
    """One query's complete response; `limit` names the limit that refused it ('rows' or 'time')."""

    status: int
    content_type: str
    body: bytes
    rows: int = 0
    limit: str | None = None


def text_answer(status: int, message: str, limit: str | None = None) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message.rstrip("\n") + "\n").encode("utf-8"), limit=limit)


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
) -> Answer:
    """Evaluate and serialise, whole: the status is known before a byte of the body is sent.

    `solutions` / `graph` are the formats negotiated for SELECT/ASK and for CONSTRUCT/DESCRIBE results;
    None where the client accepts none of them.
    """
    try:
        dataset: dict = {}
        if default_graph is not None or named_graphs is not None:
            dataset = {"default_graph": _dataset(default_graph or []), "named_graphs": _dataset(named_graphs or [])}
        result = store.query(query, **dataset)
        wanted = graph if isinstance(result, ox.QueryTriples) else solutions
        if wanted is None:
            kind = "graph" if isinstance(result, ox.QueryTriples) else "solutions"
            return text_answer(406, f"no acceptable format for these {kind}")
        if isinstance(result, ox.QueryBoolean):
            return Answer(200, wanted.content_type, sparql.write_boolean(result, wanted), 1)
        if isinstance(result, ox.QuerySolutions):
            body, rows = sparql.write_solutions(result, wanted, max_rows)
        else:
            body, rows = sparql.write_triples(result, wanted, max_rows, prefixes)
        return Answer(200, wanted.content_type, body, rows)
    except SyntaxError as e:
        at = error_position(str(e))
        where = f"line {at.line}, column {at.column}: " if at.line else ""
        return text_answer(400, f"SPARQL syntax error: {where}{at.message}")
    except sparql.RowLimitExceeded as e:
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


# --- `ryoiki-ld query` ----------------------------------------------------------------------------

CLI_FORMATS = ("table", "csv", "json", "turtle")


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
            return sparql.serialize_triples(list(result), fmt, prefixes)
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
        return sparql.write_boolean(result, fmt) if output != "table" else f"{bool(result)}\n".lower().encode()
    if output != "table":
        return result.serialize(format=fmt.oxigraph)
    header = [v.value for v in result.variables]
    return table(header, [[_short(t, prefixes) for t in row] for row in result]).encode("utf-8")


def run_query(out: Output, query: str, source: str, output: str, prefixes: dict[str, str], max_depth: int) -> bytes:
    """`ryoiki-ld query`: the same checks as the endpoint (no SERVICE, no update), no time or row limit."""
    try:
        sparql.check(query, max_depth)
    except sparql.QueryRefused as e:
        raise SourceError(source, None, e.message) from None
    store = open_store(out)
    try:
        return with_deep_stack(lambda: render(store.query(query), output, prefixes))
    except SyntaxError as e:
        at = error_position(str(e))
        raise SourceError(
            source, at.line, f"SPARQL syntax error: {at.message}", column=str(at.column) if at.column else None
        ) from None
    except (RuntimeError, ValueError) as e:
        raise SourceError(source, None, f"the query could not be evaluated: {e}") from None
