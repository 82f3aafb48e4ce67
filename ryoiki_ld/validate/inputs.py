"""What is validated, read: the shape sets, any RDF file, a CSV in the tidy table's schema (mapped as a build
maps it), and the reference triples a network's own file links to.

Every error names the file and, where the parser says, the line: the input is often someone else's file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyoxigraph as ox

from .. import extract, formats, link, mapping
from ..config import SHAPE_SETS, InputLimits, Paths, Settings
from ..errors import SourceError
from ..formats import Format
from ..rdf import error_position
from ..reading import read_bounded
from . import bounds


def load_shapes(paths: Paths, which: str) -> list[ox.Triple]:
    triples: list[ox.Triple] = []
    for name in SHAPE_SETS[which]:
        triples.extend(read_rdf(paths.shapes / name, formats.TURTLE))
    return triples


def input_format(path: Path, given: str | None) -> Format:
    """The syntax of a file to validate: `--input-format` when given, else its suffix's (`formats.for_input`)."""
    if given:
        fmt = formats.named(given, formats.INPUTS)
        assert fmt is not None, given  # the CLI offers only these names
        return fmt
    fmt = formats.for_input(path.suffix) if path.suffix else None
    if fmt is None:
        known = ", ".join(sorted("." + s for f in formats.INPUTS for s in (f.ext, *f.suffixes)))
        raise SourceError(
            path, None, f"unknown extension {path.suffix or '(none)'!r}: use one of {known} or --input-format"
        )
    return fmt


def read_rdf(path: Path, fmt: Format, limits: InputLimits | None = None) -> list[ox.Triple]:
    """Parse one RDF file within `limits` (default: `InputLimits()`); a syntax error names the file and line, a
    file without triples is an error."""
    limits = limits or InputLimits()
    data = read_bounded(path, limits)
    bounds.check_rdf(path, data, fmt, limits)
    try:
        triples = [q.triple for q in ox.parse(input=data, format=fmt.oxigraph)]
    except (SyntaxError, ValueError) as e:
        position = error_position(str(e))
        raise SourceError(path, position.line, f"not valid {fmt.name}: {e}", char=position.column) from None
    except MemoryError as e:  # Oxigraph's lexer refuses a token over 16 MiB ("Reached the buffer maximal size")
        raise SourceError(path, None, f"not valid {fmt.name}: a token too large to parse ({e})") from None
    if not triples:
        raise SourceError(path, None, f"no RDF triples in this {fmt.name} file")
    return triples


def read_input(path: Path, fmt: Format, settings: Settings, limits: InputLimits | None = None) -> list[ox.Triple]:
    """One input file as triples, within `limits`; a CSV in the tidy table's schema is mapped as a build maps it."""
    limits = limits or InputLimits()
    if fmt is not formats.CSV:
        return read_rdf(path, fmt, limits)
    read_bounded(path, limits)
    paths = settings.paths
    table = extract.read_csv(path, paths.csvw_metadata, limits.max_literal_bytes)
    links, _ = link.resolve_table(table, link.Gazetteer(paths))
    return parse_lines(mapping.map_tables(table, links, settings))


@lru_cache(maxsize=4)
def reference_triples(settings: Settings) -> frozenset[str]:
    """What a network's own file links to: the ontology, prefectures, municipalities, secondary medical
    areas and criteria (the build's graph without a single network), so that sh:class checks on links
    to them can pass without the file restating them. Kept per settings: mapping them takes half a second."""
    paths = settings.paths
    columns = [c["name"] for c in json.loads(paths.csvw_metadata.read_text(encoding="utf-8"))["tableSchema"]["columns"]]
    empty = extract.to_frame([], tuple(columns))
    no_links = pd.DataFrame(columns=["no", "kind", "code", "matched_text"])
    return frozenset(mapping.map_tables(empty, no_links, settings))


def parse_lines(lines: Iterable[str]) -> list[ox.Triple]:
    text = "\n".join(sorted(lines)) + "\n"
    return [q.triple for q in ox.parse(input=text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
