"""The query page (site/templates/query.html and site/assets/query.js) in a real browser against the real `serve`:
every example runs, it has the site's layout in each language, result IRIs link to this site's pages in the page's
language, a label and a number draw a bar chart, the query lives in the page's URL, and the endpoint's refusals read
as messages."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from ryoiki_ld import iris
from ryoiki_ld.config import Settings
from ryoiki_ld.rdf import ONTOLOGY
from ryoiki_ld.site.pages import read_examples

from .support.browser import Watched, serve_site
from .support.report import BASE
from .support.server import Server, fetch, serving

EXAMPLES = read_examples(Settings().paths.queries)
ANSWER = "#results table tbody tr, #results pre, #results .boolean"


@pytest.fixture(scope="module")
def server(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    out = tmp_path_factory.mktemp("query-page") / "build"
    with serving(built, out, "--time-limit", "2", "--max-rows", "2000") as running:
        yield running


@pytest.fixture
def site_url(server) -> str:
    return server.url  # the site, as `serve` shows it (the browser fixtures: conftest.py)


def run(page, query: str | None = None, example: str | None = None, answer: str = ANSWER) -> None:
    if example is not None:
        page.locator("#example").select_option(value=example)
    if query is not None:
        page.locator("#query").fill(query)
    page.locator("#run").click()
    page.locator(answer).first.wait_for(timeout=20_000)


def query_in(url: str) -> str | None:
    return (urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("query") or [None])[0]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["file"] for e in EXAMPLES])
def test_every_example_runs_in_the_query_page(watched, example):
    page = watched.open("sparql")
    run(page, example=example["file"])
    assert page.locator("#status").get_attribute("class") != "error", page.locator("#status").inner_text()
    assert page.locator("#example-description").inner_text() == example["description"]
    assert query_in(page.url) == example["query"]
    assert page.locator("#downloads a").count() == 4
    assert watched.errors == [] and watched.outside_requests() == []


def test_the_query_page_has_the_sites_layout_and_a_page_per_language(watched):
    for path, lang, switch, words, prefecture in (
        ("sparql", "ja", "en/query.html", "SPARQL 検索", "北海道"),
        ("en/query.html", "en", "../query.html", "SPARQL query", "Hokkaido"),
    ):
        page = watched.open(path)
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("header.site-header nav a").count() >= 7
        assert page.locator("footer").count() == 1
        assert page.locator("h1").inner_text() == words
        assert page.locator("a.lang-switch").get_attribute("href") == switch
        run(page)  # the query the page opens with: ten networks, the prefecture in the page's language
        rows = page.locator("#results table tbody tr")
        assert rows.count() == 10 and rows.first.locator("td").nth(2).inner_text() == prefecture
    page = watched.open("sparql")
    run(page, example="networks-by-start-year.rq")
    page.locator("a.lang-switch").click()  # the switch carries the query, and the other page runs it
    page.wait_for_url("**/en/query.html?query=*")
    page.locator(ANSWER).first.wait_for(timeout=20_000)
    assert "results in" in page.locator("#status").inner_text()
    assert query_in(page.url) == EXAMPLES[[e["file"] for e in EXAMPLES].index("networks-by-start-year.rq")]["query"]
    assert watched.errors == []


def expected_page(iri: str, home: str) -> str:
    """Where the site's own pages link an IRI (`Html.href`, from `iris.document_path`)."""
    path = iris.document_path(iri, BASE)
    fragment = iri.partition("#")[2]
    return f"{home}{path}.html" + (f"#{fragment}" if fragment else "")


@pytest.mark.parametrize(("path", "home"), [("sparql", ""), ("en/query.html", "en/")])
def test_result_iris_link_to_their_pages_in_the_pages_language(watched, server, path, home):
    linked = [
        f"{BASE}id/network/001",
        f"{BASE}id/prefecture/13",
        f"{BASE}id/criterion/a",
        f"{BASE}id/observation/fy2019/001",
        f"{ONTOLOGY}#Network",
        ONTOLOGY,
    ]
    outside = "http://www.wikidata.org/entity/Q1490"
    page = watched.open(path)
    values = " ".join(f"<{i}>" for i in [*linked, outside])
    run(page, f"SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }}")
    links = page.locator("#results table tbody a")
    assert links.count() == len(linked) + 1
    root = urllib.parse.urljoin(server.url, path)
    for i, iri in enumerate(linked):
        href = urllib.parse.urljoin(root, links.nth(i).get_attribute("href"))
        assert href == server.url + expected_page(iri, home), iri
    assert links.nth(len(linked)).get_attribute("href") == outside
    links.first.click()
    page.wait_for_url(f"**/{home}doc/network/001.html")
    assert page.locator("h1").inner_text().strip().startswith("道南地域医療連携協議会")
    assert watched.errors == []


def test_a_label_and_a_number_draw_a_bar_chart(watched):
    page = watched.open("en/query.html")
    run(page, example="networks-by-start-year.rq")
    rows = page.locator("#results table tbody tr")
    bars = page.locator("#results figure.chart svg g.bar")
    assert bars.count() == rows.count() > 5
    counts = [int(rows.nth(i).locator("td").nth(1).inner_text().split()[0]) for i in range(rows.count())]
    widths = [float(bars.nth(i).locator("rect").get_attribute("width")) for i in range(bars.count())]
    largest = max(counts)
    for count, width in zip(counts, widths, strict=True):
        assert abs(width / max(widths) - count / largest) < 0.01 or count * max(widths) / largest < 1
    assert page.locator("#results figure.chart figcaption").inner_text() == "?networks by ?year"
    watched.shot("query-page-bar-chart", page.locator("#results figure.chart"))
    run(page, example="networks-per-prefecture.rq")  # three columns: a table only
    assert page.locator("#results figure.chart").count() == 0
    assert watched.errors == []


def test_the_query_lives_in_the_url_back_and_reload_run_it_again(watched):
    page = watched.open("sparql")
    first, second = "ASK { ?n a <https://w3id.org/ryoiki-ld/def#Network> }", "SELECT (1 AS ?one) WHERE {}"
    run(page, first)
    run(page, second, answer="#results table tbody tr")
    assert query_in(page.url) == second and query_in(page.locator("#share").get_attribute("href")) == second
    page.go_back()
    page.locator("#results .boolean").wait_for(timeout=20_000)
    assert page.locator("#query").input_value() == first and query_in(page.url) == first
    page.reload()
    page.locator("#results .boolean").wait_for(timeout=20_000)
    assert page.locator("#results .boolean").inner_text() == "はい（true）"
    assert watched.errors == []


@pytest.mark.parametrize(
    ("query", "headline"),
    [
        ("SELECT ?s WHERE { ?s ?p }", "構文エラー：1 行 26 列"),
        ("SELECT * WHERE { ?s ?p ?o }", "結果が上限の 2,000 件を超えたため"),
        ("SELECT (COUNT(*) AS ?c) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "時間の上限（2 秒）に達したため"),
        ("INSERT DATA { <a> <b> <c> }", "エンドポイントがクエリを受け付けませんでした（403）"),
    ],
    ids=["syntax", "rows", "time", "update"],
)
def test_the_endpoints_refusals_read_as_messages(watched, query, headline):
    page = watched.open("sparql")
    run(page, query, answer="#status.error")
    assert page.locator("#status .headline").inner_text().startswith(headline)
    assert page.locator("#status .detail").inner_text()  # the endpoint's own words, beneath
    if "構文" in headline:
        assert page.locator("#status pre.position").inner_text().endswith(" " * 25 + "^")
        assert page.locator("#query").evaluate("t => t.selectionStart") == 25
    # Chromium logs the refused request itself; nothing else may go wrong
    assert [e for e in watched.errors if "Failed to load resource" not in e] == []


def test_no_serious_accessibility_violation_with_a_chart_and_with_an_error(watched):
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python")
    axe = axe_module.Axe()
    found = {}
    for path, query, answer in (
        ("en/query.html", EXAMPLES[[e["file"] for e in EXAMPLES].index("networks-by-start-year.rq")]["query"], ANSWER),
        ("sparql", "SELECT ?s WHERE { ?s ?p }", "#status.error"),
    ):
        page = watched.open(path)
        run(page, query, answer=answer)
        violations = axe.run(page).response["violations"]
        serious = [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]
        if serious:
            found[path] = serious
    assert not found, found


def test_only_the_latest_run_is_shown(watched):
    """A run replaces one still waiting for its answer: a late answer to an earlier query is dropped."""
    page = watched.open("en/query.html")
    page.locator("#query").fill("SELECT (COUNT(*) AS ?c) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")  # over the limit
    page.locator("#run").click()
    page.locator("#query").fill("SELECT ?x WHERE { VALUES ?x { 1 2 3 } }")
    page.locator("#query").press("Control+Enter")
    page.locator("#query").press("Control+Enter")
    page.locator("#results table").wait_for(timeout=20_000)
    page.wait_for_timeout(3_000)  # the first query's time limit (2 s) has passed
    assert page.locator("#results table").count() == 1 and page.locator("#results tbody tr").count() == 3
    assert page.locator("#status").get_attribute("class") != "error", page.locator("#status").inner_text()
    assert [e for e in watched.errors if "Failed to load resource" not in e] == []


def test_an_example_replacing_an_edited_query_can_be_undone(watched):
    page = watched.open("en/query.html")
    mine = "SELECT (42 AS ?answer) WHERE {}"
    page.locator("#query").fill(mine)
    page.locator("#example").select_option(value="networks-by-start-year.rq")
    assert page.locator("#query").input_value() != mine
    page.locator("#restore").click()
    assert page.locator("#query").input_value() == mine and page.locator("#restore").is_hidden()
    page.locator("#example").select_option(value="networks-by-start-year.rq")  # not edited since: nothing to keep
    page.locator("#example").select_option(value="networks-per-prefecture.rq")
    assert page.locator("#restore").is_hidden()


def test_a_query_too_long_for_an_address_is_not_put_in_one(watched, server):
    page = watched.open("sparql")
    query = "SELECT ?x WHERE { VALUES ?x { " + " ".join(f'"地域医療{i}"' for i in range(400)) + " } } LIMIT 2"
    run(page, query, answer="#results table tbody tr")
    assert query_in(page.url) is None and page.locator("#share").is_hidden()
    assert page.locator("#share-too-long").is_visible()
    forms = page.locator("#downloads form")
    assert forms.count() == 4 and page.locator("#downloads a").count() == 0
    assert forms.first.get_attribute("method") == "post"
    assert forms.first.locator("input[name=query]").get_attribute("value") == query
    fields = {"query": query, "format": forms.nth(2).locator("input[name=format]").get_attribute("value")}
    reply = fetch(
        server,
        "POST",
        "/sparql",
        {"Content-Type": "application/x-www-form-urlencoded"},
        urllib.parse.urlencode(fields).encode(),
    )
    assert reply.status == 200 and reply.header("Content-Type").startswith("text/csv")


@pytest.mark.parametrize(
    ("line", "before"),
    [("?s ?p", ""), ("\t?s ?p", "\t"), ("地域 ?s ?p", "地域 "), ("𠮷野 ?s ?p", "𠮷野 ")],
    ids=["ascii", "tab", "wide", "astral"],
)
def test_a_syntax_error_is_pointed_at_in_the_editor(watched, line, before):
    """The caret keeps the line's tabs and wide characters; the selection is the character at the column the
    endpoint names, which counts characters (code points), where the editor counts UTF-16 units."""
    page = watched.open("en/query.html")
    query = f"SELECT ?s\nWHERE {{\n  # {before}\n  {line} }}"
    run(page, query, answer="#status.error")
    assert page.locator("#status .headline").inner_text().startswith("Syntax error at line 4"), page.content()
    column = int(re.search(r"column (\d+)", page.locator("#status .detail").inner_text()).group(1))
    text = f"  {line} }}"
    at = text[column - 1] if column <= len(text) else ""
    selected = page.locator("#query").evaluate(
        "t => [document.activeElement === t, t.value.slice(t.selectionStart, t.selectionEnd)]"
    )
    assert selected == [True, at], (column, selected)
    pad = "".join("\t" if c == "\t" else "\u3000" if c in "地域𠮷野" else " " for c in text[: column - 1])
    assert page.locator("#status pre.position").inner_text().split("\n") == [f"4 | {text}", f"  | {pad}^"]
    assert [e for e in watched.errors if "Failed to load resource" not in e] == []


def test_no_chart_for_negative_numbers_and_long_labels_are_cut(watched):
    page = watched.open("en/query.html")
    run(page, 'SELECT ?l ?n WHERE { VALUES (?l ?n) { ("a" 3) ("b" -2) } }', answer="#results table tbody tr")
    assert page.locator("#results figure.chart").count() == 0
    name = "地域医療情報連携ネットワーク" * 4
    run(page, f'SELECT ?l ?n WHERE {{ VALUES (?l ?n) {{ ("{name}" 3) ("b" 12345678901234567890123) }} }}')
    labels = page.locator("#results figure.chart g.bar text:not(.value)")
    assert labels.first.inner_html().endswith("…") and len(labels.first.inner_html()) == 17
    assert page.locator("#results figure.chart text.value").nth(1).inner_html() == "12345678901234567890123"


def test_back_to_the_page_without_a_query_shows_it_as_it_opened(watched):
    page = watched.open("en/query.html")
    opening = page.locator("#query").input_value()
    run(page, "SELECT (1 AS ?one) WHERE {}")
    page.go_back()
    page.wait_for_url("**/en/query.html")
    assert page.locator("#query").input_value() == opening
    assert page.locator("#results *").count() == 0 and page.locator("#share").is_hidden()


def test_moving_to_an_anchor_does_not_run_the_query_again(watched):
    page = watched.open("en/query.html?query=" + urllib.parse.quote("SELECT (1 AS ?one) WHERE {}"))
    page.locator(ANSWER).first.wait_for(timeout=20_000)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link: #main
    page.wait_for_url("**#main")
    page.wait_for_timeout(500)
    assert sum(1 for url in watched.requests if url.endswith("/sparql")) == 1


def test_a_copy_of_the_site_without_an_endpoint_says_so(browser, built):
    static, url = serve_site(built)
    try:
        w = Watched(browser, url)
        page = w.open("en/query.html")
        run(page, answer="#status.error")
        assert "did not answer as a SPARQL endpoint" in page.locator("#status .headline").inner_text()
        assert page.locator("#status .detail").count() == 0  # the host's HTML page is not shown as text
        w.context.close()
    finally:
        static.shutdown()
        static.server_close()
