"""The reference triples `validate` adds to a network's file, kept between runs in the cache folder: read only when
whole and made from the same inputs, made again otherwise, and never a reason to fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ryoiki_ld import mapping
from ryoiki_ld.config import ROOT, Paths, Settings
from ryoiki_ld.validate import inputs

from .support.cli import run_cli

EXAMPLE = ROOT / "examples" / "my-network.ttl"


def made(settings: Settings) -> frozenset[str]:
    """The reference triples as `reference_triples` makes them, past its in-process memo."""
    return inputs.reference_triples.__wrapped__(settings)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("RYOIKI_LD_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def fresh() -> frozenset[str]:
    """Made without any cache: a folder that cannot be created, so nothing is read or kept."""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("RYOIKI_LD_CACHE_DIR", "/proc/ryoiki-ld-no-cache")
        return made(Settings())


def test_a_cold_run_writes_one_entry_and_a_warm_one_reads_it(cache: Path, fresh, monkeypatch):
    assert made(Settings()) == fresh
    assert len(list(cache.glob("reference-*.nt"))) == 1
    assert not list(cache.glob(".tmp-*"))

    def refuse(*args, **kwargs):
        raise AssertionError("the mappings ran although the cache holds the entry")

    monkeypatch.setattr(mapping, "map_tables", refuse)
    assert made(Settings()) == fresh


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: text.replace("Hokkaido", "Hokaido", 1),  # one byte changed
        lambda text: text.split("\n", 1)[1],  # no header
        lambda text: "",
    ],
    ids=["truncated", "altered", "no-header", "empty"],
)
def test_a_damaged_entry_is_made_again(cache: Path, fresh, damage):
    made(Settings())
    (entry,) = cache.glob("reference-*.nt")
    entry.write_text(damage(entry.read_text(encoding="utf-8")), encoding="utf-8")
    assert made(Settings()) == fresh
    assert inputs._read_cached(entry) == fresh  # and written whole again


def test_a_cache_that_cannot_be_written_is_only_slower(tmp_path: Path, fresh, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("RYOIKI_LD_CACHE_DIR", str(blocked / "cache"))
    assert made(Settings()) == fresh
    result = run_cli("validate", EXAMPLE)
    assert result.returncode == 1, result.stderr  # the example fails criterion (ウ): the report, not an error
    assert "(ウ) not met" in result.stdout
    assert result.stderr == ""


def test_the_entry_follows_what_it_is_made_from(tmp_path: Path, cache: Path):
    for folder in ("data", "mappings", "ontology", "surveys"):
        shutil.copytree(ROOT / folder, tmp_path / "project" / folder)
    paths = Paths(root=tmp_path / "project")
    settings = Settings(paths=paths, source=paths.root / "data" / "source" / "mhlw-chiren-nw-fy2019.txt")
    before = inputs._reference_key(settings)
    assert (
        inputs._reference_key(Settings(paths=paths, source=settings.source, base_iri="https://example.org/")) != before
    )
    paths.ontology.write_text(paths.ontology.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    after = inputs._reference_key(settings)
    assert after != before
    prefectures = paths.prefectures.read_text(encoding="utf-8")
    paths.prefectures.write_text(prefectures.replace("北海道", "北海道X", 1), encoding="utf-8")
    assert inputs._reference_key(settings) != after
    assert '"北海道X"@ja' in " ".join(made(settings))


def test_old_entries_are_pruned(cache: Path):
    cache.mkdir()
    for i in range(6):
        (cache / f"reference-old{i}.nt").write_text("stale", encoding="utf-8")
    made(Settings())
    entries = sorted(p.name for p in cache.glob("reference-*.nt"))
    assert len(entries) == inputs._CACHE_KEEP
    assert f"reference-{inputs._reference_key(Settings())}.nt" in entries


def test_validate_gives_the_same_report_cold_and_warm(cache: Path):
    cold = run_cli("validate", EXAMPLE, "--format", "json")
    assert list(cache.glob("reference-*.nt"))
    warm = run_cli("validate", EXAMPLE, "--format", "json")
    assert (cold.returncode, cold.stdout) == (warm.returncode, warm.stdout) == (1, warm.stdout)
