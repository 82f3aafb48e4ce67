"""Every shape in shapes/ against the examples in tests/shapes/manifest.toml, with both engines.

Each case is base.ttl changed by a SPARQL Update; the test expects exactly the results the manifest
lists (focus node, path, value, source shape, component, severity, messages), from our Oxigraph engine
and from plain pySHACL alike.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from ryoiki_ld import validate
from ryoiki_ld.config import Paths
from ryoiki_ld.validate import shacl

HERE = Path(__file__).parent / "shapes"
MANIFEST = tomllib.loads((HERE / "manifest.toml").read_text(encoding="utf-8"))
PREFIXES: dict[str, str] = MANIFEST["prefixes"]
CASES: list[dict] = MANIFEST["case"]
SH = shacl.SH


def expand(term: str) -> str:
    """A manifest term (prefixed name, or N-Triples literal with a prefixed datatype) in N-Triples form."""
    if term.startswith('"'):
        return re.sub(r"\^\^(\w+):(\w+)$", lambda m: f"^^<{PREFIXES[m[1]]}{m[2]}>", term)
    prefix, _, local = term.partition(":")
    return f"<{PREFIXES[prefix]}{local}>"


@cache
def shapes(which: str) -> list[ox.Triple]:
    return validate.load_shapes(Paths(), which)


@cache
def shape_messages() -> dict[str, tuple[str, ...]]:
    graph = shacl.ShapesGraph(shapes("all"))
    return {s: tuple(sorted(str(m) for m in graph.values(s, SH + "message"))) for s in graph.out}


def case_graph(case: dict) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(HERE / "base.ttl")
    if case["update"].strip():
        declarations = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        graph.update(declarations + case["update"])
    return graph


def expected_results(case: dict) -> list[shacl.Result]:
    results = []
    for r in case["results"]:
        shape = expand(r["shape"])
        messages = shape_messages()[shape]
        results.append(
            shacl.Result(
                focus=expand(r["focus"]),
                path=expand(r["path"]),
                value=expand(r["value"]) if "value" in r else None,
                source_shape=shape,
                component=expand(r["component"]),
                severity=expand(r.get("severity", "sh:Violation")),
                messages=messages,
            )
        )
    return sorted(results)


def run(case: dict, engine: str) -> validate.Report:
    text = case_graph(case).serialize(format="nt")
    triples = [q.triple for q in ox.parse(input=text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
    return validate.run(triples, shapes(case["shapes"]), engine=engine)


@pytest.mark.parametrize("engine", ["oxigraph", "pyshacl"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict, engine: str) -> None:
    report = run(case, engine)
    assert report.engine == engine
    assert report.results == expected_results(case)


@pytest.mark.parametrize("case", [c for c in CASES if c["results"]], ids=lambda c: c["name"])
def test_messages_are_bilingual_and_as_the_manifest_says(case: dict) -> None:
    for r in case["results"]:
        messages = [shacl.literal(m) for m in shape_messages()[expand(r["shape"])]]
        assert {m.language for m in messages} == {"ja", "en"}
        assert [m.value for m in messages if m.language == "en"] == [r["message"]]


@pytest.mark.parametrize("case", [c for c in CASES if "outcome" in c], ids=lambda c: c["name"])
def test_criterion_outcome(case: dict) -> None:
    key = expand(case["examples"][0]).removesuffix("-threshold>").removesuffix("-evidence>")[-1]
    outcomes = validate.assessments(run(case, "oxigraph"))
    found = [a.outcome for a in outcomes if a.network == expand("ex:net") and a.criterion == key]
    assert found == [case["outcome"]]


def property_shapes() -> list[str]:
    graph = shacl.ShapesGraph(shapes("all"))
    return sorted(s for s, props in graph.out.items() if SH + "path" in props)


@pytest.mark.parametrize("shape", property_shapes())
def test_every_shape_has_a_conforming_and_a_violating_example(shape: str) -> None:
    examples = [c for c in CASES if shape in map(expand, c["examples"])]
    assert any(not c["results"] for c in examples), f"no conforming example for {shape}"
    assert any(shape in {expand(r["shape"]) for r in c["results"]} for c in examples), (
        f"no violating example for {shape}"
    )


def test_the_manifest_names_each_case_once() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names))
