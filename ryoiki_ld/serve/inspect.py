"""Query inspection: what a query is before it runs, and what the endpoint refuses to evaluate.

A public endpoint must refuse some queries before the engine sees them: Oxigraph evaluates `SERVICE`
by making HTTP requests to any host the query names, and a deep enough nesting of brackets overflows
its parser's stack. pyoxigraph exposes no parser, so `inspect` reads the query with a tokenizer that
follows the SPARQL 1.1 grammar's terminals (§19.8: strings, IRIs, comments, variables, prefixed names).

Oxigraph's parser is a PEG that needs no space after a keyword: `SERVICEex:a {}`, `SERVICE:b {}` and
`SERVICESILENT<…> {}` are all SERVICE calls to it (tested). So the check is deliberately broader than the
grammar: "service" anywhere in the query's code — outside strings, IRIs, comments, variable names and
the local part of prefixed names, which the parser always reads whole — refuses the query. A variable
or prefix named like `service:` is refused too; that is the price of never being wrong the other way.

A query with a dataset clause (FROM, FROM NAMED) must be evaluated on that dataset, not on the union of the
store's graphs (`store.UNION_DEFAULT_GRAPH`), which Oxigraph would put in its place; so a word or prefix that
starts with "from" outside strings, IRIs and comments counts as one. A prefix named like `from:` then gives
the store's own default graph, which is empty: write `fr:` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = rf"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_ECHAR = r"""\\[tbnrf\\"']"""

TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<comment>(?<!\\)\#[^\r\n]*)
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<string>(?<!\\)'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}))*'''
              |(?<!\\)\"\"\"(?:(?:"|"")?(?:[^"\\]|{_ECHAR}))*\"\"\"
              |(?<!\\)'(?:[^'\\\n\r]|{_ECHAR})*'
              |(?<!\\)"(?:[^"\\\n\r]|{_ECHAR})*")
  | (?P<var>[?$][{_U}0-9][{_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)
  | (?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)
  | (?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)
  | (?P<pname>(?P<prefix>{_PREFIX})?:(?:{_LOCAL})?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<open>[({{\[])
  | (?P<close>[)}}\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# The prologue (PREFIX and BASE declarations, comments) as the tokenizer reads it, then the first word.
_IRI = r"""<[^<>"{}|^`\\\x00-\x20]*>"""
_PROLOGUE = re.compile(
    rf"(?:\s+|\#[^\r\n]*|(?i:PREFIX)(?![A-Za-z0-9_])\s*(?:{_PREFIX})?:\s*{_IRI}|(?i:BASE)(?![A-Za-z0-9_])\s*{_IRI})*"
    rf"(?!{_PREFIX}:|_:)([A-Za-z_][A-Za-z0-9_]*)"  # a word, not the start of a prefixed name or blank node
)
QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
VOLATILE = {"RAND", "NOW", "UUID", "STRUUID", "BNODE"}  # results change between runs: never cached
# In a query's text in capitals, every word token that is one of VOLATILE matches here (a word ends before
# a character outside [A-Za-z0-9_]); so do a few names that are not calls (ex:now), which only keeps their
# answers out of the cache.
_VOLATILE_ANYWHERE = re.compile(r"(?:STRUUID|UUID|RAND|NOW|BNODE)(?![A-Z0-9_])")
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class Inspection:
    """What the tokenizer saw: the query form, and what the endpoint must refuse or must not cache."""

    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK; None if the text starts with something else
    update: bool
    service: bool
    depth: int  # deepest nesting of ( { [
    volatile: bool
    dataset: bool  # names its own dataset (FROM, FROM NAMED): the union default graph must not replace it


def _unescape_codepoints(text: str) -> str:
    """SPARQL §19.2 lets \\uXXXX stand for any character *before* parsing; some parsers apply it."""

    def char(m: re.Match[str]) -> str:
        code = int(m[1] or m[2], 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m[0]

    return _CODEPOINT.sub(char, text)


def _inspect_text(text: str) -> Inspection:
    form: str | None = None
    update = service = volatile = dataset = False
    first = True
    depth = deepest = 0
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "pname":
            code = m["prefix"] or ""  # the local part is read whole by the parser: never a keyword
        elif kind in ("word", "other", "number"):
            code = m[0]
        elif kind == "open":
            depth += 1
            deepest = max(deepest, depth)
            continue
        elif kind == "close":
            depth -= 1
            continue
        else:
            continue
        upper = code.upper()
        if "SERVICE" in upper:
            service = True
        dataset = dataset or upper.startswith("FROM")  # as for SERVICE: `FROM:g`, `FROMNAMED<…>` are FROM clauses
        if kind == "word":
            volatile = volatile or upper in VOLATILE
            if first and upper not in ("PREFIX", "BASE"):
                first = False
                form, update = _form(upper)
    return Inspection(form, update, service, deepest, volatile, dataset)


def _form(word: str) -> tuple[str | None, bool]:
    """(query form, whether an update) from the first word after the prologue, in capitals."""
    return next((f for f in QUERY_FORMS if word.startswith(f)), None), any(word.startswith(w) for w in UPDATE_WORDS)


def _inspect_plain(query: str, max_depth: int) -> Inspection | None:
    """The quick inspection of a query that cannot name SERVICE, contains no \\u escape, cannot have a FROM
    clause and has no more brackets than `max_depth`; None for any other query, which the tokenizer reads whole.

    Every token's text is part of the query's text, so if "SERVICE" is nowhere in the text in capitals, no
    token holds it; and no nesting is deeper than the number of opening brackets. What remains is the form,
    from the first word after a prologue of declarations and comments, and the volatile functions, by a
    wider pattern.
    """
    upper = query.upper()
    if "SERVICE" in upper or "\\U" in upper or "FROM" in upper:
        return None
    brackets = query.count("(") + query.count("{") + query.count("[")
    if brackets > max_depth:
        return None
    prologue = _PROLOGUE.match(query)
    if prologue is None or prologue[1].upper() in ("PREFIX", "BASE"):  # not a plain prologue
        return None
    form, update = _form(prologue[1].upper())
    return Inspection(form, update, False, brackets, bool(_VOLATILE_ANYWHERE.search(upper)), False)


def inspect(query: str) -> Inspection:
    """Inspect the query as written and with \\u escapes applied; a refusal in either view counts."""
    seen = _inspect_text(query)
    unescaped = _unescape_codepoints(query)
    if unescaped == query:
        return seen
    other = _inspect_text(unescaped)
    return Inspection(
        seen.form or other.form,
        seen.update or other.update,
        seen.service or other.service,
        max(seen.depth, other.depth),
        seen.volatile or other.volatile,
        seen.dataset or other.dataset,
    )


class QueryRefused(Exception):
    """A query the endpoint will not evaluate; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check(query: str, max_depth: int) -> Inspection:
    """Refuse, before evaluation, what a read-only public endpoint must never run."""
    if not query.strip():
        raise QueryRefused(400, "the query is empty")
    seen = _inspect_plain(query, max_depth) or inspect(query)
    if seen.update:
        raise QueryRefused(403, "this endpoint is read-only: SPARQL Update is not accepted")
    if seen.service:
        raise QueryRefused(
            403,
            "SERVICE is not allowed: this endpoint never fetches other URLs on a query's behalf "
            "(the word 'service' may appear only inside strings, IRIs, comments and variable names)",
        )
    if seen.depth > max_depth:
        raise QueryRefused(400, f"the query nests brackets {seen.depth} deep; the limit is {max_depth}")
    return seen
