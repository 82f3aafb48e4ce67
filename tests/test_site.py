"""site: every resource dereferences to four documents; no broken link, on disk or from a sub-path; escaping."""

from __future__ import annotations

import csv
import dataclasses
import http.client
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from ryoiki_ld import catalog, formats, iris, site, site_graph
from ryoiki_ld.config import Output, Settings
from ryoiki_ld.errors import SourceError
from ryoiki_ld.site import Html, SiteData, load_text

from .support import report, sitelinks
from .support.browser import serve_site
from .support.cli import run_cli, tree_digest
from .support.hostile import HOSTILE_AREA, HOSTILE_NAME
from .support.negotiation import NEGOTIATION_CASES, expected_answer

BASE = "https://w3id.org/ryoiki-ld/"
RLD = "https://w3id.org/ryoiki-ld/def#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PARSERS = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD}


@pytest.fixture(scope="module")
def dump(built: Path) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path=str(built / "dump" / "ryoiki-ld.nt"), format=ox.RdfFormat.N_TRIPLES)]


@pytest.fixture(scope="module")
def published(dump: list[ox.Triple]) -> dict[str, set[str]]:
    """Document path → the IRIs it must describe: every subject the graph mints (iris.document_path)."""
    found: dict[str, set[str]] = {}
    for t in dump:
        if isinstance(t.subject, ox.NamedNode):
            path = iris.document_path(t.subject.value, BASE)
            if path:
                found.setdefault(path, set()).add(t.subject.value)
    return found


@pytest.fixture(scope="module")
def checked(built: Path) -> tuple[list[str], dict[str, sitelinks.Page]]:
    return sitelinks.check_files(built / "site")


def read(built: Path, path: str) -> str:
    return (built / "site" / path).read_text(encoding="utf-8")


# --- documents ------------------------------------------------------------------------------------


def test_every_minted_resource_has_its_four_documents_in_both_languages(built, published):
    kinds = Counter(path.split("/")[1] for path in published)
    assert kinds == {
        "assessment": 1526,
        "municipality": 1916,
        "secondary-medical-area": 335,
        "network": 218,
        "coverage-area": 218,
        "funding-record": 215,
        "prefecture": 47,
        "criterion": 7,
        "report": 1,
        "organization": 2,  # MHLW and the publisher of the dataset
        "def": 1,
        "correction": 4,
        "distribution": 14,
        "dataset": 1,
        "catalog": 1,
        "service": 1,
        "build": 1,
        "software": 1,
    }
    missing = [
        f"{prefix}{path}.{ext}"
        for path in published
        for prefix, ext in [("", "html"), ("en/", "html"), ("", "ttl"), ("", "jsonld"), ("", "nt")]
        if not (built / "site" / f"{prefix}{path}.{ext}").is_file()
    ]
    assert not missing, missing[:10]


def test_each_document_is_one_graph_in_three_syntaxes_describing_its_resource(built, dump, published):
    """Every .nt/.ttl/.jsonld parses to the same graph, which holds all the resource's own triples."""
    own: dict[str, set[ox.Triple]] = {}
    for t in dump:
        own.setdefault(t.subject.value, set()).add(t)
    problems = []
    for path, subjects in published.items():
        graphs = {
            ext: set(q.triple for q in ox.parse(path=str(built / "site" / f"{path}.{ext}"), format=fmt))
            for ext, fmt in PARSERS.items()
        }
        if not graphs["nt"] == graphs["ttl"] == graphs["jsonld"]:
            problems.append(f"{path}: the three syntaxes differ")
        for s in subjects:
            if not own[s] <= graphs["nt"]:
                problems.append(f"{path}: lacks triples of {s}")
            if not any(t.predicate.value == RDF_TYPE for t in own[s]):
                problems.append(f"{path}: {s} has no type")
    assert not problems, problems[:10]


def test_documents_carry_inverse_links_and_the_labels_of_what_they_link_to(built):
    graph = {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in (q.triple for q in ox.parse(path=str(built / "site/doc/prefecture/01.ttl")))
    }
    network = BASE + "id/network/001"
    assert (network, RLD + "prefecture", BASE + "id/prefecture/01") in graph  # a network of Hokkaido
    assert (network, RDFS_LABEL, "道南地域医療連携協議会") in graph  # …with its label
    assert (BASE + "id/municipality/01202", RDFS_LABEL, "函館市") in graph


def test_an_independent_parser_reads_the_json_ld_and_turtle(built):
    """rdflib (not the library that wrote them) parses one document of each kind to the same graph."""
    for path in ("doc/network/061", "doc/assessment/169-d", "doc/prefecture/13", "doc/criterion/e", "doc/def"):
        nt = rdflib.Graph().parse(built / "site" / f"{path}.nt", format="nt")
        for ext, fmt in (("ttl", "turtle"), ("jsonld", "json-ld")):
            other = rdflib.Graph().parse(built / "site" / f"{path}.{ext}", format=fmt)
            assert isomorphic(nt, other), f"{path}.{ext}"


def test_the_vocabulary_document_has_an_anchor_for_every_term(built, dump, checked):
    _, pages = checked
    terms = {t.subject.value[len(RLD) :] for t in dump if t.subject.value.startswith(RLD)}
    assert len(terms) > 50
    assert terms <= pages["doc/def.html"].ids
    assert terms <= pages["en/doc/def.html"].ids


# --- site writer units ------------------------------------------------------------------------------


TRICKY = [
    '<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "quote \\" backslash \\\\ tab\\t nl\\n"@en-GB .',
    '<http://example.org/a> <http://example.org/p/with.dot> "\\u00E9\\U0001F600 ＜script＞"^^<http://example.org/dt#x> .',
    "<http://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/Thing> .",
    '<http://example.org/a> <https://w3id.org/ryoiki-ld/def#amountJPY> "12.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
    "<http://example.org/a> <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q1/x> .",
    '<http://example.org/b> <http://purl.org/dc/terms/title> "" .',
]


def test_turtle_and_json_ld_writers_keep_every_term_exactly():
    idx = site_graph.index(set(TRICKY))
    triples = site_graph.document_triples(idx, ["<http://example.org/a>", "<http://example.org/b>"], True)
    expected = {q.triple for q in ox.parse(input="\n".join(TRICKY).encode(), format=ox.RdfFormat.N_TRIPLES)}
    terms = site_graph.TermWriter()
    for text, fmt in (
        (site_graph.ntriples(triples), ox.RdfFormat.N_TRIPLES),
        (site_graph.turtle(triples, terms), ox.RdfFormat.TURTLE),
        (site_graph.jsonld(triples, terms), ox.RdfFormat.JSON_LD),
    ):
        assert {q.triple for q in ox.parse(input=text.encode(), format=fmt)} == expected, text


def test_literal_reads_escapes_language_and_datatype():
    assert site_graph.literal('"a\\"b\\\\c\\u00e9"@ja') == ('a"b\\cé', "ja", None)
    assert site_graph.literal('"5"^^<http://www.w3.org/2001/XMLSchema#integer>') == (
        "5",
        None,
        "http://www.w3.org/2001/XMLSchema#integer",
    )


def test_query_links_follow_the_endpoint_setting():
    def link(endpoint: str, root: str) -> str:
        data = SiteData.__new__(SiteData)
        data.settings = Settings(sparql_endpoint=endpoint)
        helper = Html.__new__(Html)
        helper.data, helper.root = data, root
        return helper.query("DESCRIBE <x>")

    assert link("sparql", "../../") == "../../sparql?query=DESCRIBE%20%3Cx%3E"
    assert link("https://example.org/q/sparql", "../../") == "https://example.org/q/sparql?query=DESCRIBE%20%3Cx%3E"


@pytest.mark.parametrize("endpoint", ["/sparql", "../sparql", "sparql?x=1", "a b", ""])
def test_a_sparql_endpoint_that_breaks_links_is_refused(endpoint, tmp_path):
    result = run_cli("build", "--out", tmp_path / "b", "--sparql-endpoint", endpoint)
    assert result.returncode == 2 and "--sparql-endpoint" in result.stderr
    assert not (tmp_path / "b").exists()


# --- links ----------------------------------------------------------------------------------------


def test_no_broken_internal_link_anchor_or_asset(checked):
    problems, pages = checked
    assert len(pages) == 2 * (4509 + 3)
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
    assert seen == set(pages), sorted(set(pages) - seen)[:10]


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
    queries = [href for where, href in pages["doc/network/001.html"].links if "sparql?query=" in href]
    assert "../../sparql?query=DESCRIBE%20%3Chttps%3A%2F%2Fw3id.org%2Fryoiki-ld%2Fid%2Fnetwork%2F001%3E" in queries
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


# --- what the pages say -----------------------------------------------------------------------------


def figures(html: str) -> dict[str, int]:
    found = dict(re.findall(r'data-figure="([\w-]+)"><span class="number">(\d+)</span>', html))
    found |= dict(
        re.findall(r'data-figure="(coverage-\w+)"><a [^>]*>[^<]*</a> <span class="number">(\d+)</span>', html)
    )
    return {k: int(v) for k, v in found.items()}


@pytest.mark.parametrize("page", ["index.html", "en/index.html"])
def test_landing_page_shows_the_reports_summary_figures(built, page):
    coverage = report.COVERAGE_TYPES
    assert figures(read(built, page)) == {
        "networks": report.NETWORKS,
        "one_disclosing": report.ONE_DISCLOSING,
        "one_accessing": report.ONE_ACCESSING,
        "no_own_funding": report.NO_OWN_FUNDING,
        "meeting": report.MEETING_ALL_ASSESSABLE,
        "coverage-PrefectureWide": coverage["prefecture"],
        "coverage-SecondaryMedicalAreaWide": coverage["secondary_medical_area"],
        "coverage-MunicipalityWide": coverage["municipality"],
        "coverage-SubMunicipal": coverage["sub_municipality"],
        "coverage-OtherArea": coverage["other"],
    }


def eligibility(built: Path) -> dict[tuple[int, str], str]:
    with (built / "validation" / "eligibility.csv").open(encoding="utf-8") as f:
        return {(int(r["no"]), r["criterion"]): r["outcome"] for r in csv.DictReader(f)}


def test_meeting_every_assessable_criterion_is_counted_from_the_assessments(built):
    outcomes = eligibility(built)
    meeting = sum(1 for no in range(1, 219) if all(outcomes[(no, c)] == "met" for c in "ade"))
    assert figures(read(built, "index.html"))["meeting"] == meeting


def test_every_network_page_shows_its_outcome_for_each_criterion(built):
    outcomes = eligibility(built)
    for no in range(1, 219):
        html = read(built, f"doc/network/{no:03d}.html")
        table = html.split('<table class="outcomes">', 1)[1].split("</table>", 1)[0]
        shown = re.findall(r'<tr class="(\w+)">', table)
        assert shown == [outcomes[(no, c)] for c in "abcdefg"], no
        assert table.count("判定不能：") == shown.count("not_assessable"), no


def test_network_page_compares_with_its_prefecture_and_coverage_type(built):
    html = read(built, "doc/network/001.html")
    comparison = html.split('<table class="comparison">', 1)[1].split("</table>", 1)[0]
    assert re.search(r'参加医療機関数</th>\s*<td class="num">58</td>\s*<td class="num">3 / 46</td>', comparison)
    peers = html.split('id="peers"', 1)[1].split("</table>", 1)[0]
    assert peers.count("<tr data-pref=") == 46 and peers.count('class="self"') == 1


def test_criteria_page_counts_equal_the_eligibility_table(built):
    counts = Counter((c, o) for (_, c), o in eligibility(built).items())
    html = read(built, "criteria.html")
    rows = re.findall(
        r'<a href="#(\w)">.*?</th><td>.*?</td>((?:<td class="num" data-outcome="\w+">\d+</td>)+)</tr>', html
    )
    assert len(rows) == 7
    for key, cells in rows:
        shown = {o: int(n) for o, n in re.findall(r'data-outcome="(\w+)">(\d+)<', cells)}
        assert shown == {o: counts[(key, o)] for o in ("met", "not_met", "not_assessable")}, key


def test_map_has_every_prefecture_and_counts_every_network(built):
    html = read(built, "index.html")
    svg = html.split('<svg class="tile-map"', 1)[1].split("</svg>", 1)[0]
    tiles = re.findall(r'<a href="doc/prefecture/(\d\d)\.html" class="tile[^"]*" aria-label="[^"]+">', svg)
    assert sorted(tiles) == [f"{i:02d}" for i in range(1, 48)]
    counts = [int(c) for c in re.findall(r'class="tile-count" text-anchor="middle">(\d+)<', svg)]
    assert sum(counts) == 218


def test_downloads_page_lists_files_with_their_sizes(built):
    html = read(built, "downloads.html")
    listed = re.findall(
        r'<a href="([^"]+)"(?: type="[^"]+")?><code>[^<]+</code></a></th><td>.*?</td><td class="num">([\d,]+)</td>',
        html,
    )
    assert len(listed) == 14 + 6  # the distributions, then the catalogue files
    for href, size in listed:
        assert (built / "site" / href).stat().st_size == int(size.replace(",", "")), href
    metadata = json.loads(read(built, "data/networks.csv-metadata.json"))
    assert (built / "site/data" / metadata["url"]).is_file()


def test_sitemap_lists_every_page_in_both_languages_and_robots_points_at_it(built, checked):
    _, pages = checked
    sitemap = read(built, "sitemap.xml")
    locations = re.findall(r"<url><loc>([^<]+)</loc>", sitemap)
    assert sorted(locations) == sorted(BASE + p for p in pages)
    assert f"Sitemap: {BASE}sitemap.xml" in read(built, "robots.txt")
    assert (built / "site" / ".htaccess").is_file()


# --- escaping -------------------------------------------------------------------------------------


def test_markup_in_the_data_is_printed_as_text(hostile_build):
    """A name and an area containing HTML (built from an edited source) appear as text on every page."""
    site = hostile_build / "site"
    pages = ["doc/network/001.html", "en/doc/network/001.html", "doc/coverage-area/001.html", "index.html"]
    pages += ["doc/prefecture/01.html", "doc/network/002.html", "criteria.html", "doc/assessment/001-a.html"]
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


# --- the rewrite rules for Apache and nginx, run by the real servers --------------------------------

MOUNT = "/mount/sub/"  # where the servers also show the site, besides their root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


APACHE_CONF = """ServerRoot "{tmp}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {tmp}/httpd.pid
ErrorLog {tmp}/error.log
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule rewrite_module {modules}/mod_rewrite.so
LoadModule alias_module {modules}/mod_alias.so
User nobody
Group nogroup
TypesConfig /etc/mime.types
DocumentRoot "{site}"
Alias /mount/sub "{site}"
<Directory "{site}">
  AllowOverride All
  Require all granted
</Directory>
"""
NGINX_CONF = """daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{}}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  types {{ text/html html; text/turtle ttl; application/ld+json jsonld; application/n-triples nt; }}
  charset utf-8;
  charset_types text/html text/turtle;
  server {{
    listen 127.0.0.1:{port};
    root {site};
    location /mount/sub/ {{ alias {site}/; }}
    include {snippet};
  }}
}}
"""


@pytest.fixture(params=["apache", "nginx"])
def web_server(request, built: Path):
    """Apache httpd with the site's .htaccess, or nginx with the site's snippet, serving a copy of some of the
    site at / and at /mount/sub/. The copy lives in a world-readable directory: Apache's workers drop root."""
    binary = {"apache": "apache2", "nginx": "nginx"}[request.param]
    if not shutil.which(binary):
        pytest.skip(f"no {binary}: install it with `apt-get install -y apache2 nginx` (.ci/run does)")
    tmp = Path(tempfile.mkdtemp(prefix="ryoiki-web-"))
    try:
        site = tmp / "site"
        for path in ("doc/network/001", "doc/prefecture/13", "doc/def"):
            for ext in ("html", "ttl", "jsonld", "nt"):
                (site / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(built / "site" / f"{path}.{ext}", site / f"{path}.{ext}")
        shutil.copyfile(built / "site" / ".htaccess", site / ".htaccess")
        for p in [tmp, *tmp.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        port = _free_port()
        settings = Settings()
        values = {"tmp": tmp, "port": port, "site": site, "modules": "/usr/lib/apache2/modules"}
        if request.param == "apache":
            conf = tmp / "httpd.conf"
            conf.write_text(APACHE_CONF.format(**values))
            command = [binary, "-f", str(conf), "-DFOREGROUND"]
        else:
            conf = tmp / "nginx.conf"
            conf.write_text(NGINX_CONF.format(**values, snippet=settings.paths.nginx_snippet))
            command = [binary, "-c", str(conf), "-p", str(tmp)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            _wait_for(port, process, tmp / "error.log")
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"server exited: {output} {log.read_text() if log.exists() else ''}")
            time.sleep(0.05)
    pytest.fail("server did not start")


def _get(port: int, path: str, accept: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Accept": accept} if accept is not None else {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize("mount", ["/", MOUNT])
def test_rewrite_rules_answer_as_serve_does(web_server, mount):
    """/id/… answers 303 to the document formats.negotiate picks (suffix > format= > Accept), 400 or 406 when
    none fits — at the server's root and below a sub-path — and the document it points to is served."""
    wrong = []
    for path, accept in NEGOTIATION_CASES:
        status, document = expected_answer(path, accept)
        response = _get(web_server, mount + path, accept)
        location = response.getheader("Location")
        got = (response.status, urlsplit(location).path if location else None)
        want = (status, mount + document if document else None)
        if got != want:
            wrong.append(f"{mount}{path} Accept={accept!r}: {got}, want {want}")
        elif status == 303:
            followed = _get(web_server, got[1])
            media_type = formats.BY_EXT[document.rsplit(".", 1)[1]].media_type
            if followed.status != 200 or not followed.getheader("Content-Type", "").startswith(media_type):
                wrong.append(f"{got[1]}: {followed.status} {followed.getheader('Content-Type')}")
    assert not wrong, wrong
    assert _get(web_server, mount + "doc/def.html").status == 200  # documents are not rewritten


def test_a_message_without_both_languages_stops_the_build(tmp_path):
    messages = tmp_path / "messages.toml"
    messages.write_text('[ok]\nja = "はい"\nen = "yes"\n\n[half]\nja = "半分"\n', encoding="utf-8")
    with pytest.raises(SourceError, match="half"):
        load_text(messages)


def test_every_page_carries_the_source_credit_and_what_was_changed(built):
    """出典 and 加工 on every HTML page, in Japanese always and in English on the English pages (PDL 1.0)."""
    credit = "出典：厚生労働省「地域医療情報連携ネットワークの現状について」（令和元年度調査）を加工して作成"
    pages = sorted((built / "site").rglob("*.html"))
    assert len(pages) > 9000
    for page in pages:
        text = page.read_text(encoding="utf-8")
        english = page.relative_to(built / "site").parts[0] == "en"
        assert credit in text, page
        assert ("What we changed:" if english else "加工の内容：") in text, page


# --- workers --------------------------------------------------------------------------------------


def _site_stage_again(built: Path, out: Path, workers: int) -> Path:
    """The site stage alone, with `workers` processes, on a copy of what the rest of `built` wrote."""
    for part in ("data", "dump", "validation"):
        shutil.copytree(built / part, out / part)
    triples = set((built / "dump" / "ryoiki-ld.nt").read_text(encoding="utf-8").splitlines())
    settings = dataclasses.replace(Settings(), site_workers=workers)
    published = catalog.publish(settings, Output(out), triples)
    site.build_site(triples, settings, Output(out), published, lambda _: None)
    return out / "site"


@pytest.mark.parametrize("workers", [1, 3])
def test_the_site_is_the_same_whatever_the_number_of_workers(built, tmp_path, workers):
    """`build` writes the site with its default workers (two on a 2-core machine): all in this process, or three
    forked workers claiming tasks from both ends of the list, write the same bytes in every file."""
    again = _site_stage_again(built, tmp_path / "out", workers)
    assert tree_digest(again) == tree_digest(built / "site")


def test_a_failing_worker_stops_the_site_stage_with_its_error(built, tmp_path, monkeypatch):
    def broken(self: site.Writer, path: str) -> None:
        raise ValueError(f"no page for {path}")

    monkeypatch.setattr(site.Writer, "resource_page", broken)  # forked workers inherit it
    with pytest.raises(RuntimeError, match=r"a site worker failed:(.|\n)*ValueError: no page for doc/"):
        _site_stage_again(built, tmp_path / "out", 2)
