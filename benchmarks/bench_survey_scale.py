"""Benchmark of a whole `ryoiki-ld build` at scale: synthetic tidy-CSV surveys (the real rows repeated, renumbered
1…n, `network` empty), each built by the real command in a new process, from process start to exit, per stage.

Prints each size's stages and total, the files and bytes the build wrote, and the growth exponent between
consecutive sizes (log(t2/t1) / log(n2/n1): 1.0 is linear). Figures only; nothing is asserted. Every build is
written to a temporary folder and deleted; a build writes about 0.7 MB and 51 files per row (mostly the site),
so 100,000 rows need about 70 GB of free disk: the default sizes stop at 10,000.

    .venv/bin/python benchmarks/bench_survey_scale.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SURVEY = (ROOT / "surveys" / "fy2019.toml").read_text(encoding="utf-8")
STAGE = re.compile(r"^(\w+) done \(([0-9.]+) s\)$", re.M)


def write_survey(folder: Path, real: pd.DataFrame, n: int) -> Path:
    rows = real.iloc[[i % len(real) for i in range(n)]].reset_index(drop=True)
    rows["no"] = range(1, n + 1)
    rows["network"] = ""
    rows.to_csv(folder / "survey.csv", index=False, lineterminator="\n")
    text = SURVEY.replace('format = "mhlw-report-text"', 'format = "tidy-csv"')
    text = re.sub(r'^file = ".*"$', 'file = "survey.csv"', text, flags=re.M)
    (folder / "synthetic.toml").write_text(text, encoding="utf-8")
    return folder


def build(surveys: Path, out: Path) -> tuple[float, dict[str, float], str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "ryoiki_ld", "build", "--surveys", str(surveys), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    return wall, {name: float(s) for name, s in STAGE.findall(result.stderr)}, result.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        real_out = Path(tmp) / "real"
        subprocess.run(
            [sys.executable, "-m", "ryoiki_ld", "build", "--out", str(real_out)], check=True, capture_output=True
        )
        real = pd.read_csv(real_out / "data" / "networks.csv", dtype=str, keep_default_na=False)
        results = []
        for n in args.sizes:
            folder = write_survey(Path(tempfile.mkdtemp(dir=tmp)), real, n)
            out = Path(tmp) / f"out-{n}"
            wall, stages, _ = build(folder, out)
            files = [p for p in out.rglob("*") if p.is_file()]
            size = sum(p.stat().st_size for p in files)
            results.append((n, wall, stages))
            line = "  ".join(f"{k} {v:.1f}" for k, v in stages.items())
            print(f"{n:>7} rows: {wall:7.1f} s wall | {line} | {len(files):,} files, {size / 1e6:,.0f} MB", flush=True)
            subprocess.run(["rm", "-rf", str(out), str(folder)], check=True)
        for (n1, t1, s1), (n2, t2, s2) in itertools.pairwise(results):
            growth = {k: math.log(s2[k] / s1[k]) / math.log(n2 / n1) for k in s2 if s1.get(k, 0) > 0 and s2[k] > 0}
            per_stage = "  ".join(f"{k} {g:.2f}" for k, g in growth.items())
            print(f"{n1} → {n2}: exponent {math.log(t2 / t1) / math.log(n2 / n1):.2f} (wall) | {per_stage}")


if __name__ == "__main__":
    main()
