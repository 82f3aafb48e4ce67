"""Kill `ryoiki-ld build` with SIGKILL at random moments and count what a kill can do to DIR.

Each round starts a build into DIR, kills it after a random delay (between 0 and a little over a whole
build), and checks DIR: it must be the previous build, byte for byte (or, if the build finished first, a
new one identical outside store/). A watcher thread checks every 0.5 ms that DIR exists. After the last
round one good build runs; then nothing may be left beside DIR and no build process may be running.
Figures only; `tests/test_swap.py` asserts the same with fewer rounds.

    .venv/bin/python benchmarks/fuzz_build_kills.py [--kills 42] [--seed 13] [--dir /tmp/kills]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BUILD = [sys.executable, "-m", "ryoiki_ld", "build", "--out"]


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def published(d: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in d.items() if not k.startswith("store/")}


def whole_new_build(out: Path, now: dict[str, str], before: dict[str, str]) -> bool:
    """A build swapped in before the kill (while the old one was being removed): the same published files,
    and a store that opens and holds the triples its build.json states."""
    import json

    import pyoxigraph as ox

    if published(now) != published(before):
        return False
    store = ox.Store.read_only(str(out / "store"))
    return len(store) == json.loads((out / "build.json").read_text())["triples"]


def build_processes(out: Path) -> int:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return sum(1 for line in ps.splitlines() if str(out) in line and "ryoiki_ld" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=42)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--dir", type=Path, default=None, help="where DIR goes (default: a new temporary folder)")
    args = parser.parse_args()
    parent = args.dir or Path(tempfile.mkdtemp(prefix="ryoiki-kills-"))
    out = parent / "out"
    started = time.perf_counter()
    subprocess.run([*BUILD, str(out)], check=True, capture_output=True)
    build_s = time.perf_counter() - started
    before = digest(out)
    missing, damaged, swapped, finished, debris_peak = 0, 0, 0, 0, 0
    watching = threading.Event()
    watching.set()

    def watch() -> None:
        nonlocal missing
        while watching.is_set():
            if not (out / "build.json").is_file():
                missing += 1
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    rng = random.Random(args.seed)
    try:
        for _ in range(args.kills):
            build = subprocess.Popen([*BUILD, str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, build_s * 1.2))
            build.send_signal(signal.SIGKILL)
            build.wait()
            now = digest(out)
            if build.returncode == 0:
                finished += 1
            elif now != before:
                swapped += 1
            if now != before:
                damaged += not whole_new_build(out, now, before)
                before = now
            debris_peak = max(debris_peak, len(list(parent.glob(".out.tmp-*"))))
        time.sleep(0.5)
        orphans = build_processes(out)
        subprocess.run([*BUILD, str(out)], check=True, capture_output=True)
    finally:
        watching.clear()
        watcher.join()
    left = sorted(p.name for p in parent.iterdir() if p.name != "out")
    print(f"build: {build_s:.2f} s; {args.kills} builds killed at random moments ({finished} finished first)")
    print(
        f"after a kill, DIR was the previous build byte for byte {args.kills - finished - swapped} times, the new "
        f"build (swapped in, killed while removing the old one) {swapped} times, anything else {damaged} times"
    )
    print(f"DIR missing (0.5 ms watcher): {missing}")
    print(f"temporary entries beside DIR: at most {debris_peak} between kills, {len(left)} after the next build {left}")
    print(f"build processes still running 0.5 s after the last kill: {orphans}")
    print(f"total {time.perf_counter() - started:.1f} s")
    if args.dir is None:
        shutil.rmtree(parent)


if __name__ == "__main__":
    main()
