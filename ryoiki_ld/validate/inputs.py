"""What is validated, read: the shape sets, any RDF file, a CSV in the tidy table's schema (mapped as a build
maps it), and the reference triples a network's own file links to.

Every error names the file and, where the parser says, the line: the input is often someone else's file.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.parsers import expat

import pandas as pd
import pyoxigraph as ox

from .. import extract, formats, link, mapping
from ..config import Paths, Settings
from ..errors import SourceError
from ..formats import Format
from ..rdf import error_position

SHAPE_SETS = {"quality": ("quality.ttl",), "criteria": ("criteria.ttl",), "all": ("quality.ttl", "criteria.ttl")}


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


def read_rdf(path: Path, fmt: Format) -> list[ox.Triple]:
    """Parse one RDF file; a syntax error names the file and line, a file without triples is an error."""
    _check_file(path)
    try:
        triples = [q.triple for q in ox.parse(path=str(path), format=fmt.oxigraph)]
    except (SyntaxError, ValueError) as e:
        line = error_position(str(e)).line or (_xml_error_line(path) if fmt is formats.RDF_XML else None)
        raise SourceError(path, line, f"not valid {fmt.name}: {e}") from None
    except OSError as e:
        raise SourceError(path, None, f"cannot read: {e.strerror or e}") from None
    if not triples:
        raise SourceError(path, None, f"no RDF triples in this {fmt.name} file")
    return triples


def _xml_error_line(path: Path) -> int | None:
    """Oxigraph's RDF/XML errors carry no position; expat finds the line of a well-formedness error."""
    parser = expat.ParserCreate()
    try:
        with open(path, "rb") as f:
            parser.ParseFile(f)
    except expat.ExpatError as e:
        return e.lineno
    return None


def _check_file(path: Path) -> None:
    if not path.exists():
        raise SourceError(path, None, "no such file")
    if path.is_dir():
        raise SourceError(path, None, "is a directory, not a file")
    if path.stat().st_size == 0:
        raise SourceError(path, None, "the file is empty")


def read_input(path: Path, fmt: Format, settings: Settings) -> list[ox.Triple]:
    """One input file as triples; a CSV in the tidy table's schema is mapped as a build maps it."""
    if fmt is not formats.CSV:
        return read_rdf(path, fmt)
    _check_file(path)
    paths = settings.paths
    table = extract.read_csv(path, paths.csvw_metadata)
    links, _ = link.resolve_table(table, link.Gazetteer(paths))
    return parse_lines(mapping.map_tables(table, links, settings))


def reference_triples(settings: Settings) -> set[str]:
    """What a network's own file links to: the ontology, prefectures, municipalities, secondary medical
    areas and criteria (the build's graph without a single network), so that sh:class checks on links
    to them can pass without the file restating them."""
    paths = settings.paths
    columns = [c["name"] for c in json.loads(paths.csvw_metadata.read_text(encoding="utf-8"))["tableSchema"]["columns"]]
    empty = extract.to_frame([], tuple(columns))
    no_links = pd.DataFrame(columns=["no", "kind", "code", "matched_text"])
    return mapping.map_tables(empty, no_links, settings)


def parse_lines(lines: set[str]) -> list[ox.Triple]:
    text = "\n".join(sorted(lines)) + "\n"
    return [q.triple for q in ox.parse(input=text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
