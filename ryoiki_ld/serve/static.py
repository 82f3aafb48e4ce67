"""Files that `serve` sends as they are: the built site and the dumps; `/id/` → 303; generic documents.

The built site (`DIR/site/`, from the site stage, with the query page) is served at `/`, the dumps at
`/dump/`. A request path becomes a file path only when every segment is a plain
name (no `..`, no dot files, no backslash) and the file, symbolic links resolved, lies inside its root.

Resource IRIs are `{base}id/{kind}/{key}`: `/id/network/001` answers 303 See Other to the document
that content negotiation picks (`formats.negotiate`: a suffix such as `.ttl` wins over `?format=`, which
wins over `Accept`), with a relative Location so that the site works under any path: Cool URIs for the
Semantic Web §4.3, "303 URIs forwarding to different documents", so that a static host without content
negotiation serves what the 303 names. The generic document `/doc/network/001` (no suffix) negotiates the
same way and answers 200 with the variant, `Vary: Accept` and a `Content-Location` naming it (§4.2's generic
document). Media types come from the format table (`formats.for_file`).
"""

from __future__ import annotations

import hashlib
import urllib.parse
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from .. import formats, iris
from ..formats import Format
from ..rdf import ONTOLOGY
from .responses import Response, text


def safe_relative(path: str) -> Path | None:
    """The request path as a relative file path, or None when any segment could escape or hide.

    The one dot directory served is a leading `.well-known` (RFC 8615), where the VoID description lives.
    """
    segments = [s for s in path.split("/") if s]
    for i, segment in enumerate(segments):
        if segment == ".well-known" and i == 0:
            continue
        if segment.startswith(".") or "\\" in segment or "\x00" in segment or ":" in segment:
            return None
    return Path(*segments) if segments else Path()


@dataclass
class StaticFiles:
    """Plain files under `roots`: URL prefix ('' or 'dump/') → directory. A file's media type is its
    extension's; `named` gives the format of files whose name does not say it (`.well-known/void`)."""

    roots: list[tuple[str, Path]]
    named: dict[str, Format]
    max_age_s: int = 300

    def find(self, path: str) -> Path | str | None:
        """The file for `path`; 'directory' when it names a directory without a trailing slash. A path with an
        empty segment (`/doc//network/001`) names nothing: a page served there would resolve its relative links
        against the wrong folder."""
        if "//" in path:
            return None
        relative_url = path.lstrip("/")
        for prefix, root in self.roots:
            if not relative_url.startswith(prefix) or not root.is_dir():
                continue
            relative = safe_relative(relative_url[len(prefix) :])
            if relative is None:
                return None
            candidate = root / relative
            if candidate.is_dir():
                if not path.endswith("/"):
                    return "directory"
                candidate = candidate / "index.html"
            try:
                resolved = candidate.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if resolved.is_file() and resolved.is_relative_to(root.resolve()):
                return resolved
        return None

    def response(self, file: Path, if_none_match: str | None) -> Response:
        stat = file.stat()
        etag = '"' + hashlib.sha1(f"{stat.st_mtime_ns}-{stat.st_size}-{file}".encode()).hexdigest()[:20] + '"'
        fmt = self.named.get(f"{file.parent.name}/{file.name}") or formats.for_file(file.name)
        media_type = fmt.content_type if fmt else "application/octet-stream"
        headers = [
            ("ETag", etag),
            ("Last-Modified", formatdate(stat.st_mtime, usegmt=True)),
            ("Cache-Control", f"public, max-age={self.max_age_s}"),
        ]
        if if_none_match and matches(if_none_match, etag):
            return Response(304, headers)
        return Response(200, [("Content-Type", media_type), *headers], file.read_bytes())


def matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match by weak comparison (RFC 9110 §13.1.3): `*`, or a listed tag, weak (W/) or not, equal to ours."""
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or etag in (t.removeprefix("W/") for t in tags)


def format_suffix(path: str) -> str | None:
    """The format suffix of a resource IRI's path (`/id/network/001.ttl` → "ttl"); keys contain no dot, so a dot
    starts one (as in the site's Apache and nginx rules)."""
    _, dot, suffix = path.rsplit("/", 1)[-1].partition(".")
    return suffix if dot else None


VARY = ("Vary", "Accept")


def choose_document(what: str, accept: str | None, format_param: str | None, suffix: str | None) -> Format | Response:
    """The document format a request asks for (suffix > `format=` > Accept); 400 for a format we do not know by
    that name, 406 when Accept takes none of ours. `what` names the resource in those answers."""
    offered = ", ".join(f"{f.media_type} (format={f.name} or .{f.ext})" for f in formats.DOCUMENTS)
    for named in (suffix, format_param):
        if named is not None and formats.named(named, formats.DOCUMENTS) is None:
            return text(400, f"no format is named {named!r}; {what} is described in: {offered}", [VARY])
    fmt = formats.negotiate(accept, format_param, suffix)
    if fmt is None:
        return text(406, f"{what} is described in: {offered}", [VARY])
    return fmt


def dereference(path: str, base: str, site: Path, accept: str | None, format_param: str | None) -> Response:
    """303 from a resource IRI (`/id/{kind}/{key}`, `/def`) to its document, by content negotiation."""
    suffix = format_suffix(path)
    resource = path if suffix is None else path[: len(path) - len(suffix) - 1]
    iri = ONTOLOGY if resource == "/def" else base + resource.lstrip("/")
    document = iris.document_path(iri, base)
    vary = [VARY]
    if document is None or safe_relative(document) is None:
        return text(404, f"no resource is named {iri}", vary)
    fmt = choose_document(iri, accept, format_param, suffix)
    if isinstance(fmt, Response):
        return fmt
    if not site.is_dir():
        return text(404, f"{iri}: this build has no site (DIR/site) yet, so there is no document", vary)
    if not (site / f"{document}.{fmt.ext}").is_file():
        return text(404, f"no resource is named {iri}", vary)
    up = "../" * (resource.count("/") - 1)
    location = urllib.parse.quote(f"{up}{document}.{fmt.ext}", safe="/.-_~")
    return text(303, f"See {location}", [*vary, ("Location", location)])


def generic_document(
    path: str, files: StaticFiles, accept: str | None, format_param: str | None, if_none_match: str | None
) -> Response | None:
    """A document named without its suffix (`/doc/network/001`, `/doc/def`): the variant that content negotiation
    picks, with `Vary: Accept` and a `Content-Location` naming it (RFC 9110 §8.7, relative to the request). None
    when `path` is not a document's generic name (the caller answers as for any other path)."""
    if not path.startswith("/doc/") or format_suffix(path) is not None or path.endswith("/"):
        return None
    if not isinstance(files.find(f"{path}.{formats.HTML.ext}"), Path):
        return None  # every document has a page; without one, the path names no document
    fmt = choose_document(path, accept, format_param, None)
    if isinstance(fmt, Response):
        return fmt
    variant = files.find(f"{path}.{fmt.ext}")
    if not isinstance(variant, Path):
        return None
    answer = files.response(variant, if_none_match)
    location = urllib.parse.quote(f"{path.rsplit('/', 1)[1]}.{fmt.ext}", safe="/.-_~")
    answer.headers.extend([VARY, ("Content-Location", location)])
    return answer


def wants_html(path: str, accept: str | None) -> bool:
    """Whether a request for a resource IRI asks for its page (by suffix, or by Accept as `dereference` does)."""
    return formats.negotiate(accept, None, format_suffix(path)) is formats.HTML


def names_html(accept: str | None) -> bool:
    """Whether a client names HTML in Accept, as browsers do (curl and libraries send */* or nothing)."""
    return bool(accept) and any(t in accept.lower() for t in ("text/html", "application/xhtml+xml"))


def is_resource_path(path: str) -> bool:
    return path.startswith("/" + iris.ID) or path == "/def" or path.startswith("/def.")
