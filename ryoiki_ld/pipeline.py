"""build: runs the stages in order into a temporary directory and swaps it in only when all succeed."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from . import extract, link, mapping
from .config import Settings
from .errors import RyoikiError

Echo = Callable[[str], None]


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a fresh directory beside `target`; on success it replaces `target`, on failure it is removed."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    tmp.chmod(0o755)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def stage(echo: Echo, name: str) -> Iterator[None]:
    started = time.perf_counter()
    echo(f"{name} …")
    yield
    echo(f"{name} done ({time.perf_counter() - started:.2f} s)")


def read_table(path: Path) -> pd.DataFrame:
    """A data or reference CSV as strings; an empty cell is unknown (absent in the row graph)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def check_base_iri(base_iri: str) -> None:
    if not base_iri.startswith(("http://", "https://")) or not base_iri.endswith("/") or " " in base_iri:
        raise RyoikiError(f"--base-iri must be an absolute http(s) IRI ending in '/', got {base_iri!r}")


def map_tables(table: pd.DataFrame, links: pd.DataFrame, settings: Settings) -> set[str]:
    """The whole graph: every mapping over the tables, with declared ranges restored, plus the ontology."""
    paths = settings.paths
    tables = {
        "networks": table,
        "area_links": links,
        "network_relations": read_table(paths.network_relations),
        "criteria": read_table(paths.criteria),
        "prefectures": read_table(paths.reference / "prefectures.csv"),
        "municipalities": read_table(paths.reference / "municipalities.csv"),
        "secondary_medical_area_municipalities": read_table(
            paths.reference / "secondary_medical_area_municipalities_2020.csv"
        ),
    }
    config = {"baseIri": settings.base_iri, "sourceFile": settings.source.name}
    ontology = mapping.load_rdf(paths.ontology)
    triples = mapping.restore_declared_ranges(mapping.run_mappings(tables, config, paths.mappings), ontology)
    triples.update(ontology)
    return triples


def build(settings: Settings, echo: Echo) -> None:
    paths = settings.paths
    check_base_iri(settings.base_iri)
    with atomic_directory(settings.out) as out:
        data = out / "data"
        data.mkdir()
        with stage(echo, "extract"):
            table = extract.extract(settings.source, paths)
            extract.write_csv(table, data / "networks.csv")
            shutil.copyfile(paths.csvw_metadata, data / "networks.csv-metadata.json")
            shutil.copyfile(paths.corrections, data / "corrections.csv")
            echo(f"  {len(table)} rows from {settings.source}")

        with stage(echo, "link"):
            gazetteer = link.Gazetteer(paths.reference, paths.whole_prefecture_phrases)
            links, statuses = link.resolve_table(table, gazetteer)
            links.to_csv(data / "area_links.csv", index=False, lineterminator="\n")
            statuses.to_csv(data / "area_resolution.csv", index=False, lineterminator="\n")
            rates = link.resolution_rates(statuses)
            for r in rates.itertuples():
                echo(
                    f"  {r.Index:<24} {r.resolved:>3}/{r.total:<3} resolved ({r.resolved_pct:.1f} %), "
                    f"{r.partial} partly, {r.unresolved} not"
                )

        with stage(echo, "map"):
            triples = map_tables(table, links, settings)
            echo(f"  {len(triples)} triples from {len(list(paths.mappings.glob('*.rq')))} mappings and the ontology")

        with stage(echo, "dump"):
            (out / "dump").mkdir()
            for path in mapping.write_dumps(triples, out / "dump" / "ryoiki-ld"):
                echo(f"  {path.relative_to(out)} ({path.stat().st_size:,} bytes)")
    echo(f"built {settings.out}")
