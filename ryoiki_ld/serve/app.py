"""The ASGI application of `serve`: routing, the SPARQL 1.1 Protocol, the service description, /health.

One App runs in each worker process (`workers.py`). Its event loop parses the request, checks the query
(`inspect.py`) and hands it to a query thread (`workers.Evaluator`); files and /id/ are `static.py`'s.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import json
import re
import sys
import time
import traceback
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .. import formats, iris
from ..config import CATALOG_FILES, Output, ServeSettings
from ..formats import HTML, Format
from ..rdf import RDF, SD, VOID, XSD_INTEGER, prefixes
from ..store import Manifest
from . import static
from .inspect import QueryRefused, check
from .log import AccessLog, now
from .responses import Headers, Response, ResponseCache, encode_headers, text
from .results import Answer, serialize_triples, text_answer
from .workers import Evaluator, Link, Query

JSON = formats.BY_EXT["json"]  # /health
# The service description: Turtle for anything that accepts everything (curl), HTML for browsers.
DESCRIPTION_FORMATS: tuple[Format, ...] = (formats.GRAPHS[0], HTML, *formats.GRAPHS[1:])
# A query sent by a browser that prefers HTML to every result format gets the query page, filled in.
QUERY_PAGE_FORMATS: tuple[Format, ...] = (*formats.SOLUTIONS, HTML)
DESCRIPTION_PREFIXES = prefixes("sd", "void", "formats", "dcterms", "rdfs", "rld")
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
_TOKEN_LIST = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~ ,-]*$")
FORMAT_PARAMETERS = ("format", "output", "results")  # SPARQLWrapper sends its returnFormat in all three
READ_ONLY = "this endpoint is read-only: SPARQL Update and Graph Store writes are not accepted"
MAX_BODY_BYTES = 1024 * 1024
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class BadRequest(Exception):
    def __init__(self, status: int, message: str, headers: Headers | None = None) -> None:
        super().__init__(message)
        self.response = text(status, message, headers)


@dataclass
class Request:
    method: str
    path: str
    query_string: bytes
    headers: dict[str, str]
    client: str
    scheme: str
    root_path: str
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def format_parameter(self) -> str | None:
        """`?format=` of a request for a resource or a document (a name such as ttl; the suffix wins over it)."""
        return (parse_parameters(self.query_string).get("format") or [None])[0]


def parse_parameters(data: bytes, charset: str = "utf-8") -> dict[str, list[str]]:
    """URL-encoded parameters, their percent-encoded bytes read in `charset` (a form body may declare another)."""
    try:
        return urllib.parse.parse_qs(
            data.decode("ascii" if charset != "utf-8" else "utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            encoding=charset,
            errors="strict",
            max_num_fields=100,
        )
    except (UnicodeDecodeError, ValueError) as e:
        raise BadRequest(400, f"cannot read the parameters as {charset}: {e}") from None


def body_charset(content_type: str | None) -> str:
    """The charset a POST body declares (UTF-8 when it declares none), as Python names it; one Python does not
    know is refused with 415 (the body cannot be read as its sender meant)."""
    declared = next(
        (
            value.strip().strip('"')
            for name, _, value in (part.partition("=") for part in (content_type or "").split(";")[1:])
            if name.strip().lower() == "charset"
        ),
        "utf-8",
    )
    try:
        name = codecs.lookup(declared).name
        # A codec that is not a text encoding (base64, rot13, zlib …) raises LookupError on any input; a text
        # encoding may only fail to read this probe (UTF-16: an odd length).
        with contextlib.suppress(UnicodeDecodeError):
            b"a".decode(name)
        return name
    except LookupError:
        raise BadRequest(
            415, f"the body's charset {declared!r} is not one this endpoint can read; send UTF-8"
        ) from None


@functools.lru_cache(maxsize=1024)
def pick_format(accept: str | None, named: tuple[str, ...], offer: tuple[Format, ...]) -> Format | None:
    """`format=` (a name such as json or a media type, as SPARQLWrapper sends it) wins over Accept.

    Memoised: clients send few distinct Accept headers, and negotiation is a large share of a cached answer.
    """
    if named:
        for value in named:
            for piece in value.split(","):
                found = formats.named(piece, offer) or formats.of_media_type(piece, offer)
                if found is not None:
                    return found
        return None
    return formats.negotiate(accept, formats=offer)


class App:
    """The ASGI application."""

    def __init__(self, settings: ServeSettings, manifest: Manifest, log: AccessLog, link: Link, network: str) -> None:
        self.settings = settings
        self.limits = settings.limits
        self.manifest = manifest
        self.out = Output(settings.out)
        self.log = log
        self.link = link
        self.network = network
        self.server: Any = None  # the uvicorn.Server running this application, stopped when it retires
        paths = settings.paths
        # The catalogue's files whose names do not say their format (.well-known/void)
        named = {path: formats.BY_EXT[ext] for path, ext in CATALOG_FILES.values()}
        self.site = static.StaticFiles([("", self.out.site), (f"{self.out.dump.name}/", self.out.dump)], named)
        self.no_site = paths.no_site_page.read_bytes()
        self.description_template = paths.service_description.read_text(encoding="utf-8")
        self.descriptions: dict[tuple[str, str], bytes] = {}
        self.cache = ResponseCache(self.limits.cache_mb * 1024 * 1024)
        self.evaluator = Evaluator(self.out.store.resolve(), self.limits, self.retire, settings.store_in == "memory")
        self.started = time.monotonic()
        self._tasks: list[asyncio.Task] = []

    def retire(self, reason: str) -> None:
        """Stop accepting connections, finish the requests in flight, then exit (`workers.py`)."""
        self.link.send({"retiring": reason})
        if self.server is not None:
            self.server.should_exit = True
            for listening in self.server.servers:
                listening.close()

    # --- ASGI -------------------------------------------------------------------------------------

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.evaluator.start()
                self._tasks.append(asyncio.get_running_loop().create_task(self.log.flush_every(0.5)))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in self._tasks:
                    task.cancel()
                self.log.flush()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            value_text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {value_text}" if key in headers else value_text
        client = scope.get("client") or ("", 0)
        request = Request(
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            headers,
            client[0],
            scope.get("scheme", "http"),
            scope.get("root_path", ""),
        )
        note: dict[str, Any] = {}
        try:
            if request.method == "POST":
                request.body = await _read_body(receive)
            response = await self.handle(request, note)
        except BadRequest as e:
            response = e.response
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = text(500, "internal server error (logged)")
        headers = response.encoded if response.encoded is not None else encode_headers(response)
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        self.log.write(
            {
                "time": now(),
                "client": request.client,
                "method": request.method,
                "path": request.path,
                "status": response.status,
                "bytes": len(response.body),
                "ms": round((time.perf_counter() - started) * 1000, 2),
                **note,
            }
        )

    # --- routing ----------------------------------------------------------------------------------

    async def handle(self, request: Request, note: dict[str, Any]) -> Response:
        path = request.path
        if request.method == "OPTIONS":
            return self.preflight(request)
        if path in ("/sparql", "/sparql/"):
            return await self.sparql(request, note)
        if request.method not in ("GET", "HEAD"):
            return text(405, f"{request.method} is not allowed here; {READ_ONLY}", [("Allow", "GET, HEAD, OPTIONS")])
        if path == "/health":
            return self.health()
        if static.is_resource_path(path):
            format_param = request.format_parameter()
            accept = request.header("accept")
            answer = static.dereference(path, self.manifest.base_iri, self.out.site, accept, format_param)
            if answer.status == 404 and not format_param and static.wants_html(path, accept):
                return self.not_found(request, answer)  # a person following a link to nothing
            return answer
        if path == "/" and not self.out.site.is_dir():
            return self.page(self.no_site)
        if path.startswith("/doc/"):
            generic = static.generic_document(
                path, self.site, request.header("accept"), request.format_parameter(), request.header("if-none-match")
            )
            if generic is not None:
                return generic
        missing = "not found" if self.out.site.is_dir() else "not found: this build has no site (DIR/site) yet"
        answer = self.files(self.site, request, missing)
        if answer.status == 404:
            if static.names_html(request.header("accept")):
                return self.not_found(request, answer)  # a browser: the page; any other client: the line of text
            answer.headers.append(("Vary", "Accept"))
        return answer

    def files(self, files: static.StaticFiles, request: Request, missing: str) -> Response:
        found = files.find(request.path)
        if found == "directory":
            name = request.path.rstrip("/").rsplit("/", 1)[-1]
            return text(301, "moved", [("Location", urllib.parse.quote(name) + "/")])
        if not isinstance(found, Path):
            return text(404, missing)
        return files.response(found, request.header("if-none-match"))

    def not_found(self, request: Request, plain: Response) -> Response:
        """The site's not-found page (site/templates/404.html) in the language of the path, with status 404; its
        <base> names the site's root as the request reached it. `plain` (the text answer) when the build has no
        site."""
        english = request.path.startswith("/en/")
        page = self.out.site / ("en/404.html" if english else "404.html")
        try:
            body = page.read_bytes()
        except OSError:
            return plain
        published = f'<base href="{iris.site_path(self.manifest.base_iri)}'
        body = body.replace(published.encode(), f'<base href="{request.root_path}/'.encode(), 1)
        return Response(404, [("Content-Type", HTML.content_type), ("Vary", "Accept")], body)

    def page(self, body: bytes) -> Response:
        return Response(
            200,
            [
                ("Content-Type", HTML.content_type),
                ("Content-Security-Policy", PAGE_POLICY),
                ("Vary", "Accept"),
            ],
            body,
        )

    def query_page(self, request: Request) -> Response:
        """The site's query page (`iris.QUERY_PAGE`, Japanese; its language switch leads to the English one), for a
        browser at /sparql: its links are relative to the site's root, beside which /sparql lies."""
        if request.path.endswith("/"):
            query = request.query_string.decode("latin-1")
            return text(301, "moved", [("Location", "../sparql" + (f"?{query}" if query else "")), ("Vary", "Accept")])
        try:
            return self.page((self.out.site / iris.QUERY_PAGE).read_bytes())
        except OSError:
            return self.page(self.no_site)

    def preflight(self, request: Request) -> Response:
        asked = request.header("access-control-request-headers") or ""
        allowed = asked if asked and _TOKEN_LIST.match(asked) else "Accept, Content-Type"
        return Response(
            204,
            [
                ("Allow", "GET, HEAD, POST, OPTIONS"),
                ("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", allowed),
                ("Access-Control-Max-Age", "86400"),
            ],
        )

    def health(self) -> Response:
        """The server's state; `workers` counts all worker processes, `this_worker` is the one answering."""
        report = {
            "status": "ok",
            "triples": self.manifest.triples,
            "base_iri": self.manifest.base_iri,
            "site": self.out.site.is_dir(),
            "store": "in memory (a copy)" if self.evaluator.in_memory else "on disk",
            "workers": self.link.status(),
            "this_worker": {**self.evaluator.counts(), "retiring": self.evaluator.retiring},
            "worker_network": self.network,
            "limits": asdict(self.limits),
            "cache": self.cache.stats(),
            "uptime_s": round(time.monotonic() - self.started, 1),
        }
        body = json.dumps(report, indent=1).encode("utf-8")
        return Response(200, [("Content-Type", JSON.content_type), ("Cache-Control", "no-store")], body)

    # --- SPARQL 1.1 Protocol ----------------------------------------------------------------------

    async def sparql(self, request: Request, note: dict[str, Any]) -> Response:
        if request.method not in ("GET", "HEAD", "POST"):
            return text(405, f"{request.method} is not allowed; {READ_ONLY}", [("Allow", "GET, HEAD, POST, OPTIONS")])
        key = (
            "POST" if request.method == "POST" else "GET",
            request.header("host"),  # a query's relative IRIs resolve against the endpoint IRI it reached
            request.query_string,
            request.header("accept"),
            request.header("content-type") if request.method == "POST" else None,
            request.body,
        )
        cached = self.cache.get(key) if self.limits.cache_mb and (request.query_string or request.body) else None
        if cached is not None:
            note["cache"] = "hit"
            return cached
        params = parse_parameters(request.query_string)
        if request.method == "POST":
            content_type = request.header("content-type")
            media_type = (content_type or "").split(";")[0].strip().lower()
            if media_type == "application/x-www-form-urlencoded":
                for name, values in parse_parameters(request.body, body_charset(content_type)).items():
                    params.setdefault(name, []).extend(values)
            elif media_type == "application/sparql-query":
                charset = body_charset(content_type)
                try:
                    params.setdefault("query", []).append(request.body.decode(charset))
                except UnicodeDecodeError:
                    return text(
                        400,
                        f"the query is not valid {charset} (the charset of the body: UTF-8 unless its Content-Type says otherwise)",
                    )
            elif media_type == "application/sparql-update":
                return text(403, READ_ONLY)
            else:
                return text(
                    415,
                    "POST a query as application/sparql-query, or as application/x-www-form-urlencoded with query=…; "
                    + READ_ONLY,
                )
        if any(name in params for name in ("update", "using-graph-uri", "using-named-graph-uri")):
            return text(403, READ_ONLY)
        queries = params.get("query", [])
        if len(queries) > 1:
            return text(400, "give exactly one query parameter")
        if not queries:
            if request.method == "POST":
                return text(400, "no query: send query=… (form) or the query itself (application/sparql-query)")
            if "graph" in params or "default" in params:
                return text(400, "the SPARQL Graph Store Protocol is not offered here; use a CONSTRUCT query")
            return self.description(request)
        query = queries[0]
        named = tuple(next((params[p] for p in FORMAT_PARAMETERS if p in params), []))
        accept = request.header("accept")
        if request.method != "POST" and not named and pick_format(accept, (), QUERY_PAGE_FORMATS) is HTML:
            return self.query_page(request)  # a browser following a link to a query
        solutions = pick_format(accept, named, formats.SOLUTIONS)
        graph = pick_format(accept, named, formats.GRAPHS)
        note["cache"] = "miss"
        # A relative IRI in a query without BASE resolves against the endpoint's IRI as the request reached it
        # (as Oxigraph's server does; W3C protocol test query_content_type_construct).
        base = f"{self.reached(request)}{request.path.lstrip('/')}"
        answer = await self.evaluate(
            query, solutions, graph, params.get("default-graph-uri"), params.get("named-graph-uri"), note, base
        )
        note["rows"] = answer.rows
        headers: Headers = [("Content-Type", answer.content_type), ("Vary", "Accept")]
        if answer.status == 200:
            headers.append(("Result-Count", str(answer.rows)))  # solutions, triples, or 1 for ASK
            if request.method != "POST":
                headers.append(("Cache-Control", "public, max-age=300"))
        if answer.limit:
            note["limit"] = answer.limit
            limit = {
                "time": f"time; limit={self.limits.time_limit_s:g}s",
                "rows": f"rows; limit={self.limits.max_rows}",
                "memory": f"memory; limit={self.limits.memory_mb}MiB",
                "busy": "busy",
            }[answer.limit]
            headers.append(("Query-Limit-Exceeded", limit))
            if answer.limit in ("busy", "memory"):
                headers.append(("Retry-After", "1"))
        response = Response(answer.status, headers, answer.body)
        if answer.status == 200 and not note.get("volatile") and self.limits.cache_mb:
            self.cache.put(key, response)
        return response

    async def evaluate(
        self,
        query: str,
        solutions: Format | None,
        graph: Format | None,
        default_graph: list[str] | None,
        named_graphs: list[str] | None,
        note: dict[str, Any],
        base_iri: str | None = None,
    ) -> Answer:
        """Check the query, then have a query thread evaluate it within the limits."""
        if len(query) > self.limits.max_query_chars:
            return text_answer(
                413, f"the query has {len(query):,} characters; the limit is {self.limits.max_query_chars:,}"
            )
        try:
            seen = check(query, self.limits.max_depth)
        except QueryRefused as e:
            note["refused"] = e.message.split(":")[0]
            return text_answer(e.status, e.message)
        note["form"] = seen.form
        note["volatile"] = seen.volatile
        if seen.form in ("SELECT", "ASK") and solutions is None:
            return text_answer(406, f"{seen.form} results are available as: {formats.offered(formats.SOLUTIONS)}")
        if seen.form in ("CONSTRUCT", "DESCRIBE") and graph is None:
            return text_answer(406, f"{seen.form} results are available as: {formats.offered(formats.GRAPHS)}")
        return await self.evaluator.run(
            Query(query, solutions, graph, default_graph, named_graphs, not seen.dataset, base_iri)
        )

    def description(self, request: Request) -> Response:
        """The SPARQL 1.1 Service Description with VoID, in the format asked for; HTML is the query page."""
        named = tuple(parse_parameters(request.query_string).get("format", []))
        fmt = pick_format(request.header("accept"), named, DESCRIPTION_FORMATS)
        headers: Headers = [("Vary", "Accept")]
        if fmt is None:
            return text(
                406, f"the service description is available as: {formats.offered(DESCRIPTION_FORMATS)}", headers
            )
        if fmt is HTML:
            return self.query_page(request)
        root = self.reached(request)
        key = (root, fmt.ext)
        if key not in self.descriptions:
            if len(self.descriptions) > 64:
                self.descriptions.clear()
            self.descriptions[key] = self._description(root, fmt)
        return Response(200, [("Content-Type", fmt.content_type), *headers], self.descriptions[key])

    def reached(self, request: Request) -> str:
        """The server's root as the request reached it (scheme, Host, mount path), ending in "/"; a Host header
        that is not a host name is replaced by the address the server listens on."""
        host = request.header("host") or ""
        if not _HOST.match(host):
            host = f"{self.settings.host}:{self.settings.port}"
        return f"{request.scheme}://{host}{request.root_path}/"

    def _description(self, root: str, fmt: Format) -> bytes:
        triples = [q.triple for q in ox.parse(self.description_template, ox.RdfFormat.TURTLE, base_iri=root)]
        graph = ox.NamedNode(root + "sparql#default-graph")
        m = self.manifest

        def add(subject: ox.NamedNode, predicate: str, obj: ox.NamedNode | ox.Literal) -> None:
            triples.append(ox.Triple(subject, ox.NamedNode(VOID + predicate), obj))

        def count(n: int) -> ox.Literal:
            return ox.Literal(str(n), datatype=ox.NamedNode(XSD_INTEGER))

        add(graph, "triples", count(m.triples))
        add(graph, "distinctSubjects", count(m.subjects))
        add(graph, "properties", count(m.properties))
        add(graph, "classes", count(len(m.classes)))
        add(graph, "uriSpace", ox.Literal(iris.id_space(m.base_iri)))
        add(graph, "exampleResource", ox.NamedNode(iris.resource_iri(m.base_iri, "network", "001")))
        for dump in m.dumps:
            add(graph, "dataDump", ox.NamedNode(root + dump))
        for i, (cls, n) in enumerate(m.classes.items(), 1):
            partition = ox.NamedNode(f"{root}sparql#class-{i}")
            add(graph, "classPartition", partition)
            add(partition, "class", ox.NamedNode(cls))
            add(partition, "entities", count(n))
        dataset = ox.NamedNode(root + "sparql#dataset")
        for i, (name, n) in enumerate(m.graphs.items(), 1):  # sd:NamedGraph: its name, and its triples
            named, described = ox.NamedNode(f"{root}sparql#named-graph-{i}"), ox.NamedNode(f"{root}sparql#graph-{i}")
            triples.append(ox.Triple(dataset, ox.NamedNode(SD + "namedGraph"), named))
            triples.append(ox.Triple(named, ox.NamedNode(RDF + "type"), ox.NamedNode(SD + "NamedGraph")))
            triples.append(ox.Triple(named, ox.NamedNode(SD + "name"), ox.NamedNode(name)))
            triples.append(ox.Triple(named, ox.NamedNode(SD + "graph"), described))
            triples.append(ox.Triple(described, ox.NamedNode(RDF + "type"), ox.NamedNode(SD + "Graph")))
            add(described, "triples", count(n))
        return serialize_triples(triples, fmt, DESCRIPTION_PREFIXES)


async def _read_body(receive: Any) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if len(body) > MAX_BODY_BYTES:
            raise BadRequest(413, f"the request body is larger than {MAX_BODY_BYTES:,} bytes")
        if not message.get("more_body"):
            break
    return bytes(body)
