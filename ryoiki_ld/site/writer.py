"""Writing the site's files: the Jinja environment, each resource's documents and pages (`Writer`), and the
worker processes that share the resources among them (`write_all`)."""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from .. import iris
from ..config import Output
from ..processes import die_with_parent
from .documents import TermWriter, jsonld, ntriples, turtle
from .graph import document_triples, iri
from .html import Html, QueryLink, Skeleton, html_list, joined, number, page_context
from .model import LANGS, NETWORK, PREFECTURE, SURVEY, SiteData
from .pages import (
    criterion_summary,
    downloads_context,
    landing_context,
    not_found_context,
    ontology_context,
    query_context,
    resource_html,
)


def environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(["html", "svg", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # templates do not change during a build; checking costs a stat per page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = lambda v: "" if v is None else number(v)
    env.filters["items"] = html_list
    env.filters["joined"] = joined
    # Imported once here rather than by `{% from … import %}` in each page, which would cost a lookup per page.
    env.globals["macros"] = env.get_template("_macros.html").module
    return env


def _write(path: str, text: str) -> None:
    """Write a new file with plain system calls: ~22,000 files make Python's buffered file objects show."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        written = os.write(fd, data)
        while written < len(data):
            written += os.write(fd, memoryview(data)[written:])
    finally:
        os.close(fd)


def _lang_path(lang: str, path: str) -> str:
    return path if lang == "ja" else f"en/{path}"


def _root(path: str) -> str:
    return "../" * path.count("/")


class Writer:
    """Writes the documents and pages of the site; its caches make each page cheap once a few are written."""

    def __init__(self, data: SiteData, env: jinja2.Environment, out: Output, positions: dict[str, tuple[int, int]]):
        self.data, self.env, self.out, self.positions = data, env, out, positions
        self.prefix = f"{out.site}{os.sep}"  # file names as strings: pathlib's joins show over ~22,000 files
        self.terms = TermWriter()
        self.helpers: dict[tuple[str, str], Html] = {}
        self.resource = env.get_template("resource.html")
        # The SELECT behind "List with SPARQL" on the pages of the resources of these classes.
        self.queries = {
            kind: QueryLink(env.get_template(f"queries/{name}.rq"))
            for kind, name in ((NETWORK, "network"), (PREFECTURE, "prefecture"), (SURVEY, "survey"))
        }
        self.describe = QueryLink(env.get_template("queries/describe.rq"))

    def helper(self, lang: str, root: str) -> Html:
        found = self.helpers.get((lang, root))
        if found is None:
            found = self.helpers[(lang, root)] = Html(self.data, lang, root, self.env)
        return found

    def render(self, path: str, template: jinja2.Template, make_context: Callable[[Html], dict]) -> None:
        """Write the page at `path` (Japanese) and at `en/{path}` (English)."""
        for lang in LANGS:
            target = _lang_path(lang, path)
            h = self.helper(lang, _root(target))
            _write(self.prefix + target, template.render(page_context(self.data, h, path) | make_context(h)))

    def documents(self, path: str) -> None:
        """doc/{kind}/{key}.nt, .ttl and .jsonld."""
        triples = document_triples(
            self.data.idx, self.data.documents[path], with_inverse=path != iris.VOCABULARY_DOCUMENT
        )
        target = self.prefix + path
        _write(f"{target}.nt", ntriples(triples))
        _write(f"{target}.ttl", turtle(triples, self.terms))
        _write(f"{target}.jsonld", jsonld(triples, self.terms))

    def resource_page(self, path: str) -> None:
        """doc/{kind}/{key}.html and en/doc/{kind}/{key}.html."""
        data = self.data
        subjects = data.documents[path]
        if path == iris.VOCABULARY_DOCUMENT:
            self.render(
                f"{path}.html", self.env.get_template("ontology.html"), lambda h: ontology_context(data, h, subjects)
            )
            return
        subject, parts = subjects[0], subjects[1:]
        quoted = quote(iri(subject), safe="")
        queries = {"describe": self.describe.quoted(quoted)}
        kind = next((k for k in data.idx.types(subject) if k in self.queries), None)
        if kind:
            queries["select"] = self.queries[kind].quoted(quoted)
        for lang in LANGS:
            target = _lang_path(lang, f"{path}.html")
            h = self.helper(lang, _root(target))
            _write(self.prefix + target, resource_html(data, h, path, subject, queries, parts))

    def site_pages(self) -> None:
        """The landing, criteria, downloads, not-found and query pages, the sitemap and robots.txt."""
        data, get = self.data, self.env.get_template
        self.render("index.html", get("index.html"), lambda h: landing_context(data, h, self.positions))
        self.render(
            "criteria.html",
            get("criteria.html"),
            lambda h: {"summaries": [criterion_summary(data, h, c) for c in data.criteria]},
        )
        self.render("downloads.html", get("downloads.html"), lambda h: downloads_context(data, h, self.out))
        self.render("404.html", get("404.html"), lambda h: not_found_context(data, h))
        self.render(iris.QUERY_PAGE, get(iris.QUERY_PAGE), lambda h: query_context(data, h))
        pages = [*SITEMAP_PAGES, *(f"{path}.html" for path in data.documents)]
        entry = get("_sitemap_url.xml")
        urls = [Skeleton(entry, {"base": data.base, "lang": lang, "langs": LANGS}, ["page"]) for lang in LANGS]
        entries = "".join(url.fill({"page": page}) for page in pages for url in urls)
        _write(self.prefix + "sitemap.xml", get("sitemap.xml").render(urls=Markup(entries)))
        _write(self.prefix + "robots.txt", get("robots.txt").render(base=data.base))


# The pages besides the resources' that site_pages writes (each in ja and en), and those of them in the sitemap.
SITEMAP_PAGES = ("index.html", "criteria.html", "downloads.html", iris.QUERY_PAGE)
OWN_PAGES = (*SITEMAP_PAGES, "404.html")
SITE_PAGES = ""  # the task of OWN_PAGES, the sitemap and robots.txt
TASK_SIZE = 48  # resources per task: small, so that every worker has work until the end


def tasks(data: SiteData) -> list[list[str]]:
    """The work in tasks of document paths: the site pages, the vocabulary, then the resources in path order
    (so by folder)."""
    paths = sorted(data.documents, key=lambda path: path != iris.VOCABULARY_DOCUMENT)
    return [[SITE_PAGES], paths[:1]] + [paths[i : i + TASK_SIZE] for i in range(1, len(paths), TASK_SIZE)]


def write_tasks(writer: Writer, tasks: Iterable[list[str]]) -> None:
    """Write the documents and pages of every path of `tasks` (and the site pages for `SITE_PAGES`)."""
    for paths in tasks:
        for path in paths:
            if path == SITE_PAGES:
                writer.site_pages()
            else:
                writer.documents(path)
                writer.resource_page(path)


def make_folders(writer: Writer) -> None:
    """Every folder of the pages and documents, made before the workers write into them."""
    folders = {os.path.dirname(_lang_path(lang, path)) for lang in LANGS for path in writer.data.documents}
    for folder in sorted(folders):
        os.makedirs(writer.prefix + folder, exist_ok=True)


class TaskQueue:
    """Tasks that the workers claim when they are free, from either end of the list, in memory they share.

    Workers at opposite ends write into different folders until they meet: on ext4, two processes creating
    files in one folder at once were several times slower than one alone here (benchmarks/bench_site.py).
    """

    def __init__(self, tasks: list[list[str]], context: multiprocessing.context.BaseContext) -> None:
        self.tasks = tasks
        self.ends = context.Array("q", [0, len(tasks) - 1])  # next from the front, next from the back

    def claim(self, from_back: bool) -> int | None:
        with self.ends.get_lock():
            front, back = self.ends[0], self.ends[1]
            if front > back:
                return None
            if from_back:
                self.ends[1] = back - 1
                return back
            self.ends[0] = front + 1
            return front

    def claimed(self, from_back: bool) -> Iterator[list[str]]:
        """The tasks this process claims from its end, one when it asks for the next, until none is left."""
        while (i := self.claim(from_back)) is not None:
            yield self.tasks[i]


_INHERITED: tuple[Writer, TaskQueue] | None = None  # in a worker: what it was forked with


def _inherit(writer: Writer, queue: TaskQueue, parent_pid: int) -> None:
    global _INHERITED
    die_with_parent(parent_pid)  # a killed build's workers must not write on, or hold its lock
    _INHERITED = (writer, queue)


def _share(from_back: bool) -> None:
    """One worker's share: the tasks it claims from its end of the list until none is left."""
    assert _INHERITED is not None
    writer, queue = _INHERITED
    write_tasks(writer, queue.claimed(from_back))


def write_all(writer: Writer, workers: int) -> None:
    """Every resource's documents and pages, and the site pages, shared among `workers` forked processes (1: in
    this one). Each claims the next task from its end of the list when it is free, so all stay busy to the end.
    The processes are a `ProcessPoolExecutor`'s, given one share each rather than the tasks themselves, which it
    would hand to whichever worker is free (two in one folder at once). Workers inherit the writer when they are
    forked (nothing is pickled) and keep its caches until they exit. The real site with 2 workers, best of 11
    runs (`benchmarks/bench_site.py --sections pool`): 1.00 s on tmpfs, against 0.95 s for the hand-made fork
    pool this replaced and 1.01 s for the executor handed the tasks; 4.6 s, 6.4 s and 6.0 s on the shared disk.

    Each file is written by exactly one process and depends only on the data, so the output is the
    same whatever the number of workers.
    """
    make_folders(writer)
    jobs = tasks(writer.data)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        write_tasks(writer, jobs)
        return
    fork = multiprocessing.get_context("fork")
    inherited = (writer, TaskQueue(jobs, fork), os.getpid())
    try:
        with ProcessPoolExecutor(workers, mp_context=fork, initializer=_inherit, initargs=inherited) as pool:
            for share in [pool.submit(_share, n % 2 == 1) for n in range(workers)]:
                share.result()
    except Exception as error:
        raise RuntimeError(f"a site worker failed:\n{''.join(traceback.format_exception(error))}") from error
