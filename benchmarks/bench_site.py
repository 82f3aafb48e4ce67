"""Benchmark of the site stage: the real data and synthetic tables of more networks, against rdflib.

For each size it prints the resources and files the site has and the seconds the whole site stage takes
with 1 and with 2 worker processes, on the build's disk and on tmpfs (/dev/shm, where one exists), next to
the seconds it takes only to write the same files again from memory (the disk's share). In the same run,
the alternative: every
resource's RDF documents written through rdflib (parse its N-Triples, serialise Turtle, JSON-LD and
N-Triples) against our direct writer, in memory. Figures only; nothing is asserted.

Machines here are noisy (other guests share the cores): each site figure is the best of --repeat runs, with
their median beside it, and every run starts after `sync`, so that the disk is not still writing an earlier
run's files.

    .venv/bin/python benchmarks/bench_site.py [--sizes 1000 2000] [--rdflib-max 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import rdflib

from ryoiki_ld import catalog, extract, link, mapping, pipeline, site, site_graph
from ryoiki_ld.config import Output, Settings
from ryoiki_ld.rdf import PREFIXES

sys.path.insert(0, str(Path(__file__).parent))
from bench_build import synthetic, timed


def quiet(_: str) -> None:
    pass


def build_inputs(table: pd.DataFrame, settings: Settings, out: Path, gazetteer: link.Gazetteer) -> set[str]:
    """What the pipeline has written when the site stage starts (data, validation, dumps) and its triples."""
    data = out / "data"
    data.mkdir(parents=True)
    extract.write_csv(table, data / "networks.csv")
    shutil.copyfile(settings.paths.csvw_metadata, data / "networks.csv-metadata.json")
    shutil.copyfile(settings.paths.corrections, data / "corrections.csv")
    links, statuses = link.resolve_table(table, gazetteer)
    links.to_csv(data / "area_links.csv", index=False)
    statuses.to_csv(data / "area_resolution.csv", index=False)
    triples = mapping.map_tables(table, links, settings) | catalog.metadata(settings)
    pipeline.validate_and_assess(triples, settings, Output(out), quiet)
    (out / "dump").mkdir()
    mapping.write_dumps(triples, out / "dump" / "ryoiki-ld")
    return triples


def site_seconds(triples: set[str], settings: Settings, out: Path, workers: int) -> tuple[float, float, site.Stats]:
    """Wall-clock and CPU seconds (this process only) of the whole site stage, and its counts."""
    shutil.rmtree(out / "site", ignore_errors=True)
    published = catalog.publish(
        settings, Output(out), triples
    )  # the downloads and catalogue files, before the site stage
    os.sync()
    cpu = time.process_time()
    options = dataclasses.replace(settings, site_workers=workers)
    stats, seconds = timed(site.build_site, triples, options, Output(out), published, quiet)
    return seconds, time.process_time() - cpu, stats


def write_floor(site_dir: Path) -> tuple[float, int]:
    """Seconds to write the same files again, their bytes already in memory: what the disk alone costs."""
    files = {p.relative_to(site_dir): p.read_bytes() for p in site_dir.rglob("*") if p.is_file()}
    target = site_dir.with_name("copy")
    started = time.perf_counter()
    for directory in sorted({p.parent for p in files}):
        (target / directory).mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        with open(target / path, "wb") as f:
            f.write(data)
    seconds = time.perf_counter() - started
    shutil.rmtree(target)
    return seconds, len(files)


def documents_in_memory(triples: set[str], settings: Settings) -> tuple[float, float, float, int]:
    """Seconds to group the triples, and to write every resource's three RDF documents, in memory: directly
    and through rdflib (None above the size limit)."""
    idx, t_index = timed(site_graph.index, triples)
    paths = site.documents(idx, settings.base_iri)
    terms = site_graph.TermWriter()

    def direct() -> None:
        for path, subjects in paths.items():
            doc = site_graph.document_triples(idx, subjects, with_inverse=path != "doc/def")
            site_graph.ntriples(doc), site_graph.turtle(doc, terms), site_graph.jsonld(doc, terms)

    def through_rdflib() -> None:
        for path, subjects in paths.items():
            doc = site_graph.document_triples(idx, subjects, with_inverse=path != "doc/def")
            graph = rdflib.Graph(bind_namespaces="none")
            for prefix, namespace in PREFIXES.items():
                graph.bind(prefix, namespace)
            graph.parse(data=site_graph.ntriples(doc), format="nt")
            graph.serialize(format="nt"), graph.serialize(format="turtle"), graph.serialize(format="json-ld")

    _, t_direct = timed(direct)
    _, t_rdflib = timed(through_rdflib)
    return t_index, t_direct, t_rdflib, len(paths)


def run(
    label: str, table: pd.DataFrame, settings: Settings, gazetteer: link.Gazetteer, with_rdflib: bool, repeat: int
) -> None:
    shm = Path("/dev/shm")
    places = [("disk", Path(tempfile.gettempdir()))] + ([("tmpfs", shm)] if shm.is_dir() else [])
    for place, parent in places:
        with tempfile.TemporaryDirectory(dir=parent) as tmp:
            out = Path(tmp) / "build"
            triples = build_inputs(table, settings, out, gazetteer)
            for workers in (1, 2):
                runs = [site_seconds(triples, settings, out, workers) for _ in range(repeat)]
                seconds, cpu, stats = min(runs, key=lambda run: run[0])
                median = statistics.median(run[0] for run in runs)
                floor, files = write_floor(out / "site")
                print(
                    f"{label:>6} | {len(table):>5} networks {len(triples):>7} triples {stats.documents:>6} resources "
                    f"{files:>7} files | {place:<5} {workers} worker{'s' if workers > 1 else ' '} | "
                    f"site {seconds:6.2f} s wall (median {median:5.2f})"
                    + (f", {cpu:5.2f} s CPU" if workers == 1 else " " * 12)
                    + f" | writing the same files from memory {floor:5.2f} s",
                    flush=True,
                )
    if with_rdflib:
        t_index, t_direct, t_rdflib, n = documents_in_memory(triples, settings)
        print(
            f"{label:>6} | {n} resources × 3 RDF documents in memory: group {t_index:.2f} s, "
            f"direct {t_direct:.2f} s, rdflib {t_rdflib:.2f} s → rdflib ÷ direct {t_rdflib / t_direct:.1f}×",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 2_000])
    parser.add_argument("--rdflib-max", type=int, default=1_000, help="largest size also run through rdflib")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each site figure (the best is shown)")
    args = parser.parse_args()
    settings = Settings()
    table = extract.extract(settings.source)
    gazetteer = link.Gazetteer(settings.paths.reference, settings.paths.whole_prefecture_phrases)
    run("real", table, settings, gazetteer, with_rdflib=True, repeat=args.repeat)
    for n in args.sizes:
        run(f"{n // 1000}k", synthetic(table, n), settings, gazetteer, n <= args.rdflib_max, args.repeat)


if __name__ == "__main__":
    main()
