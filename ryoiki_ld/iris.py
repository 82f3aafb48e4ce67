"""IRIs and their documents: the one place that knows how a resource IRI becomes a document path and format.

Instances are `{base}id/{kind}/{key}`; their documents `{base}doc/{kind}/{key}.{ext}` (design.md). The
vocabulary's hash IRIs (`…/def#Network`) share one document, `doc/def.{ext}`, and any other hash IRI is
described in its base IRI's document. `serve` answers `/id/…` with 303 to the document that content
negotiation picks; the site's Apache and nginx rules do the same.
"""

from __future__ import annotations

from dataclasses import dataclass

VOCABULARY = "https://w3id.org/ryoiki-ld/def#"
ONTOLOGY = "https://w3id.org/ryoiki-ld/def"


@dataclass(frozen=True, eq=False)
class Format:
    """One document or result format. Each is one object, compared and hashed by identity: negotiation is
    memoised on tuples of them (`server.pick_format`), and a field-by-field hash cost more than the lookup."""

    ext: str
    media_type: str
    names: tuple[str, ...]  # what `?format=` (and a suffix) may say
    aliases: tuple[str, ...] = ()  # other media types that mean this format


# Server preference when a client accepts several equally: HTML first (browsers send */*).
FORMATS: tuple[Format, ...] = (
    Format("html", "text/html", ("html", "htm"), ("application/xhtml+xml",)),
    Format("ttl", "text/turtle", ("ttl", "turtle"), ("application/x-turtle",)),
    Format("jsonld", "application/ld+json", ("jsonld", "json-ld", "json"), ("application/json",)),
    Format("nt", "application/n-triples", ("nt", "ntriples", "n-triples")),
)
BY_EXT = {f.ext: f for f in FORMATS}
_BY_NAME = {name: f for f in FORMATS for name in f.names}
_BY_MEDIA_TYPE = {t: f for f in FORMATS for t in (f.media_type, *f.aliases)}


def resource_iri(base: str, kind: str, key: str) -> str:
    return f"{base}id/{kind}/{key}"


def document_path(iri: str, base: str) -> str | None:
    """The site path (without extension) of the document describing `iri`; None for IRIs we do not mint.

    A hash IRI (`…/def#Network`, `…/id/dataset/ryoiki-ld#fy2019`) is described in its base IRI's document.
    """
    iri = iri.partition("#")[0]
    if iri == ONTOLOGY:
        return "doc/def"
    if iri.startswith(base + "id/"):
        kind, _, key = iri[len(base) + 3 :].partition("/")
        if kind and key and "/" not in key:
            return f"doc/{kind}/{key}"
    return None


def format_named(name: str, formats: tuple[Format, ...] = FORMATS) -> Format | None:
    """The format a `?format=` value or a file suffix names (case-insensitive), or None."""
    name = name.strip().lower().lstrip(".")
    if formats is FORMATS:
        return _BY_NAME.get(name)
    return next((f for f in formats if name in f.names), None)


def _accepted(accept: str) -> list[tuple[float, int, str]]:
    """(q, specificity, media range) for each entry of an Accept header; malformed q counts as 0."""
    ranges = []
    for entry in accept.split(","):
        media_range, *params = (p.strip() for p in entry.split(";"))
        if not media_range:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        specificity = 0 if media_range == "*/*" else 1 if media_range.endswith("/*") else 2
        ranges.append((q, specificity, media_range.lower()))
    return ranges


def _quality(fmt: Format, ranges: list[tuple[float, int, str]]) -> float:
    """RFC 9110 §12.5.1: the q of the most specific range that matches any media type of the format."""
    best: tuple[int, float] | None = None
    for q, specificity, media_range in ranges:
        for media_type in (fmt.media_type, *fmt.aliases):
            kind = media_type.split("/")[0]
            if media_range in (media_type, f"{kind}/*", "*/*") and (best is None or specificity > best[0]):
                best = (specificity, q)
    return best[1] if best else 0.0


def negotiate(
    accept: str | None,
    format_param: str | None = None,
    suffix: str | None = None,
    formats: tuple[Format, ...] = FORMATS,
) -> Format | None:
    """Pick a format from `formats` (in server preference order): a suffix wins over `format=`, which wins
    over `Accept`.

    None means the client named or accepts nothing we have (the caller answers 406 or 400).
    """
    for named in (suffix, format_param):
        if named:
            return format_named(named, formats)
    if not accept or not accept.strip():
        return formats[0]
    ranges = _accepted(accept)
    scored = [(_quality(f, ranges), -i, f) for i, f in enumerate(formats)]
    q, _, best = max(scored, key=lambda s: (s[0], s[1]))
    return best if q > 0 else None


def media_type_format(media_type: str, formats: tuple[Format, ...] = FORMATS) -> Format | None:
    """The format of an exact media type (parameters such as charset ignored)."""
    media_type = media_type.split(";")[0].strip().lower()
    if formats is FORMATS:
        return _BY_MEDIA_TYPE.get(media_type)
    return next((f for f in formats if media_type in (f.media_type, *f.aliases)), None)
