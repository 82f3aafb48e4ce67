"""site.writer: the files are the same whatever the number of worker processes, and a worker's error stops
the stage with its traceback."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from ryoiki_ld import catalog, site
from ryoiki_ld.config import Output, Settings
from ryoiki_ld.site import writer

from .support.cli import tree_digest


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
    def broken(self: writer.Writer, path: str) -> None:
        raise ValueError(f"no page for {path}")

    monkeypatch.setattr(writer.Writer, "resource_page", broken)  # forked workers inherit it
    with pytest.raises(RuntimeError, match=r"a site worker failed:(.|\n)*ValueError: no page for doc/"):
        _site_stage_again(built, tmp_path / "out", 2)
