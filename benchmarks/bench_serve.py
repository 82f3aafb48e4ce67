"""Speed of `ryoiki-ld serve` against Oxigraph's own server on the same on-disk store, in one run.

Ours runs twice: with its default, each worker querying a copy of the store in memory, and with
`--store-in disk`, querying the on-disk store itself as Oxigraph's server does.

Both servers get the same queries from the same load generator (wrk, 2 threads, 8 connections):
  point      the label of one network (one row)
  aggregate  networks per prefecture (a GROUP BY over the 218 networks, 45 rows)
each twice: the same query text on every request ("repeated": our response cache answers), and a
distinct text per request (a counter in a trailing comment: "distinct", every request is evaluated).
Our server runs with every protection on (its defaults: 10 s time limit, 10,000-row cap, 6 GiB address
space per worker, SERVICE and update refusal, worker processes without network, access log written). `oxigraph serve-read-only` runs
without --timeout-s, its fastest form; with --timeout-s it starts a thread per query that lives for
the whole timeout, and under this load runs out of threads (seen: 500 errors, then a crash), so it is
measured only with --native-timeout.

Rounds alternate the servers so that both see the same noise; the median of the rounds is printed, with
each server's CPU time per request (all its processes, from /proc: the figure that noise on a shared machine
moves least).
Nothing here asserts the figures. Needs wrk (Debian: apt-get install wrk).

`--stacks` runs ours again in other forms, in the same run and against the same native server, each
through `benchmarks/serve_variants.py` (its docstring says what each gives up): `uvicorn` (as it is),
`granian` (granian's ASGI worker in place of uvicorn; `pip install granian`), `granian-rust` (with granian's
task implementation), each optionally `+inline` (evaluation on the event loop's thread, a watchdog ending
the worker at the time limit instead of a query thread per query). The experiments of issue 17 (6).

    .venv/bin/python benchmarks/bench_serve.py [--out DIR] [--duration 8] [--rounds 3] [--no-disk]
        [--stacks uvicorn granian granian+inline]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PREFIXES = "PREFIX rld: <https://w3id.org/ryoiki-ld/def#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
QUERIES = {
    "point": PREFIXES + "SELECT ?label WHERE { <https://w3id.org/ryoiki-ld/id/network/001> rdfs:label ?label }",
    "aggregate": PREFIXES
    + "SELECT ?prefecture (COUNT(?n) AS ?networks) WHERE { ?n a rld:Network ; rld:prefecture ?prefecture } "
    + "GROUP BY ?prefecture",
}
DISTINCT_LUA = """
-- a distinct query text per request: a counter in a trailing SPARQL comment
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function request()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "%0A%23" .. id .. "-" .. counter)
end
"""
ACCEPT = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited while starting: {process.args}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not start: {process.args}")


def answer(endpoint: str, query: str) -> list:
    request = urllib.request.Request(
        endpoint + "?" + urllib.parse.urlencode({"query": query}), headers={"Accept": ACCEPT}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        bindings = json.load(response)["results"]["bindings"]
    return sorted(json.dumps(b, sort_keys=True) for b in bindings)


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a server process and of its live children (our worker processes)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def wrk(url: str, duration: int, script: Path | None, pid: int) -> dict[str, float]:
    """wrk's figures, and the server's CPU time per request (µs: all its processes, both cores)."""
    cpu = cpu_seconds(pid)
    command = ["wrk", "-t2", "-c8", f"-d{duration}s", "--latency", "-H", f"Accept: {ACCEPT}"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}
    result["cpu_us"] = cpu * 1e6 / int(re.search(r"(\d+) requests in", out)[1])
    for pct in ("50", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        result[f"p{pct}"] = float(value) * _UNIT[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["errors"] = (int(non2xx[1]) if non2xx else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="a build to serve (default: build one in a temporary directory)")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--native-timeout", action="store_true", help="also run oxigraph with --timeout-s 10")
    parser.add_argument("--no-disk", action="store_true", help="leave out ours with --store-in disk")
    parser.add_argument(
        "--stacks", nargs="+", default=[], metavar="STACK", help="uvicorn, granian, each with or without +inline"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    processes: list[subprocess.Popen] = []
    try:
        out = args.out
        if out is None:
            out = work / "build"
            subprocess.run([BIN / "ryoiki-ld", "build", "--out", out], check=True, capture_output=True)
        script = work / "distinct.lua"
        script.write_text(DISTINCT_LUA)
        servers: dict[str, str] = {}

        ryoiki_ld = [BIN / "ryoiki-ld"]
        ours_variants: list[tuple[str, list, list[str]]] = [("ryoiki-ld serve", ryoiki_ld, [])]
        if not args.no_disk:
            ours_variants.append(("ryoiki-ld serve --store-in disk", ryoiki_ld, ["--store-in", "disk"]))
        for stack in args.stacks:
            launcher = [sys.executable, ROOT / "benchmarks" / "serve_variants.py", stack]
            ours_variants.append((f"ours {stack}", launcher, []))
        for name, launcher, extra in ours_variants:
            port = free_port()
            command = [*launcher, "serve", "--out", out, "--port", str(port), *extra]
            command += ["--access-log", work / f"access-{port}.log"]
            processes.append(subprocess.Popen(command, stderr=subprocess.DEVNULL))
            servers[name] = f"http://127.0.0.1:{port}/sparql"
        native_variants = [("oxigraph serve-read-only", [])]
        if args.native_timeout:
            native_variants.append(("oxigraph --timeout-s 10", ["--timeout-s", "10"]))
        for name, extra in native_variants:
            port = free_port()
            command = [
                BIN / "oxigraph",
                "serve-read-only",
                "--location",
                out / "store",
                "--bind",
                f"127.0.0.1:{port}",
                "--union-default-graph",  # as ours: the store's triples are in named graphs (docs/serving.md)
                *extra,
            ]
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            servers[name] = f"http://127.0.0.1:{port}/query"
        pids = {server: process.pid for server, process in zip(servers, processes, strict=True)}
        for endpoint, process in zip(servers.values(), processes, strict=True):
            wait_until_up(endpoint.rsplit("/", 1)[0] + ("/health" if endpoint.endswith("sparql") else "/"), process)

        for name, query in QUERIES.items():
            answers = {server: answer(endpoint, query) for server, endpoint in servers.items()}
            assert len({json.dumps(a) for a in answers.values()}) == 1, f"{name}: the servers disagree"
            print(f"{name}: both servers give the same {len(answers['ryoiki-ld serve'])} row(s)")

        print(f"load before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; wrk -t2 -c8 -d{args.duration}s")
        results: dict[tuple[str, str, str], list[dict[str, float]]] = {}
        for round_ in range(args.rounds):
            for name, query in QUERIES.items():
                for mode, lua in (("repeated", None), ("distinct", script)):
                    order = list(servers.items())
                    if round_ % 2:
                        order.reverse()
                    for server, endpoint in order:
                        url = endpoint + "?" + urllib.parse.urlencode({"query": query})
                        measured = wrk(url, args.duration, lua, pids[server])
                        results.setdefault((name, mode, server), []).append(measured)
            print(f"round {round_ + 1}/{args.rounds} done (load {os.getloadavg()[0]:.2f})", flush=True)

        print()
        print(
            f"{'query':<10} {'texts':<9} {'server':<32} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7}"
            f" {'CPU µs/req':>10}"
        )
        medians: dict[tuple[str, str, str], dict[str, float]] = {}
        for key, runs in results.items():
            medians[key] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            m = medians[key]
            print(
                f"{key[0]:<10} {key[1]:<9} {key[2]:<32} {m['rps']:>8.0f} {m['p50']:>7.2f} {m['p99']:>7.2f} {m['errors']:>7.0f}"
                f" {m['cpu_us']:>10.0f}"
            )
        print()
        for ours, _, _ in ours_variants:
            as_it_is = ours != "ryoiki-ld serve"
            print(
                f"ratio {ours} ÷ oxigraph serve-read-only (throughput), and our p99"
                + (" [÷ ryoiki-ld serve as it is]" if as_it_is else "")
            )
            for name in QUERIES:
                for mode in ("repeated", "distinct"):
                    ours_m = medians[(name, mode, ours)]
                    native_m = medians[(name, mode, "oxigraph serve-read-only")]
                    today = medians[(name, mode, "ryoiki-ld serve")]
                    print(
                        f"  {name:<10} {mode:<9} {ours_m['rps'] / native_m['rps']:>6.0%}   "
                        f"p99 {ours_m['p99']:.1f} ms (native {native_m['p99']:.1f} ms)"
                        + (f"   [{ours_m['rps'] / today['rps']:.2f}×]" if as_it_is else "")
                    )
        health = json.load(urllib.request.urlopen(servers["ryoiki-ld serve"].rsplit("/", 1)[0] + "/health"))
        print(f"after the run, workers: {health['workers']}; cache of the one that answered: {health['cache']}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
