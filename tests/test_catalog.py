"""The catalogue: DCAT-AP 3 (checked with SHACL), sizes and checksums of the real files, VoID counts against
SPARQL, schema.org and CKAN documents, provenance, and `ryoiki-ld catalog`."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate

from ryoiki_ld import __version__
from ryoiki_ld.config import DEFAULT_BASE_IRI, DEFAULT_SOURCE, ROOT, Output
from ryoiki_ld.store import UNION_DEFAULT_GRAPH, read_manifest

from .support.cli import run_cli

BASE = DEFAULT_BASE_IRI
DATASET = f"{BASE}id/dataset/ryoiki-ld"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
RLD = rdflib.Namespace("https://w3id.org/ryoiki-ld/def#")
DISTRIBUTIONS = pd.read_csv(ROOT / "data" / "catalog" / "distributions.csv", dtype=str, keep_default_na=False)
DCAT_AP_SHAPES = Path(__file__).parent / "dcat_ap" / "dcat-ap-3.ttl"


@pytest.fixture(scope="module")
def catalog(built: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(built / "site" / "catalog.ttl")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_catalogue_conforms_to_dcat_ap_3(catalog):
    conforms, _, text = validate(catalog, shacl_graph=rdflib.Graph().parse(DCAT_AP_SHAPES), inference="none")
    assert conforms, text


def test_the_whole_graph_with_its_catalogue_conforms_to_dcat_ap_3(built, catalog):
    """DCAT-AP's rules on concepts and concept schemes apply to every one in the graph (the criteria, the coverage
    types, the outcomes, the observation statuses), not only to the catalogue's."""
    graph = rdflib.Graph().parse(built / "dump" / "ryoiki-ld.nt")
    graph += catalog
    shapes = rdflib.Graph().parse(DCAT_AP_SHAPES)
    conforms, _, text = validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text
    broken = graph - rdflib.Graph()
    criterion = rdflib.URIRef(f"{BASE}id/criterion/a")
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    broken.remove((criterion, skos.prefLabel, None))
    broken.remove((RLD.CoverageTypes, DCT.title, None))
    conforms, report, _ = validate(broken, shacl_graph=shapes, inference="none")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    failed = {
        (report.value(r, sh.focusNode), report.value(r, sh.resultPath)) for r in report.subjects(sh.focusNode, None)
    }
    assert not conforms and failed == {(criterion, skos.prefLabel), (RLD.CoverageTypes, DCT.title)}


def test_the_dcat_ap_shapes_catch_what_is_missing(catalog):
    broken = rdflib.Graph()
    for t in catalog:
        broken.add(t)
    broken.remove((rdflib.URIRef(f"{BASE}id/catalog/ryoiki-ld"), DCT.publisher, None))
    broken.remove((rdflib.URIRef(f"{BASE}id/distribution/dump-nt"), DCAT.byteSize, None))
    conforms, report, _ = validate(broken, shacl_graph=rdflib.Graph().parse(DCAT_AP_SHAPES), inference="none")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    failed = {
        (str(report.value(r, sh.focusNode)), str(report.value(r, sh.resultPath)))
        for r in report.subjects(sh.focusNode, None)
    }
    assert not conforms
    assert failed == {
        (f"{BASE}id/catalog/ryoiki-ld", str(DCT.publisher)),
        (f"{BASE}id/distribution/dump-nt", str(DCAT.byteSize)),
    }


@pytest.mark.parametrize("row", list(DISTRIBUTIONS.itertuples()), ids=list(DISTRIBUTIONS.key))
def test_every_download_is_published_with_its_real_size_and_checksum(built, catalog, row):
    published = built / "site" / row.path
    origin = {"build": built / row.path, "project": ROOT / row.path, "source": DEFAULT_SOURCE}[row.origin]
    assert published.read_bytes() == origin.read_bytes()
    d = rdflib.URIRef(f"{BASE}id/distribution/{row.key}")
    assert (rdflib.URIRef(DATASET), DCAT.distribution, d) in catalog
    assert catalog.value(d, DCAT.downloadURL) == rdflib.URIRef(BASE + row.path)
    assert catalog.value(d, DCAT.mediaType) == rdflib.URIRef(
        f"https://www.iana.org/assignments/media-types/{row.media_type}"
    )
    assert catalog.value(d, DCAT.byteSize).toPython() == published.stat().st_size
    assert str(catalog.value(catalog.value(d, SPDX.checksum), SPDX.checksumValue)) == sha256(published)


def test_the_catalogue_describes_exactly_the_listed_downloads(catalog):
    described = {str(o) for o in catalog.objects(rdflib.URIRef(DATASET), DCAT.distribution)}
    assert described == {f"{BASE}id/distribution/{k}" for k in DISTRIBUTIONS.key}


def test_the_dumps_carry_the_catalogue_record_but_no_sizes_of_their_own(built):
    dump = rdflib.Graph().parse(built / "dump" / "ryoiki-ld.nt")
    assert (rdflib.URIRef(DATASET), rdflib.RDF.type, DCAT.Dataset) in dump
    assert len(set(dump.objects(rdflib.URIRef(DATASET), DCAT.distribution))) == len(DISTRIBUTIONS)
    assert not list(dump.triples((None, DCAT.byteSize, None)))
    assert dump.value(rdflib.URIRef(DATASET), DCT.license) == rdflib.URIRef(
        "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0"
    )
    rights = dump.value(rdflib.URIRef(DATASET), DCT.rights)
    labels = {label.language: str(label) for label in dump.objects(rights, rdflib.RDFS.label)}
    assert (
        "出典：厚生労働省「地域医療情報連携ネットワークの現状について」（令和元年度調査）を加工して作成" in labels["ja"]
    )
    assert "processed by ryoiki-ld" in labels["en"]


# --------------------------------------------------------------------------------------------------
# VoID
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def void(built: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(built / "site" / ".well-known" / "void", format="turtle")


@pytest.fixture(scope="module")
def store(built: Path) -> ox.Store:
    """The build's own on-disk store, the one `serve` and `query` answer from."""
    return ox.Store.read_only(str(built / "store"))


def count(store: ox.Store, query: str) -> int:
    result = store.query(f"SELECT ({query} AS ?n) WHERE {{ ?s ?p ?o }}", **UNION_DEFAULT_GRAPH)
    return int(next(iter(result))["n"].value)


def test_void_counts_equal_sparql_counts(void, store):
    d = rdflib.URIRef(DATASET)
    assert void.value(d, VOID.triples).toPython() == count(store, "COUNT(*)") == len(store)
    assert void.value(d, VOID.distinctSubjects).toPython() == count(store, "COUNT(DISTINCT ?s)")
    assert void.value(d, VOID.distinctObjects).toPython() == count(store, "COUNT(DISTINCT ?o)")
    assert void.value(d, VOID.properties).toPython() == count(store, "COUNT(DISTINCT ?p)")
    classes = {
        s["c"].value: int(s["n"].value)
        for s in store.query(
            "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c", **UNION_DEFAULT_GRAPH
        )
    }
    partitions = {
        str(void.value(p, VOID["class"])): void.value(p, VOID.entities).toPython()
        for p in void.objects(d, VOID.classPartition)
    }
    assert partitions == classes
    assert void.value(d, VOID.classes).toPython() == len(classes)
    properties = {
        s["p"].value: int(s["n"].value)
        for s in store.query("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p", **UNION_DEFAULT_GRAPH)
    }
    partitions = {
        str(void.value(p, VOID.property)): void.value(p, VOID.triples).toPython()
        for p in void.objects(d, VOID.propertyPartition)
    }
    assert partitions == properties


def test_void_linksets_count_the_links_to_wikidata_and_e_stat(void, store):
    linksets = {str(void.value(s, VOID.objectsTarget)): s for s in void.objects(rdflib.URIRef(DATASET), VOID.subset)}
    same_as = "<http://www.w3.org/2002/07/owl#sameAs>"
    wikidata = count(store, f'SUM(IF(?p = {same_as} && STRSTARTS(STR(?o), "http://www.wikidata.org/entity/"), 1, 0))')
    estat = count(
        store, f'SUM(IF(?p = <{RLD}standardAreaCode> && STRSTARTS(STR(?o), "http://data.e-stat.go.jp/lod/"), 1, 0))'
    )
    assert (wikidata, estat) == (47, 47 + 1916)
    assert void.value(linksets["http://www.wikidata.org/"], VOID.triples).toPython() == wikidata
    assert void.value(linksets["http://data.e-stat.go.jp/lod/"], VOID.triples).toPython() == estat


def test_void_names_the_endpoint_the_dumps_and_the_uri_space(void):
    d = rdflib.URIRef(DATASET)
    assert void.value(d, VOID.sparqlEndpoint) == rdflib.URIRef(BASE + "sparql")
    assert {str(o) for o in void.objects(d, VOID.dataDump)} == {
        BASE + f"dump/ryoiki-ld.{x}" for x in ("ttl", "nt", "jsonld", "nq")
    }
    assert str(void.value(d, VOID.uriSpace)) == BASE + "id/"


def test_void_has_a_subset_per_named_graph_with_its_counts(void, built):
    sd_name = rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#name")
    subsets = {
        str(void.value(s, sd_name)): void.value(s, VOID.triples).toPython()
        for s in void.objects(rdflib.URIRef(DATASET), VOID.subset)
        if void.value(s, sd_name) is not None
    }
    assert subsets == read_manifest(Output(built)).graphs
    assert set(subsets) == {BASE + f"graph/{g}" for g in ("fy2019", "vocabulary", "reference", "networks", "catalog")}


# --------------------------------------------------------------------------------------------------
# schema.org and CKAN
# --------------------------------------------------------------------------------------------------


def schema_org_graph(document: dict) -> rdflib.Graph:
    """Parse as JSON-LD; the remote schema.org context is replaced by its core, a vocabulary mapping."""
    local = {**document, "@context": {"@vocab": "https://schema.org/"}}
    return rdflib.Graph().parse(data=json.dumps(local), format="json-ld")


def test_schema_org_parses_as_json_ld_and_names_every_distribution(built):
    document = json.loads((built / "site" / "schema-org.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == "https://schema.org/" and document["@type"] == "Dataset"
    graph = schema_org_graph(document)
    schema = rdflib.Namespace("https://schema.org/")
    dataset = rdflib.URIRef(DATASET)
    assert (dataset, rdflib.RDF.type, schema.Dataset) in graph
    urls = {str(graph.value(d, schema.contentUrl)) for d in graph.objects(dataset, schema.distribution)}
    assert urls == {BASE + p for p in DISTRIBUTIONS.path}
    assert (
        str(graph.value(dataset, schema.license))
        == "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0"
    )
    assert str(graph.value(dataset, schema.temporalCoverage)) == "2019-04-01/2020-03-31"
    assert len(document["description"]) >= 50 and "出典" in document["creditText"]


@pytest.mark.parametrize("page", ["index.html", "en/index.html"])
def test_the_landing_page_embeds_the_schema_org_dataset(built, page):
    html = (built / "site" / page).read_text(encoding="utf-8")
    (block,) = re.findall(r'<script type="application/ld\+json">\n(.*?)\n</script>', html, re.S)
    embedded = json.loads(block)
    assert embedded == json.loads((built / "site" / "schema-org.jsonld").read_text(encoding="utf-8"))
    graph = schema_org_graph(embedded)
    schema = rdflib.Namespace("https://schema.org/")
    downloads = set(graph.objects(rdflib.URIRef(DATASET), schema.distribution))
    assert {str(graph.value(d, schema.contentUrl)) for d in downloads} == {BASE + p for p in DISTRIBUTIONS.path}


CKAN_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")


def test_ckan_package_has_every_required_field_and_round_trips(built):
    text = (built / "site" / "ckan-package.json").read_text(encoding="utf-8")
    package = json.loads(text)
    assert json.loads(json.dumps(package, ensure_ascii=False)) == package
    assert text == json.dumps(package, ensure_ascii=False, indent=1) + "\n"
    for field in (
        "name",
        "title",
        "notes",
        "url",
        "license_id",
        "license_title",
        "license_url",
        "owner_org",
        "tags",
        "extras",
        "resources",
    ):
        assert package[field], field
    for field in ("publisher", "contactPoint", "landingPage", "frequency_of_update", "spatial", "temporal"):
        assert package[field], field
    assert CKAN_NAME.match(package["name"]) and CKAN_NAME.match(package["owner_org"])
    assert all(0 < len(t["name"]) <= 100 for t in package["tags"])
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["uri"] == DATASET and extras["temporal_start"] == "2019-04-01"
    by_url = {r["url"]: r for r in package["resources"]}
    assert set(by_url) == {BASE + p for p in DISTRIBUTIONS.path}
    for row in DISTRIBUTIONS.itertuples():
        resource = by_url[BASE + row.path]
        published = built / "site" / row.path
        assert (resource["format"], resource["mimetype"]) == (row.format, row.media_type)
        assert (resource["size"], resource["hash"]) == (published.stat().st_size, sha256(published))


# --------------------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dump(built: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(built / "dump" / "ryoiki-ld.nt")


def test_the_dataset_and_every_network_derive_from_the_report(dump):
    report = rdflib.URIRef(f"{BASE}id/report/mhlw-chiren-nw-fy2019")
    assert (rdflib.URIRef(DATASET), PROV.wasDerivedFrom, report) in dump
    networks = set(dump.subjects(rdflib.RDF.type, RLD.Network))
    assert len(networks) == 218
    assert all((n, PROV.wasDerivedFrom, report) in dump for n in networks)


def test_the_build_records_the_software_version_and_the_input_checksum(dump):
    (build,) = dump.objects(rdflib.URIRef(DATASET), PROV.wasGeneratedBy)
    text = dump.value(build, PROV.used)
    assert str(text) == f"{BASE}source/{DEFAULT_SOURCE.name}"
    assert str(dump.value(dump.value(text, SPDX.checksum), SPDX.checksumValue)) == sha256(DEFAULT_SOURCE)
    software = dump.value(build, PROV.wasAssociatedWith)
    assert str(dump.value(software, rdflib.URIRef("http://schema.org/softwareVersion"))) == __version__


def test_every_correction_is_linked_with_its_reason(dump):
    corrections = pd.read_csv(ROOT / "data" / "corrections.csv", dtype=str)
    found = {}
    for network, correction in dump.subject_objects(RLD.correction):
        found[str(correction)] = (
            int(dump.value(network, RLD.surveyRowNumber)),
            str(dump.value(correction, RLD.printedText)),
            str(dump.value(correction, RLD.reason)),
            {str(p).rsplit("#", 1)[1] for p in dump.objects(correction, RLD.correctedProperty)},
        )
    assert len(found) == len(corrections)
    for row in corrections.itertuples():
        key = f"{BASE}id/correction/{int(row.no):03d}-{row.column.replace('_', '-')}"
        no, printed, reason, properties = found[key]
        assert (no, printed, reason) == (int(row.no), row.printed, row.reason)
        if row.column == "layout":
            assert {
                "participatingInstitutions",
                "disclosingInstitutions",
                "hasOwnFunding",
                "fundingRecord",
            } <= properties
        else:
            assert properties == {"valueNote"}


# --------------------------------------------------------------------------------------------------
# The command and the base IRI
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "path"),
    [
        ("dcat", "site/catalog.ttl"),
        ("dcat-jsonld", "site/catalog.jsonld"),
        ("void", "site/.well-known/void"),
        ("ckan", "site/ckan-package.json"),
        ("schemaorg", "site/schema-org.jsonld"),
    ],
)
def test_catalog_command_prints_each_format(built, fmt, path):
    run = run_cli("catalog", "--out", built, "--format", fmt)
    assert run.returncode == 0
    assert run.stdout == (built / path).read_text(encoding="utf-8")


def test_catalog_command_without_a_build(tmp_path):
    run = run_cli("catalog", "--out", tmp_path / "none")
    assert run.returncode == 2 and "no built catalogue here" in run.stderr


def test_the_base_iri_moves_every_catalogue_iri(tmp_path):
    out = tmp_path / "b"
    assert run_cli("build", "--out", out, "--base-iri", "https://example.org/chiren/").returncode == 0
    text = (out / "site" / "catalog.nt").read_text(encoding="utf-8")
    assert DEFAULT_BASE_IRI + "id/" not in text and "<https://example.org/chiren/dump/ryoiki-ld.ttl>" in text
    void = (out / "site" / ".well-known" / "void").read_text(encoding="utf-8")
    assert "<https://example.org/chiren/sparql>" in void
