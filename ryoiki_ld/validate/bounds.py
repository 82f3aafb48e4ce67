"""The bounds of one input file (`config.InputLimits`), checked before a parser sees it.

A parser is the wrong place to meet a hostile file: Oxigraph's JSON-LD parser overflows the stack (SIGSEGV) on
5,000 nested objects, its lexer stops at a 16 MiB token with a MemoryError, its RDF/XML parser expands entities (a
billion-laughs document ran 87 s) and slows quadratically with element depth. So the file's size is checked
first, then one linear scan per syntax finds the nesting depth and the longest literal, skipping what is inside
strings, IRIs and comments exactly as the parser will; RDF/XML is scanned by expat, which refuses any entity
declaration. Each refusal is a `SourceError` naming the file, the line and the limit's option.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.parsers import expat

from .. import formats
from ..config import InputLimits
from ..errors import SourceError
from ..formats import Format
from ..reading import over_limit

# Turtle, TriG and N-Triples tokens that may hold brackets the parser does not nest: long and short strings, IRIs
# (only the characters an IRIREF may hold, so that nothing the parser reads as structure is skipped), comments,
# escaped characters of prefixed names; and the brackets themselves.
_TURTLE = re.compile(
    rb'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    rb"|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    rb'|"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"'
    rb"|'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'"
    rb'|<[^\x00-\x20<>"{}|^`\\]*>'
    rb"|#[^\r\n]*"
    rb"|\\."
    rb"|[\[\]()]",
    re.DOTALL,
)
_JSON = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENING = frozenset(b"[({")
_CLOSING = frozenset(b"])}")
_QUOTED = frozenset(b"\"'<")


def check_rdf(path: Path, data: bytes, fmt: Format, limits: InputLimits) -> None:
    """Refuse an RDF document nested deeper than `max_depth` or with a literal or IRI over `max_literal_bytes`
    (and RDF/XML with entity declarations) before it is parsed."""
    if fmt is formats.RDF_XML:
        _check_xml(path, data, limits)
    else:
        _check_tokens(path, data, _JSON if fmt is formats.JSON_LD else _TURTLE, limits)


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _check_tokens(path: Path, data: bytes, tokens: re.Pattern[bytes], limits: InputLimits) -> None:
    depth = 0
    longest = limits.max_literal_bytes + 2  # a token's quotes or angle brackets are not the literal's
    for m in tokens.finditer(data):
        first = data[m.start()]
        if first in _OPENING:
            depth += 1
            if depth > limits.max_depth:
                found = f"nested more than {limits.max_depth} deep"
                raise SourceError(path, _line(data, m.start()), over_limit("max_depth", found))
        elif first in _CLOSING:
            depth = max(depth - 1, 0)  # a stray closing bracket must not buy depth for later openings
        elif first in _QUOTED and m.end() - m.start() > longest:
            size = m.end() - m.start() - (6 if data.startswith((b'"""', b"'''"), m.start()) else 2)
            if size > limits.max_literal_bytes:
                found = f"a literal or IRI of {size:,} bytes, over {limits.max_literal_bytes:,}"
                raise SourceError(path, _line(data, m.start()), over_limit("max_literal_bytes", found))


class _Refused(Exception):
    """Raised from an expat handler: what is wrong; the parser knows the line."""


def _check_xml(path: Path, data: bytes, limits: InputLimits) -> None:
    """Scan RDF/XML with expat: no entity declarations (billion laughs, external entities), element depth, the
    text of one element and each attribute value within the literal limit. A well-formedness error is named
    with its line, which Oxigraph's RDF/XML errors do not give."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0
    text = 0

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth, text
        depth += 1
        text = 0
        if depth > limits.max_depth:
            raise _Refused(over_limit("max_depth", f"elements nested more than {limits.max_depth} deep"))
        for value in attributes.values():
            if len(value) > limits.max_literal_bytes // 4 and len(value.encode("utf-8")) > limits.max_literal_bytes:
                found = f"an attribute value of {len(value.encode('utf-8')):,} bytes, over {limits.max_literal_bytes:,}"
                raise _Refused(over_limit("max_literal_bytes", found))

    def end(name: str) -> None:
        nonlocal depth, text
        depth -= 1
        text = 0

    def characters(chunk: str) -> None:
        nonlocal text
        text += len(chunk.encode("utf-8"))
        if text > limits.max_literal_bytes:
            raise _Refused(over_limit("max_literal_bytes", f"element text over {limits.max_literal_bytes:,} bytes"))

    def entity(name: str, *_: object) -> None:
        raise _Refused(f"declares the entity {name!r}: entity declarations are refused (they can expand without bound)")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(data, True)
    except _Refused as e:
        raise SourceError(path, parser.CurrentLineNumber, str(e)) from None
    except LookupError as e:  # the XML declaration names an encoding Python does not know
        raise SourceError(path, 1, f"not valid {formats.RDF_XML.name}: {e}") from None
    except expat.ExpatError as e:
        raise SourceError(
            path, e.lineno, f"not valid {formats.RDF_XML.name}: {expat.ErrorString(e.code)}", char=e.offset + 1
        ) from None
