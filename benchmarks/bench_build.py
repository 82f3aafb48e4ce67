"""Benchmark of the build stages: the real table and synthetic tables of 10k and 100k networks.

Prints seconds per stage and, in the same run, the alternative the stack chose against: rdflib
(Graph.add of the same triples, then Turtle serialisation) versus Oxigraph (our CONSTRUCT mappings,
then Turtle serialisation). Figures only; nothing is asserted. Machines here are noisy: run it twice.

    .venv/bin/python benchmarks/bench_build.py [--sizes 10000 100000] [--rdflib-max 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import rdflib

from ryoiki_ld import extract, link, mapping
from ryoiki_ld.config import Settings
from ryoiki_ld.rdf import PREFIXES


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


def synthetic(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """n networks made by repeating the real rows, renumbered 1…n (keys stay unique)."""
    rows = table.iloc[[i % len(table) for i in range(n)]].reset_index(drop=True)
    rows["no"] = pd.array(range(1, n + 1), dtype="Int64")
    return rows


def to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    datatype = rdflib.URIRef(term.datatype.value) if term.language is None else None
    return rdflib.Literal(term.value, lang=term.language, datatype=datatype)


def run(size_label: str, table: pd.DataFrame, settings: Settings, gazetteer: link.Gazetteer, with_rdflib: bool) -> None:
    linked, t_link = timed(link.resolve_table, table, gazetteer)
    triples, t_map = timed(mapping.map_tables, table, linked.links, linked.unresolved, settings)
    with tempfile.TemporaryDirectory() as tmp:
        _, t_dump = timed(mapping.write_dumps, triples, Path(tmp) / "d")
    ordered = [q.triple for q in ox.parse(input="\n".join(sorted(triples)).encode(), format=ox.RdfFormat.N_TRIPLES)]
    _, t_ox_ttl = timed(lambda: ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES))
    line = (
        f"{size_label:>8} | {len(table):>7} rows {len(triples):>9} triples | link {t_link:6.2f} s  "
        f"map {t_map:6.2f} s  sort+dumps(nt+ttl+jsonld) {t_dump:6.2f} s | oxigraph ttl {t_ox_ttl:6.2f} s"
    )
    if with_rdflib:
        converted = [tuple(map(to_rdflib, (t.subject, t.predicate, t.object))) for t in ordered]
        graph = rdflib.Graph()
        _, t_add = timed(lambda: [graph.add(t) for t in converted])
        _, t_rdf_ttl = timed(graph.serialize, None, "turtle")
        line += (
            f" | rdflib add {t_add:6.2f} s  ttl {t_rdf_ttl:6.2f} s"
            f" | ratio build (rdflib add / oxigraph map) {t_add / t_map:5.1f}x, "
            f"turtle (rdflib / oxigraph) {t_rdf_ttl / t_ox_ttl:5.1f}x"
        )
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--rdflib-max", type=int, default=10_000, help="largest size also run through rdflib")
    args = parser.parse_args()
    settings = Settings()
    table, t_extract = timed(extract.extract, settings.source)
    print(f"extract (real source, {len(table)} rows): {t_extract:.3f} s")
    gazetteer = link.Gazetteer(settings.paths)
    run("real", table, settings, gazetteer, with_rdflib=True)
    for n in args.sizes:
        run(f"{n // 1000}k", synthetic(table, n), settings, gazetteer, with_rdflib=n <= args.rdflib_max)


if __name__ == "__main__":
    main()
