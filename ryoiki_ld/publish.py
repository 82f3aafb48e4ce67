"""publish: put a build's named graphs into triple stores that already run, over the SPARQL 1.1 Graph Store HTTP
Protocol (GSP), and check that each store holds exactly what was sent.

Each graph of the N-Quads dump is sent with `PUT {store}?graph={graph IRI}` (so publishing again replaces, never
duplicates), as N-Triples (N-Triples is Turtle too: a store that refuses `application/n-triples` gets it as
`text/turtle`). Verifying asks the store's SPARQL endpoint for a graph-scoped COUNT and reads the graph back with
GSP `GET`, comparing after the one normalisation stores differ on (integer subtypes such as
xsd:nonNegativeInteger, which Oxigraph keeps as xsd:integer). docs/publishing.md says how to use it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pyoxigraph as ox

from .config import Output
from .errors import RyoikiError
from .rdf import INTEGER_SUBTYPES, XSD_INTEGER

Echo = Callable[[str], None]

NTRIPLES, TURTLE = "application/n-triples", "text/turtle"
ACCEPT = f"{NTRIPLES}, {TURTLE};q=0.9, application/rdf+xml;q=0.5"
PARSERS = {NTRIPLES: ox.RdfFormat.N_TRIPLES, TURTLE: ox.RdfFormat.TURTLE, "text/plain": ox.RdfFormat.N_TRIPLES}
PARSERS["application/rdf+xml"] = ox.RdfFormat.RDF_XML
RETRIED_STATUS = frozenset({502, 503, 504})  # the store is there but busy or restarting: try again
SAMPLES = 3  # differing triples shown when a read-back graph is not the one sent
_INTEGER = re.compile(r"[+-]?[0-9]+")  # an integer literal's lexical form (an ill-typed one is left as it is)
SUBJECTS_PER_QUERY = 2000  # a large graph is read back with CONSTRUCT queries of this many subjects each


class PublishError(RyoikiError):
    """A graph could not be sent or checked (exit 2): the message names the endpoint, the graph and the reason."""


class VerifyError(RyoikiError):
    """A store holds something else than what was sent (exit 1)."""

    exit_code = 1


@dataclass(frozen=True)
class Graph:
    iri: str
    body: bytes  # N-Triples, in the dump's order (sorted): the same bytes on every run
    triples: int


@dataclass(frozen=True)
class Endpoint:
    store: str  # the GSP service URL
    query: str  # the SPARQL query endpoint of the same store (for the COUNT)
    bulk: str = ""  # a query parameter with which the store's POST loads in bulk (data/store_layouts.csv)


@dataclass(frozen=True)
class Layout:
    """How a store lays out its endpoints (a row of data/store_layouts.csv)."""

    gsp_end: str  # the GSP URL's path ends with this
    query_end: str  # and the query endpoint's path is the same with this ending instead
    bulk: str  # the query parameter of a bulk (non-transactional) POST, if the store has one


@dataclass(frozen=True)
class Credentials:
    scheme: str  # none, basic or digest
    user: str = ""
    password: str = field(default="", repr=False)  # never printed


@dataclass
class Outcome:
    """What reached one endpoint: graph IRI → "published", "verified", "differs" or "failed"; the errors met."""

    endpoint: Endpoint
    graphs: dict[str, str] = field(default_factory=dict)
    errors: list[RyoikiError] = field(default_factory=list)


def read_graphs(out: Output) -> list[Graph]:
    """The named graphs of a build, from its N-Quads dump (each line `<s> <p> o <g> .`)."""
    if not out.dump_nq.is_file():
        raise RyoikiError(f"no built dump in {out.root} ({out.dump_nq.name} missing): run `ryoiki-ld build` first")
    lines: dict[str, list[str]] = {}
    try:
        with out.dump_nq.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                parts = line.rstrip("\n").rsplit(" ", 2)
                if len(parts) != 3 or parts[2] != "." or not parts[1].startswith("<"):
                    raise RyoikiError(f"{out.dump_nq}:{number}: not a quad in a named graph; rebuild")
                lines.setdefault(parts[1][1:-1], []).append(parts[0] + " .\n")
    except UnicodeDecodeError:
        raise RyoikiError(f"{out.dump_nq}: not UTF-8; rebuild") from None
    return [Graph(g, "".join(ls).encode("utf-8"), len(ls)) for g, ls in sorted(lines.items())]


def read_layouts(path: Path) -> list[Layout]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Layout(row["gsp_path_ends"], row["query_path_ends"], row["bulk_parameter"]) for row in csv.DictReader(f)
        ]


def endpoints(stores: list[str], queries: list[str], layouts: list[Layout]) -> list[Endpoint]:
    """Pair each GSP URL with its query endpoint: given (`--query-endpoint`, in the same order) or told from the
    store's layout (data/store_layouts.csv), which also says whether the store loads in bulk."""
    if queries and len(queries) != len(stores):
        raise RyoikiError(
            f"{len(stores)} --endpoint but {len(queries)} --query-endpoint: give one query endpoint per endpoint, "
            "in the same order, or none"
        )
    for option, url in [*(("--endpoint", u) for u in stores), *(("--query-endpoint", u) for u in queries)]:
        _check_url(option, url)
    found = []
    for i, store in enumerate(stores):
        parts = urlsplit(store)
        layout = next((lay for lay in layouts if parts.path.endswith(lay.gsp_end)), None)
        if queries:
            query = queries[i]
        elif layout is not None:
            path = parts.path[: -len(layout.gsp_end)] + layout.query_end
            query = parts._replace(path=path, query="").geturl()
        else:
            raise RyoikiError(
                f"--endpoint {store}: cannot tell this store's SPARQL query endpoint from its URL; give it with "
                "--query-endpoint"
            )
        found.append(Endpoint(store, query, layout.bulk if layout else ""))
    return found


def _check_url(option: str, url: str) -> None:
    """An http(s) URL with a host and, if any, a port number: what `Client` can connect to."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (raises for a port that is not a number in range)
    except ValueError:
        raise RyoikiError(f"{option} {url}: the port is not a number from 0 to 65535") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RyoikiError(f"{option} {url}: not an http(s) URL")


def credentials(scheme: str, user: str | None, password_env: str | None) -> Credentials:
    """The credentials to send; the password only ever comes from the environment variable named."""
    if scheme == "none":
        return Credentials("none")
    if not user or not password_env:
        raise RyoikiError(f"--auth {scheme} needs --user and --password-env (the variable holding the password)")
    password = os.environ.get(password_env)
    if password is None:
        raise RyoikiError(f"--password-env {password_env}: the environment variable is not set")
    return Credentials(scheme, user, password)


@dataclass
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()

    def message(self) -> str:
        """The server's own words, shortened to one line."""
        text = re.sub(r"<[^>]+>", " ", self.body[:2000].decode("utf-8", "replace"))
        text = " ".join(text.split())[:300]
        return f"HTTP {self.status} {self.reason}" + (f": {text}" if text else "")


class Client:
    """HTTP to one store: authentication (basic, or digest with the challenge fetched before any body is sent: a
    store may reset a connection that sends a large body unauthenticated), retries with backoff on connection
    errors and 502/503/504, a time limit per request."""

    def __init__(self, credentials: Credentials, timeout: float, retries: int, backoff: float = 0.5) -> None:
        self.credentials, self.timeout, self.retries, self.backoff = credentials, timeout, retries, backoff
        self.challenge: dict[str, str] | None = None
        self.count = 0  # digest nonce count

    def request(
        self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        headers = dict(headers or {})
        if self.credentials.scheme == "digest" and self.challenge is None and body is not None:
            self._challenge(url)
        for refreshed in (False, True):
            sent = dict(headers)
            authorization = self._authorization(method, url)
            if authorization:
                sent["Authorization"] = authorization
            response = self._send(method, url, body, sent)
            if response.status != 401 or self.credentials.scheme != "digest" or refreshed:
                return response
            challenge = _digest_challenge(response)
            if challenge is None:
                return response
            self.challenge, self.count = challenge, 0  # a new or stale nonce: once more with it
        return response

    def _challenge(self, url: str) -> None:
        probe = self._send("HEAD", url, None, {})
        if probe.status == 401:
            self.challenge = _digest_challenge(probe)

    def _authorization(self, method: str, url: str) -> str | None:
        c = self.credentials
        if c.scheme == "basic":
            return "Basic " + base64.b64encode(f"{c.user}:{c.password}".encode()).decode("ascii")
        if c.scheme != "digest" or self.challenge is None:
            return None
        ch = self.challenge
        parts = urlsplit(url)
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
        algorithm = ch.get("algorithm", "MD5")
        if algorithm.upper() not in ("MD5", "SHA-256"):
            raise PublishError(f"{url}: the store asks for digest algorithm {algorithm}, which is not supported")
        digest = hashlib.sha256 if algorithm.upper() == "SHA-256" else hashlib.md5

        def h(text: str) -> str:
            return digest(text.encode("utf-8")).hexdigest()

        ha1, ha2 = h(f"{c.user}:{ch.get('realm', '')}:{c.password}"), h(f"{method}:{uri}")
        fields = {"username": c.user, "realm": ch.get("realm", ""), "nonce": ch.get("nonce", ""), "uri": uri}
        if "auth" in [q.strip() for q in ch.get("qop", "").split(",")]:
            self.count += 1
            nc, cnonce = f"{self.count:08x}", secrets.token_hex(8)
            fields |= {"qop": "auth", "nc": nc, "cnonce": cnonce}
            fields["response"] = h(f"{ha1}:{ch['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        else:
            fields["response"] = h(f"{ha1}:{ch.get('nonce', '')}:{ha2}")
        if "opaque" in ch:
            fields["opaque"] = ch["opaque"]
        fields["algorithm"] = algorithm
        unquoted = {"qop", "nc", "algorithm"}
        return "Digest " + ", ".join(f"{k}={v}" if k in unquoted else f'{k}="{v}"' for k, v in fields.items())

    def _send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Response:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        for attempt in range(self.retries + 1):
            connection = kind(parts.hostname, parts.port, timeout=self.timeout)
            try:
                connection.request(method, target or "/", body=body, headers=headers)
                raw = connection.getresponse()
                response = Response(raw.status, raw.reason, raw.headers, raw.read())
            except TimeoutError:
                raise PublishError(f"no answer within {self.timeout:g} s") from None
            except (ConnectionError, http.client.HTTPException, socket.gaierror, OSError) as e:
                if attempt == self.retries:
                    raise PublishError(f"cannot connect ({_reason(e)}; tried {attempt + 1} times)") from None
            else:
                if response.status not in RETRIED_STATUS or attempt == self.retries:
                    return response
            finally:
                connection.close()
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")


def _reason(e: BaseException) -> str:
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def _digest_challenge(response: Response) -> dict[str, str] | None:
    for value in response.headers.get_all("WWW-Authenticate") or []:
        if value.lower().startswith("digest "):
            return {k.lower(): v1 or v2 for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', value[7:])}
    return None


def graph_url(store: str, graph: str) -> str:
    return f"{store}{'&' if '?' in store else '?'}{urlencode({'graph': graph}, quote_via=quote)}"


def pieces(graph: Graph, size: int) -> list[bytes]:
    """The graph's N-Triples in pieces of at most `size` triples. A graph with blank nodes stays whole: a blank
    node's triples must arrive in one request, or the store makes several nodes of it."""
    if graph.triples <= size or b"_:" in graph.body:
        return [graph.body]
    lines = graph.body.splitlines(keepends=True)
    return [b"".join(lines[i : i + size]) for i in range(0, len(lines), size)]


def put_graph(client: Client, endpoint: Endpoint, graph: Graph, media_types: list[str], size: int) -> int:
    """Replace the graph in the store with `graph`. A store that loads in bulk (Oxigraph server) gets an empty PUT
    (the graph emptied) and one bulk POST: 3× faster than a PUT there, from 31,000 triples to a million. Any other
    gets pieces of `size` triples, the first with PUT and the others added with POST (one request of a million
    triples is slow in every store tried, and Virtuoso stalls on it). media_types: the order to try; the one
    accepted moves first. Returns the number of requests."""
    url = graph_url(endpoint.store, graph.iri)
    if endpoint.bulk:
        _send_piece(client, "PUT", url, b"", media_types)
        _send_piece(client, "POST", f"{url}&{endpoint.bulk}", graph.body, media_types)
        return 2
    bodies = pieces(graph, size)
    for i, body in enumerate(bodies):
        _send_piece(client, "PUT" if i == 0 else "POST", url, body, media_types)
    return len(bodies)


def _send_piece(client: Client, method: str, url: str, body: bytes, media_types: list[str]) -> None:
    for media_type in list(media_types):
        response = client.request(method, url, body, {"Content-Type": media_type})
        if response.status == 415 and media_type != media_types[-1]:
            continue
        if response.status in (401, 403):
            raise PublishError(f"authentication refused ({response.message()})")
        if not 200 <= response.status < 300:
            raise PublishError(f"{method}: {response.message()}")
        media_types.remove(media_type)
        media_types.insert(0, media_type)
        return


def count(client: Client, endpoint: Endpoint, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    response = client.request(
        "POST",
        endpoint.query,
        urlencode({"query": query}).encode("ascii"),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
    )
    if response.status != 200:
        raise PublishError(f"the COUNT query failed at {endpoint.query}: {response.message()}")
    try:
        return int(json.loads(response.body)["results"]["bindings"][0]["n"]["value"])
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise PublishError(f"the COUNT query at {endpoint.query} gave no count ({e})") from None


def read_back(client: Client, endpoint: Endpoint, graph: Graph, sent: set[ox.Triple], size: int) -> set[ox.Triple]:
    """The graph as the store holds it: with GSP GET, or for a graph of more than `size` triples (without blank
    nodes) with CONSTRUCT queries for the subjects of the triples `sent`, a batch at a time (Virtuoso's GET fails
    above 1,000,000 triples: "max vector length")."""
    if graph.triples <= size or b"_:" in graph.body:
        response = client.request("GET", graph_url(endpoint.store, graph.iri), None, {"Accept": ACCEPT})
        return _parsed(response, "reading the graph back")
    subjects = sorted({t.subject for t in sent}, key=str)
    found: set[ox.Triple] = set()
    for i in range(0, len(subjects), SUBJECTS_PER_QUERY):
        values = " ".join(map(str, subjects[i : i + SUBJECTS_PER_QUERY]))
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} GRAPH <{graph.iri}> {{ ?s ?p ?o }} }}"
        response = client.request(
            "POST",
            endpoint.query,
            urlencode({"query": query}).encode("ascii"),
            # N-Triples: Virtuoso's Turtle writes the xsd:decimal 0 as a bare `0`, which Turtle reads as an integer.
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": NTRIPLES},
        )
        found |= _parsed(response, f"reading the graph back at {endpoint.query}")
    return found


def _parsed(response: Response, doing: str) -> set[ox.Triple]:
    if response.status != 200:
        raise PublishError(f"{doing} failed: {response.message()}")
    fmt = PARSERS.get(response.media_type)
    if fmt is None:
        raise PublishError(f"{doing}: it came as {response.media_type or 'no media type'}, which is not RDF")
    try:
        return normalised(ox.parse(input=response.body, format=fmt))
    except SyntaxError as e:
        raise PublishError(f"{doing}: unparsable as {response.media_type}: {e}") from None


def normalised(triples: Iterator[ox.Quad] | list[ox.Triple]) -> set[ox.Triple]:
    """Triples with every integer subtype as xsd:integer, as stores that keep only xsd:integer give them back."""
    found = set()
    for t in triples:
        triple = t.triple if isinstance(t, ox.Quad) else t
        o = triple.object
        if isinstance(o, ox.Literal) and o.datatype.value in INTEGER_SUBTYPES and _INTEGER.fullmatch(o.value):
            o = ox.Literal(str(int(o.value)), datatype=ox.NamedNode(XSD_INTEGER))
            triple = ox.Triple(triple.subject, triple.predicate, o)
        found.add(triple)
    return found


def verify(client: Client, endpoint: Endpoint, graph: Graph, size: int) -> None:
    """The store's graph-scoped COUNT equals the triples sent, and the graph read back is the graph sent."""
    held = count(client, endpoint, graph.iri)
    if held != graph.triples:
        raise VerifyError(
            f"{endpoint.store}: graph <{graph.iri}> holds {held:,} triples, {graph.triples:,} were sent"
            + (" (a result limit such as Virtuoso's ResultSetMaxRows?)" if held < graph.triples else "")
        )
    sent = normalised(ox.parse(input=graph.body, format=ox.RdfFormat.N_TRIPLES))
    got = read_back(client, endpoint, graph, sent, size)
    if got != sent:
        missing, extra = sent - got, got - sent
        sample = [f"- {t}" for t in sorted(map(str, missing))[:SAMPLES]] + [
            f"+ {t}" for t in sorted(map(str, extra))[:SAMPLES]
        ]
        raise VerifyError(
            f"{endpoint.store}: graph <{graph.iri}> read back differs from what was sent: {len(missing):,} missing, "
            f"{len(extra):,} not sent; for example\n  " + "\n  ".join(sample)
        )


def publish(
    graphs: list[Graph],
    targets: list[Endpoint],
    creds: Credentials,
    echo: Echo,
    check: bool = True,
    timeout: float = 300.0,
    retries: int = 4,
    piece_triples: int = 50_000,
) -> list[Outcome]:
    """Send every graph to every endpoint (then verify it there). An endpoint that fails is left at the graph that
    failed and the others still get theirs; the outcomes say which graphs reached which endpoint."""
    outcomes = []
    for endpoint in targets:
        outcome = Outcome(endpoint)
        outcomes.append(outcome)
        client = Client(creds, timeout, retries)
        media_types = [NTRIPLES, TURTLE]
        echo(f"{endpoint.store} (queries: {endpoint.query})")
        for graph in graphs:
            started = time.perf_counter()
            try:
                requests = put_graph(client, endpoint, graph, media_types, piece_triples)
                outcome.graphs[graph.iri] = "published"
                took = time.perf_counter() - started
                echo(
                    f"  <{graph.iri}>  {graph.triples:,} triples  {len(graph.body):,} bytes  {took:.2f} s"
                    + (f"  ({requests} requests{', bulk' if endpoint.bulk else ''})" if requests > 1 else "")
                )
                if check:
                    verify(client, endpoint, graph, piece_triples)
                    outcome.graphs[graph.iri] = "verified"
            except VerifyError as e:  # it arrived, but differs: the other graphs can still go
                outcome.graphs[graph.iri] = "differs"
                outcome.errors.append(e)
                echo(f"  <{graph.iri}>  {e}")
            except PublishError as e:  # this store is not taking graphs now: stop sending to it
                outcome.graphs[graph.iri] = "failed"
                outcome.errors.append(PublishError(f"{endpoint.store}: graph <{graph.iri}>: {e}"))
                echo(f"  <{graph.iri}>  failed: {e}")
                break
    return outcomes


def summary(graphs: list[Graph], outcomes: list[Outcome]) -> tuple[list[str], int]:
    """The lines saying which graphs reached which endpoint, and the exit status: 0 every graph there (and verified
    when asked), 1 a store holds something else than was sent, 2 a graph did not arrive."""
    lines, status = [], 0
    for outcome in outcomes:
        arrived = sum(1 for g in graphs if outcome.graphs.get(g.iri) in ("published", "verified", "differs"))
        lines.append(f"{outcome.endpoint.store}: {arrived} of {len(graphs)} graphs arrived")
        lines.extend(f"  {outcome.graphs.get(g.iri, 'not sent'):<9} <{g.iri}>" for g in graphs)
        lines.extend(f"  error: {e}" for e in outcome.errors)
        if arrived < len(graphs):
            status = 2
        elif outcome.errors:
            status = max(status, 1)
    return lines, status
