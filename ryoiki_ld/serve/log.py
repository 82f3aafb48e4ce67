"""The access log: one JSON object per line for every request, and for the server's own events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from datetime import UTC, datetime
from typing import Any

PIPE_BUF = 4096  # writes up to this size to a pipe are never interleaved with another process's


class AccessLog:
    """One JSON object per line, buffered and flushed at least every half second and at shutdown.

    Every worker writes to the same file descriptor (opened for appending); each write holds whole lines
    and at most PIPE_BUF bytes where it can, so that lines of different processes never interleave.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.lines: list[bytes] = []

    def write(self, record: dict[str, Any]) -> None:
        self.lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        if len(self.lines) >= 512:
            self.flush()

    def flush(self) -> None:
        chunk = b""
        for line in self.lines:
            if chunk and len(chunk) + len(line) > PIPE_BUF:
                _write_all(self.fd, chunk)
                chunk = b""
            chunk += line
        if chunk:
            _write_all(self.fd, chunk)
        self.lines.clear()

    async def flush_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self.flush()


def now() -> str:
    """The time of a record: UTC, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _write_all(fd: int, data: bytes) -> None:
    with contextlib.suppress(OSError):  # a full disk or a closed stderr must not stop the server
        while data:
            data = data[os.write(fd, data) :]
