"""A link checker for the built site: every href/src of every page must reach a file of the site, and
every #fragment on an HTML page must be an id there. Used on the files (test_site_html) and over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from ryoiki_ld import iris
from ryoiki_ld.config import DEFAULT_BASE_IRI

ROOT_URL = "http://site.invalid/"
# The one link a static host cannot answer: the SPARQL query page beside the site root, served by
# `ryoiki-ld serve` (or an absolute endpoint URL given at build time).
ENDPOINT = "sparql"
# The path the site is published at (the default base IRI's): the not-found page's <base href> names it.
SITE_PATH = iris.site_path(DEFAULT_BASE_IRI)


@dataclass
class Page:
    lang: str | None = None
    charset: str | None = None
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag.attribute, value)
    base: str | None = None  # <base href>: the folder its relative links start from


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.page.lang = a.get("lang")
        if tag == "meta" and "charset" in a:
            self.page.charset = a["charset"]
        if a.get("id"):
            self.page.ids.add(a["id"])
        if tag == "base":
            self.page.base = a.get("href")
            return
        for name in ("href", "src", "xlink:href"):
            if a.get(name) is not None:
                self.page.links.append((f"{tag}.{name}", a[name]))

    handle_startendtag = handle_starttag


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def resolve(page_path: str, href: str) -> tuple[str, str] | None:
    """(site path, fragment) an href of the page at `page_path` points to; None for another host."""
    url = urlsplit(urljoin(ROOT_URL + page_path, href))
    if f"{url.scheme}://{url.netloc}/" != ROOT_URL:
        return None
    return unquote(url.path[1:]), url.fragment


def check_files(site: Path) -> tuple[list[str], dict[str, Page]]:
    """Check every HTML page of a site directory; return the problems found and the parsed pages."""
    pages = {str(p.relative_to(site)): parse(p.read_text(encoding="utf-8")) for p in sorted(site.rglob("*.html"))}
    files = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}
    problems = []
    for path, page in pages.items():
        origin = path
        if page.base is not None:  # the not-found page: its links start from the site's root (or en/)
            if not page.base.startswith(SITE_PATH):
                problems.append(f"{path}: <base href={page.base!r}> is not under the site's path {SITE_PATH}")
                continue
            origin = page.base[len(SITE_PATH) :] + "index.html"
        for where, href in page.links:
            if href.startswith("/") and not href.startswith("//"):
                problems.append(f"{path}: {where}={href!r} is root-relative (breaks under a sub-path)")
                continue
            target = resolve(origin, href)
            if target is None:
                continue
            file, fragment = target
            if file == ENDPOINT:
                continue
            if file == "" or file.endswith("/"):
                file += "index.html"
            if file not in files:
                problems.append(f"{path}: {where}={href!r} → {file} does not exist")
            elif fragment and file.endswith(".html") and fragment not in pages[file].ids:
                problems.append(f"{path}: {where}={href!r} → no id {fragment!r} in {file}")
    return problems, pages
