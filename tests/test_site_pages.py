"""site.pages: what the pages say — the report's figures, every network's outcomes and comparisons, the
criteria, map, downloads, vocabulary and sitemap, and the source credit on every page."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ryoiki_ld.config import Paths
from ryoiki_ld.validate.criteria import load_criteria

from .support import report
from .support.report import BASE, RLD
from .support.sitefiles import read


def test_the_vocabulary_document_has_an_anchor_for_every_term(built, dump, checked):
    _, pages = checked
    terms = {t.subject.value[len(RLD) :] for t in dump if t.subject.value.startswith(RLD)}
    assert len(terms) > 50
    assert terms <= pages["doc/def.html"].ids
    assert terms <= pages["en/doc/def.html"].ids


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
    assessable = [c.key for c in load_criteria(Paths().criteria) if c.assessable_from_survey]
    meeting = sum(1 for no in range(1, 219) if all(outcomes[(no, c)] == "met" for c in assessable))
    assert figures(read(built, "index.html"))["meeting"] == meeting


def test_the_map_caption_names_the_criteria_the_survey_can_assess(built):
    """The caption is filled from data/criteria.csv: (ア), (エ) and (オ) today."""
    notations = [c.notation for c in load_criteria(Paths().criteria) if c.assessable_from_survey]
    ja = "".join(f"（{n}）" for n in notations)
    en = ", ".join(f"({n})" for n in notations[:-1]) + f" and ({notations[-1]})"
    assert f"判定可能な基準{ja}をすべて満たす" in read(built, "index.html")
    assert f"every assessable criterion, {en}." in read(built, "en/index.html")


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


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            "doc/network/001.html",
            [
                "のうち、参照データ（都道府県・二次医療圏・市区町村）に結び付けられない部分：<q>ほか</q>",
                '理由：<a href="../../doc/def.html#VagueExtent">範囲が定まらない</a>',
            ],
        ),
        (
            "en/doc/network/001.html",
            [
                'in the coverage area <a href="../../../en/doc/coverage-area/001.html">',
                '<q><span lang="ja">ほか</span></q>',
                'Why: <a href="../../../en/doc/def.html#VagueExtent">Vague extent</a> — The text names an area without a fixed extent',
            ],
        ),
        ("doc/network/006.html", ["<q>西岡</q> <q>福住</q>", "市区町村より小さい地域</a>"]),
        ("en/doc/network/130.html", ["Not geographic</a>"]),
    ],
)
def test_network_page_says_what_its_area_does_not_link_and_why(built, page, expected):
    html = read(built, page)
    for text in expected:
        assert text in html, text


def test_network_page_of_a_resolved_area_has_no_such_note(built):
    for page in ("doc/network/033.html", "en/doc/network/200.html"):
        assert "area-not-linked" not in read(built, page), page


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
    assert len(listed) == 15 + 6  # the distributions, then the catalogue files
    for href, size in listed:
        assert (built / "site" / href).stat().st_size == int(size.replace(",", "")), href
    metadata = json.loads(read(built, "data/networks.csv-metadata.json"))
    assert (built / "site/data" / metadata["url"]).is_file()


def test_sitemap_lists_every_page_in_both_languages_and_robots_points_at_it(built, checked):
    _, pages = checked
    sitemap = read(built, "sitemap.xml")
    locations = re.findall(r"<url><loc>([^<]+)</loc>", sitemap)
    listed = [p for p in pages if p not in ("404.html", "en/404.html")]  # the not-found page is not a page to index
    assert sorted(locations) == sorted(BASE + p for p in listed)
    assert f"Sitemap: {BASE}sitemap.xml" in read(built, "robots.txt")
    assert (built / "site" / ".htaccess").is_file()


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
