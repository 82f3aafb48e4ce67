"""catalog: the dataset's metadata for portals and search engines — DCAT-AP 3, VoID, schema.org, CKAN.

Everything is computed, never typed twice: the fixed record is `data/catalog/catalog.ttl`, the
downloads are `data/catalog/distributions.csv`, and `mappings/catalog/*.rq` turn those, the build's
provenance and the files actually written (size, SHA-256) into DCAT. VoID is `mappings/void/void.rq`
run over the whole graph. The schema.org and CKAN documents are read off the DCAT graph, so the four
never disagree.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyoxigraph as ox

from . import iris, mapping, surveys
from .config import CATALOG_FILES, Output, Settings
from .errors import RyoikiError
from .rdf import DCAT, DCTERMS, FOAF, PREFIXES, QB, RDFS, SCHEMA, SPDX, TABLE, VCARD, XSD, prefixes

VOID_PREFIXES = {**PREFIXES, **prefixes("void", "sd")}
# DCAT 3 declares dcat:byteSize's range; Oxigraph would otherwise keep it as xsd:integer.
_RANGES = {f"<{DCAT}byteSize> <{RDFS}range> <{XSD}nonNegativeInteger> ."}


def metadata(settings: Settings) -> set[str]:
    """The catalogue record that goes into the dumps: catalog.ttl, the distributions and the build's provenance.

    Sizes and checksums are not part of it: a dump cannot contain its own checksum (see `publish`).
    """
    paths = settings.paths
    record = mapping.load_rdf(paths.catalog_metadata, base_iri=settings.base_iri)
    tables = {"distributions": distribution_table(settings)}
    return record | mapping.run_mappings(tables, mapping.mapping_config(settings), paths.catalog_mappings)


@dataclass(frozen=True)
class Download:
    """One published download, as the site lists it: path under the site, ja/en text, size and checksum."""

    key: str
    path: str
    media_type: str
    title: dict[str, str]
    description: dict[str, str]
    byte_size: int
    sha256: str


@dataclass(frozen=True)
class Published:
    downloads: list[Download]
    files: dict[str, Path]  # CATALOG_FILES key → the catalogue file written
    schema_org: dict  # the schema.org Dataset, for the landing page


def publish(settings: Settings, out: Output, triples: set[str]) -> Published:
    """Copy the downloads into out/site and write the catalogue files describing them (`config.CATALOG_FILES`):
    DCAT with every file's size and SHA-256, VoID, the CKAN package and the schema.org Dataset."""
    downloads = copy_downloads(settings, out)
    files = pd.DataFrame(
        [{"key": d.key, "byte_size": d.byte_size, "sha256": d.sha256} for d in downloads],
        columns=["key", "byte_size", "sha256"],
    ).astype({"byte_size": "Int64"})
    config = mapping.mapping_config(settings)
    sized = mapping.run_mappings(
        {"distributions": distribution_table(settings), "files": files},
        config,
        settings.paths.catalog_mappings,
    )
    record = record_of(triples | sized, subjects_of(metadata(settings) | sized))
    # catalog.ttl, .nt and .jsonld, written as the dumps are
    mapping.write_dumps(mapping.restore_declared_ranges(record, _RANGES), out.catalog_file("dcat").with_suffix(""))
    void = out.catalog_file("void")
    void.parent.mkdir(parents=True, exist_ok=True)
    void.write_bytes(void_turtle(out.dump_nq, config, settings))
    store = _store(record)
    _write_json(out.catalog_file("ckan"), ckan_package(store, settings))
    dataset = schema_org(store, settings)
    _write_json(out.catalog_file("schemaorg"), dataset)
    return Published(downloads, {key: out.catalog_file(key) for key in CATALOG_FILES}, dataset)


def distribution_table(settings: Settings) -> pd.DataFrame:
    """What a build publishes: data/catalog/distributions.csv, and the source file of every survey after the first
    (the first survey's is the `source` row), with origin `survey:{id}`."""
    table = mapping.read_table(settings.paths.distributions)
    later = surveys.read_surveys(settings.surveys_dir)[1:]
    rows = [
        {
            "key": f"source-{s.id}",
            "path": iris.source_path(s.file.name),
            "origin": f"survey:{s.id}",
            "media_type": surveys.FORMATS[s.format][0],
            "format": surveys.FORMATS[s.format][1],
            "conforms_to": "",
            "title_ja": f"{s.title_ja}（出典）",
            "title_en": f"{s.title_en} (source)",
            "description_ja": "調査の表（加工前、パイプラインの入力）。",
            "description_en": "The survey's table, unprocessed: the pipeline's input.",
        }
        for s in later
    ]
    return pd.concat([table, pd.DataFrame(rows, columns=table.columns, dtype=str)], ignore_index=True).fillna("")


def copy_downloads(settings: Settings, out: Output) -> list[Download]:
    """Publish every distribution's file at its path under the site, with its size and SHA-256."""
    published = []
    files = {f"survey:{s.id}": s.file for s in surveys.read_surveys(settings.surveys_dir)}
    for d in distribution_table(settings).itertuples():
        origin = {
            "build": out.root / d.path,
            "project": settings.paths.root / d.path,
            "source": settings.source,
            **files,
        }[d.origin]
        if not origin.is_file():
            raise RyoikiError(f"{settings.paths.distributions}: distribution {d.key}: {origin} was not written")
        target = out.site / d.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, target)
        published.append(
            Download(
                key=d.key,
                path=d.path,
                media_type=d.media_type,
                title={"ja": d.title_ja, "en": d.title_en},
                description={"ja": d.description_ja, "en": d.description_en},
                byte_size=target.stat().st_size,
                sha256=mapping.sha256_of(target),
            )
        )
    return published


def subjects_of(lines: set[str]) -> set[str]:
    return {line.split(" ", 1)[0] for line in lines}


# A linked resource's parts stay out of the record: an edition's qb:slice links (one per survey row) are its data.
_NOT_IN_RECORD = {f"<{QB}slice>"}


def record_of(triples: set[str], subjects: set[str]) -> set[str]:
    """Every triple about the catalogue's resources and about the dataset's resources they link to directly, with
    those resources' fragments (a survey edition's period), but not a survey edition's slices."""
    own = {line for line in triples if line.split(" ", 1)[0] in subjects}
    linked = {line.rsplit(" ", 2)[1] for line in own if line.rsplit(" ", 2)[1].startswith("<")}
    linked -= subjects
    fragments = tuple(iri[:-1] + "#" for iri in linked)  # a linked resource's own parts (`…/fy2019#fiscal-year`)
    return own | {
        line
        for line in triples
        if (line.split(" ", 1)[0] in linked or line.startswith(fragments))
        and line.split(" ", 2)[1] not in _NOT_IN_RECORD
    }


def void_turtle(dump_nq: Path, config: dict[str, str], settings: Settings) -> bytes:
    """The VoID description, every number counted over the graph (the build's N-Quads dump) by mappings/void/:
    the whole dataset (the union of its named graphs, as the endpoint's default graph is) and each named graph as
    a subset."""
    store = ox.Store()
    store.bulk_load(path=str(dump_nq), format=ox.RdfFormat.N_QUADS)
    settings_graph = ox.NamedNode(TABLE + "config")
    store.load(
        input=mapping.config_ntriples(config).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, to_graph=settings_graph
    )
    lines: set[str] = set()
    for path in sorted(settings.paths.void_mappings.glob("*.rq")):
        result = store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True)
        lines.update(result.serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8").splitlines())
    lines.discard("")
    ordered = [
        q.triple for q in ox.parse(input=("\n".join(sorted(lines)) + "\n").encode(), format=ox.RdfFormat.N_TRIPLES)
    ]
    return ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=VOID_PREFIXES)


def _store(lines: set[str]) -> ox.Store:
    store = ox.Store()
    store.load(input=("\n".join(sorted(lines)) + "\n").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


def _write_json(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------------
# Reading the DCAT record for schema.org and CKAN
# --------------------------------------------------------------------------------------------------


def _objects(store: ox.Store, subject: str, predicate: str, lang: str | None = None) -> list[str]:
    """Values of one property, sorted; literals as text (of one language when `lang` is given), IRIs as IRIs."""
    values = []
    for quad in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None):
        term = quad.object
        if isinstance(term, ox.Literal):
            if lang is None or term.language == lang:
                values.append(term.value)
        elif isinstance(term, ox.NamedNode) and lang is None:
            values.append(term.value)
    return sorted(values)


def _one(store: ox.Store, subject: str, predicate: str, lang: str | None = None) -> str | None:
    values = _objects(store, subject, predicate, lang)
    return values[0] if values else None


def _distributions(store: ox.Store, dataset: str) -> list[dict]:
    query = f"""
        PREFIX dcat: <{DCAT}> PREFIX dcterms: <{DCTERMS}> PREFIX spdx: <{SPDX}>
        SELECT ?d ?url ?media ?format ?size ?sha ?conforms WHERE {{
          <{dataset}> dcat:distribution ?d .
          ?d dcat:downloadURL ?url ; dcat:mediaType ?media ; dcterms:format ?format .
          OPTIONAL {{ ?d dcat:byteSize ?size }}
          OPTIONAL {{ ?d spdx:checksum/spdx:checksumValue ?sha }}
          OPTIONAL {{ ?d dcterms:conformsTo ?conforms }}
        }} ORDER BY ?url"""
    found = []
    for s in store.query(query):
        d = s["d"].value
        found.append(
            {
                "iri": d,
                "url": s["url"].value,
                "media_type": s["media"].value.removeprefix("https://www.iana.org/assignments/media-types/"),
                "format": s["format"].value.rsplit("/", 1)[1],
                "byte_size": int(s["size"].value) if s["size"] else None,
                "sha256": s["sha"].value if s["sha"] else None,
                "conforms_to": s["conforms"].value if s["conforms"] else None,
                "title_ja": _one(store, d, DCTERMS + "title", "ja"),
                "title_en": _one(store, d, DCTERMS + "title", "en"),
                "description_ja": _one(store, d, DCTERMS + "description", "ja"),
                "description_en": _one(store, d, DCTERMS + "description", "en"),
            }
        )
    return found


def schema_org(store: ox.Store, settings: Settings) -> dict:
    """A schema.org Dataset as dataset search engines read it (embedded in the landing page)."""
    dataset = iris.dataset_iri(settings.base_iri)
    publisher = _one(store, dataset, DCTERMS + "publisher")
    report = _one(store, dataset, DCTERMS + "source")
    period = _one(store, dataset, DCTERMS + "temporal")
    catalog = iris.catalog_iri(settings.base_iri)
    rights = _one(store, dataset, DCTERMS + "rights")
    organization = {
        "@type": "Organization",
        "@id": publisher,
        "name": _one(store, publisher, FOAF + "name", "ja"),
        "alternateName": _one(store, publisher, FOAF + "name", "en"),
        "url": _one(store, publisher, FOAF + "homepage"),
    }
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": dataset,
        "name": _one(store, dataset, DCTERMS + "title", "ja"),
        "alternateName": _one(store, dataset, DCTERMS + "title", "en"),
        "description": _one(store, dataset, DCTERMS + "description", "ja")
        + "\n\n"
        + _one(store, dataset, DCTERMS + "description", "en"),
        "url": _one(store, dataset, DCAT + "landingPage"),
        "identifier": dataset,
        "keywords": _objects(store, dataset, DCAT + "keyword", "ja") + _objects(store, dataset, DCAT + "keyword", "en"),
        "inLanguage": ["ja", "en"],
        "license": _one(store, dataset, DCTERMS + "license"),
        "isAccessibleForFree": True,
        "creditText": _one(store, rights, RDFS + "label", "ja"),
        "creator": organization,
        "publisher": organization,
        "isBasedOn": {
            "@type": "Report",
            "@id": report,
            "name": _one(store, report, RDFS + "label", "ja"),
            "author": {
                "@type": "GovernmentOrganization",
                "name": "厚生労働省",
                "alternateName": "Ministry of Health, Labour and Welfare",
            },
        },
        "spatialCoverage": {"@type": "Place", "name": "日本", "sameAs": PREFIXES["wd"] + "Q17"},
        "temporalCoverage": f"{_one(store, period, DCAT + 'startDate')}/{_one(store, period, DCAT + 'endDate')}",
        "datePublished": _one(store, dataset, DCTERMS + "issued"),
        "dateModified": _one(store, dataset, DCTERMS + "modified"),
        "version": _one(store, iris.software_iri(settings.base_iri), SCHEMA + "softwareVersion"),
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "@id": catalog,
            "name": _one(store, catalog, DCTERMS + "title", "ja"),
        },
        "distribution": [
            {
                "@type": "DataDownload",
                "@id": d["iri"],
                "name": d["title_ja"],
                "alternateName": d["title_en"],
                "description": d["description_ja"],
                "encodingFormat": d["media_type"],
                "contentUrl": d["url"],
                **({"contentSize": f"{d['byte_size']} B"} if d["byte_size"] is not None else {}),
                **({"sha256": d["sha256"]} if d["sha256"] else {}),
            }
            for d in _distributions(store, dataset)
        ],
    }


def ckan_package(store: ox.Store, settings: Settings) -> dict:
    """A CKAN package (package_create / package_show shape) for the e-Gov data portal.

    Standard CKAN fields, the portal's DCAT-style fields (publisher, contactPoint, landingPage,
    frequency_of_update, spatial, temporal) and ckanext-dcat's extras, read off the DCAT record.
    `owner_org` is the portal organization's name, which the curator sets on upload.
    """
    dataset = iris.dataset_iri(settings.base_iri)
    publisher = _one(store, dataset, DCTERMS + "publisher")
    contact = _one(store, dataset, DCAT + "contactPoint")
    period = _one(store, dataset, DCTERMS + "temporal")
    licence = _one(store, dataset, DCTERMS + "license")
    start, end = _one(store, period, DCAT + "startDate"), _one(store, period, DCAT + "endDate")
    publisher_name = _one(store, publisher, FOAF + "name", "ja")
    spatial = _objects(store, dataset, DCTERMS + "spatial")
    extras = {
        "uri": dataset,
        "identifier": _one(store, dataset, DCTERMS + "identifier"),
        "title_en": _one(store, dataset, DCTERMS + "title", "en"),
        "issued": _one(store, dataset, DCTERMS + "issued"),
        "modified": _one(store, dataset, DCTERMS + "modified"),
        "language": json.dumps(_objects(store, dataset, DCTERMS + "language")),
        "theme": json.dumps(_objects(store, dataset, DCAT + "theme")),
        "conforms_to": json.dumps(_objects(store, dataset, DCTERMS + "conformsTo")),
        "access_rights": _one(store, dataset, DCTERMS + "accessRights"),
        "frequency": _one(store, dataset, DCTERMS + "accrualPeriodicity"),
        "provenance": _one(store, _one(store, dataset, DCTERMS + "provenance"), RDFS + "label", "ja"),
        "source": _one(store, dataset, DCTERMS + "source"),
        "spatial_uri": spatial[0] if spatial else None,
        "temporal_start": start,
        "temporal_end": end,
        "publisher_name": publisher_name,
        "publisher_uri": publisher,
        "contact_name": _one(store, contact, VCARD + "fn", "ja"),
        "contact_uri": _one(store, contact, VCARD + "hasURL"),
        "rights": _one(store, _one(store, dataset, DCTERMS + "rights"), RDFS + "label", "ja"),
    }
    landing = _one(store, dataset, DCAT + "landingPage")
    return {
        "name": _one(store, dataset, DCTERMS + "identifier"),
        "title": _one(store, dataset, DCTERMS + "title", "ja"),
        "notes": _one(store, dataset, DCTERMS + "description", "ja")
        + "\n\n"
        + _one(store, dataset, DCTERMS + "description", "en"),
        "url": landing,
        "version": _one(store, iris.software_iri(settings.base_iri), SCHEMA + "softwareVersion"),
        "author": publisher_name,
        "maintainer": publisher_name,
        "license_id": "PDL-1.0",
        "license_title": _one(store, licence, RDFS + "label", "ja"),
        "license_url": licence,
        "owner_org": "ryoiki-ld",
        "private": False,
        "state": "active",
        "type": "dataset",
        "tags": [{"name": k} for k in _objects(store, dataset, DCAT + "keyword", "ja")],
        "publisher": publisher_name,
        "contactPoint": extras["contact_uri"],
        "landingPage": landing,
        "frequency_of_update": extras["frequency"],
        "spatial": "日本（全国）",
        "temporal": f"{start}/{end}",
        "extras": [{"key": k, "value": v} for k, v in sorted(extras.items()) if v is not None],
        "resources": [
            {
                "name": d["title_ja"],
                "description": d["description_ja"],
                "url": d["url"],
                "access_url": d["url"],
                "download_url": d["url"],
                "format": d["format"],
                "mimetype": d["media_type"],
                "size": d["byte_size"],
                "hash": d["sha256"],
                "license_id": "PDL-1.0",
                "compliant_standard": d["conforms_to"],
                "uri": d["iri"],
            }
            for d in _distributions(store, dataset)
        ],
    }
