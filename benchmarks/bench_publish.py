"""Benchmark of `ryoiki-ld publish` against each store's own bulk loader, on the same machine in one run.

For the real build and for a synthetic graph of about 1M triples (the real FY2019 survey graph repeated under
renamed IRIs), each store started fresh on a loopback port (tests/support/stores.py):
- Oxigraph server: `publish` (Graph Store Protocol PUT over HTTP) against `oxigraph load` of the same triples into
  a new store folder;
- Virtuoso 7: `publish` (GSP PUT with digest auth) against its bulk loader (`ld_dir` + `rdf_loader_run()` +
  `checkpoint`, via isql-vt) of the same triples as N-Triples files, into graphs of their own.
Prints triples/s of each and the ratio publish/native (the issue's target: at least 0.5). Figures only; nothing is
asserted. Verification is off in the timed publish (it is a second read of every graph; its time is printed apart).

    .venv/bin/python benchmarks/bench_publish.py [--out BUILD] [--synthetic-copies 32]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ryoiki_ld import publish  # noqa: E402
from ryoiki_ld.config import Output, Paths  # noqa: E402
from tests.support.stores import VIRTUOSO_PASSWORD, VIRTUOSO_USER, oxigraph_server, virtuoso  # noqa: E402

BASE = "https://w3id.org/ryoiki-ld/"


def synthetic(real: list[publish.Graph], copies: int) -> list[publish.Graph]:
    """One graph of the real survey graph's triples `copies` times, each copy's IRIs under id/synthetic-{k}/."""
    survey = next(g for g in real if g.iri.endswith("/graph/fy2019"))
    body = survey.body.decode("utf-8")
    parts = [body.replace(f"<{BASE}id/", f"<{BASE}id/synthetic-{k}/") for k in range(copies)]
    return [publish.Graph(f"{BASE}graph/synthetic", "".join(parts).encode("utf-8"), survey.triples * copies)]


def timed_publish(graphs: list[publish.Graph], endpoint: publish.Endpoint, creds: publish.Credentials) -> float:
    started = time.perf_counter()
    outcomes = publish.publish(graphs, [endpoint], creds, lambda _: None, check=False, timeout=3600)
    took = time.perf_counter() - started
    _, status = publish.summary(graphs, outcomes)
    if status:
        raise SystemExit(f"publish failed: {outcomes[0].errors}")
    return took


def timed_verify(graphs: list[publish.Graph], endpoint: publish.Endpoint, creds: publish.Credentials) -> float:
    client = publish.Client(creds, 3600, 0)
    started = time.perf_counter()
    for g in graphs:
        publish.verify(client, endpoint, g, 50_000)
    return time.perf_counter() - started


def oxigraph_native(graphs: list[publish.Graph], folder: Path) -> float:
    """`oxigraph load` of the same triples (as N-Quads in their graphs) into a new store."""
    nq = folder / "native.nq"
    with nq.open("wb") as f:
        for g in graphs:
            for line in g.body.splitlines():
                f.write(line[:-1] + f"<{g.iri}> .\n".encode())
    oxigraph = Path(sys.executable).with_name("oxigraph")
    started = time.perf_counter()
    subprocess.run([str(oxigraph), "load", "--location", str(folder / "native"), "--file", str(nq)], check=True)
    return time.perf_counter() - started


def virtuoso_native(graphs: list[publish.Graph], folder: Path, sql_port: int) -> float:
    """Virtuoso's bulk loader over the same triples as N-Triples files, each into a graph of its own (…-native)."""
    calls = []
    for i, g in enumerate(graphs):
        name = f"native-{i}.nt"
        (folder / name).write_bytes(g.body)
        calls.append(f"ld_dir('{folder}', '{name}', '{g.iri}-native');")
    script = " ".join([*calls, "rdf_loader_run();", "checkpoint;"])
    started = time.perf_counter()
    subprocess.run(
        ["isql-vt", str(sql_port), VIRTUOSO_USER, VIRTUOSO_PASSWORD, f"exec={script}"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def report(name: str, what: str, triples: int, published: float, native: float, verified: float) -> None:
    ours, theirs = triples / published, triples / native
    print(
        f"{name:<9} {what:<10} {triples:>9,} triples | publish {published:6.2f} s {ours:>9,.0f} t/s | "
        f"native {native:6.2f} s {theirs:>9,.0f} t/s | ratio {ours / theirs:4.2f} | verify {verified:5.2f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="A build to publish (default: build one).")
    parser.add_argument("--synthetic-copies", type=int, default=32, help="Copies of the survey graph (32: ~1M).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out
        if out is None:
            out = Path(tmp) / "build"
            subprocess.run(
                [sys.executable, "-m", "ryoiki_ld", "build", "--out", str(out)], check=True, capture_output=True
            )
        real = publish.read_graphs(Output(out))
        datasets = {"real": real, "synthetic": synthetic(real, args.synthetic_copies)}
        for what, graphs in datasets.items():
            triples = sum(g.triples for g in graphs)
            folder = Path(tempfile.mkdtemp(dir=tmp))
            with oxigraph_server(folder / "server") as store:
                [endpoint] = publish.endpoints([store.gsp], [], publish.read_layouts(Paths().store_layouts))
                creds = publish.Credentials("none")
                published = timed_publish(graphs, endpoint, creds)
                verified = timed_verify(graphs, endpoint, creds)
            native = oxigraph_native(graphs, folder)
            report("oxigraph", what, triples, published, native, verified)
            folder = Path(tempfile.mkdtemp(dir=tmp))
            with virtuoso(folder) as store:
                [endpoint] = publish.endpoints([store.gsp], [], publish.read_layouts(Paths().store_layouts))
                creds = publish.Credentials("digest", VIRTUOSO_USER, VIRTUOSO_PASSWORD)
                published = timed_publish(graphs, endpoint, creds)
                verified = timed_verify(graphs, endpoint, creds)
                native = virtuoso_native(graphs, folder, store.sql_port)
            report("virtuoso", what, triples, published, native, verified)


if __name__ == "__main__":
    main()
