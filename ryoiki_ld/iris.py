"""IRIs: the one place that mints an instance IRI and knows which document describes it.

Instances are `{base}id/{kind}/{key}` (an observation's key is `{survey}/{row}`); their documents `{base}doc/{kind}/{key}.{ext}` (docs/site.md), one per
format of `formats.DOCUMENTS`. The vocabulary's hash IRIs (`…/def#Network`) share one document,
`doc/def.{ext}`, and any other hash IRI is described in its base IRI's document. `serve` answers `/id/…`
with 303 to the document that content negotiation picks, and a document's generic name (`doc/{kind}/{key}`, no
suffix) with that document itself; the site's Apache and nginx rules do the same.
The SPARQL mappings in `mappings/` build the same `{base}id/{kind}/{key}` pattern in SPARQL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .rdf import ONTOLOGY

ID = "id/"
VOCABULARY_DOCUMENT = "doc/def"  # the document of the ontology and every vocabulary term
QUERY_PAGE = "query.html"  # the site's SPARQL query page (en/query.html in English); `serve` shows it at /sparql
PROJECT = "ryoiki-ld"  # the key of the dataset, the catalogue and the software that publish it
SERIES = "chiren-nw-survey"  # the key of the dcat:DatasetSeries of the survey's editions (data/catalog/catalog.ttl)
# Kinds whose keys have more than one segment, and how many "/" a key of theirs holds: an observation is keyed by
# its survey and row (`id/observation/fy2019/001`), an assessment by its survey and row-criterion
# (`id/assessment/fy2019/001-a`). Every other key is one segment.
NESTED_KEYS = {"observation": 1, "assessment": 1}


def site_path(base: str) -> str:
    """The path on its host at which the site is published: the base IRI's (documents are at {base}doc/…)."""
    return urlsplit(base).path or "/"


def source_path(file: str) -> str:
    """Where the site publishes a survey's source file (`data/catalog/distributions.csv` lists the first's)."""
    return f"source/{file}"


def source_location(file: str, lines: str) -> str:
    """A range of a source file's lines ("205-212", 1-based, as the tidy table's `source_lines` says) as a site path
    with an RFC 5147 fragment: source/{file}#line=204,212 (a position before the first line, after the last)."""
    first, _, last = lines.partition("-")
    return f"{source_path(file)}#line={int(first) - 1},{last}"


def resource_iri(base: str, kind: str, key: str) -> str:
    return f"{base}{ID}{kind}/{key}"


def id_space(base: str) -> str:
    """Where every instance IRI starts (VoID's uriSpace)."""
    return base + ID


def dataset_iri(base: str) -> str:
    return resource_iri(base, "dataset", PROJECT)


def series_iri(base: str) -> str:
    return resource_iri(base, "dataset", SERIES)


def catalog_iri(base: str) -> str:
    return resource_iri(base, "catalog", PROJECT)


def software_iri(base: str) -> str:
    return resource_iri(base, "software", PROJECT)


def distribution_iri(base: str, key: str) -> str:
    return resource_iri(base, "distribution", key)


def document_path(iri: str, base: str) -> str | None:
    """The site path (without extension) of the document describing `iri`; None for IRIs we do not mint.

    A hash IRI (`…/def#Network`, `…/id/dataset/ryoiki-ld#fy2019`) is described in its base IRI's document.
    """
    iri = iri.partition("#")[0]
    if iri == ONTOLOGY:
        return VOCABULARY_DOCUMENT
    if iri.startswith(base + ID):
        kind, _, key = iri[len(base) + len(ID) :].partition("/")
        if kind and key and key.count("/") <= NESTED_KEYS.get(kind, 0) and "" not in key.split("/"):
            return f"doc/{kind}/{key}"
    return None
