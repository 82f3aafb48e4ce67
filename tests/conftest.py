"""Shared fixtures: the project's own source text, the extracted table, and one real build."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ryoiki_ld.config import DEFAULT_SOURCE, ROOT, Paths
from ryoiki_ld.extract import extract

CLI = [sys.executable, "-m", "ryoiki_ld"]


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real `ryoiki-ld` command in a subprocess."""
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


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


# Markup in the source where a network's name and its area are printed (row 1): the site must show it as text.
HOSTILE_NAME = '道南<script>alert("name")</script>&amp;協議会'
HOSTILE_AREA = '函館市を中心とした<img src=x onerror="alert(1)">道南地域'


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
    """A copy of the project's data files that a test may change."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    return Paths(root=tmp_path)
