"""The site in a real browser: headless Chromium (Debian's) driven by Playwright, the site served from a
sub-path by a plain static file server. Screenshots are saved in tests/artifacts/ for people to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support.browser import Watched, serve_site
from .support.hostile import HOSTILE_NAME
from .support.server import serving


@pytest.fixture(scope="module")
def site_url(built: Path) -> Iterator[str]:
    server, url = serve_site(built)
    yield url
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("path", "lang"), [("index.html", "ja"), ("en/index.html", "en")])
def test_landing_page_renders_with_no_console_error_and_nothing_from_another_host(watched, path, lang):
    page = watched.open(path)
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").is_visible()
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK JP\"', '地域医療')"), "no CJK font: boxes"
    watched.shot(f"landing-{lang}")
    assert watched.errors == []
    assert watched.outside_requests() == []


def test_landing_page_fits_a_phone(browser, site_url):
    w = Watched(browser, site_url, width=390)
    try:
        page = w.open("index.html")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # wide tables scroll inside their box
        w.shot("landing-phone")
        page.locator("#networks").scroll_into_view_if_needed()
        w.shot("landing-phone-table")
        assert w.errors == []
    finally:
        w.context.close()


def test_language_switch_goes_to_the_same_page_in_the_other_language(watched):
    page = watched.open("index.html")
    page.locator("a.lang-switch").click()
    page.wait_for_url(re.compile(r"/en/index\.html$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Regional Health Information Networks — Open Data"
    page.get_by_role("link", name="Networks", exact=True).click()
    page.wait_for_url(re.compile(r"/en/index\.html#networks$"))
    page.locator("table#network-table a", has_text="道南地域医療連携協議会").click()
    page.wait_for_url(re.compile(r"/en/doc/network/001\.html$"))
    assert page.locator("h1 span[lang=ja]").inner_text() == "道南地域医療連携協議会"
    page.locator("a.lang-switch").click()
    page.wait_for_url(re.compile(r"/site/doc/network/001\.html$"))
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("heading", name="主な数値").is_visible()
    assert watched.errors == []


def test_map_and_charts_are_visible(watched):
    page = watched.open("index.html")
    tile_map = page.locator("svg.tile-map")
    tile_map.scroll_into_view_if_needed()
    box = tile_map.bounding_box()
    assert tile_map.is_visible() and box and box["width"] > 500 and box["height"] > 400
    assert page.locator("svg.tile-map a.tile").count() == 47
    assert page.locator("svg.tile-map a.tile", has_text="北海道").first.is_visible()
    watched.shot("map", page.locator("figure.map-figure"))
    years = page.locator("#chart-years svg")
    years.scroll_into_view_if_needed()
    assert years.is_visible() and years.locator(".bar rect").count() == 16
    assert page.locator("#chart-scatter svg circle.point").count() == 214
    watched.shot("charts", page.locator(".chart-grid"))
    page.locator("svg.tile-map a.tile", has_text="東京").first.click()
    page.wait_for_url(re.compile(r"/doc/prefecture/13\.html$"))
    assert page.locator("#prefecture-networks-table tbody tr").count() == 16
    watched.shot("prefecture-13")


def test_network_page_shows_its_numbers_outcomes_and_comparison(watched):
    page = watched.open("doc/network/001.html")
    figures = page.locator("dl.key-figures").inner_text()
    for number in ("58", "14", "25", "143,308", "2012", "（重複あり）"):
        assert number in figures
    outcomes = page.locator("table.outcomes tbody tr")
    assert outcomes.count() == 7
    assert "満たす" in outcomes.nth(0).inner_text() and "判定不能" in outcomes.nth(1).inner_text()
    assert "3 / 46" in page.locator("table.comparison").inner_text()
    watched.shot("network-001")
    page.locator("#outcomes").scroll_into_view_if_needed()
    watched.shot("network-001-outcomes")
    assert watched.errors == []


def visible_rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#network-table tbody tr:not([hidden])", "rows => rows.map(r => Array.from(r.cells, c => c.innerText))"
    )


def test_network_table_sorts_and_filters(watched):
    page = watched.open("index.html")
    shown = page.locator("#shown-count")
    assert shown.inner_text() == "218"
    header = page.locator("#network-table thead th").nth(5)  # participating institutions
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert visible_rows(page)[0][5] == "1"
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    values = [int(r[5].replace(",", "")) for r in visible_rows(page)]
    assert values == sorted(values, reverse=True) and values[0] == 1445
    page.locator("#network-table thead th").nth(8).locator("button").click()  # patients: unknown values last
    assert [r[8] for r in visible_rows(page)][-3:] == ["不明"] * 3

    page.get_by_label("名称・圏域で絞り込み").fill("札幌")
    expected = page.eval_on_selector_all(
        "#network-table tbody tr", "rows => rows.filter(r => (r.textContent + r.dataset.text).includes('札幌')).length"
    )
    assert 0 < len(visible_rows(page)) == expected and shown.inner_text() == str(expected)
    page.get_by_label("名称・圏域で絞り込み").fill("")
    page.get_by_label("都道府県", exact=True).select_option("13")
    assert len(visible_rows(page)) == 16 and shown.inner_text() == "16"
    page.get_by_label("判定可能な基準をすべて満たすものだけ").check()
    meeting = visible_rows(page)
    assert 0 < len(meeting) < 16 and all(r[11].count("満たす") == 3 for r in meeting)
    page.locator("#networks").scroll_into_view_if_needed()
    watched.shot("table-filtered")
    assert watched.errors == []


def test_links_and_controls_are_reachable_by_keyboard(watched):
    page = watched.open("index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "brand"
    focusable = page.evaluate(
        """() => ['svg.tile-map a.tile', '#network-table thead button', '#filter-text', '#network-table tbody a']
            .map(sel => { const el = document.querySelector(sel); el.focus(); return document.activeElement === el; })"""
    )
    assert focusable == [True, True, True, True]
    assert page.evaluate("Array.from(document.querySelectorAll('a[tabindex=\"-1\"]')).length") == 0


AXE_PAGES = [
    "index.html",
    "en/index.html",
    "doc/network/001.html",
    "en/doc/network/061.html",
    "doc/prefecture/01.html",
    "doc/criterion/e.html",
    "doc/assessment/fy2019/169-d.html",
    "doc/municipality/01202.html",
    "criteria.html",
    "downloads.html",
    "doc/def.html",
]


def test_no_serious_accessibility_violation(watched):
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python")
    axe = axe_module.Axe()
    found = {}
    for path in AXE_PAGES:
        page = watched.open(path)
        results = axe.run(page)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[path] = serious
    assert watched.outside_requests() == []  # axe runs from the wheel's own copy of axe.js
    assert not found, found


def test_markup_in_the_data_stays_text_in_the_browser(browser, hostile_build):
    server, url = serve_site(hostile_build)
    w = Watched(browser, url)
    try:
        for path in ("doc/network/001.html", "index.html", "doc/coverage-area/001.html"):
            w.open(path)
        page = w.open("doc/network/001.html")
        assert page.locator("h1").inner_text() == HOSTILE_NAME
        assert w.dialogs == [] and w.errors == []
        w.shot("hostile-network-001")
    finally:
        w.context.close()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("path", "heading", "lang"),
    [("no/such/page", "ページが見つかりません", "ja"), ("en/no/such", "Page not found", "en")],
)
def test_a_path_that_names_nothing_shows_the_not_found_page_and_its_links_work(
    browser, built, tmp_path, path, heading, lang
):
    """Served by `ryoiki-ld serve`: its <base> names the root the browser reached, so the page has the site's look
    and its links lead into the site from any depth."""
    with serving(built, tmp_path / "build") as server:
        w = Watched(browser, server.url)
        try:
            response = w.page.goto(server.url + path, wait_until="load")
            assert response.status == 404
            page = w.page
            assert page.locator("h1").inner_text() == heading and page.locator("html").get_attribute("lang") == lang
            assert page.locator("header").count() == 1  # the site's header and navigation
            assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"  # site.css loaded
            w.shot(f"not-found-{lang}")
            page.locator("ul.not-found a").first.click()
            page.wait_for_load_state("load")
            assert page.url == server.url + ("en/" if lang == "en" else "") + "index.html#networks"
            assert page.locator("#network-table tbody tr").count() == 218
            # One console error: Chromium's for the page's own 404 status (a missing asset would add another).
            assert w.errors == ["Failed to load resource: the server responded with a status of 404 (Not Found)"]
            assert not w.outside_requests()
        finally:
            w.context.close()
