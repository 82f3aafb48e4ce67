"""serve.static through the real `ryoiki-ld serve`: the built site's files, /id/ dereferencing by content
negotiation, paths that try to leave the site; the query links every page carries, and the query page in a real
browser running an example against the endpoint."""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from ryoiki_ld import formats

from .support.negotiation import GENERIC_CASES, NEGOTIATION_CASES, Q_VALUE_CASES, expected_answer, expected_variant
from .support.server import Server, count_networks, fetch, serving, start_server, stop


@pytest.fixture(scope="module")
def server(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(built, tmp_path_factory.mktemp("serve-site") / "build") as running:
        yield running


# --- the site's files -----------------------------------------------------------------------------


def test_static_files_with_types_and_validators(server):
    home = fetch(server, "GET", "/")
    assert home.status == 200 and home.header("Content-Type") == "text/html; charset=utf-8"
    document = fetch(server, "GET", "/doc/network/001.ttl")
    assert document.status == 200 and document.header("Content-Type") == "text/turtle; charset=utf-8"
    assert document.header("Cache-Control").startswith("public") and document.header("Last-Modified")
    etag = document.header("ETag")
    assert fetch(server, "GET", "/doc/network/001.ttl", {"If-None-Match": etag}).status == 304
    head = fetch(server, "HEAD", "/doc/network/001.ttl")
    assert head.status == 200 and head.body == b"" and head.header("Content-Length") == str(len(document.body))
    dump = fetch(server, "GET", "/dump/ryoiki-ld.nt")
    assert dump.status == 200 and dump.header("Content-Type") == "application/n-triples; charset=utf-8"
    assert dump.body == (server.out / "dump" / "ryoiki-ld.nt").read_bytes()
    directory = fetch(server, "GET", "/doc")
    assert directory.status == 301 and directory.header("Location") == "doc/"


@pytest.mark.parametrize(
    "target",
    [
        "/../../../../etc/passwd",
        "/doc/../../build.json",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/doc/%2e%2e/%2e%2e/build.json",
        "/dump/../build.json",
        "/dump/%2e%2e/build.json",
        "/query/../../pyproject.toml",
        "/query/%2e%2e/%2e%2e/pyproject.toml",
        "/..%2f..%2fbuild.json",
        "/doc/..\\..\\build.json",
        "/.htaccess",
        "/id/../../build.json",
        "/id/..%2f..%2fbuild/x",
        "//etc/passwd",
    ],
)
def test_path_traversal_is_refused(server, target):
    reply = fetch(server, "GET", target)
    assert reply.status in (400, 404), (reply.status, reply.text[:200])
    assert b"root:" not in reply.body and b"base_iri" not in reply.body and b"[project]" not in reply.body


def test_without_a_site_the_root_says_so(built, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(built, out, ignore=shutil.ignore_patterns("site"))
    running = start_server(out, "--workers", "1")
    try:
        home = fetch(running, "GET", "/")
        assert home.status == 200 and "DIR/site/" in home.text and 'href="sparql"' in home.text
        missing = fetch(running, "GET", "/doc/network/001.html")
        assert missing.status == 404 and "this build has no site" in missing.text
        assert str(out) not in missing.text  # no server path is shown
        assert fetch(running, "GET", "/id/network/001").status == 404
        assert count_networks(running) == 218
    finally:
        assert stop(running) == 0


# --- /id/ dereferencing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "headers", "location"),
    [
        ("/id/network/001", {"Accept": "text/html"}, "../../doc/network/001.html"),
        ("/id/network/001", {}, "../../doc/network/001.html"),
        ("/id/network/001", {"Accept": "text/turtle"}, "../../doc/network/001.ttl"),
        ("/id/network/001", {"Accept": "application/ld+json"}, "../../doc/network/001.jsonld"),
        ("/id/network/001", {"Accept": "application/n-triples"}, "../../doc/network/001.nt"),
        ("/id/network/001", {"Accept": "text/turtle;q=0.5, application/n-triples"}, "../../doc/network/001.nt"),
        ("/id/network/001.ttl", {"Accept": "text/html"}, "../../doc/network/001.ttl"),
        ("/id/network/001?format=jsonld", {"Accept": "text/html"}, "../../doc/network/001.jsonld"),
        ("/id/network/001.nt?format=html", {}, "../../doc/network/001.nt"),
        ("/def", {"Accept": "text/turtle"}, "doc/def.ttl"),
        ("/def", {"Accept": "text/html"}, "doc/def.html"),
        ("/def.jsonld", {}, "doc/def.jsonld"),
    ],
)
def test_resource_iris_answer_303_to_the_negotiated_document(server, target, headers, location):
    reply = fetch(server, "GET", target, headers)
    assert reply.status == 303, reply.text
    assert reply.header("Location") == location
    assert "Accept" in reply.header("Vary")
    document = urllib.parse.urljoin(target, location)
    followed = fetch(server, "GET", document)
    assert followed.status == 200
    extension = location.rsplit(".", 1)[1]
    expected = {
        "html": "text/html",
        "ttl": "text/turtle",
        "jsonld": "application/ld+json",
        "nt": "application/n-triples",
    }
    assert followed.header("Content-Type").startswith(expected[extension])


@pytest.mark.parametrize(("path", "accept"), NEGOTIATION_CASES)
def test_resource_iris_answer_303_to_the_document_iris_negotiate_picks(server, path, accept):
    status, document = expected_answer(path, accept)
    reply = fetch(server, "GET", "/" + path, {"Accept": accept} if accept else {})
    assert reply.status == status, reply.text
    if status != 303:
        return
    assert "Accept" in reply.header("Vary")
    location = urllib.parse.urljoin(server.url + path, reply.header("Location"))
    assert urllib.parse.urlsplit(location).path == "/" + document
    followed = fetch(server, "GET", "/" + document)
    media_type = formats.BY_EXT[document.rsplit(".", 1)[1]].media_type
    assert followed.status == 200 and followed.header("Content-Type").startswith(media_type)


@pytest.mark.parametrize(("accept", "serve_picks", "_rules_pick"), Q_VALUE_CASES)
def test_q_values_decide_which_document(server, accept, serve_picks, _rules_pick):
    reply = fetch(server, "GET", "/id/network/001", {"Accept": accept})
    assert reply.status == 303 and reply.header("Location") == f"../../doc/network/001.{serve_picks}"


@pytest.mark.parametrize(("path", "accept"), GENERIC_CASES)
def test_a_generic_document_answers_with_the_variant_negotiation_picks(server, path, accept):
    """/doc/{kind}/{key} without a suffix: 200 with the variant, Vary: Accept, Content-Location naming it."""
    status, variant = expected_variant(path, accept)
    reply = fetch(server, "GET", "/" + path, {"Accept": accept} if accept else {})
    assert reply.status == status, reply.text
    assert reply.header("Vary") == "Accept"
    if status != 200:
        return
    assert reply.header("Content-Location") == variant
    same = fetch(server, "GET", urllib.parse.urljoin("/" + path, variant))
    assert (same.status, same.header("Content-Type"), same.body) == (200, reply.header("Content-Type"), reply.body)
    revalidated = fetch(
        server, "GET", "/" + path, {"If-None-Match": reply.header("ETag"), **({"Accept": accept} if accept else {})}
    )
    assert revalidated.status == 304 and revalidated.header("Vary") == "Accept"
    for tags in (f"W/{reply.header('ETag')}", '"other", ' + reply.header("ETag"), "*"):
        weak = fetch(server, "GET", "/" + path, {"If-None-Match": tags, **({"Accept": accept} if accept else {})})
        assert weak.status == 304, tags  # RFC 9110 §13.1.3: weak comparison, and * matches any


def test_a_generic_name_that_is_no_document_is_not_found(server):
    missing = fetch(server, "GET", "/doc/network/999", {"Accept": "text/turtle"})
    assert missing.status == 404 and missing.header("Vary") == "Accept"  # a browser gets the page instead
    for doubled in ("/doc//network/001", "/doc/network//001", "/doc/network//001.html"):
        assert fetch(server, "GET", doubled).status == 404, doubled  # its relative links would go astray
    page = fetch(server, "GET", "/doc/network/999", {"Accept": "text/html"})
    assert page.status == 404 and "ページが見つかりません" in page.text
    assert fetch(server, "GET", "/doc/network/001/x").status == 404
    assert fetch(server, "GET", "/doc/network/001?format=xml").status == 400


def test_dereferencing_refuses_what_it_cannot_serve(server):
    unacceptable = fetch(server, "GET", "/id/network/001", {"Accept": "image/png"})
    assert unacceptable.status == 406 and "text/turtle" in unacceptable.text and unacceptable.header("Vary") == "Accept"
    assert fetch(server, "GET", "/id/network/999").status == 404
    assert fetch(server, "GET", "/id/network").status == 404
    assert fetch(server, "GET", "/id/network/001/x").status == 404


def test_no_minted_key_contains_a_dot(built):
    """A dot in /id/{kind}/{key}.ttl starts the format suffix, in `serve` and in the Apache and nginx rules."""
    subjects = {line.split(" ", 1)[0] for line in (built / "dump" / "ryoiki-ld.nt").read_text().splitlines()}
    keys = {s[1:-1].partition("#")[0].rsplit("/", 1)[1] for s in subjects if "/ryoiki-ld/id/" in s}
    assert len(keys) > 4000 and not [k for k in keys if "." in k]


def test_every_kind_of_resource_dereferences(server, built):
    kinds = sorted(p.name for p in (built / "site" / "doc").iterdir() if p.is_dir())
    assert "network" in kinds and "distribution" in kinds
    for kind in kinds:
        first = sorted((built / "site" / "doc" / kind).rglob("*.html"))[0]  # an observation's key is {survey}/{row}
        key = first.relative_to(built / "site" / "doc" / kind).with_suffix("").as_posix()
        reply = fetch(server, "GET", f"/id/{kind}/{key}", {"Accept": "text/turtle"})
        assert reply.status == 303, (kind, key, reply.status)
        assert reply.header("Location").endswith(f"doc/{kind}/{key}.ttl")


# --- the query links on pages ---------------------------------------------------------------------


def query_links(built: Path, page: str) -> list[str]:
    html = (built / "site" / page).read_text(encoding="utf-8")
    found = re.findall(r'href="((?:\.\./)*(?:en/)?query\.html\?query=[^"]+)"', html)
    return [link.replace("&amp;", "&") for link in found]


@pytest.mark.parametrize("page", ["doc/network/001.html", "doc/prefecture/13.html", "en/doc/criterion/a.html"])
def test_the_query_links_on_pages_answer(server, built, page):
    links = query_links(built, page)
    assert links, page
    for link in links:
        url = urllib.parse.urljoin(server.url + page, link)
        target = url[len(server.url) - 1 :]
        browser_view = fetch(server, "GET", target, {"Accept": "text/html"})
        assert browser_view.status == 200 and browser_view.header("Content-Type").startswith("text/html")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["query"][0]
        target = "/sparql?" + urllib.parse.urlencode({"query": query})  # what the page sends the endpoint
        if query.lstrip().upper().startswith("DESCRIBE"):
            answer = fetch(server, "GET", target, {"Accept": "application/n-triples"})
            assert answer.status == 200 and answer.body.count(b"\n") > 5
        else:
            answer = fetch(server, "GET", target, {"Accept": "application/sparql-results+json"})
            assert answer.status == 200 and json.loads(answer.body)["results"]["bindings"], link


# --- in a real browser ----------------------------------------------------------------------------


@pytest.fixture
def site_url(server) -> str:
    return server.url  # the site, as `serve` shows it (the browser fixtures: conftest.py)


def test_the_query_page_runs_an_example_against_serve_and_shows_rows(watched, built):
    page = watched.open("sparql")
    page.locator("#example").select_option(label="Networks per prefecture")
    page.locator("#run").click()
    rows = page.locator("#results table tbody tr")
    rows.first.wait_for(timeout=20_000)
    with_networks = {line.split(",")[1] for line in (built / "data" / "networks.csv").read_text().splitlines()[1:]}
    assert rows.count() == len(with_networks) == 45  # two prefectures have no surveyed network
    assert page.locator("#results table").inner_text().count("北海道") >= 1
    watched.shot("query-page-example")
    assert watched.errors == []
    assert watched.outside_requests() == []


def test_from_the_landing_page_to_a_network_and_its_query(watched):
    page = watched.open("")
    assert page.locator("h1").is_visible()
    page.locator("table#network-table a", has_text="道南地域医療連携協議会").click()
    page.wait_for_url(re.compile(r"/doc/network/001\.html$"))
    page.get_by_role("link", name=re.compile("検索ページで開く")).first.click()
    page.locator("#results").wait_for()
    page.locator("#results table tbody tr, #results pre").first.wait_for(timeout=20_000)
    watched.shot("network-001-in-the-query-page")
    assert watched.errors == []


def test_a_result_link_on_the_query_page_dereferences_to_the_page(watched):
    page = watched.open(
        "sparql?query="
        + urllib.parse.quote(
            "SELECT ?n WHERE { ?n a <https://w3id.org/ryoiki-ld/def#Network> ; <https://w3id.org/ryoiki-ld/def#surveyRowNumber> 1 }"
        )
    )
    link = page.locator("#results table tbody a").first
    link.wait_for(timeout=20_000)
    link.click()
    page.wait_for_url(re.compile(r"/doc/network/001\.html$"))
    assert page.locator("h1").inner_text().strip().startswith("道南地域医療連携協議会")
    assert watched.errors == []
