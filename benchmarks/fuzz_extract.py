"""Long fuzz run of the extractor: mutated copies of the report text (tests/support/mutate.py) through the extract
API in this process.

Each case is the real report with one to three mutations (lines deleted, duplicated or swapped, digits changed,
also to other scripts, characters inserted or deleted, huge numbers, truncation). The extractor must either
return a table whose row count equals the total the mutated text states (or `--expected-networks`), or raise
SourceError. Prints the counts: cases, clean errors, accepted, crashes (any other exception; the first few are
shown with their mutations), silent row losses (a table returned with a row count other than the total, or
with no total to check it against) and numbers kept as notes (a value note holding a digit). Exit status 1 if there is any crash or silent loss.

    .venv/bin/python benchmarks/fuzz_extract.py [--cases 10000] [--seed 13] [--expected-networks N]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ryoiki_ld.config import DEFAULT_SOURCE, Paths
from ryoiki_ld.errors import SourceError
from ryoiki_ld.extract.report import Extractor
from ryoiki_ld.extract.rules import load_rules
from tests.support.mutate import mutate, numbers_in_notes, stated_total, to_bytes

SHOW = 5  # crashes and losses printed in full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--expected-networks", type=int, default=None)
    args = parser.parse_args()
    seed_text = DEFAULT_SOURCE.read_text(encoding="utf-8")
    rules = load_rules(Paths())
    rnd = random.Random(args.seed)
    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    shown = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.txt"
        for case in range(args.cases):
            text, done = mutate(seed_text, rnd)
            source.write_bytes(to_bytes(text))
            stated = stated_total(text)
            total = args.expected_networks if stated is None else stated
            counts["cases"] += 1
            try:
                table = Extractor(source, rules, args.expected_networks).run()
            except SourceError as e:
                counts["clean errors"] += 1
                errors[e.message.split(":")[0][:50]] += 1
                continue
            except Exception:
                counts["crashes"] += 1
                if shown < SHOW:
                    shown += 1
                    print(f"crash in case {case}: {done}\n{traceback.format_exc(limit=-3)}", flush=True)
                continue
            counts["accepted"] += 1
            if total in (None, "refuse") or len(table) != total or list(table["no"]) != list(range(1, len(table) + 1)):
                counts["silent row losses"] += 1
                if shown < SHOW:
                    shown += 1
                    print(f"silent loss in case {case}: {done}: {len(table)} rows, total {total}", flush=True)
            if numbers_in_notes(list(table["value_notes"])):
                counts["numbers kept as notes"] += 1
                if shown < SHOW:
                    shown += 1
                    print(f"number kept as a note in case {case}: {done}", flush=True)
    seconds = time.perf_counter() - started
    print(
        f"cases {counts['cases']} | clean errors {counts['clean errors']} | accepted {counts['accepted']} | "
        f"crashes {counts['crashes']} | silent row losses {counts['silent row losses']} | "
        f"numbers kept as notes {counts['numbers kept as notes']} | "
        f"{seconds:.1f} s ({1000 * seconds / max(counts['cases'], 1):.1f} ms per case)"
    )
    print("most frequent errors:", ", ".join(f"{m!r} × {n}" for m, n in errors.most_common(8)))
    sys.exit(1 if counts["crashes"] or counts["silent row losses"] or counts["numbers kept as notes"] else 0)


if __name__ == "__main__":
    main()
