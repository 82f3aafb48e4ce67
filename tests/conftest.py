"""Shared fixtures: the project's own source text, the extracted table, one real build, its dump and its site's
links checked; Chromium, and a watched page of the site at `site_url` (which each browser test module provides)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest

from ryoiki_ld.config import DEFAULT_SOURCE, ROOT, Paths
from ryoiki_ld.extract import extract

from .support import sitelinks
from .support.browser import Watched, chromium
from .support.cli import run_cli
from .support.hostile import HOSTILE_AREA, HOSTILE_NAME

_CACHE = tempfile.mkdtemp(prefix="ryoiki-ld-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    """The tests' own cache folder (config.cache_dir) for this process and every command it runs, not the user's."""
    os.environ["RYOIKI_LD_CACHE_DIR"] = _CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def source_lines() -> list[str]:
    return DEFAULT_SOURCE.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="session")
def table() -> pd.DataFrame:
    return extract(DEFAULT_SOURCE).set_index("no", drop=False)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "build"
    result = run_cli("build", "--out", out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def dump(built: Path) -> list[ox.Triple]:
    """The triples of the real build's N-Triples dump."""
    return [q.triple for q in ox.parse(path=str(built / "dump" / "ryoiki-ld.nt"), format=ox.RdfFormat.N_TRIPLES)]


@pytest.fixture(scope="session")
def checked(built: Path) -> tuple[list[str], dict[str, sitelinks.Page]]:
    """The real build's site through the link checker: its problems, and every HTML page parsed."""
    return sitelinks.check_files(built / "site")


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build from a copy of the source whose row 1 name and area contain HTML."""
    tmp = tmp_path_factory.mktemp("hostile")
    text = DEFAULT_SOURCE.read_text(encoding="utf-8")
    edited = text.replace("1 1北海道 道南地域医療連携協議会\n", f"1 1北海道 {HOSTILE_NAME}\n").replace(
        "\n函館市を中心とした道南地域\n", f"\n{HOSTILE_AREA}\n"
    )
    assert edited.count("<") == text.count("<") + 3
    source = tmp / "mhlw-chiren-nw-fy2019.txt"
    source.write_text(edited, encoding="utf-8")
    out = tmp / "build"
    result = run_cli("build", "--source", source, "--out", out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def project_copy(tmp_path: Path) -> Paths:
    """A copy of the project's data files and ontology (the linker reads its reasons there) that a test may change."""
    for folder in ("data", "ontology"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return Paths(root=tmp_path)


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def watched(browser, site_url: str) -> Iterator[Watched]:
    """A page of the site at `site_url`, its console errors and requests recorded."""
    w = Watched(browser, site_url)
    yield w
    w.context.close()
