"""Long fuzz run of `validate`: mutated copies of real inputs in every format (tests/support/hostile_input.py)
through the validate API in this process, then the hostile files of issue 13 through the real command.

Each case is a seed (the example network as Turtle, N-Triples, JSON-LD, RDF/XML; three rows of the table as CSV)
with one to four mutations (characters and lines deleted, inserted, duplicated; numbers made huge or ill-typed;
deep nesting; long runs; other scripts, invalid UTF-8). `validate_files` must return a report (accepted: it
conforms, or has violations) or raise RyoikiError (a clean error); anything else is a crash, and a case over
5 s is slow. Prints the counts per format and the first crashes with their mutations. Then each hostile file
runs through `python -m ryoiki_ld validate` in a subprocess: it must exit 2 within 5 s with one line naming
the file, never a signal or a traceback. Exit status 1 if there is any crash, slow case or failed hostile run.

    .venv/bin/python benchmarks/fuzz_validate.py [--cases 10000] [--seed 13]
"""

from __future__ import annotations

import argparse
import logging
import random
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ryoiki_ld import validate
from ryoiki_ld.config import Settings
from ryoiki_ld.errors import RyoikiError
from tests.support.hostile_input import FORMATS, HOSTILE, mutate, seeds

SHOW = 5  # crashes printed in full
SLOW_S = 5.0


def fuzz(cases: int, seed: int, tmp: Path) -> bool:
    """The in-process cases; whether there was no crash and no slow case."""
    settings = Settings()
    originals = seeds()
    rnd = random.Random(seed)
    counts = {fmt: Counter() for fmt in FORMATS}
    shown = 0
    slowest = 0.0
    started = time.perf_counter()
    for case in range(cases):
        fmt = FORMATS[case % len(FORMATS)]
        data, done = mutate(originals[fmt], fmt, rnd)
        path = tmp / f"case.{fmt}"
        path.write_bytes(data)
        counts[fmt]["cases"] += 1
        began = time.perf_counter()
        try:
            report = validate.validate_files([path], settings)
        except RyoikiError:
            counts[fmt]["clean errors"] += 1
        except Exception:
            counts[fmt]["crashes"] += 1
            if shown < SHOW:
                shown += 1
                kept = Path(tempfile.gettempdir()) / f"fuzz-validate-crash-{case}.{fmt}"
                kept.write_bytes(data)
                print(f"--- crash, case {case} ({fmt}, {', '.join(done)}), input kept in {kept}")
                traceback.print_exc(limit=-3)
        else:
            counts[fmt]["accepted: conforms" if report.conforms else "accepted: violations"] += 1
        elapsed = time.perf_counter() - began
        slowest = max(slowest, elapsed)
        if elapsed > SLOW_S:
            counts[fmt]["slow"] += 1
        if (case + 1) % 1000 == 0:
            print(f"{case + 1} cases, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    columns = ["cases", "clean errors", "accepted: conforms", "accepted: violations", "crashes", "slow"]
    print(f"{'format':<8}" + "".join(f"{c:>22}" for c in columns))
    total: Counter[str] = Counter()
    for fmt in FORMATS:
        total.update(counts[fmt])
        print(f"{fmt:<8}" + "".join(f"{counts[fmt][c]:>22}" for c in columns))
    print(f"{'all':<8}" + "".join(f"{total[c]:>22}" for c in columns))
    print(f"{cases} cases in {seconds:.0f} s ({seconds / max(cases, 1) * 1000:.0f} ms each, slowest {slowest:.2f} s)")
    return total["crashes"] == 0 and total["slow"] == 0


def hostile(tmp: Path) -> bool:
    """Each hostile file through the real command; whether every one ended as it must."""
    good = True
    for name, make in HOSTILE.items():
        path = tmp / name
        path.write_bytes(make())
        began = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "ryoiki_ld", "validate", str(path)], capture_output=True, text=True, timeout=60
        )
        seconds = time.perf_counter() - began
        lines = run.stderr.splitlines()
        ok = (
            run.returncode == 2
            and seconds <= SLOW_S
            and len(lines) == 1
            and str(path) in lines[0]
            and "Traceback" not in run.stderr
        )
        good &= ok
        print(
            f"{'ok  ' if ok else 'FAIL'} {name:<22} exit {run.returncode:>3} {seconds:5.2f} s  {lines[0][:110] if lines else ''}"
        )
        path.unlink()
    return good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    logging.getLogger("rdflib").setLevel(logging.ERROR)  # as the command does (cli.main)
    warnings.filterwarnings("ignore", module="rdflib")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name) / "cases"
        tmp.mkdir()
        clean = fuzz(args.cases, args.seed, tmp)
        print()
        survived = hostile(tmp)
    sys.exit(0 if clean and survived else 1)


if __name__ == "__main__":
    main()
