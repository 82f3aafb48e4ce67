"""store: the built dataset in an on-disk Oxigraph store, and the build manifest.

`build` loads the N-Quads dump into `DIR/store`: every triple is in a named graph (`graphs.py`) and the store's
own default graph is empty; queries see the union of the graphs as their default graph (`UNION_DEFAULT_GRAPH`)
unless they name their dataset. It writes `DIR/build.json`: the base IRI and the counts the service
description publishes. `serve` and `query` (`ryoiki_ld/serve/`) open the store read-only, so nothing they do
can change it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import Output
from .errors import RyoikiError
from .rdf import RDF_TYPE


@dataclass(frozen=True)
class Manifest:
    """Facts about one build, written by `build`, read by `serve` (deterministic: no timestamps)."""

    base_iri: str
    version: str
    triples: int
    subjects: int
    properties: int
    classes: dict[str, int] = field(default_factory=dict)  # class IRI → number of instances
    graphs: dict[str, int] = field(default_factory=dict)  # named graph IRI → number of triples
    dumps: list[str] = field(default_factory=list)  # paths relative to DIR


# What a query that names no dataset of its own (FROM, FROM NAMED, default-graph-uri, named-graph-uri) sees:
# the union of the named graphs. Oxigraph lets this option override a query's FROM, so it is passed only
# to queries without one (`serve/inspect.py` finds them).
UNION_DEFAULT_GRAPH = {"use_default_graph_as_union": True}


def build_store(nq: Path, directory: Path) -> ox.Store:
    """Load the N-Quads dump into a new on-disk store; return it open (read-write) for the statistics."""
    store = ox.Store(str(directory))
    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    store.optimize()
    return store


def _count(store: ox.Store, query: str) -> int:
    return int(next(iter(store.query(query, **UNION_DEFAULT_GRAPH)))[0].value)


def statistics(store: ox.Store) -> tuple[int, int, int, dict[str, int]]:
    """(triples, distinct subjects, distinct properties, instances per class) of the union of the graphs."""
    query = f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) {{ ?s {RDF_TYPE} ?c }} GROUP BY ?c"
    classes = {row["c"].value: int(row["n"].value) for row in store.query(query, **UNION_DEFAULT_GRAPH)}
    return (
        _count(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"),
        _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }"),
        _count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }"),
        dict(sorted(classes.items())),
    )


def graph_sizes(store: ox.Store) -> dict[str, int]:
    """Triples per named graph."""
    query = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    return dict(sorted((row["g"].value, int(row["n"].value)) for row in store.query(query)))


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
    return read_only(out.store)


def read_only(directory: Path) -> ox.Store:
    """A store opened read-only; a damaged or missing one is an error that says to rebuild (exit 2)."""
    try:
        return ox.Store.read_only(str(directory))
    except (OSError, RuntimeError) as e:  # RocksDB reports corruption as RuntimeError
        raise RyoikiError(f"{directory}: cannot open the store ({e}); rebuild") from None
