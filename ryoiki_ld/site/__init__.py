"""site: the static, dereferenceable, bilingual website in DIR/site/.

Every IRI the graph mints has its documents where `iris.document_path` puts them: `doc/{kind}/{key}.html`
for people (Japanese; the English page is `en/doc/{kind}/{key}.html`) and `.ttl`, `.jsonld`, `.nt` for
machines (`graph` says what a document holds). The vocabulary's hash IRIs share `doc/def.*`, with an anchor per
term. Around them: the landing page (summary figures, map, charts, a table of all networks), the criteria,
vocabulary and downloads pages, `sitemap.xml`, `robots.txt` and the Apache rewrite rules.

Pages are Jinja2 templates in `site/templates/` with autoescape on. Pages and documents are filled straight
from the grouped N-Triples lines, not through an RDF library (rdflib: about 30× slower for the documents alone,
`benchmarks/bench_site.py`). The whole site takes about a second on tmpfs with two cores.

The modules, in the order the stage uses them: `graph` (the triples grouped by resource; what a document holds),
`model` (networks and criteria as records, rankings, the site's words), `documents` (Turtle, JSON-LD and
N-Triples as text), `html` (terms as HTML; templates rendered once and filled in), `pages` (what each page
shows), `charts` (the map and charts), `writer` (the files, written by forked workers).
"""

from __future__ import annotations

import contextlib
import gc
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .. import catalog, iris
from ..config import Output, Settings
from . import charts
from .graph import index
from .model import (
    LANGS,
    SiteData,
    collect_criteria,
    collect_networks,
    document_subjects,
    load_term_labels,
    load_text,
    ontology_order,
)
from .writer import OWN_PAGES, Writer, environment, write_all

Echo = Callable[[str], None]


@dataclass
class Stats:
    documents: int
    pages: int


@contextlib.contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """The site stage allocates millions of short-lived objects and leaves only a few hundred in reference
    cycles: the cycle collector, which runs every few hundred allocations and walks the whole graph now and
    then, would only cost time (about 5 % of the stage) and, in forked workers, copies of shared memory."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_site(triples: set[str], settings: Settings, out: Output, published: catalog.Published, echo: Echo) -> Stats:
    """Write the pages and documents of DIR/site/ from the build's triples, beside the downloads and catalogue
    files that `catalog.publish` has already put there."""
    with _without_cycle_collector():
        return _build_site(triples, settings, out, published, echo)


def _build_site(triples: set[str], settings: Settings, out: Output, published: catalog.Published, echo: Echo) -> Stats:
    paths = settings.paths
    site = out.site
    idx = index(triples)
    data = SiteData(
        idx=idx,
        settings=settings,
        text=load_text(paths.site_messages),
        term_labels=load_term_labels(paths.site_term_labels),
        rank=ontology_order(paths.ontology),
        documents=document_subjects(idx, settings.base_iri),
        networks=collect_networks(idx),
        criteria=collect_criteria(idx),
        downloads=published.downloads,
        schema_org=published.schema_org,
    )
    positions = charts.read_tile_positions(paths.prefecture_tiles)
    write_all(Writer(data, environment(paths.site_templates), out, positions), settings.site_workers)
    shutil.copytree(paths.site_assets, site / "assets")
    # The Apache rules name the not-found page by its path on the host (ErrorDocument takes no relative path).
    rules = paths.htaccess.read_text(encoding="utf-8").replace("@SITE_PATH@", iris.site_path(settings.base_iri))
    (site / ".htaccess").write_text(rules, encoding="utf-8")
    pages = (len(data.documents) + len(OWN_PAGES)) * len(LANGS)
    echo(f"  {len(data.documents)} resources × 3 RDF documents, {pages} HTML pages (ja + en)")
    return Stats(len(data.documents), pages)
