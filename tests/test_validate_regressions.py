"""Every input that crashed, hung or fooled `ryoiki-ld validate` in issue 13, through the real command.

The small ones are files in tests/regressions/validate/ (the Turtle ones say what they broke); the big ones (deep
nesting, billion laughs, 20 MB literals, a 2 MB CSV field) are built from the recipes in
tests/support/hostile_input.py. Each ends within 5 s of CPU time with its exit code: 2 and one line naming the file
(bad input, a bound, or nothing to validate), or 1 and the violation (an ill-typed or huge row number is the
shapes' to report). Never a signal, never a traceback. CPU time, not wall time, so that a loaded machine does not
fail the test; wall time is bounded too, loosely, as a guard against a hang (benchmarks/fuzz_validate.py reports
wall times).
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from ryoiki_ld.config import ROOT

from .support.cli import run_cli
from .support.hostile_input import HOSTILE

CORPUS = ROOT / "tests" / "regressions" / "validate"
LIMIT_S = 5.0  # CPU seconds of the command
HANG_S = 30.0  # wall seconds

# File → (exit code, what the message or report must say).
STORED = {
    "huge-row-number.ttl": (1, "[rlds:network-survey-row-number]"),
    "ill-typed-row-number.ttl": (1, "[rlds:network-survey-row-number]"),
    "two-row-numbers.ttl": (1, "[rlds:network-survey-row-number]"),
    "misspelt-type.ttl": (2, ": nothing to validate: no rld:Network here"),
    "missing-type.nt": (2, ": nothing to validate: no rld:Network here"),
    "empty-type.jsonld": (2, ": nothing to validate: no rld:Network here"),
    "header-only.csv": (2, ": nothing to validate: no rld:Network here"),
    "duplicate-header.csv": (2, ":1: column(s) name named more than once in the header"),
    "huge-count.csv": (2, ":2: row 1, column participating: '99999999999999999999999999999' is beyond"),
    "huge-count-with-unknown.csv": (2, ":2: row 1, column participating: '9007199254740993' is beyond"),
    "count-of-5000-digits.csv": (2, ":2: row 1, column participating: '9999"),
    "external-entity.rdf": (2, ":2: declares the entity 'secret'"),
    "unknown-encoding.rdf": (2, ":1: not valid rdfxml: unknown encoding"),
}
GENERATED = {
    "deep-objects.jsonld": ":1: nested more than 100 deep (the limit; --max-depth raises it)",
    "deep-arrays.jsonld": ":1: nested more than 100 deep",
    "deep-blank-nodes.ttl": ":2: nested more than 100 deep",
    "deep-lists.ttl": ":2: nested more than 100 deep",
    "deep-elements.rdf": ":1: elements nested more than 100 deep",
    "billion-laughs.rdf": ":3: declares the entity 'lol': entity declarations are refused",
    "big-literal.ttl": ":1: a literal or IRI of 20,000,000 bytes, over 1,048,576 (the limit; --max-literal-bytes",
    "big-literal.nt": ":1: a literal or IRI of 20,000,000 bytes",
    "big-literal.jsonld": ":1: a literal or IRI of 20,000,000 bytes",
    "big-literal.rdf": ":1: element text over 1,048,576 bytes",
    "big-iri.ttl": ":1: a literal or IRI of 20,000,009 bytes",
    "big-name.ttl": ": not valid turtle: a token too large to parse",
    "big-number.ttl": ": not valid turtle: a token too large to parse",
    "big-field.csv": ":2: a field over 1,048,576 characters (the limit; --max-literal-bytes raises it)",
}


def test_every_stored_file_and_recipe_is_checked():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(STORED)
    assert sorted(HOSTILE) == sorted(GENERATED)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[object, float, float, Path]]:
    """Every file of the corpus and every recipe through `ryoiki-ld validate`, one at a time:
    name → (run, CPU seconds, wall seconds, path)."""
    tmp = tmp_path_factory.mktemp("hostile")
    paths = {name: CORPUS / name for name in STORED}
    for name, make in HOSTILE.items():
        paths[name] = tmp / name
        paths[name].write_bytes(make())
    found = {}
    for name, path in paths.items():
        cpu, wall = _children_cpu(), time.perf_counter()
        run = run_cli("validate", path)
        found[name] = (run, _children_cpu() - cpu, time.perf_counter() - wall, path)
    return found


@pytest.mark.parametrize("name", sorted({**STORED, **GENERATED}))
def test_a_hostile_file_ends_quickly_with_its_exit_code_and_no_traceback(runs, name):
    run, cpu, wall, path = runs[name]
    code, says = STORED.get(name, (2, GENERATED.get(name)))
    assert run.returncode == code, (run.returncode, run.stderr)
    assert cpu <= LIMIT_S and wall <= HANG_S
    assert "Traceback" not in run.stdout + run.stderr
    if code == 2:
        assert run.stderr.splitlines() == [run.stderr.rstrip("\n")]  # one line
        assert run.stderr.startswith(f"error: {path}")
        assert says in run.stderr
    else:
        assert run.stderr == ""
        assert says in run.stdout and "不適合 does not conform" in run.stdout
