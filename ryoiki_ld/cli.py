"""The `ryoiki-ld` command. Errors become one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, pipeline
from .config import DEFAULT_BASE_IRI, DEFAULT_SOURCE, Settings
from .errors import RyoikiError


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
def build(source: Path, out: Path, base_iri: str) -> None:
    """Run the whole pipeline into OUT (atomic: a failed build leaves the previous OUT untouched)."""
    settings = Settings(source=source, out=out, base_iri=base_iri)
    pipeline.build(settings, _echo_err)


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
