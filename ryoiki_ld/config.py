"""Settings, built once by the CLI and passed down; the only place that knows where data files live."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

# The folders the program reads at run time (data/, ontology/, shapes/, mappings/, site/, queries/) sit at the
# top of a checkout, where people look for them; the wheel carries the same folders inside the package, as
# ryoiki_ld/_project/ (pyproject.toml, package-data). An installed package uses its own copy, a checkout its folders.


def _project_root() -> Path:
    installed = Path(str(resources.files("ryoiki_ld") / "_project"))
    if (installed / "data").is_dir():
        return installed
    return Path(__file__).resolve().parent.parent


ROOT = _project_root()
DATA = ROOT / "data"
DEFAULT_SOURCE = DATA / "source" / "mhlw-chiren-nw-fy2019.txt"
DEFAULT_BASE_IRI = "https://w3id.org/ryoiki-ld/"
# `validate --shapes`: the shape files (in shapes/) of each set.
SHAPE_SETS = {"quality": ("quality.ttl",), "criteria": ("criteria.ttl",), "all": ("quality.ttl", "criteria.ttl")}
# `validate --format`: the report's formats (validate/render.py has one renderer for each, tested). Named here, so
# that the command line can offer them without loading the validator (a quick `--version` or `--help`).
REPORT_FORMATS = ("text", "turtle", "json", "github")
# Where the site's pages send SPARQL: `sparql` beside the site root is what `ryoiki-ld serve` answers; a site
# on a plain static host names its endpoint with an absolute URL (`build --sparql-endpoint`).
DEFAULT_SPARQL_ENDPOINT = "sparql"


def cache_dir() -> Path:
    """Where derived data that is slow to make is kept between runs (the reference triples `validate` adds):
    $RYOIKI_LD_CACHE_DIR, else $XDG_CACHE_HOME/ryoiki-ld, else ~/.cache/ryoiki-ld. Entries are named by a hash of
    everything they are made from, so a stale one is never read; deleting the folder is always safe."""
    if os.environ.get("RYOIKI_LD_CACHE_DIR"):
        return Path(os.environ["RYOIKI_LD_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ryoiki-ld"


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
    def prefectures(self) -> Path:
        return self.reference / "prefectures.csv"

    @property
    def municipalities(self) -> Path:
        return self.reference / "municipalities.csv"

    @property
    def secondary_medical_areas(self) -> Path:
        """The 2020 secondary medical areas, with their member municipalities."""
        return self.reference / "secondary_medical_areas_2020.csv"

    @property
    def area_municipalities(self) -> Path:
        """Municipality (wards for designated cities) → its 2020 secondary medical area."""
        return self.reference / "secondary_medical_area_municipalities_2020.csv"

    @property
    def page_header(self) -> Path:
        return self.extract_rules / "page_header.txt"

    @property
    def coverage_types(self) -> Path:
        return self.extract_rules / "coverage_types.csv"

    @property
    def name_endings(self) -> Path:
        return self.extract_rules / "name_endings.txt"

    @property
    def surveys(self) -> Path:
        """One TOML file per survey edition (docs/survey-series.md)."""
        return self.root / "surveys"

    @property
    def survey_measures(self) -> Path:
        """Each value column of the tidy table → the measure of the survey data cube it becomes."""
        return self.data / "survey" / "measures.csv"

    @property
    def printed_statuses(self) -> Path:
        """What a cell prints (不明, －, （重複あり）) → the status of its observation."""
        return self.data / "survey" / "printed_statuses.csv"

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
    def hokkaido_tertiary_areas(self) -> Path:
        """Hokkaido's tertiary medical areas, each a set of 2020 secondary medical areas."""
        return self.reference / "hokkaido_tertiary_medical_areas.csv"

    @property
    def districts(self) -> Path:
        """The districts (郡) the report names, with their towns and villages."""
        return self.reference / "districts_named_in_report.csv"

    @property
    def link_rules(self) -> Path:
        return self.data / "link"

    @property
    def whole_prefecture_phrases(self) -> Path:
        return self.link_rules / "whole_prefecture_phrases.txt"

    @property
    def all_areas_phrases(self) -> Path:
        return self.link_rules / "all_areas_phrases.txt"

    @property
    def after_names(self) -> Path:
        return self.link_rules / "after_names.txt"

    @property
    def area_aliases(self) -> Path:
        return self.link_rules / "area_aliases.csv"

    @property
    def unresolved_areas(self) -> Path:
        return self.link_rules / "unresolved_areas.csv"

    @property
    def mappings(self) -> Path:
        return self.root / "mappings"

    @property
    def assessment_mappings(self) -> Path:
        return self.mappings / "assessments"

    @property
    def survey_rows_view(self) -> Path:
        return self.mappings / "views" / "survey_rows.rq"

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
    def criteria_shapes(self) -> Path:
        """Generated from `criteria` by `criteria_template` (`make shapes`), committed because it is published."""
        return self.shapes / "criteria.ttl"

    @property
    def criteria_template(self) -> Path:
        return self.shapes / "criteria.ttl.j2"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "ryoiki-ld.ttl"

    @property
    def queries(self) -> Path:
        """The example queries shown on the query page (`queries/*.rq`)."""
        return self.root / "queries"

    @property
    def no_site_page(self) -> Path:
        """What `serve` shows a browser at / (and at /sparql) while the build has no site."""
        return self.root / "site" / "no-site.html"

    @property
    def service_description(self) -> Path:
        """The SPARQL service description template that `serve` completes."""
        return self.data / "serve" / "service-description.ttl"

    @property
    def graphs(self) -> Path:
        """Which named graph a triple is in, by its subject (`graphs.py`)."""
        return self.data / "graphs.csv"

    @property
    def store_layouts(self) -> Path:
        """A triple store's query endpoint from its Graph Store Protocol URL (`publish.py`)."""
        return self.data / "store_layouts.csv"

    @property
    def formats(self) -> Path:
        """The format table (`formats.py`)."""
        return self.data / "formats.csv"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def site_templates(self) -> Path:
        return self.site / "templates"

    @property
    def site_assets(self) -> Path:
        return self.site / "assets"

    @property
    def site_messages(self) -> Path:
        return self.site / "messages.toml"

    @property
    def site_term_labels(self) -> Path:
        return self.site / "term_labels.csv"

    @property
    def prefecture_tiles(self) -> Path:
        return self.site / "prefecture_tiles.csv"

    @property
    def htaccess(self) -> Path:
        return self.site / "deploy" / "htaccess"

    @property
    def nginx_snippet(self) -> Path:
        return self.site / "deploy" / "nginx.conf"


# The catalogue files under DIR/site: `ryoiki-ld catalog --format` name → path and format (`formats.py` ext).
CATALOG_FILES: dict[str, tuple[str, str]] = {
    "dcat": ("catalog.ttl", "ttl"),
    "dcat-jsonld": ("catalog.jsonld", "jsonld"),
    "dcat-nt": ("catalog.nt", "nt"),
    "void": (".well-known/void", "ttl"),
    "ckan": ("ckan-package.json", "json"),
    "schemaorg": ("schema-org.jsonld", "jsonld"),
}
DUMP_NAME = "ryoiki-ld"  # dump/ryoiki-ld.{ttl,nt,jsonld,nq}


@dataclass(frozen=True)
class Output:
    """The layout of a build directory (docs/build.md, "What a build publishes"): every path under DIR is named here."""

    root: Path

    @property
    def data(self) -> Path:
        """The tidy table, its CSVW metadata, the corrections and the area links."""
        return self.root / "data"

    @property
    def networks_csv(self) -> Path:
        return self.data / "networks.csv"

    @property
    def csvw_metadata(self) -> Path:
        return self.data / "networks.csv-metadata.json"

    @property
    def corrections(self) -> Path:
        return self.data / "corrections.csv"

    @property
    def area_links(self) -> Path:
        return self.data / "area_links.csv"

    @property
    def area_resolution(self) -> Path:
        return self.data / "area_resolution.csv"

    @property
    def dump(self) -> Path:
        return self.root / "dump"

    @property
    def dump_stem(self) -> Path:
        """The dumps without their extension (`.ttl`, `.nt`, `.jsonld`, `.nq` follow)."""
        return self.dump / DUMP_NAME

    @property
    def dump_nt(self) -> Path:
        """The N-Triples dump (the union of the graphs): the one `validate` reads."""
        return self.dump_stem.with_suffix(".nt")

    @property
    def dump_nq(self) -> Path:
        """The N-Quads dump, each triple in its named graph: the one the store is loaded from."""
        return self.dump_stem.with_suffix(".nq")

    @property
    def validation(self) -> Path:
        return self.root / "validation"

    @property
    def validation_report(self) -> Path:
        return self.validation / "report.ttl"

    @property
    def eligibility(self) -> Path:
        return self.validation / "eligibility.csv"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def site(self) -> Path:
        return self.root / "site"

    def catalog_file(self, key: str) -> Path:
        """A catalogue file (CATALOG_FILES) as written under the site."""
        return self.site / CATALOG_FILES[key][0]

    @property
    def manifest(self) -> Path:
        """Facts about the build that `serve` needs (base IRI, counts for the service description)."""
        return self.root / "build.json"


@dataclass(frozen=True)
class InputLimits:
    """What one input file (the report text, an RDF or CSV file to validate) may hold before it is refused with
    exit 2: a hostile file ends in seconds with a message, never in a crash, a hang or all the memory. The
    defaults leave our own dump (5 MB as N-Triples, JSON-LD nested 4 deep, no literal over 1 KB) room to spare."""

    max_bytes: int = 256 * 1024 * 1024  # the whole file
    max_depth: int = 100  # nesting: JSON-LD objects and arrays, XML elements, Turtle [ ] and ( )
    max_literal_bytes: int = 1024 * 1024  # one literal, or one CSV field


@dataclass(frozen=True)
class Limits:
    """What one query may cost on the public endpoint. Tests set them low; `serve` options change them."""

    time_limit_s: float = 10.0  # evaluation time; the worker process evaluating it retires when it runs out
    max_rows: int = 10_000  # solutions or triples; a larger result is refused, never cut
    max_query_chars: int = 100_000
    max_depth: int = 500  # nesting of ( { [ ; far deeper queries overflow the parser's stack
    memory_mb: int = 6144  # address space of one worker process; its queries are stopped at half of what is left
    workers: int = 2  # worker processes that serve HTTP and evaluate (plus one spare, started and waiting)
    cache_mb: int = 64  # per worker: responses kept for repeated identical requests; 0 turns the cache off


@dataclass(frozen=True)
class ServeSettings:
    out: Path = Path("build")
    host: str = "127.0.0.1"
    port: int = 8000
    limits: Limits = field(default_factory=Limits)
    access_log: Path | None = None  # JSON lines; None = standard error
    store_in: Literal["memory", "disk"] = (
        "memory"  # "memory": each worker queries a copy of the store in memory; "disk": the store itself
    )
    paths: Paths = field(default_factory=Paths)


@dataclass(frozen=True)
class Settings:
    source: Path = DEFAULT_SOURCE
    out: Path = Path("build")
    base_iri: str = DEFAULT_BASE_IRI
    sparql_endpoint: str = DEFAULT_SPARQL_ENDPOINT
    # The number of networks in the source's table, when the sentence stating it (「地連ＮＷ２１８を対象」) is missing
    # or to check it; None: the stated total alone.
    expected_networks: int | None = None
    input_limits: InputLimits = field(default_factory=InputLimits)  # for the report text
    # Processes that write the site's pages (forked; the output is the same for any number).
    site_workers: int = min(2, os.cpu_count() or 1)
    paths: Paths = field(default_factory=Paths)
    surveys: Path | None = None  # the folder of survey files; None: the project's (paths.surveys)

    @property
    def surveys_dir(self) -> Path:
        return self.surveys or self.paths.surveys

    @property
    def endpoint_url(self) -> str:
        """The endpoint's absolute URL: `sparql_endpoint` when absolute, else relative to the base IRI."""
        if self.sparql_endpoint.startswith(("http://", "https://")):
            return self.sparql_endpoint
        return self.base_iri + self.sparql_endpoint
