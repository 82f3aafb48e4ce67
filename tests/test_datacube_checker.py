"""The Data Cube checker (tests/support/datacube.py) can fail: a small well-formed cube passes, and for each of
IC-1 … IC-21 a broken copy of it, one planted fault, is caught by that constraint. The spec's normalisation is
shown doing its work, and the keyed IC-12 and IC-17 agree with the spec's own queries."""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest

from .support import datacube

VALID = datacube.SPEC / "examples" / "valid.ttl"
TURTLE_PREFIXES = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix qb:   <http://purl.org/linked-data/cube#> .
@prefix ex:   <http://example.org/qb-ic/> .
"""
EX = "http://example.org/qb-ic/"


def triples(turtle: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(TURTLE_PREFIXES + turtle, format=ox.RdfFormat.TURTLE)]


def cube(remove: str = "", add: str = "") -> list[ox.Triple]:
    """valid.ttl without the triples of `remove` (each must be there) and with those of `add`."""
    data = [q.triple for q in ox.parse(path=str(VALID), format=ox.RdfFormat.TURTLE)]
    gone = triples(remove)
    assert [t for t in gone if t not in data] == [], "remove only what valid.ttl holds"
    return [t for t in data if t not in gone] + triples(add)


DATASET_UNIT = """
ex:dsd qb:component ex:c-unit .
ex:c-unit qb:attribute ex:unit ; qb:componentRequired true ; qb:componentAttachment qb:DataSet .
ex:unit rdfs:range skos:Concept .
"""
TREE = "ex:tree a qb:HierarchicalCodeList ; qb:hierarchyRoot ex:net1 ."

# name -> (triples removed from valid.ttl, triples added, the constraints the result violates). Where the
# planted fault cannot break one constraint alone, the comment says why.
BROKEN: dict[str, tuple[str, str, list[str]]] = {
    "IC-1 observation without a data set": ("", "ex:o9 a qb:Observation ; ex:network ex:net3 .", ["IC-1"]),
    # In its second data set ex:o2-count is a point with one measure of two.
    "IC-1 observation in two data sets": (
        "",
        "ex:o2-count qb:dataSet ex:ds2 . ex:ds2 qb:structure ex:dsd .",
        ["IC-1", "IC-17"],
    ),
    "IC-2 data set without a structure": ("", "ex:ds2 a qb:DataSet .", ["IC-2"]),
    # ex:dsd2 has ex:dsd's components but one measure, so ex:ds's points now have the wrong number.
    "IC-2 data set with two structures": (
        "",
        "ex:ds qb:structure ex:dsd2 . ex:dsd2 a qb:DataStructureDefinition ;"
        " qb:component ex:c-network, ex:c-measureType, ex:c-count .",
        ["IC-2", "IC-17"],
    ),
    "IC-3 structure without a measure": (
        "",
        "ex:dsd2 a qb:DataStructureDefinition ; qb:component ex:c-network .",
        ["IC-3"],
    ),
    "IC-4 dimension without a range": ("ex:network rdfs:range skos:Concept .", "", ["IC-4"]),
    "IC-5 concept dimension without a code list": ("ex:network qb:codeList ex:networks .", "", ["IC-5"]),
    "IC-6 optional measure": ("", "ex:c-count qb:componentRequired false .", ["IC-6"]),
    "IC-7 slice key of no structure": ("", "ex:key-orphan a qb:SliceKey ; qb:componentProperty ex:network .", ["IC-7"]),
    "IC-8 slice key with a property the structure lacks": (
        "",
        "ex:key-bad a qb:SliceKey ; qb:componentProperty ex:region . ex:dsd qb:sliceKey ex:key-bad .",
        ["IC-8"],
    ),
    "IC-9 slice without a slice key": ("ex:slice-net1 qb:sliceStructure ex:key-network .", "", ["IC-9"]),
    "IC-9 slice with two slice keys": (
        "",
        "ex:slice-net1 qb:sliceStructure ex:key-other . ex:key-other a qb:SliceKey ; qb:componentProperty ex:network ."
        " ex:dsd qb:sliceKey ex:key-other .",
        ["IC-9"],
    ),
    "IC-10 slice without its key's dimension": (
        "",
        "ex:slice-empty a qb:Slice ; qb:sliceStructure ex:key-network .",
        ["IC-10"],
    ),
    "IC-11 observation without a dimension": (
        "",
        "ex:o3 qb:dataSet ex:ds ; ex:network ex:net3 ; ex:count 1 .",
        ["IC-11"],
    ),
    # Two observations of one measure at one point: the point has three observations for two measures.
    "IC-12 duplicate observation": (
        "",
        "ex:o2-count-again qb:dataSet ex:ds ; ex:network ex:net2 ; qb:measureType ex:count ; ex:count 8 .",
        ["IC-12", "IC-17"],
    ),
    "IC-13 required attribute missing": (
        "ex:c-status qb:componentRequired false .",
        "ex:c-status qb:componentRequired true .",
        ["IC-13"],
    ),
    "IC-14 measure missing in a cube without qb:measureType": (
        "",
        "ex:dsd-flat a qb:DataStructureDefinition ; qb:component ex:c-network, ex:c-count, ex:c-amount ."
        " ex:ds-flat qb:structure ex:dsd-flat . ex:f1 qb:dataSet ex:ds-flat ; ex:network ex:net1 ; ex:count 5 .",
        ["IC-14"],
    ),
    "IC-15 no value for the observation's measure type": ("ex:o2-amount ex:amount 1200.0 .", "", ["IC-15"]),
    "IC-16 a second measure on a measure-type observation": ("", "ex:o2-amount ex:count 7 .", ["IC-16"]),
    "IC-17 a point without one of its measures": (
        "ex:o2-amount a qb:Observation ; qb:dataSet ex:ds ; ex:network ex:net2 ; qb:measureType ex:amount ;"
        " ex:amount 1200.0 .",
        "",
        ["IC-17"],
    ),
    "IC-18 slice observation outside the slice's data set": (
        "",
        "ex:ds2 a qb:DataSet ; qb:structure ex:dsd ; qb:slice ex:slice-net1 .",
        ["IC-18"],
    ),
    "IC-19 code not in the concept scheme": (
        "ex:o2-count ex:network ex:net2 . ex:o2-amount ex:network ex:net2 .",
        "ex:o2-count ex:network ex:net9 . ex:o2-amount ex:network ex:net9 . ex:net9 a skos:Concept .",
        ["IC-19"],
    ),
    "IC-19 code not in the collection": (
        "ex:network qb:codeList ex:networks .",
        "ex:network qb:codeList ex:some . ex:some a skos:Collection ; skos:member ex:net1 .",
        ["IC-19"],
    ),
    "IC-20 code not reached from the hierarchy's root": (
        "ex:network qb:codeList ex:networks .",
        f"ex:network qb:codeList ex:tree . {TREE} ex:tree qb:parentChildProperty ex:hasPart .",
        ["IC-20"],
    ),
    "IC-21 code not reached from the root by the inverse property": (
        "ex:network qb:codeList ex:networks .",
        f"ex:network qb:codeList ex:tree . {TREE} ex:tree qb:parentChildProperty [ owl:inverseOf ex:partOf ] .",
        ["IC-21"],
    ),
}

# Variants that are well-formed: the constraints above do not fire on every change of valid.ttl.
WELL_FORMED: dict[str, tuple[str, str]] = {
    "valid.ttl as it is": ("", ""),
    "code list as a skos:Collection reaching every code": (
        "ex:network qb:codeList ex:networks .",
        "ex:network qb:codeList ex:some . ex:some a skos:Collection ; skos:member ex:net1, ex:nested ."
        " ex:nested a skos:Collection ; skos:member ex:net2 .",
    ),
    "hierarchical code list reaching every code": (
        "ex:network qb:codeList ex:networks .",
        f"ex:network qb:codeList ex:tree . {TREE} ex:tree qb:parentChildProperty ex:hasPart ."
        " ex:net1 ex:hasPart ex:net2 .",
    ),
    "hierarchical code list reaching every code by the inverse property": (
        "ex:network qb:codeList ex:networks .",
        f"ex:network qb:codeList ex:tree . {TREE} ex:tree qb:parentChildProperty [ owl:inverseOf ex:partOf ] ."
        " ex:net2 ex:partOf ex:net1 .",
    ),
    "a cube without qb:measureType with every measure": (
        "",
        "ex:dsd-flat a qb:DataStructureDefinition ; qb:component ex:c-network, ex:c-count, ex:c-amount ."
        " ex:ds-flat qb:structure ex:dsd-flat . ex:f1 qb:dataSet ex:ds-flat ; ex:network ex:net1 ; ex:count 5 ;"
        " ex:amount 1.5 .",
    ),
    "a required attribute attached to the data set (pushed down by phase 2)": (
        "",
        DATASET_UNIT + "ex:ds ex:unit ex:yen .",
    ),
    "a required attribute attached to the slice (pushed down by phase 2)": (
        "",
        "ex:dsd qb:component ex:c-source . ex:c-source qb:attribute ex:source ; qb:componentRequired true ;"
        " qb:componentAttachment qb:Slice . ex:slice-net1 ex:source ex:report ."
        " ex:o2-count ex:source ex:report . ex:o2-amount ex:source ex:report .",
    ),
    "component properties not typed (typed by phase 1)": (
        "ex:network a qb:DimensionProperty . ex:count a qb:MeasureProperty . ex:amount a qb:MeasureProperty ."
        " ex:status a qb:AttributeProperty . ex:o1-count a qb:Observation . ex:o2-count a qb:Observation .",
        "",
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_planted_fault_is_caught_by_its_constraint(name: str) -> None:
    remove, add, expected = BROKEN[name]
    assert datacube.violated(cube(remove, add)) == expected


def test_every_constraint_has_a_planted_fault() -> None:
    caught = {ic for _, _, expected in BROKEN.values() for ic in expected}
    assert caught == set(datacube.CONSTRAINTS)
    assert {name.split(" ")[0] for name in BROKEN} == set(datacube.CONSTRAINTS)


@pytest.mark.parametrize("name", WELL_FORMED)
def test_a_well_formed_variant_passes(name: str) -> None:
    assert datacube.violated(cube(*WELL_FORMED[name])) == []


@pytest.mark.parametrize("name", [*BROKEN, *WELL_FORMED])
def test_the_keyed_ic12_and_ic17_agree_with_the_spec(name: str) -> None:
    remove, add = (BROKEN[name][:2]) if name in BROKEN else WELL_FORMED[name]
    data = cube(remove, add)
    store = datacube.normalised(data)
    if not datacube.asks(store, "ic-11.rq"):
        assert datacube.asks(store, "ic-12-fast.rq") == datacube.asks(store, "ic-12.rq")
        assert datacube.asks(store, "ic-17-fast.rq") == datacube.asks(store, "ic-17.rq")
    assert datacube.violated(data) == datacube.violated(data, fast=False)


def test_ic17_as_printed_never_fires_in_oxigraph() -> None:
    """Its HAVING names a SELECT alias, unbound there in SPARQL 1.1: the checker counts in the HAVING instead."""
    store = datacube.normalised(cube(*BROKEN["IC-17 a point without one of its measures"][:2]))
    printed = datacube.PREFIXES + (datacube.SPEC / "ic-17.rq").read_text(encoding="utf-8")
    assert not store.query(printed)
    assert store.query(printed.replace(*datacube.IC17_HAVING))


def test_phase_2_pushes_a_data_set_attachment_down_to_every_observation() -> None:
    data = cube(add=DATASET_UNIT + "ex:ds ex:unit ex:yen .")
    store = datacube.normalised(data)
    unit, yen = ox.NamedNode(EX + "unit"), ox.NamedNode(EX + "yen")
    observations = {q.subject.value.removeprefix(EX) for q in store.quads_for_pattern(None, unit, yen)}
    assert observations == {"ds", "o1-count", "o1-amount", "o2-count", "o2-amount"}
    assert datacube.violated(data, normalise=False) == ["IC-3", "IC-8"]  # no qb:componentProperty before phase 1
    assert datacube.violated(cube(add=DATASET_UNIT)) == ["IC-13"]  # nothing to push down


def test_phase_2_pushes_the_slice_dimension_value_down_to_its_observations() -> None:
    """valid.ttl's ex:o1-* have their network from the slice only: without it they lack a dimension (IC-11),
    and the spec's IC-12 and IC-17 compare them with ex:o2-* on the one dimension they have."""
    store = datacube.normalised(cube())
    network, net1 = ox.NamedNode(EX + "network"), ox.NamedNode(EX + "net1")
    assert {q.subject.value.removeprefix(EX) for q in store.quads_for_pattern(None, network, net1)} == {
        "slice-net1",
        "o1-count",
        "o1-amount",
    }
    outside = cube("ex:slice-net1 qb:observation ex:o1-count, ex:o1-amount .")
    assert datacube.violated(outside) == ["IC-11", "IC-12", "IC-17"]


def test_phase_1_types_the_properties_the_constraints_rely_on() -> None:
    """Without `ex:network a qb:DimensionProperty`, IC-4 still asks ex:network for a range: phase 1 types it from
    `qb:dimension ex:network`."""
    untyped = "ex:network a qb:DimensionProperty . ex:network rdfs:range skos:Concept ."
    assert datacube.violated(cube(untyped)) == ["IC-4"]
    assert datacube.violated(cube(untyped), normalise=False) == ["IC-3", "IC-8"]


def synthetic(networks: int, measures: int = 6) -> list[ox.Triple]:
    """A well-formed cube of networks × measures observations with three dimensions (network, period, measure type)."""
    lines = [
        "ex:dsd a qb:DataStructureDefinition ; qb:component ex:c-net, ex:c-period, ex:c-mt"
        + "".join(f", ex:c-m{m}" for m in range(measures))
        + " .",
        "ex:c-net qb:dimension ex:network . ex:c-period qb:dimension ex:period . ex:c-mt qb:dimension qb:measureType .",
        "ex:network rdfs:range skos:Concept ; qb:codeList ex:networks . ex:networks a skos:ConceptScheme .",
        "ex:period rdfs:range rdfs:Resource . ex:ds a qb:DataSet ; qb:structure ex:dsd .",
    ]
    lines += [f"ex:c-m{m} qb:measure ex:m{m} . ex:m{m} rdfs:range rdfs:Literal ." for m in range(measures)]
    for n in range(networks):
        lines.append(f"ex:n{n} a skos:Concept ; skos:inScheme ex:networks .")
        lines += [
            f"ex:o{n}-{m} qb:dataSet ex:ds ; ex:network ex:n{n} ; ex:period ex:fy2019 ; qb:measureType ex:m{m} ;"
            f" ex:m{m} {n} ."
            for m in range(measures)
        ]
    return triples("\n".join(lines))


def test_a_cube_of_two_thousand_observations_is_checked_in_seconds() -> None:
    data = synthetic(334)
    assert len({t.subject for t in data if t.predicate.value.endswith("#dataSet")}) == 2004
    start = time.perf_counter()
    assert datacube.violated(data) == []
    assert time.perf_counter() - start < 5
    duplicate = triples(
        "ex:again qb:dataSet ex:ds ; ex:network ex:n7 ; ex:period ex:fy2019 ; qb:measureType ex:m2 ; ex:m2 8 ."
    )
    assert datacube.violated(data + duplicate) == ["IC-12", "IC-17"]
