"""The files of a built site, read as the tests compare them."""

from __future__ import annotations

from pathlib import Path


def read(built: Path, path: str) -> str:
    """The text of the file at `path` below the site of the build `built`."""
    return (built / "site" / path).read_text(encoding="utf-8")
