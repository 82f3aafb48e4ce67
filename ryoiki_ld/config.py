"""Settings, built once by the CLI and passed down; the only place that knows where data files live."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
DEFAULT_SOURCE = DATA / "source" / "mhlw-chiren-nw-fy2019.txt"
DEFAULT_BASE_IRI = "https://w3id.org/ryoiki-ld/"


@dataclass(frozen=True)
class Paths:
    """Where the project's declarative inputs are (data, ontology, mappings, shapes)."""

    root: Path = ROOT

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def extract_rules(self) -> Path:
        return self.data / "extract"

    @property
    def corrections(self) -> Path:
        return self.data / "corrections.csv"

    @property
    def reference(self) -> Path:
        return self.data / "reference"

    @property
    def csvw_metadata(self) -> Path:
        return self.data / "networks.csv-metadata.json"

    @property
    def criteria(self) -> Path:
        return self.data / "criteria.csv"

    @property
    def network_relations(self) -> Path:
        return self.data / "network_relations.csv"

    @property
    def whole_prefecture_phrases(self) -> Path:
        return self.data / "link" / "whole_prefecture_phrases.txt"

    @property
    def mappings(self) -> Path:
        return self.root / "mappings"

    @property
    def assessment_mappings(self) -> Path:
        return self.mappings / "assessments"

    @property
    def catalog_metadata(self) -> Path:
        return self.data / "catalog" / "catalog.ttl"

    @property
    def distributions(self) -> Path:
        return self.data / "catalog" / "distributions.csv"

    @property
    def catalog_mappings(self) -> Path:
        return self.mappings / "catalog"

    @property
    def void_mappings(self) -> Path:
        return self.mappings / "void"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "ryoiki-ld.ttl"


@dataclass(frozen=True)
class Settings:
    source: Path = DEFAULT_SOURCE
    out: Path = Path("build")
    base_iri: str = DEFAULT_BASE_IRI
    paths: Paths = field(default_factory=Paths)
    sparql_endpoint: str | None = None  # where the published SPARQL endpoint answers; default {base}sparql

    @property
    def endpoint_url(self) -> str:
        return self.sparql_endpoint or self.base_iri + "sparql"
