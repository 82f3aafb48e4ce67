"""serve: answering queries and requests from a built store; `server.serve()` runs `ryoiki-ld serve`.

The SPARQL 1.1 endpoint at /sparql, the built site, and /id/ dereferencing, over HTTP: an ASGI application
(`app.py`) run by uvicorn (httptools parser, uvloop event loop) in each of several worker processes that
share the listening socket (`workers.py`). The event loop parses, checks (`inspect.py`) and routes; the
worker's query threads evaluate (`results.py`), and a worker whose query outruns the time limit answers 503
at once and retires. Every query answer is complete before its status is sent, so a client never gets a 200
followed by a broken body, and a limit that refuses a query says so (status, `Query-Limit-Exceeded` header,
message). The store is immutable between builds, so identical requests get the cached answer
(`responses.py`). `ryoiki-ld query` (`query.py`) runs one query with the same checks.
"""
