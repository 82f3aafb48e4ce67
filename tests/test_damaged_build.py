"""A damaged build directory (a store RocksDB cannot open, a garbled manifest, a missing catalogue): every
command that reads it says so in one line and exits 2, never with a traceback."""

from __future__ import annotations

import shutil

import pytest

from .support.cli import run_cli

DAMAGE = {
    # name: (what is done to a copy of a build, the command, what the one-line message must say)
    "store_corrupt": (lambda d: (d / "store" / "CURRENT").write_text("garbage"), "query", "cannot open the store"),
    "store_corrupt_serve": (
        lambda d: (d / "store" / "CURRENT").write_text("garbage"),
        "serve",
        "cannot open the store",
    ),
    "manifest_garbled": (lambda d: (d / "build.json").write_text("{bad"), "query", "not a build manifest"),
    "catalogue_gone": (lambda d: (d / "site" / "catalog.ttl").unlink(), "catalog", "no built catalogue here"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_build_is_one_line_and_exit_2_for_every_command(case, built, tmp_path):
    damage, command, words = DAMAGE[case]
    copy = tmp_path / "build"
    shutil.copytree(built / "store", copy / "store")  # what these commands read, not the 20,000 site files
    shutil.copyfile(built / "build.json", copy / "build.json")
    (copy / "site").mkdir()
    shutil.copyfile(built / "site" / "catalog.ttl", copy / "site" / "catalog.ttl")
    damage(copy)
    args = {"query": ("query", "ASK {}"), "serve": ("serve", "--port", "0"), "catalog": ("catalog",)}[command]
    result = run_cli(*args, "--out", copy)
    assert result.returncode == 2, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
