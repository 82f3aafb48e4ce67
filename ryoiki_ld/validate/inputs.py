"""What is validated, read: the shape sets, any RDF file, a CSV in the tidy table's schema (mapped as a build
maps it), and the reference triples a network's own file links to.

Every error names the file and, where the parser says, the line: the input is often someone else's file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from .. import __version__, formats
from ..config import SHAPE_SETS, InputLimits, Paths, Settings, cache_dir
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
    from .. import extract, link, mapping, series, surveys  # here: RDF input needs none of the table pipeline

    paths = settings.paths
    table = extract.read_csv(path, paths.csvw_metadata, limits.max_literal_bytes)
    linked = link.resolve_table(table, link.Gazetteer(paths), source=path)  # no curation: for the report's rows
    one = series.single(table, surveys.first_survey(settings.surveys_dir), path)
    return parse_lines(mapping.map_tables(one, linked.links, linked.unresolved, settings))


@lru_cache(maxsize=4)
def reference_triples(settings: Settings) -> frozenset[str]:
    """What a network's own file links to: the ontology, prefectures, municipalities, secondary medical
    areas and criteria (the build's graph without a single network), so that sh:class checks on links
    to them can pass without the file restating them.

    Mapping them takes half a second, most of a pipeline's `validate`; they are kept in the cache folder
    (`config.cache_dir`) under a hash of everything they are made from, and made again when that entry is missing,
    damaged or cannot be written."""
    key = _reference_key(settings)
    entry = cache_dir() / f"reference-{key}.nt"
    cached = _read_cached(entry)
    if cached is not None:
        return cached
    paths = settings.paths
    columns = [c["name"] for c in json.loads(paths.csvw_metadata.read_text(encoding="utf-8"))["tableSchema"]["columns"]]
    import pandas as pd  # here: a cached entry needs neither pandas nor the mapping engine

    from .. import extract, mapping, series, surveys

    empty = extract.to_frame([], tuple(columns))
    no_links = pd.DataFrame(columns=["no", "kind", "code", "matched_text"])
    nothing_unresolved = pd.DataFrame(columns=["no", "text", "reason"])
    none = series.single(empty, surveys.first_survey(settings.surveys_dir), settings.source)
    lines = frozenset(mapping.map_tables(none, no_links, nothing_unresolved, settings))
    _write_cached(entry, lines)
    return lines


def _reference_key(settings: Settings) -> str:
    """A hash of what the reference triples are made from: this program's code and version, the settings the
    mappings read, the report text, the ontology and every file in data/, mappings/ and surveys/."""
    digest = hashlib.sha256()
    for part in (__version__, settings.base_iri, settings.endpoint_url, str(settings.source.name)):
        digest.update(part.encode("utf-8") + b"\0")
    code = Path(__file__).resolve().parent.parent
    paths = settings.paths
    files = [settings.source, paths.ontology, *sorted(code.rglob("*.py"))]
    for folder in (paths.data, paths.mappings, paths.surveys):
        files.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
    for path in files:
        digest.update(str(path.name).encode("utf-8") + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


_CACHE_HEADER = "# ryoiki-ld reference triples sha256="


def _read_cached(entry: Path) -> frozenset[str] | None:
    """The lines of a cache entry whose own checksum holds; None for a missing or damaged one."""
    try:
        text = entry.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    header, _, body = text.partition("\n")
    if header != _CACHE_HEADER + hashlib.sha256(body.encode("utf-8")).hexdigest():
        return None
    return frozenset(body.splitlines())


def _write_cached(entry: Path, lines: frozenset[str]) -> None:
    """Write an entry whole or not at all (a temporary file renamed over it); a cache that cannot be written is
    no error, only slower next time."""
    body = "".join(line + "\n" for line in sorted(lines))
    temporary: str | None = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".nt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_CACHE_HEADER + hashlib.sha256(body.encode("utf-8")).hexdigest() + "\n" + body)
        os.replace(temporary, entry)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return
    _prune(entry.parent)


_CACHE_KEEP = 4  # entries kept: a few versions or projects side by side, each about 2 MB


def _prune(folder: Path) -> None:
    """Keep the newest `_CACHE_KEEP` reference entries; older ones are from other versions or settings."""
    with contextlib.suppress(OSError):
        entries = sorted(folder.glob("reference-*.nt"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[_CACHE_KEEP:]:
            old.unlink(missing_ok=True)


def parse_lines(lines: Iterable[str]) -> list[ox.Triple]:
    text = "\n".join(sorted(lines)) + "\n"
    return [q.triple for q in ox.parse(input=text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
