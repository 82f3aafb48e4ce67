"""Benchmark of start-up: what a pipeline pays on every commit for `ryoiki-ld --version` and `ryoiki-ld validate` of
the example network, each a new process, timed from process start to exit.

`validate` is timed with an empty cache folder (every run makes the reference triples again: the first run on a
machine, or after an upgrade) and with a warm one (every later run), and with `--engine pyshacl` (warm); beside them
the interpreter alone and `import pandas`, which the RDF path of `validate` no longer loads. Prints the fastest and
the median of the runs and the ratios in the same run. Figures only; nothing is asserted. Machines here are noisy:
run it twice.

    .venv/bin/python benchmarks/bench_cold_start.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "my-network.ttl"
CLI = [sys.executable, "-m", "ryoiki_ld"]


def timed_runs(command: list[str], repeat: int, cache: str | None = None) -> list[float]:
    """Wall seconds of `repeat` runs; `cache`: a cache folder for all runs, or None for a new empty one each run."""
    seconds = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as empty:
            env = os.environ | {"RYOIKI_LD_CACHE_DIR": cache or empty}
            start = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    validate = [*CLI, "validate", str(EXAMPLE)]
    with tempfile.TemporaryDirectory() as warm:
        subprocess.run(validate, env=os.environ | {"RYOIKI_LD_CACHE_DIR": warm}, capture_output=True, check=False)
        cases = {
            "python -c pass": timed_runs([sys.executable, "-c", "pass"], args.repeat, warm),
            "python -c 'import pandas'": timed_runs([sys.executable, "-c", "import pandas"], args.repeat, warm),
            "ryoiki-ld --version": timed_runs([*CLI, "--version"], args.repeat, warm),
            "validate example, empty cache": timed_runs(validate, args.repeat),
            "validate example, warm cache": timed_runs(validate, args.repeat, warm),
            "validate example --engine pyshacl, warm cache": timed_runs(
                [*validate, "--engine", "pyshacl"], args.repeat, warm
            ),
        }
    print(f"{args.repeat} runs each, wall seconds from process start (fastest / median)")
    for name, runs in cases.items():
        print(f"  {name:<48} {min(runs):6.2f} / {statistics.median(runs):6.2f}")
    median = {name: statistics.median(runs) for name, runs in cases.items()}
    print(
        f"  empty ÷ warm cache: {median['validate example, empty cache'] / median['validate example, warm cache']:.1f}×;"
        f" pyshacl ÷ oxigraph engine (warm): "
        f"{median['validate example --engine pyshacl, warm cache'] / median['validate example, warm cache']:.1f}×"
    )


if __name__ == "__main__":
    main()
