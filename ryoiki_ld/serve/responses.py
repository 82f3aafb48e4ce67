"""What the server sends: a response, its headers as sent, and the cache of answers to repeated queries."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from .. import formats

Headers = list[tuple[str, str]]
PLAIN_TEXT = formats.BY_EXT["txt"].content_type  # every message: errors, refusals, redirects
COMMON_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "Query-Limit-Exceeded, Result-Count, Content-Length"),
    ("X-Content-Type-Options", "nosniff"),
]


@dataclass
class Response:
    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    encoded: tuple[tuple[bytes, bytes], ...] | None = None  # the headers as sent, for a cached response


def message_body(message: str) -> bytes:
    """A message as a plain-text body: UTF-8, ending in one line break."""
    return (message.rstrip("\n") + "\n").encode("utf-8")


def text(status: int, message: str, headers: Headers | None = None) -> Response:
    return Response(status, [("Content-Type", PLAIN_TEXT), *(headers or [])], message_body(message))


def encode_headers(response: Response) -> tuple[tuple[bytes, bytes], ...]:
    """The headers as sent: the response's own, those common to all, and the length."""
    head = [*response.headers, *COMMON_HEADERS, ("Content-Length", str(len(response.body)))]
    return tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in head)


class ResponseCache:
    """Least-recently-used responses to identical query requests, bounded in bytes.

    The store never changes while the server runs, so the same request (method, parameters, Accept,
    body) always gets the same answer; only complete 200 answers to non-volatile queries are kept. Keys and
    entries are tuples of strings and bytes, which the garbage collector stops tracking: a full cache holds
    tens of thousands of answers, and as objects it tracked they made every full collection a pause of tens
    of ms (the p99 of uncached queries).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, tuple[int, tuple[tuple[bytes, bytes], ...], bytes, int]] = OrderedDict()
        self.bytes = self.hits = self.misses = 0

    def get(self, key: tuple) -> Response | None:
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        status, headers, body, _ = entry
        return Response(status, body=body, encoded=headers)

    def put(self, key: tuple, response: Response) -> None:
        size = len(response.body) + sum(len(k) for k in key if k) + 300
        if size > self.max_bytes // 8 or key in self.entries:
            return
        response.encoded = encode_headers(response)
        self.entries[key] = (response.status, response.encoded, response.body, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, _, _, old_size) = self.entries.popitem(last=False)
            self.bytes -= old_size

    def stats(self) -> dict[str, int]:
        return {"entries": len(self.entries), "bytes": self.bytes, "hits": self.hits, "misses": self.misses}
