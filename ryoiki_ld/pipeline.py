"""build: runs the stages in order into a temporary directory and swaps it in only when all succeed."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import __version__, catalog, extract, graphs, link, mapping, series, site, store, surveys, swap, validate
from .config import CATALOG_FILES, Output, Settings
from .errors import DataQualityError, RyoikiError

Echo = Callable[[str], None]


@contextmanager
def stage(echo: Echo, name: str) -> Iterator[None]:
    started = time.perf_counter()
    echo(f"{name} …")
    yield
    echo(f"{name} done ({time.perf_counter() - started:.2f} s)")


def check_base_iri(base_iri: str) -> None:
    if not base_iri.startswith(("http://", "https://")) or not base_iri.endswith("/") or " " in base_iri:
        raise RyoikiError(f"--base-iri must be an absolute http(s) IRI ending in '/', got {base_iri!r}")


def check_sparql_endpoint(endpoint: str) -> None:
    """The site links to the endpoint from pages at any depth: a path relative to the site root, or a URL."""
    absolute = endpoint.startswith(("http://", "https://"))
    if not endpoint or any(c in endpoint for c in " \"'<>?#") or (not absolute and endpoint.startswith(("/", "."))):
        raise RyoikiError(
            f"--sparql-endpoint must be a path relative to the site root (such as 'sparql') or an absolute "
            f"http(s) URL, got {endpoint!r}"
        )


def build(settings: Settings, echo: Echo) -> None:
    paths = settings.paths
    check_base_iri(settings.base_iri)
    check_sparql_endpoint(settings.sparql_endpoint)
    with swap.replacing(settings.out) as directory:
        out = Output(directory)
        out.data.mkdir()
        with stage(echo, "extract"):
            surveyed = series.read_series(settings)
            extract.write_csv(surveyed.first.table.drop(columns="network"), out.networks_csv)
            shutil.copyfile(paths.csvw_metadata, out.csvw_metadata)
            shutil.copyfile(paths.corrections, out.corrections)
            for edition in surveyed.editions:
                echo(f"  {edition.survey.id}: {len(edition.table)} rows from {edition.source}")
            table = surveyed.networks()
            echo(f"  {len(table)} networks")

        with stage(echo, "link"):
            one_source = surveyed.first.source if len(surveyed.editions) == 1 else None  # several: the key alone
            linked = link.resolve_table(table, link.Gazetteer(paths), link.load_curation(paths), one_source)
            linked.links.to_csv(out.area_links, index=False, lineterminator="\n")
            linked.statuses.to_csv(out.area_resolution, index=False, lineterminator="\n")
            rates = link.resolution_rates(linked.statuses)
            for r in rates.itertuples():
                echo(
                    f"  {r.Index:<24} {r.resolved:>3}/{r.total:<3} resolved ({r.resolved_pct:.1f} %), "
                    f"{r.partial} partly, {r.unresolved} not; {r.without_reason} without a reason"
                )

        with stage(echo, "map"):
            mapped = mapping.map_tables(surveyed, linked.links, linked.unresolved, settings)
            triples = mapped | catalog.metadata(settings)
            echo(f"  {len(triples)} triples from the mappings, the ontology and the catalogue record")

        with stage(echo, "validate"):
            report = validate_and_assess(triples, settings, out, echo)

        with stage(echo, "dump"):
            out.dump.mkdir()
            table = graphs.build_table(settings)
            for path in [
                *mapping.write_dumps(triples, out.dump_stem),
                graphs.write_nquads(triples, out.dump_nq, table),
            ]:
                echo(f"  {path.relative_to(out.root)} ({path.stat().st_size:,} bytes)")

        with stage(echo, "catalog"):
            published = catalog.publish(settings, out, triples)
            echo(
                f"  {len(published.downloads)} downloads under site/, described in "
                + ", ".join(path for path, _ in CATALOG_FILES.values())
            )

        if report.quality_violations:
            echo(validate.render_text(report))
            raise DataQualityError(
                f"the data fails the quality shapes ({len(report.quality_violations)} violation(s), listed above); "
                f"{settings.out} is unchanged"
            )

        with stage(echo, "store"):
            manifest = load_store(out, settings)
            echo(f"  store/ ({manifest.triples:,} triples, {len(manifest.classes)} classes) and build.json")

        with stage(echo, "site"):
            site.build_site(triples, settings, out, published, echo)
    echo(f"built {settings.out}")


def load_store(out: Output, settings: Settings) -> store.Manifest:
    """Load the N-Quads dump into DIR/store and record the build's facts in DIR/build.json."""
    loaded = store.build_store(out.dump_nq, out.store)
    triples, subjects, properties, classes = store.statistics(loaded)
    in_graphs = store.graph_sizes(loaded)
    del loaded  # closes the store: `serve` and `query` open it read-only
    manifest = store.Manifest(
        base_iri=settings.base_iri,
        version=__version__,
        triples=triples,
        subjects=subjects,
        properties=properties,
        classes=classes,
        graphs=in_graphs,
        dumps=sorted(str(p.relative_to(out.root)) for p in out.dump.iterdir()),
    )
    store.write_manifest(manifest, out)
    return manifest


def validate_and_assess(triples: set[str], settings: Settings, out: Output, echo: Echo) -> validate.Report:
    """Assess every survey row against the criteria (a network once per survey), add the assessments to
    `triples`, then validate the whole graph and its survey rows with the quality shapes.

    Writes one SHACL report of both (DIR/validation/report.ttl) and the eligibility table.
    """
    paths = settings.paths
    graph = validate.with_survey_rows(validate.parse_lines(triples), paths.survey_rows_view)
    criteria = validate.run_criteria(graph, validate.load_shapes(paths, "criteria"))
    outcomes = validate.assessment_frame(criteria)
    surveyed = outcomes[(outcomes["survey"] != "") & outcomes["no"].notna()]
    years = {s.id: s.fiscal_year for s in surveys.read_surveys(settings.surveys_dir)}
    surveyed = surveyed.assign(
        fiscal_year=surveyed["survey"].map(years),
        slice=surveyed["network"].str.strip("<>"),
        network=surveyed["about"].str.strip("<>"),
    ).drop(columns="about")
    config = mapping.mapping_config(settings)
    assessments = mapping.run_mappings({"assessments": surveyed}, config, paths.assessment_mappings)
    triples |= assessments
    # The survey rows do not depend on the assessments: the same graph, with the assessments added.
    quality = validate.run_quality(
        graph.extended(validate.parse_lines(assessments)), validate.load_shapes(paths, "quality")
    )
    report = validate.combined(quality, criteria)
    out.validation.mkdir()
    out.validation_report.write_text(validate.report_turtle(report), encoding="utf-8")
    eligibility = validate.eligibility_table(outcomes)
    eligibility.to_csv(out.eligibility, index=False, lineterminator="\n")
    counts = eligibility.groupby(["criterion", "outcome"]).size().unstack(fill_value=0)
    for key, row in counts.iterrows():
        echo(
            "  criterion "
            + key
            + ": "
            + ", ".join(f"{o} {row.get(o, 0)}" for o in ("met", "not_met", "not_assessable"))
        )
    echo(f"  {len(report.quality_violations)} quality violation(s); {len(eligibility)} assessments ({report.engine})")
    return report
