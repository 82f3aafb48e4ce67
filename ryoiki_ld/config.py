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

    @property
    def queries(self) -> Path:
        """The example queries shown on the query page (`queries/*.rq`)."""
        return self.root / "queries"

    @property
    def query_page(self) -> Path:
        """HTML, script and style of the query page that `serve` shows browsers at /sparql."""
        return self.root / "site" / "query"

    @property
    def serve_data(self) -> Path:
        """The service description template and the media types of served files."""
        return self.data / "serve"


@dataclass(frozen=True)
class Output:
    """The layout of a build directory (design.md, "Build output")."""

    root: Path

    @property
    def dump(self) -> Path:
        return self.root / "dump"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def manifest(self) -> Path:
        """Facts about the build that `serve` needs (base IRI, counts for the service description)."""
        return self.root / "build.json"


@dataclass(frozen=True)
class Limits:
    """What one query may cost on the public endpoint. Tests set them low; `serve` options change them."""

    time_limit_s: float = 10.0  # evaluation time; the worker evaluating it is killed when it runs out
    max_rows: int = 10_000  # solutions or triples; a larger result is refused, never cut
    max_query_chars: int = 100_000
    max_depth: int = 500  # nesting of ( { [ ; far deeper queries overflow the parser's stack
    memory_mb: int = 4096  # address space of one worker process
    workers: int = 2  # evaluating processes (plus one spare, started and waiting)
    cache_mb: int = 64  # responses kept for repeated identical requests; 0 turns the cache off


@dataclass(frozen=True)
class ServeSettings:
    out: Path = Path("build")
    host: str = "127.0.0.1"
    port: int = 8000
    limits: Limits = field(default_factory=Limits)
    access_log: Path | None = None  # JSON lines; None = standard error
    paths: Paths = field(default_factory=Paths)


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
