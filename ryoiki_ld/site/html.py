"""Terms as HTML on the pages of one language at one depth (`Html`), and the pieces pages are put together from:
`Skeleton` (a template rendered once with placeholders, filled in per page), `QueryLink` (a page's query link).

Links are relative, so the site works from any path on any static host. Values from the data are escaped
when printed, as the autoescaping templates would.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from .. import iris
from ..rdf import VOCABULARY, XSD, compact
from .graph import iri, literal

if TYPE_CHECKING:
    from .model import SiteData

NUMBER_TYPES = {f"{XSD}{t}" for t in ("integer", "nonNegativeInteger", "decimal", "positiveInteger", "int", "long")}
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")


def number(text: str | int | Decimal) -> str:
    """Digits grouped by thousands (143,308); anything not a number is printed as it is."""
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return str(text)
    return f"{value:,f}"


def joined(items: Iterable[Markup | str]) -> Markup:
    """Items joined (text is escaped, Markup kept): the rows of a table, with no template loop."""
    return Markup("".join(item if type(item) is Markup else escape(item) for item in items))


def html_list(items: Iterable[Markup | str]) -> Markup:
    """`<li>` items (text is escaped, Markup kept): joined here, so the longest lists cost no template loop."""
    return Markup("".join(f"<li>{item if type(item) is Markup else escape(item)}</li>" for item in items))


class Skeleton:
    """A template rendered once with a placeholder for each value that changes from page to page, and cut at
    the placeholders: a page is then its fixed pieces joined with its values, each escaped as the template
    would have escaped it. Values are filled in one pass, so a value never fills another's placeholder."""

    SLOT = "\x00"  # marks a placeholder's name in the rendered text (no template or message holds it)

    def __init__(self, template: jinja2.Template, context: dict, names: Iterable[str]) -> None:
        placeholders = {name: f"{self.SLOT}{name}{self.SLOT}" for name in names}
        pieces = template.render(context | placeholders).split(self.SLOT)
        self.fixed, self.names = pieces[0::2], pieces[1::2]
        if len(pieces) % 2 == 0 or not set(self.names) <= set(placeholders):
            raise ValueError(f"{template.name}: a placeholder is cut or changed by the template")

    def fill(self, values: dict[str, object]) -> Markup:
        out = [self.fixed[0]]
        for name, fixed in zip(self.names, self.fixed[1:], strict=True):
            value = values[name]
            out.append(value if type(value) is Markup else _escaped(value))
            out.append(fixed)
        return Markup("".join(out))


_SPECIAL = re.compile("[&<>\"']")  # what `escape` replaces


def _escaped(value: object) -> str:
    """`escape(value)`, without making a Markup of the (most common) text that needs no escaping."""
    if type(value) is str and not _SPECIAL.search(value):
        return value
    return escape(value)


class QueryLink:
    """A query of site/templates/queries/ about one resource, quoted for a link to the query page: rendered once
    with a placeholder for the resource's IRI and quoted piece by piece (quoting works character by character,
    so the pieces and the IRI quoted apart equal the whole query quoted)."""

    def __init__(self, template: jinja2.Template) -> None:
        slot = f"{Skeleton.SLOT}iri{Skeleton.SLOT}"
        query = template.render(iri=slot, vocabulary=VOCABULARY).strip()
        self.fixed = [quote(piece, safe="") for piece in query.split(slot)]

    def quoted(self, quoted_iri: str) -> str:
        """The query about the resource whose IRI, quoted, is `quoted_iri`."""
        return quoted_iri.join(self.fixed)


class Html:
    """How terms print on the pages of one language whose path is `root` away from the site root.

    Cached, because the same few thousand resources are linked from thousands of pages.
    """

    def __init__(self, data: SiteData, lang: str, root: str, env: jinja2.Environment) -> None:
        self.data, self.lang, self.root, self.env = data, lang, root, env
        self.row_template = env.get_template("_network_row.html")
        self.home = root + ("" if lang == "ja" else "en/")
        self.switch_root = root + ("en/" if lang == "ja" else "")  # the other language's pages
        self.t = data.text[lang]
        self._links: dict[str, Markup] = {}
        self._values: dict[str, Markup] = {}
        self._predicates: dict[str, Markup] = {}
        self._kinds: dict[tuple[str, ...], Markup] = {}
        self._labels: dict[str, Markup] = {}
        self._row_heads: dict[str, str] = {}
        self.network_rows: dict[tuple[str, bool], Markup] = {}  # (network, is the page's own) → table row
        self._skeletons: dict[tuple[str, ...], Skeleton] = {}  # (template, names to fill in) → skeleton

    @functools.cached_property
    def context(self) -> dict:
        """What every template rendered for a part of a page needs (the page's own path is not among it)."""
        return page_context(self.data, self, "")

    def skeleton(self, template: str, names: Iterable[str]) -> Skeleton:
        """`template` as rendered on every page of this language and depth, with `names` left to fill in."""
        key = (template, *names)
        found = self._skeletons.get(key)
        if found is None:
            found = self._skeletons[key] = Skeleton(self.env.get_template(template), self.context, key[1:])
        return found

    def fragment(self, template: str, **values: str) -> Markup:
        """A template that is the same on every page of this language and depth but for a few `values`:
        rendered once with placeholders, then filled in (escaped) for each page."""
        return self.skeleton(template, values).fill(values)

    def section(self, template: str, **values: object) -> Markup:
        """A template rendered for one page (a part whose shape differs from page to page)."""
        return Markup(self.env.get_template(template).render(self.context | values))

    def kinds(self, types: list[str]) -> Markup:
        """The classes of a resource, linked (the same few combinations on thousands of pages)."""
        key = tuple(types)
        found = self._kinds.get(key)
        if found is None:
            found = self._kinds[key] = self.section("_kinds.html", kinds=[self.link(t) for t in types])
        return found

    def href(self, term: str) -> str | None:
        """A relative link to what the site has for an IRI term: its page, or a file such as the source text."""
        value = iri(term)
        path = iris.document_path(value, self.data.base)
        if path == iris.VOCABULARY_DOCUMENT:
            local = value[len(VOCABULARY) :] if value.startswith(VOCABULARY) else ""
            return f"{self.home}{path}.html" + (f"#{local}" if local else "")
        if path:
            fragment = value.partition("#")[2]
            return f"{self.home}{path}.html" + (f"#{fragment}" if fragment else "")
        if value.startswith(self.data.base):
            file, _, fragment = value[len(self.data.base) :].partition("#")
            if file in self.data.files:
                return self.root + file + (f"#{fragment}" if fragment else "")
        return None

    def label_text(self, term: str) -> tuple[str, str | None]:
        """The label to show for a term, and its language: the page's, else Japanese, else English."""
        labels = self.data.idx.labels.get(term) or self.data.term_labels.get(term)
        if labels:
            for lang in (self.lang, "ja", "en", ""):
                if lang in labels:
                    return labels[lang], lang or None
        if term[0] == "<":
            return compact(iri(term)) or iri(term), "zxx"
        return literal(term)[0], None

    def text(self, text: str, lang: str | None = None) -> Markup:
        """Text marked with its language where it differs from the page's (untagged text: guessed by script)."""
        if lang is None:
            lang = "ja" if _JAPANESE.search(text) else self.lang
        if lang in (self.lang, "zxx"):
            return escape(text)
        return Markup(f'<span lang="{escape(lang)}">{escape(text)}</span>')

    def label(self, term: str) -> Markup:
        found = self._labels.get(term)
        if found is None:
            found = self._labels[term] = self.text(*self.label_text(term))
        return found

    def plain_label(self, term: str) -> str:
        return self.label_text(term)[0]

    def link(self, term: str) -> Markup:
        found = self._links.get(term)
        if found is None:
            href = self.href(term)
            if href is not None:
                found = Markup(f'<a href="{escape(href)}">{self.label(term)}</a>')
            else:
                value = iri(term)
                found = Markup(f'<a class="ext" href="{escape(value)}">{escape(compact(value) or value)}</a>')
            self._links[term] = found
        return found

    def value(self, term: str) -> Markup:
        """An object term: a link for an IRI; a literal formatted for reading (numbers grouped, booleans in words)."""
        found = self._values.get(term)
        if found is None:
            if term[0] == "<":
                found = self.link(term)
            else:
                text, lang, datatype = literal(term)
                if datatype in NUMBER_TYPES:
                    found = escape(number(text))
                elif datatype == f"{XSD}boolean":
                    found = escape(self.t["true" if text == "true" else "false"])
                else:
                    found = self.text(text, lang)
            self._values[term] = found
        return found

    def row_head(self, predicate: str) -> str:
        """The start of a property table's row, up to its value."""
        found = self._row_heads.get(predicate)
        if found is None:
            found = self._row_heads[predicate] = f'<tr><th scope="row">{self.predicate(predicate)}</th><td>'
        return found

    def predicate(self, term: str) -> Markup:
        found = self._predicates.get(term)
        if found is None:
            name = compact(iri(term)) or iri(term)
            href = self.href(term) or iri(term)
            found = Markup(f'<a href="{escape(href)}">{self.label(term)}</a> <code>{escape(name)}</code>')
            self._predicates[term] = found
        return found

    def in_language(self, subject: str, predicate: str) -> Markup | None:
        """The one value of a language-tagged property best suited to the page (its language, else any)."""
        terms = self.data.idx.values(subject, predicate)
        if not terms:
            return None
        by_lang = {literal(t)[1]: t for t in terms}
        return self.value(by_lang.get(self.lang) or by_lang.get("ja") or terms[0])

    @functools.cached_property
    def endpoint(self) -> str:
        """The SPARQL endpoint, from pages at this depth (the setting may be relative to the site root)."""
        endpoint = self.data.settings.sparql_endpoint
        return endpoint if "://" in endpoint else self.root + endpoint

    @functools.cached_property
    def query_page(self) -> str:
        """The site's query page in this page's language (it sends its queries to `endpoint`)."""
        return self.home + iris.QUERY_PAGE

    def query(self, sparql: str) -> str:
        """A link to the query page running `sparql`."""
        return self.query_quoted(quote(sparql, safe=""))

    def query_quoted(self, quoted: str) -> str:
        """A link to the query page running a query already quoted for a URL (by `quote(…, safe="")`)."""
        return f"{self.query_page}?query={quoted}"


def page_context(data: SiteData, h: Html, path: str) -> dict:
    """What every page needs: its language, the way back to the root, the language switch, the nav links."""
    other = "en" if h.lang == "ja" else "ja"
    return {
        "lang": h.lang,
        "other_lang": other,
        "root": h.root,
        "home": h.home,
        "t": h.t,
        "h": h,
        "path": path,
        "switch_href": h.root + ("en/" if other == "en" else "") + path,
        "query_page": h.query_page,
        "source_href": h.root + iris.source_path(data.settings.source.name),
        "corrections_href": h.root + "data/corrections.csv",
        "data_credit_ja": data.text["ja"]["credit"],
    }
