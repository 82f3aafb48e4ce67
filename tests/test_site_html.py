"""site.html: how terms print on the pages — relative links that all resolve (on disk and from a sub-path),
query links that follow the endpoint setting, and markup in the data printed as text."""

from __future__ import annotations

import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import HTTPError

import pyoxigraph as ox
import pytest

from ryoiki_ld.config import Settings
from ryoiki_ld.site.html import Html
from ryoiki_ld.site.model import SiteData
from ryoiki_ld.site.writer import OWN_PAGES

from .support import sitelinks
from .support.browser import serve_site
from .support.cli import run_cli
from .support.hostile import HOSTILE_AREA, HOSTILE_NAME
from .support.sitefiles import read

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def test_query_links_open_the_query_page_of_the_language_and_it_follows_the_endpoint_setting():
    def helper(endpoint: str, root: str, lang: str) -> Html:
        data = SiteData.__new__(SiteData)
        data.settings = Settings(sparql_endpoint=endpoint)
        found = Html.__new__(Html)
        found.data, found.root, found.home = data, root, root + ("en/" if lang == "en" else "")
        return found

    assert helper("sparql", "../../", "ja").query("DESCRIBE <x>") == "../../query.html?query=DESCRIBE%20%3Cx%3E"
    assert helper("sparql", "../../", "en").query("DESCRIBE <x>") == "../../en/query.html?query=DESCRIBE%20%3Cx%3E"
    assert helper("sparql", "../../", "ja").endpoint == "../../sparql"
    assert helper("https://example.org/q/sparql", "../../", "en").endpoint == "https://example.org/q/sparql"


@pytest.mark.parametrize("endpoint", ["/sparql", "../sparql", "sparql?x=1", "a b", ""])
def test_a_sparql_endpoint_that_breaks_links_is_refused(endpoint, tmp_path):
    result = run_cli("build", "--out", tmp_path / "b", "--sparql-endpoint", endpoint)
    assert result.returncode == 2 and "--sparql-endpoint" in result.stderr
    assert not (tmp_path / "b").exists()


# --- links ----------------------------------------------------------------------------------------


def test_no_broken_internal_link_anchor_or_asset(checked):
    problems, pages = checked
    # 4,515 resources (no funding records since the survey cube), and the landing, criteria, downloads, query and
    # not-found pages
    assert len(pages) == 2 * (4515 + len(OWN_PAGES)) == 2 * (4515 + 5)
    assert not problems, problems[:20]


def test_every_page_is_reachable_from_the_landing_pages(checked):
    _, pages = checked
    seen, todo = set(), ["index.html", "en/index.html"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for _, href in pages[path].links:
            target = sitelinks.resolve(path, href)
            if target and target[0] in pages:
                todo.append(target[0])
    # The not-found page is where a browser lands on nothing; no page links to it.
    assert seen == set(pages) - {"404.html", "en/404.html"}, sorted(set(pages) - seen)[:10]


def test_every_page_declares_utf8_and_its_language(checked):
    _, pages = checked
    for path, page in pages.items():
        assert page.charset == "utf-8", path
        assert page.lang == ("en" if path.startswith("en/") else "ja"), path


def test_resource_pages_link_their_formats_query_and_other_language(built, checked):
    _, pages = checked
    links = pages["doc/network/001.html"].links
    html = read(built, "doc/network/001.html")
    for ext, media_type in (("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("nt", "application/n-triples")):
        assert f'<link rel="alternate" type="{media_type}" href="../../doc/network/001.{ext}">' in html
    assert '<link rel="alternate" hreflang="en" href="../../en/doc/network/001.html">' in html
    queries = [href for where, href in pages["doc/network/001.html"].links if "query.html?query=" in href]
    assert "../../query.html?query=DESCRIBE%20%3Chttps%3A%2F%2Fw3id.org%2Fryoiki-ld%2Fid%2Fnetwork%2F001%3E" in queries
    assert any("SELECT" in href for href in queries)
    assert ("link.href", "../../assets/site.css") in links and ("script.src", "../../assets/site.js") in links
    en = read(built, "en/doc/network/001.html")
    assert '<h1><span lang="ja">道南地域医療連携協議会</span></h1>' in en
    assert '<link rel="alternate" type="text/turtle" href="../../../doc/network/001.ttl">' in en


def test_source_locations_link_to_the_source_text_in_the_site(built):
    html = read(built, "doc/network/001.html")
    assert 'href="../../source/mhlw-chiren-nw-fy2019.txt#line=204,212"' in html
    assert (built / "site/source/mhlw-chiren-nw-fy2019.txt").read_bytes() == Settings().source.read_bytes()


@pytest.fixture
def sub_path_server(built: Path):
    """A plain static file server whose document root is two levels above the site: /{parent}/site/."""
    server, url = serve_site(built)
    yield url
    server.shutdown()
    server.server_close()


def test_site_served_from_a_sub_path_has_no_broken_link(sub_path_server, checked, built):
    """Every page and every URL any page links to answers 200 when the site is served below /{dir}/site/."""
    _, pages = checked
    urls = {sub_path_server + path for path in pages}
    for path, page in pages.items():
        for _, href in page.links:
            target = sitelinks.resolve(path, href)
            if target and target[0] != sitelinks.ENDPOINT:
                urls.add(sub_path_server + target[0])

    def status(url: str) -> tuple[str, int]:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=30) as response:
                return url, response.status
        except HTTPError as e:
            return url, e.code

    with ThreadPoolExecutor(8) as pool:
        failed = [(url, code) for url, code in pool.map(status, sorted(urls)) if code != 200]
    assert len(urls) > 20_000
    assert not failed, failed[:10]
    with urllib.request.urlopen(sub_path_server + "en/doc/network/001.html", timeout=30) as response:
        assert response.headers.get_content_type() == "text/html"
        assert response.read() == (built / "site/en/doc/network/001.html").read_bytes()


# --- escaping -------------------------------------------------------------------------------------


def test_markup_in_the_data_is_printed_as_text(hostile_build):
    """A name and an area containing HTML (built from an edited source) appear as text on every page."""
    site = hostile_build / "site"
    pages = ["doc/network/001.html", "en/doc/network/001.html", "doc/coverage-area/001.html", "index.html"]
    pages += ["doc/prefecture/01.html", "doc/network/002.html", "criteria.html", "doc/assessment/fy2019/001-a.html"]
    for path in pages:
        html = (site / path).read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html, path
        page = sitelinks.parse(html)
        assert not [href for _, href in page.links if href == "x"], path
    network = (site / "doc/network/001.html").read_text(encoding="utf-8")
    assert "道南&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;&amp;amp;協議会" in network
    area = (site / "doc/coverage-area/001.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in area
    # The documents for machines keep the text exactly.
    graph = {(t.predicate.value, t.object.value) for t in ox.parse(path=str(site / "doc/network/001.jsonld"))}
    assert (RDFS_LABEL, HOSTILE_NAME) in graph
    area_graph = {(t.predicate.value, t.object.value) for t in ox.parse(path=str(site / "doc/coverage-area/001.ttl"))}
    assert (RDFS_LABEL, HOSTILE_AREA + "ほか") in area_graph  # the area's text continues on the next line
