"""The real `ryoiki-ld` command in a subprocess, and a digest of a built tree for byte-for-byte comparisons."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "ryoiki_ld"]


def run_cli(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real `ryoiki-ld` command in a subprocess (with `env` added to this process's environment)."""
    environment = os.environ | env if env else None
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600, env=environment
    )


def tree_digest(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """SHA-256 of every file under `root` (top-level folders in `skip` left out), by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in skip
    }


# This checkout (tests that build, install or hand it to pre-commit need the folder itself, not config.ROOT,
# which is the installed package's copy when there is one).
CHECKOUT = Path(__file__).resolve().parent.parent.parent


def outside_env(**extra: str) -> dict[str, str]:
    """This process's environment without what ties a child to this checkout's venv (for a command installed
    elsewhere), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env | extra
