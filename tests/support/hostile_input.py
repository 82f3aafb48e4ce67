"""Damaged and hostile files for `ryoiki-ld validate`, for the fuzz tests (tests/test_validate_fuzz.py) and the long
fuzz run (benchmarks/fuzz_validate.py).

Seeds are real inputs in every format `validate` reads: examples/my-network.ttl, its conversions to N-Triples,
RDF/XML and a compact JSON-LD with a context, and the first rows of the tidy table (tests/golden/networks.csv).
A mutation is drawn from a `random.Random`, so that Hypothesis (`st.randoms()`) and the benchmark's seeded loop
draw the same kinds: characters and lines deleted, inserted or duplicated, a number made huge or ill-typed, deep
nesting, other scripts and invalid UTF-8. HOSTILE holds the recipes of the files that crashed or hung validate
(issue 13) and are too big to store: each is built from a few lines here.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable

import pyoxigraph as ox

from ryoiki_ld.config import ROOT
from ryoiki_ld.rdf import PREFIXES, RDF, XSD_STRING

from .example import EXAMPLE

FORMATS = ("ttl", "nt", "jsonld", "rdf", "csv")
_CONTEXT = {"rld": PREFIXES["rld"], "rdfs": PREFIXES["rdfs"], "xsd": PREFIXES["xsd"]}


def _compact(iri: str) -> str:
    for prefix, namespace in _CONTEXT.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _json_ld(triples: list[ox.Triple]) -> bytes:
    """The triples as compact JSON-LD with a context (the form people write, with "@type" and prefixed names)."""
    nodes: dict[str, dict] = {}
    for t in triples:
        node = nodes.setdefault(t.subject.value, {"@id": t.subject.value})
        if t.predicate.value == RDF + "type":
            node.setdefault("@type", []).append(_compact(t.object.value))
            continue
        o = t.object
        if isinstance(o, ox.NamedNode):
            value: dict = {"@id": o.value}
        elif o.language:
            value = {"@value": o.value, "@language": o.language}
        elif o.datatype.value == XSD_STRING:
            value = {"@value": o.value}
        else:
            value = {"@value": o.value, "@type": _compact(o.datatype.value)}
        node.setdefault(_compact(t.predicate.value), []).append(value)
    document = {"@context": _CONTEXT, "@graph": list(nodes.values())}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def seeds() -> dict[str, bytes]:
    """Extension → a real input that validate accepts (the example network; three rows of the table)."""
    triples = [q.triple for q in ox.parse(path=str(EXAMPLE), format=ox.RdfFormat.TURTLE)]
    prefixes = {**_CONTEXT, "pref": "https://w3id.org/ryoiki-ld/id/prefecture/"}
    table = (ROOT / "tests" / "golden" / "networks.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    return {
        "ttl": EXAMPLE.read_bytes(),
        "nt": ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
        "jsonld": _json_ld(triples),
        "rdf": ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=prefixes),
        "csv": "".join(table[:4]).encode("utf-8"),
    }


# --- mutations -------------------------------------------------------------------------------------------------

# What each syntax keys on, and what breaks everything.
_SYNTAX = {
    "ttl": ['"', "'", '"""', "<", ">", "[", "]", "(", ")", ";", ",", ".", "#", "@prefix", "^^", "@", "_:", "a", "\\"],
    "nt": ['"', "<", ">", " .", "^^", "@", "_:", "\\", "\n"],
    "jsonld": ['"', "{", "}", "[", "]", ":", ",", '"@type": []', '"@id"', '"@context"', "null", '"@list"', "\\"],
    "rdf": ["<", ">", "/", '"', "&", "&amp;", "<!--", "]]>", "rdf:", "<!DOCTYPE x>", "xml:lang=", "rdf:parseType="],
    "csv": [",", '"', "\n", "\r", '""', ",,"],
}
_ANY = ["\n", " ", "\t", "\x00", "é", "日本", "\u200b", "\ufeff", "\U0001f600", "\udcff", "٣", "１"]
# Numbers beyond int64 and 2**53, past Python's 4,300-digit limit, ill-typed, negative, non-integer, other scripts.
HUGE = [str(2**53 + 1), str(2**63), str(2**64 + 5), "9" * 30, "9" * 5000]
_NUMBERS = [*HUGE, "12x", "-5", "0", "1e400", "1.5", "NaN", "١٢", "０１"]
_NUMBER = re.compile(r"[0-9]+")
_NESTING = {
    "ttl": ("[ rld:p ", " ]"),
    "nt": ("[", "]"),
    "jsonld": ('{"rld:p": ', "}"),
    "rdf": ("<rld:p><rdf:Description>", "</rdf:Description></rld:p>"),
    "csv": ('"', '"'),
}


def _at(rnd: random.Random, text: str) -> int:
    return rnd.randrange(len(text) + 1)


def _delete(text: str, rnd: random.Random, fmt: str) -> str:
    i = _at(rnd, text)
    return text[:i] + text[i + rnd.choice((1, 1, 2, 5, 40)) :]


def _insert(text: str, rnd: random.Random, fmt: str) -> str:
    i = _at(rnd, text)
    return text[:i] + rnd.choice(_SYNTAX[fmt] + _ANY) + text[i:]


def _duplicate(text: str, rnd: random.Random, fmt: str) -> str:
    i = _at(rnd, text)
    j = min(len(text), i + rnd.randint(1, 80))
    return text[:j] + text[i:j] + text[j:]


def _lines(text: str, rnd: random.Random, fmt: str) -> str:
    lines = text.split("\n")
    k = rnd.randrange(len(lines))
    if rnd.random() < 0.5:
        del lines[k]
    else:
        lines.insert(k, lines[rnd.randrange(len(lines))])
    return "\n".join(lines)


def _number(text: str, rnd: random.Random, fmt: str) -> str:
    found = list(_NUMBER.finditer(text))
    if not found:
        return _insert(text, rnd, fmt)
    m = rnd.choice(found)
    return text[: m.start()] + rnd.choice(_NUMBERS) + text[m.end() :]


def _nest(text: str, rnd: random.Random, fmt: str) -> str:
    """Deep nesting at a random place (up to twice the default depth limit), closed or not."""
    opening, closing = _NESTING[fmt]
    depth = rnd.choice((3, 50, 99, 101, 200))
    i = _at(rnd, text)
    return text[:i] + opening * depth + (closing * depth if rnd.random() < 0.7 else "") + text[i:]


def _long(text: str, rnd: random.Random, fmt: str) -> str:
    """A long run of one character (a long literal, IRI or field; its bounds are tested with a low limit)."""
    i = _at(rnd, text)
    return text[:i] + rnd.choice("x9<\"'日") * rnd.choice((1000, 70_000)) + text[i:]


MUTATIONS: dict[str, Callable[[str, random.Random, str], str]] = {
    "delete": _delete,
    "insert": _insert,
    "duplicate": _duplicate,
    "lines": _lines,
    "number": _number,
    "nest": _nest,
    "long": _long,
}


def mutate(data: bytes, fmt: str, rnd: random.Random) -> tuple[bytes, list[str]]:
    """One to four mutations of a seed in format `fmt`; the bytes (invalid UTF-8 kept) and their names."""
    text = data.decode("utf-8")
    done = []
    for _ in range(rnd.randint(1, 4)):
        name = rnd.choice(list(MUTATIONS))
        text = MUTATIONS[name](text, rnd, fmt)
        done.append(name)
    return text.encode("utf-8", errors="surrogateescape"), done


# --- the hostile files of issue 13, as recipes ------------------------------------------------------------------

_XML_HEAD = '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://e/">'
_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n"
    + _XML_HEAD
    + '\n<rdf:Description rdf:about="http://e/a"><ex:p>&lol9;</ex:p></rdf:Description>\n</rdf:RDF>\n'
)

# File name → its content: each one crashed (SIGSEGV, MemoryError, csv.Error) or hung validate, or is refused by
# a bound (docs/validation.md, "Limits"). Generated, not stored: the biggest is 20 MB.
HOSTILE: dict[str, Callable[[], bytes]] = {
    "deep-objects.jsonld": lambda: (
        '{"@id": "http://e/a", "http://e/p": ' + '{"http://e/p": ' * 5000 + "1" + "}" * 5001
    ).encode(),
    "deep-arrays.jsonld": lambda: (
        '{"@id": "http://e/a", "http://e/p": ' + "[" * 100_000 + "]" * 100_000 + "}"
    ).encode(),
    "deep-blank-nodes.ttl": lambda: (
        "@prefix ex: <http://e/> .\nex:a ex:p " + "[ ex:p " * 100_000 + "ex:b" + " ]" * 100_000 + " .\n"
    ).encode(),
    "deep-lists.ttl": lambda: (
        "@prefix ex: <http://e/> .\nex:a ex:p " + "( " * 100_000 + "ex:b" + " )" * 100_000 + " .\n"
    ).encode(),
    "deep-elements.rdf": lambda: (
        _XML_HEAD
        + '<rdf:Description rdf:about="http://e/a">'
        + "<ex:p><rdf:Description>" * 100_000
        + "</rdf:Description></ex:p>" * 100_000
        + "</rdf:Description></rdf:RDF>"
    ).encode(),
    "billion-laughs.rdf": lambda: _LAUGHS.encode(),
    "big-literal.ttl": lambda: ('<http://e/a> <http://e/p> "' + "x" * 20_000_000 + '" .\n').encode(),
    "big-literal.nt": lambda: ('<http://e/a> <http://e/p> "' + "x" * 20_000_000 + '" .\n').encode(),
    "big-literal.jsonld": lambda: ('{"@id": "http://e/a", "http://e/p": "' + "x" * 20_000_000 + '"}').encode(),
    "big-literal.rdf": lambda: (
        _XML_HEAD
        + '<rdf:Description rdf:about="http://e/a"><ex:p>'
        + "x" * 20_000_000
        + "</ex:p></rdf:Description></rdf:RDF>"
    ).encode(),
    "big-iri.ttl": lambda: ("<http://e/a> <http://e/p> <http://e/" + "x" * 20_000_000 + "> .\n").encode(),
    "big-name.ttl": lambda: ("@prefix ex: <http://e/> .\nex:a ex:p ex:" + "x" * 20_000_000 + " .\n").encode(),
    "big-number.ttl": lambda: ("@prefix ex: <http://e/> .\nex:a ex:p " + "9" * 20_000_000 + " .\n").encode(),
    "big-field.csv": lambda: (seeds()["csv"].decode().replace("道南地域医療連携協議会", "x" * 2_000_000)).encode(),
}
