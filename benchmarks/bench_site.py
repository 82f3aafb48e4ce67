"""Benchmark of the site stage: its speed by size, its worker pool against the alternatives, its document writer
against pyoxigraph's and rdflib's serializers.

Three sections (`--sections`, all by default); figures only, nothing is asserted:

- sizes: for the real data and synthetic tables of more networks, the resources and files the site has and the
  seconds the whole site stage takes with 1 and with 2 worker processes, on the build's disk and on tmpfs
  (/dev/shm, where one exists), next to the seconds it takes only to write the same files again from memory
  (the disk's share).
- pool: the real site stage with 2 workers, through the site's pool (`writer.write_all`: a ProcessPoolExecutor
  whose workers claim tasks from both ends of the list) and through two alternatives: the hand-made fork pool
  it replaced (`os.fork`, errors through a pipe; kept here as it was) and a ProcessPoolExecutor handed the tasks
  themselves (`map`, alternately from the front and the back). The runs of the three are interleaved.
- documents: the Turtle and JSON-LD of every resource's document, for each size, in memory, written by our
  writer (`site.documents`), by `pyoxigraph.serialize` (with the prefixes; timed alone, on terms read
  beforehand, and with reading our N-Triples lines into its terms) and by rdflib (parse, serialise; up to
  --rdflib-max networks); and whether pyoxigraph's bytes are ours.

Machines here are noisy (other guests share the cores and the disk): each site figure is the best of --repeat
runs, with their median beside it, and every run starts after `sync`, so that the disk is not still writing an
earlier run's files.

    .venv/bin/python benchmarks/bench_site.py [--sections sizes pool documents] [--sizes 1000 2000]
                                              [--rdflib-max 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

import pandas as pd
import pyoxigraph as ox
import rdflib

from ryoiki_ld import catalog, extract, iris, link, mapping, pipeline, site
from ryoiki_ld.config import Output, Settings
from ryoiki_ld.rdf import PREFIXES
from ryoiki_ld.site import documents, graph, model, writer

sys.path.insert(0, str(Path(__file__).parent))
from bench_build import synthetic, timed

Pool = Callable[[writer.Writer, int], None]


def quiet(_: str) -> None:
    pass


def build_inputs(table: pd.DataFrame, settings: Settings, out: Path, gazetteer: link.Gazetteer) -> set[str]:
    """What the pipeline has written when the site stage starts (data, validation, dumps) and its triples."""
    data = out / "data"
    data.mkdir(parents=True)
    extract.write_csv(table, data / "networks.csv")
    shutil.copyfile(settings.paths.csvw_metadata, data / "networks.csv-metadata.json")
    shutil.copyfile(settings.paths.corrections, data / "corrections.csv")
    linked = link.resolve_table(table, gazetteer)
    linked.links.to_csv(data / "area_links.csv", index=False)
    linked.statuses.to_csv(data / "area_resolution.csv", index=False)
    triples = mapping.map_tables(table, linked.links, linked.unresolved, settings) | catalog.metadata(settings)
    pipeline.validate_and_assess(triples, settings, Output(out), quiet)
    (out / "dump").mkdir()
    mapping.write_dumps(triples, out / "dump" / "ryoiki-ld")
    return triples


@contextmanager
def build_dirs(table: pd.DataFrame, settings: Settings, gazetteer: link.Gazetteer) -> Iterator[list]:
    """(place, build directory, triples) on the disk and on tmpfs, each with the inputs of the site stage."""
    shm = Path("/dev/shm")
    parents = [("disk", Path(tempfile.gettempdir()))] + ([("tmpfs", shm)] if shm.is_dir() else [])
    with ExitStack() as stack:
        found = []
        for place, parent in parents:
            out = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=parent))) / "build"
            found.append((place, out, build_inputs(table, settings, out, gazetteer)))
        yield found


def site_seconds(
    triples: set[str], settings: Settings, out: Path, workers: int, pool: Pool | None = None
) -> tuple[float, float, site.Stats]:
    """Wall-clock and CPU seconds (this process only) of the whole site stage, and its counts; `pool` in place
    of the site's own `write_all` if given."""
    shutil.rmtree(out / "site", ignore_errors=True)
    # The downloads and catalogue files, before the site stage.
    published = catalog.publish(settings, Output(out), triples)
    os.sync()
    cpu = time.process_time()
    options = dataclasses.replace(settings, site_workers=workers)
    with mock.patch.object(site, "write_all", pool or writer.write_all):
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


def best_and_median(seconds: list[float]) -> str:
    return f"{min(seconds):6.2f} s (median {statistics.median(seconds):5.2f})"


# --------------------------------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------------------------------


def sizes(label: str, table: pd.DataFrame, settings: Settings, gazetteer: link.Gazetteer, repeat: int) -> None:
    with build_dirs(table, settings, gazetteer) as places:
        for place, out, triples in places:
            for workers in (1, 2):
                runs = [site_seconds(triples, settings, out, workers) for _ in range(repeat)]
                _, cpu, stats = min(runs, key=lambda run: run[0])
                floor, files = write_floor(out / "site")
                print(
                    f"{label:>6} | {len(table):>5} networks {len(triples):>7} triples {stats.documents:>6} resources "
                    f"{files:>7} files | {place:<5} {workers} worker{'s' if workers > 1 else ' '} | "
                    f"site {best_and_median([run[0] for run in runs])} wall"
                    + (f", {cpu:5.2f} s CPU" if workers == 1 else " " * 12)
                    + f" | writing the same files from memory {floor:5.2f} s",
                    flush=True,
                )


# --------------------------------------------------------------------------------------------------
# The worker pool: the site's, and the alternatives
# --------------------------------------------------------------------------------------------------


def fork_pool(w: writer.Writer, workers: int) -> None:
    """The hand-made pool that the site stage had before issue 12: `os.fork` for each worker, which claims
    tasks from its end of the list and reports an error through a pipe, then leaves by `os._exit`."""
    writer.make_folders(w)
    queue = writer.TaskQueue(writer.tasks(w.data), multiprocessing.get_context("fork"))
    children: list[tuple[int, int]] = []  # (process id, the pipe that reports its error)
    try:
        for n in range(workers):
            children.append(_fork(lambda from_back=n % 2 == 1: writer.write_tasks(w, queue.claimed(from_back))))
    finally:
        errors = [error for error in map(_wait, children) if error]
    if errors:
        raise RuntimeError(f"a site worker failed:\n{errors[0]}")


def _fork(run: Callable[[], None]) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: report an error, then leave without the parent's exit handlers
        os.close(read)
        status = 0
        try:
            run()
        except BaseException:
            os.write(write, traceback.format_exc().encode("utf-8", "replace"))
            status = 1
        finally:
            os._exit(status)
    os.close(write)
    return pid, read


def _wait(child: tuple[int, int]) -> str:
    pid, read = child
    with os.fdopen(read, "rb") as pipe:
        error = pipe.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    return error or (f"worker exited with status {status}" if status else "")


_MAPPED: writer.Writer | None = None  # in a worker of `executor_map`: the writer it was forked with


def _inherit_writer(w: writer.Writer) -> None:
    global _MAPPED
    _MAPPED = w


def _write_task(paths: list[str]) -> None:
    assert _MAPPED is not None
    writer.write_tasks(_MAPPED, [paths])


def executor_map(w: writer.Writer, workers: int) -> None:
    """A ProcessPoolExecutor handed the tasks themselves, alternately from the front and the back of the list:
    whichever worker is free takes the next, so two may write into one folder at once."""
    writer.make_folders(w)
    jobs = writer.tasks(w.data)
    order = [job for pair in zip(jobs, reversed(jobs), strict=True) for job in pair][: len(jobs)]
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=fork, initializer=_inherit_writer, initargs=(w,)) as pool:
        for _ in pool.map(_write_task, order):
            pass


POOLS: dict[str, Pool | None] = {
    "site (executor, shares from both ends)": None,
    "hand-made fork pool": fork_pool,
    "executor.map of the tasks": executor_map,
}


def pools(table: pd.DataFrame, settings: Settings, gazetteer: link.Gazetteer, repeat: int) -> None:
    """The real site stage with 2 workers through each pool; the pools take turns in each round of runs."""
    names = list(POOLS)
    with build_dirs(table, settings, gazetteer) as places:
        for place, out, triples in places:
            seconds: dict[str, list[float]] = {name: [] for name in names}
            for r in range(repeat):
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    seconds[name].append(site_seconds(triples, settings, out, 2, POOLS[name])[0])
            own = min(seconds[names[0]])
            for name in names:
                print(
                    f"  real | {place:<5} 2 workers | {name:<38} site {best_and_median(seconds[name])} wall, "
                    f"best ÷ the site's {min(seconds[name]) / own:4.2f}",
                    flush=True,
                )


# --------------------------------------------------------------------------------------------------
# The documents: our writer, pyoxigraph's, rdflib's
# --------------------------------------------------------------------------------------------------


def documents_in_memory(label: str, triples: set[str], settings: Settings, repeat: int, with_rdflib: bool) -> None:
    """Seconds to write every resource's Turtle and JSON-LD in memory, from the same document triples: by
    our writer, by pyoxigraph (on its terms read beforehand, and with the reading), and by rdflib."""
    idx, t_index = timed(graph.index, triples)
    paths = model.document_subjects(idx, settings.base_iri)
    docs = [graph.document_triples(idx, s, with_inverse=p != iris.VOCABULARY_DOCUMENT) for p, s in paths.items()]
    lines = [documents.ntriples(doc).encode() for doc in docs]

    def ours() -> list[tuple[bytes, bytes]]:
        terms = documents.TermWriter()  # a fresh cache, as each worker starts with
        return [(documents.turtle(d, terms).encode(), documents.jsonld(d, terms).encode()) for d in docs]

    def read_into_oxigraph() -> list[list[ox.Triple]]:
        return [[q.triple for q in ox.parse(input=text, format=ox.RdfFormat.N_TRIPLES)] for text in lines]

    def oxigraph(ox_docs: list[list[ox.Triple]]) -> list[tuple[bytes, bytes]]:
        return [
            (
                ox.serialize(d, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES),
                ox.serialize(d, format=ox.RdfFormat.JSON_LD, prefixes=PREFIXES),
            )
            for d in ox_docs
        ]

    def through_rdflib() -> None:
        for text in lines:
            g = rdflib.Graph(bind_namespaces="none")
            for prefix, namespace in PREFIXES.items():
                g.bind(prefix, namespace)
            g.parse(data=text, format="nt")
            g.serialize(format="turtle"), g.serialize(format="json-ld")

    t_ours, t_read, t_ox = [], [], []
    for _ in range(repeat):
        written, seconds = timed(ours)
        t_ours.append(seconds)
        ox_docs, seconds = timed(read_into_oxigraph)
        t_read.append(seconds)
        ox_written, seconds = timed(oxigraph, ox_docs)
        t_ox.append(seconds)
    best, ox_best, ox_read = min(t_ours), min(t_ox), min(t_ox) + min(t_read)
    print(
        f"{label:>6} | {len(docs)} documents, Turtle + JSON-LD in memory (best of {repeat}, median beside): "
        f"grouping the triples {t_index:.2f} s | ours {best_and_median(t_ours)} | "
        f"pyoxigraph.serialize {best_and_median(t_ox)} (÷ ours {ox_best / best:.1f}×), "
        f"with reading our lines into its terms {ox_read:.2f} s (÷ ours {ox_read / best:.1f}×)",
        flush=True,
    )
    if with_rdflib:
        _, t_rdflib = timed(through_rdflib)
        print(
            f"{label:>6} | rdflib (parse, serialise), once: {t_rdflib:.2f} s (÷ ours {t_rdflib / best:.1f}×)",
            flush=True,
        )
    for i, fmt in enumerate(("Turtle", "JSON-LD")):
        same = sum(1 for a, b in zip(written, ox_written, strict=True) if a[i] == b[i])
        size, ox_size = sum(len(a[i]) for a in written), sum(len(b[i]) for b in ox_written)
        print(
            f"{label:>6} | {fmt}: pyoxigraph writes the same bytes as ours in {same} of {len(docs)} documents; "
            f"{ox_size:,} bytes against our {size:,}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="*", choices=("sizes", "pool", "documents"), default=None)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 2_000])
    parser.add_argument("--rdflib-max", type=int, default=1_000, help="largest size also run through rdflib")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each site figure (the best is shown)")
    args = parser.parse_args()
    sections = args.sections or ["sizes", "pool", "documents"]
    settings = Settings()
    table = extract.extract(settings.source)
    gazetteer = link.Gazetteer(settings.paths)
    if "sizes" in sections:
        sizes("real", table, settings, gazetteer, args.repeat)
        for n in args.sizes:
            sizes(f"{n // 1000}k", synthetic(table, n), settings, gazetteer, args.repeat)
    if "pool" in sections:
        pools(table, settings, gazetteer, args.repeat)
    if "documents" in sections:
        runs = [("real", table)] + [(f"{n // 1000}k", synthetic(table, n)) for n in args.sizes]
        for label, rows in runs:
            with tempfile.TemporaryDirectory() as tmp:
                triples = build_inputs(rows, settings, Path(tmp) / "build", gazetteer)
            with_rdflib = label == "real" or len(rows) <= args.rdflib_max
            documents_in_memory(label, triples, settings, args.repeat, with_rdflib)


if __name__ == "__main__":
    main()
