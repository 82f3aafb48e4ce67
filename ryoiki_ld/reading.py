"""Someone else's file, read within `config.InputLimits`: the report text for `build`, any file for `validate`.

The size is checked before a byte is read, and every failure is a `SourceError` naming the file; a limit that
refuses a file names the command-line option that raises it.
"""

from __future__ import annotations

from pathlib import Path

from .config import InputLimits
from .errors import SourceError

# The option that raises each limit (`build` has --max-bytes; `validate` all three).
OPTIONS = {"max_bytes": "--max-bytes", "max_depth": "--max-depth", "max_literal_bytes": "--max-literal-bytes"}


def over_limit(limit: str, found: str) -> str:
    """The message of a refusal by `limit` (a field of InputLimits)."""
    return f"{found} (the limit; {OPTIONS[limit]} raises it)"


def read_bounded(path: Path, limits: InputLimits) -> bytes:
    """The bytes of a file no larger than `limits.max_bytes` (checked before it is read)."""
    if not path.exists():
        raise SourceError(path, None, "no such file")
    if path.is_dir():
        raise SourceError(path, None, "is a directory, not a file")
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise SourceError(path, None, over_limit("max_bytes", f"{size:,} bytes, over {limits.max_bytes:,}"))
        if size == 0:
            raise SourceError(path, None, "the file is empty")
        data = path.read_bytes()
    except OSError as e:
        raise SourceError(path, None, f"cannot read: {e.strerror or e}") from None
    if len(data) > limits.max_bytes:  # it grew while we looked
        raise SourceError(path, None, over_limit("max_bytes", f"over {limits.max_bytes:,} bytes"))
    return data
