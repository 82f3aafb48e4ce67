"""Benchmark of SHACL validation: our shapes-as-SPARQL engine on Oxigraph against plain pySHACL.

For the real table and synthetic tables (real rows repeated, renumbered), the whole graph a build
validates (instances, reference data, ontology, all shapes) is validated by both engines in the same
run. Prints load and validation seconds, the ratios, and whether the two result sets are identical.
Figures only; nothing is asserted. Machines here are noisy: run it twice.

    .venv/bin/python benchmarks/bench_validate.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse

import pandas as pd
import pyoxigraph as ox
import rdflib
from bench_build import synthetic, timed

from ryoiki_ld import extract, link, mapping, validate
from ryoiki_ld.config import Settings
from ryoiki_ld.validate import shacl


def run(label: str, table: pd.DataFrame, settings: Settings, gazetteer: link.Gazetteer) -> None:
    linked = link.resolve_table(table, gazetteer)
    lines = mapping.map_tables(table, linked.links, linked.unresolved, settings)
    text = ("\n".join(sorted(lines)) + "\n").encode("utf-8")
    shapes = validate.load_shapes(settings.paths, "all")

    triples, t_ox_load = timed(lambda: [q.triple for q in ox.parse(input=text, format=ox.RdfFormat.N_TRIPLES)])
    ours, t_ours = timed(lambda: validate.run(triples, shapes, engine="oxigraph"))

    def rdflib_load() -> rdflib.Graph:
        graph = rdflib.Graph()
        graph.parse(data=text.decode("utf-8"), format="nt")
        return graph

    graph, t_rdflib_load = timed(rdflib_load)
    shapes_graph = shacl.to_rdflib(shapes)
    theirs, t_pyshacl = timed(lambda: shacl.pyshacl_results(graph, shapes_graph))

    identical = "identical" if ours.results == theirs else "DIFFERENT"
    print(
        f"{label:>5} | {len(table):>6} networks {len(lines):>8} triples | "
        f"oxigraph: parse {t_ox_load:5.2f} s  validate {t_ours:6.2f} s | "
        f"pySHACL: rdflib load {t_rdflib_load:6.2f} s  validate {t_pyshacl:7.2f} s | "
        f"validate {t_pyshacl / t_ours:5.1f}x, load+validate {(t_rdflib_load + t_pyshacl) / (t_ox_load + t_ours):5.1f}x | "
        f"{len(ours.results)} results, {identical}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000])
    args = parser.parse_args()
    settings = Settings()
    table = extract.extract(settings.source)
    gazetteer = link.Gazetteer(settings.paths)
    run("real", table, settings, gazetteer)
    for n in args.sizes:
        run(f"{n // 1000}k", synthetic(table, n), settings, gazetteer)


if __name__ == "__main__":
    main()
