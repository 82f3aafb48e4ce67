"""serve.responses: the cache of answers to repeated queries."""

from __future__ import annotations

import gc

from ryoiki_ld.serve.responses import Response, ResponseCache


def test_cached_answers_are_not_tracked_by_the_garbage_collector():
    cache = ResponseCache(1024 * 1024)
    key = ("GET", b"query=ASK%7B%7D", "text/csv", None, b"")
    cache.put(key, Response(200, [("Content-Type", "text/csv")], b"true\n"))
    for _ in range(3):  # a tuple is let go once all it holds is: one level a pass (pairs, headers, entry)
        gc.collect()
    assert not gc.is_tracked(key) and not gc.is_tracked(cache.entries[key])
    hit = cache.get(key)
    assert hit is not None and hit.status == 200 and hit.body == b"true\n"
    assert (b"Content-Length", b"5") in hit.encoded
