"""build: runs the stages in order into a temporary directory and swaps it in only when all succeed."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import extract
from .config import Settings

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


def build(settings: Settings, echo: Echo) -> None:
    paths = settings.paths
    with atomic_directory(settings.out) as out, stage(echo, "extract"):
        table = extract.extract(settings.source, paths)
        data = out / "data"
        data.mkdir()
        extract.write_csv(table, data / "networks.csv")
        shutil.copyfile(paths.csvw_metadata, data / "networks.csv-metadata.json")
        shutil.copyfile(paths.corrections, data / "corrections.csv")
        echo(f"  {len(table)} rows from {settings.source}")
    echo(f"built {settings.out}")
