"""IRIs: minted in one place, and each mapped to the document that describes it."""

from __future__ import annotations

import pytest

from ryoiki_ld import iris

BASE = "https://w3id.org/ryoiki-ld/"


@pytest.mark.parametrize(
    ("iri", "path"),
    [
        (BASE + "id/network/001", "doc/network/001"),
        (BASE + "id/secondary-medical-area/0102", "doc/secondary-medical-area/0102"),
        (BASE + "id/assessment/fy2019/061-e", "doc/assessment/fy2019/061-e"),
        ("https://w3id.org/ryoiki-ld/def#Network", "doc/def"),
        ("https://w3id.org/ryoiki-ld/def", "doc/def"),
        ("http://www.wikidata.org/entity/Q1037393", None),
        (BASE + "id/network", None),
        (BASE + "id/network/001/x", None),
        (BASE + "id/dataset/ryoiki-ld#fy2019", "doc/dataset/ryoiki-ld"),
        (BASE + "id/network#x", None),
        (BASE + "source/mhlw-chiren-nw-fy2019.txt", None),
    ],
)
def test_document_path(iri: str, path: str | None) -> None:
    assert iris.document_path(iri, BASE) == path


def test_resource_iri_round_trips() -> None:
    assert iris.document_path(iris.resource_iri(BASE, "prefecture", "01"), BASE) == "doc/prefecture/01"


@pytest.mark.parametrize(
    ("mint", "iri"),
    [
        (lambda: iris.dataset_iri(BASE), BASE + "id/dataset/ryoiki-ld"),
        (lambda: iris.catalog_iri(BASE), BASE + "id/catalog/ryoiki-ld"),
        (lambda: iris.software_iri(BASE), BASE + "id/software/ryoiki-ld"),
        (lambda: iris.distribution_iri(BASE, "dump-nt"), BASE + "id/distribution/dump-nt"),
        (lambda: iris.id_space(BASE), BASE + "id/"),
    ],
)
def test_minted_iris(mint, iri: str) -> None:
    assert mint() == iri


def test_every_instance_in_the_dump_has_a_document(built) -> None:
    """What the mappings mint in SPARQL follows the pattern `iris` maps to documents: every subject under
    `{base}id/` of the dump is described by a document of the site."""
    subjects = {line.split(" ", 1)[0][1:-1] for line in (built / "dump" / "ryoiki-ld.nt").read_text().splitlines()}
    minted = {s for s in subjects if s.startswith(iris.id_space(BASE))}
    assert len(minted) > 4000
    for subject in minted:
        path = iris.document_path(subject, BASE)
        assert path is not None, subject
        assert (built / "site" / f"{path}.ttl").is_file(), subject
