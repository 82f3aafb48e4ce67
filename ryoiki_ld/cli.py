"""The `ryoiki-ld` command. Errors become one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, pipeline, validate
from .config import DEFAULT_BASE_IRI, DEFAULT_SOURCE, DEFAULT_SPARQL_ENDPOINT, Settings
from .errors import RyoikiError, SourceError


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ryoiki-ld")
def cli() -> None:
    """Publish the MHLW survey of regional health information networks as Linked Open Data."""


@cli.command()
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    default=DEFAULT_SOURCE,
    show_default="the project's copy",
    help="The report text to read.",
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
    help="The query page the site links to: relative to the site root (as `serve` answers it) or an absolute URL.",
)
def build(source: Path, out: Path, base_iri: str, sparql_endpoint: str) -> None:
    """Run the whole pipeline into OUT (atomic: a failed build leaves the previous OUT untouched)."""
    settings = Settings(source=source, out=out, base_iri=base_iri, sparql_endpoint=sparql_endpoint)
    pipeline.build(settings, _echo_err)


@cli.command(name="validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--shapes",
    "shape_set",
    type=click.Choice(sorted(validate.SHAPE_SETS)),
    default="all",
    show_default=True,
    help="quality: data-quality rules; criteria: the support criteria (ア)–(キ); all: both.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(validate.RENDERERS)),
    default="text",
    show_default=True,
    help="text (grouped by network, ja/en), turtle (the SHACL report), json, github (workflow annotations).",
)
@click.option(
    "--input-format",
    type=click.Choice(list(validate.INPUT_FORMATS)),
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
def validate_command(
    files: tuple[Path, ...], shape_set: str, output_format: str, input_format: str | None, out: Path, engine: str
) -> None:
    """Validate the built dataset, or FILES (RDF, or CSV in the tidy table's schema), against the shapes.

    FILES are validated together with the ontology and the reference resources they may link to
    (prefectures, municipalities, secondary medical areas, criteria).

    Exit status: 0 conforms (no sh:Violation), 1 violations, 2 bad input or usage.
    """
    settings = Settings(out=out)
    if files:
        triples = set(validate.parse_lines(validate.reference_triples(settings)))
    else:
        dump = out / "dump" / "ryoiki-ld.nt"
        if not dump.exists():
            raise SourceError(dump, None, "no built dataset here: run `ryoiki-ld build` first, or name a FILE")
        files = (dump,)
        triples = set()
    for path in files:
        triples.update(validate.read_input(path, validate.input_format(path, input_format), settings))
    shapes = validate.load_shapes(settings.paths, shape_set)
    report = validate.run(sorted(triples, key=str), shapes, engine=engine, echo=_echo_err)
    report.files = list(files)
    click.echo(validate.RENDERERS[output_format](report), nl=False)
    if not report.conforms:
        sys.exit(1)


def main() -> None:
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
