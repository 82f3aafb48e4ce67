"""The `ryoiki-ld` command. Errors become one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Literal

import click

from . import __version__, formats
from .config import (
    CATALOG_FILES,
    DEFAULT_BASE_IRI,
    DEFAULT_SPARQL_ENDPOINT,
    REPORT_FORMATS,
    ROOT,
    SHAPE_SETS,
    InputLimits,
    Limits,
    Output,
    Paths,
    ServeSettings,
    Settings,
)
from .errors import INTERNAL_ERROR, RyoikiError, SourceError
from .surveys import first_survey


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ryoiki-ld")
def cli() -> None:
    """Publish the MHLW survey of regional health information networks as Linked Open Data."""


max_bytes_option = click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=InputLimits.max_bytes,
    show_default=True,
    help="Size of one input file (build: the report text; validate: each FILE); a larger one is refused unread.",
)


@cli.command()
@click.option(
    "--surveys",
    "surveys_dir",
    type=click.Path(path_type=Path),
    default=None,
    show_default="the project's surveys/",
    help="A folder of survey files (*.toml, one per survey edition; docs/survey-series.md).",
)
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    default=None,
    show_default="the survey file's `file`",
    help="The first survey's file (the FY2019 report text) to read instead of the one its survey file names.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Directory to build into; replaced only when the whole build succeeds.",
)
@click.option("--base-iri", default=DEFAULT_BASE_IRI, show_default=True, help="Base of every instance IRI.")
@click.option(
    "--sparql-endpoint",
    default=DEFAULT_SPARQL_ENDPOINT,
    show_default=True,
    help="The SPARQL endpoint the site's query page sends queries to: relative to the site root (as `serve` "
    "answers it) or an absolute URL.",
)
@click.option(
    "--expected-networks",
    type=click.IntRange(min=1),
    metavar="N",
    help="The number of networks in the table: required when the report's sentence stating it is missing, "
    "checked against it when present.",
)
@max_bytes_option
def build(
    surveys_dir: Path | None,
    source: Path | None,
    out: Path,
    base_iri: str,
    sparql_endpoint: str,
    expected_networks: int | None,
    max_bytes: int,
) -> None:
    """Run the whole pipeline into OUT (atomic: a failed build leaves the previous OUT untouched)."""
    surveys_dir = surveys_dir or Paths().surveys
    survey = first_survey(surveys_dir)  # a bad survey file stops the build before anything is read
    settings = Settings(
        source=source or survey.file,
        surveys=surveys_dir,
        out=out,
        base_iri=base_iri,
        sparql_endpoint=sparql_endpoint,
        expected_networks=expected_networks,
        input_limits=InputLimits(max_bytes=max_bytes),
    )
    from . import pipeline  # here, not at the top: `--version` and `--help` need none of the pipeline

    pipeline.build(settings, _echo_err)


@cli.command(name="validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--shapes",
    "shape_set",
    type=click.Choice(sorted(SHAPE_SETS)),
    default="all",
    show_default=True,
    help="quality: data-quality rules; criteria: the support criteria (ア)–(キ); all: both.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(REPORT_FORMATS),
    default="text",
    show_default=True,
    help="text (grouped by network, ja/en), turtle (the SHACL report), json, github (workflow annotations).",
)
@click.option(
    "--input-format",
    type=click.Choice([f.name for f in formats.INPUTS]),
    help="Syntax of FILES when their extension does not say it.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="The build whose dataset is validated when no FILE is given.",
)
@click.option(
    "--engine",
    type=click.Choice(["oxigraph", "pyshacl"]),
    default="oxigraph",
    show_default=True,
    help="oxigraph: the shapes as SPARQL in Oxigraph (fast); pyshacl: plain pySHACL (same results).",
)
@max_bytes_option
@click.option(
    "--max-depth",
    type=click.IntRange(min=1),
    default=InputLimits.max_depth,
    show_default=True,
    help="Nesting of JSON-LD objects and arrays, RDF/XML elements, Turtle [ ] and ( ).",
)
@click.option(
    "--max-literal-bytes",
    type=click.IntRange(min=1),
    default=InputLimits.max_literal_bytes,
    show_default=True,
    help="Size of one literal or IRI (one CSV field).",
)
def validate_command(
    files: tuple[Path, ...],
    shape_set: str,
    output_format: str,
    input_format: str | None,
    out: Path,
    engine: str,
    max_bytes: int,
    max_depth: int,
    max_literal_bytes: int,
) -> None:
    """Validate the built dataset, or FILES (RDF, or CSV in the tidy table's schema), against the shapes.

    FILES are validated together with the ontology and the reference resources they may link to
    (prefectures, municipalities, secondary medical areas, criteria).

    Exit status: 0 conforms (no sh:Violation), 1 violations, 2 bad input or usage, or nothing to validate (no
    rld:Network in FILES, or nothing the shapes target).
    """
    from . import validate

    settings = Settings(out=out)
    limits = InputLimits(max_bytes=max_bytes, max_depth=max_depth, max_literal_bytes=max_literal_bytes)
    references = bool(files)
    if not files:
        dump = Output(out).dump_nt
        if not dump.exists():
            raise SourceError(dump, None, "no built dataset here: run `ryoiki-ld build` first, or name a FILE")
        files = (dump,)
    report = validate.validate_files(files, settings, shape_set, engine, input_format, limits, references)
    click.echo(validate.RENDERERS[output_format](report), nl=False)
    if not report.conforms:
        sys.exit(1)


@cli.command(name="catalog")
@click.option(
    "--format",
    "output_format",
    type=click.Choice([k for k in CATALOG_FILES if k != "dcat-nt"]),
    default="dcat",
    show_default=True,
    help="dcat (DCAT-AP 3, Turtle), dcat-jsonld, void (VoID, Turtle), ckan (CKAN package JSON), schemaorg.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="The build whose catalogue is printed.",
)
def catalog_command(output_format: str, out: Path) -> None:
    """Print the built dataset's catalogue record: DCAT, VoID, CKAN or schema.org."""
    path = Output(out).catalog_file(output_format)
    if not path.is_file():
        raise SourceError(path, None, "no built catalogue here: run `ryoiki-ld build` first")
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@cli.command(name="query")
@click.argument("query")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json", "turtle"]),
    default="table",
    show_default=True,
    help="table and csv/json (SPARQL results) for SELECT and ASK; table, turtle and json (JSON-LD) for CONSTRUCT and DESCRIBE.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="The build whose store is queried.",
)
def query_command(query: str, output_format: str, out: Path) -> None:
    """Run a SPARQL query on the built store: QUERY is the query itself, or @FILE to read it from FILE.

    Exit status: 0 answered, 2 bad query (the message gives the line and column) or no build.
    """
    from .rdf import PREFIXES
    from .serve.query import run_query

    source = "query"
    if query.startswith("@"):
        path = Path(query[1:])
        source = str(path)
        try:
            query = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SourceError(path, None, f"cannot read the query: {getattr(e, 'strerror', None) or e}") from None
    output = run_query(Output(out), query, source, output_format, PREFIXES, Limits().max_depth)
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()


@cli.command()
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("build"), show_default=True, help="The build to serve."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free one).")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=Limits.time_limit_s,
    show_default=True,
    help="Seconds a query may run; then the client is told at once and its worker retires.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=Limits.max_rows,
    show_default=True,
    help="Results (solutions or triples) a query may return; a larger result is refused, never cut.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=Limits.workers,
    show_default=True,
    help="Worker processes that serve and evaluate (one per core), plus one spare.",
)
@click.option(
    "--memory-mb",
    type=click.IntRange(min=1024),
    default=Limits.memory_mb,
    show_default=True,
    help="Address space of one worker process; its queries are stopped when they take half of what is left.",
)
@click.option(
    "--cache-mb",
    type=click.IntRange(min=0),
    default=Limits.cache_mb,
    show_default=True,
    help="Memory for answers to repeated identical queries (0: no cache).",
)
@click.option(
    "--store-in",
    type=click.Choice(["memory", "disk"]),
    default=ServeSettings.store_in,
    show_default=True,
    help="Where the workers query the store: a copy in memory (faster), or the on-disk store (for data larger than memory).",
)
@click.option(
    "--access-log",
    type=click.Path(path_type=Path),
    default=None,
    help="Append the access log (JSON lines) to this file instead of standard error.",
)
def serve(
    out: Path,
    host: str,
    port: int,
    time_limit: float,
    max_rows: int,
    workers: int,
    memory_mb: int,
    cache_mb: int,
    store_in: Literal["memory", "disk"],
    access_log: Path | None,
) -> None:
    """Serve the SPARQL endpoint (/sparql), the built site and /id/ dereferencing from OUT.

    Stops cleanly on Ctrl+C or SIGTERM: requests in flight are answered, then the workers exit and are reaped.
    """
    from .serve.server import serve as run_server

    limits = Limits(time_limit_s=time_limit, max_rows=max_rows, workers=workers, memory_mb=memory_mb, cache_mb=cache_mb)
    run_server(
        ServeSettings(out=out, host=host, port=port, limits=limits, access_log=access_log, store_in=store_in), _echo_err
    )


@cli.command(name="publish")
@click.option(
    "--endpoint",
    "stores",
    multiple=True,
    required=True,
    metavar="URL",
    help="A store's SPARQL 1.1 Graph Store Protocol URL (e.g. http://host:7878/store); repeat for replicas.",
)
@click.option(
    "--query-endpoint",
    "queries",
    multiple=True,
    metavar="URL",
    help="The SPARQL query endpoint of each --endpoint, in the same order (default: told from the store's URL, "
    "data/store_layouts.csv).",
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("build"), show_default=True, help="The build to publish."
)
@click.option("--auth", type=click.Choice(["none", "basic", "digest"]), default="none", show_default=True)
@click.option("--user", default=None, help="User name for --auth basic or digest.")
@click.option(
    "--password-env",
    default=None,
    metavar="VAR",
    help="The environment variable holding the password (never given on the command line, never printed).",
)
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="After each graph: a graph-scoped COUNT, and the graph read back equals the one sent.",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=300.0, show_default=True, help="Seconds per request."
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=4,
    show_default=True,
    help="Further tries, with doubling waits from 0.5 s, on connection errors and HTTP 502/503/504.",
)
@click.option(
    "--piece-triples",
    type=click.IntRange(min=1),
    default=50_000,
    show_default=True,
    help="Triples per request: a larger graph goes as a PUT and then POSTs (a store that loads in bulk, such as "
    "Oxigraph server, gets one bulk POST).",
)
def publish_command(
    stores: tuple[str, ...],
    queries: tuple[str, ...],
    out: Path,
    auth: str,
    user: str | None,
    password_env: str | None,
    verify: bool,
    timeout: float,
    retries: int,
    piece_triples: int,
) -> None:
    """Put the built graphs (one named graph per survey and the shared ones) into triple stores that already run,
    with Graph Store Protocol PUT: publishing again replaces them.

    Progress on stderr per endpoint and graph; at the end, which graphs reached which endpoint. Exit status:
    0 every graph arrived (and was verified), 1 a store holds something else than was sent, 2 a graph did not
    arrive (unreachable store, authentication refused, an HTTP error, a time limit) or bad usage.
    """
    from . import publish

    targets = publish.endpoints(list(stores), list(queries), publish.read_layouts(Paths().store_layouts))
    creds = publish.credentials(auth, user, password_env)
    graphs = publish.read_graphs(Output(out))
    outcomes = publish.publish(graphs, targets, creds, _echo_err, verify, timeout, retries, piece_triples)
    lines, status = publish.summary(graphs, outcomes)
    for line in lines:
        _echo_err(line)
    sys.exit(status)


def main() -> None:
    # rdflib logs a traceback for every ill-typed literal it meets, and warns on some ("Parsing weird boolean");
    # validation reports those itself.
    logging.getLogger("rdflib").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="rdflib")
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(2)
    except click.Abort:
        _echo_err("aborted")
        sys.exit(130)
    except RyoikiError as e:
        _echo_err(f"error: {e}")
        sys.exit(e.exit_code)
    except Exception as e:  # a bug of ours (one line here, the traceback in a file), or a damaged installation
        if isinstance(e, OSError) and _is_project_file(e.filename):
            _echo_err(f"error: {e.filename}: {e.strerror}: this installation of ryoiki-ld is damaged; reinstall it")
            sys.exit(2)
        report = _write_traceback()
        _echo_err(f"internal error: {type(e).__name__}: {e} (a bug in ryoiki-ld; the traceback is in {report})")
        sys.exit(INTERNAL_ERROR)


def _is_project_file(filename: object) -> bool:
    """Whether `filename` is one of the files the program ships (config.ROOT: the package's or the checkout's)."""
    return isinstance(filename, str) and Path(filename).resolve().is_relative_to(ROOT.resolve())


def _write_traceback() -> str:
    """Write the current exception's traceback to a new file in the temporary directory; its path."""
    fd, path = tempfile.mkstemp(prefix=f"ryoiki-ld-error-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"ryoiki-ld {__version__}: {' '.join(sys.argv)}\n\n{traceback.format_exc()}")
    return path
