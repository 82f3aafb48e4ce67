"""The documentation keeps up with the code: every CLI command and option, every vocabulary term, every data file,
every relative link, and the curl and SPARQLWrapper examples of docs/serving.md, run as printed against a real server,
print what they show."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pyoxigraph as ox
import pytest

from ryoiki_ld.cli import cli
from ryoiki_ld.config import DATA, ROOT

from .support.server import start_server, stop

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_and_option_is_in_the_readme(name: str) -> None:
    command = cli.commands[name]
    assert f"ryoiki-ld {name}" in README
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(f"`{o}" in README or f"[{o}" in README or f" {o} " in README for o in param.opts), (
                name,
                param.opts,
            )


def test_every_vocabulary_term_is_in_the_ontology_readme() -> None:
    store = ox.Store()
    store.load(path=str(ROOT / "ontology" / "ryoiki-ld.ttl"), format=ox.RdfFormat.TURTLE)
    query = 'SELECT DISTINCT ?x WHERE { ?x a ?t FILTER(STRSTARTS(STR(?x), "https://w3id.org/ryoiki-ld/def#")) }'
    terms = {s["x"].value.split("#")[1] for s in store.query(query)}
    readme = (ROOT / "ontology" / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `rld:([\w-]+)`", readme, re.M)) == terms
    assert f"It declares {len(terms)} terms" in readme


PRINTED_URL = "http://127.0.0.1:8000/"


def examples() -> list[tuple[str, str, str]]:
    """(language, code, printed output) of each example in docs/serving.md's "Examples that work as printed"."""
    serving = (ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    section = serving.split("## Examples that work as printed", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w*)\n(.*?)```", section, re.DOTALL)
    pairs = []
    for (language, code), (plain, output) in zip(blocks[::2], blocks[1::2], strict=True):
        assert language in ("sh", "python") and plain == "", (language, plain)
        pairs.append((language, code, output))
    return pairs


@pytest.fixture(scope="module")
def server(built: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("docs") / "build"
    shutil.copytree(built, out)
    running = start_server(out, "--workers", "1")
    try:
        yield running
    finally:
        stop(running)


def test_the_serving_docs_have_a_curl_and_a_sparqlwrapper_example():
    languages = [language for language, _, _ in examples()]
    assert languages == ["sh", "python"]
    assert all(PRINTED_URL in code for _, code, _ in examples())


@pytest.mark.parametrize("index", [0, 1])
def test_example_prints_what_the_docs_show(server, index):
    language, code, printed = examples()[index]
    code = code.replace(PRINTED_URL, server.url)
    if language == "sh":
        assert shutil.which("curl"), "curl is needed (.ci/run installs it)"
        result = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=60)
    else:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.replace("\r\n", "\n") == printed


def test_every_data_file_is_in_the_data_readme() -> None:
    """data/README.md says what each file under data/ is and where it came from."""
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    files = [p.relative_to(DATA).as_posix() for p in sorted(DATA.rglob("*")) if p.is_file() and p != DATA / "README.md"]
    assert files
    assert [f for f in files if f"`{f}`" not in readme] == []


FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as hyphens, -1 -2 …
    for repeats. Headings inside code blocks are not headings."""
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def broken_links(path: Path) -> list[str]:
    """Relative links in a Markdown file whose file does not exist, or whose #anchor is no heading of its target."""
    text = path.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(INLINE_CODE.sub("", FENCE.sub("", text))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # http:, https:, mailto: … are not checked here
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no file {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading #{anchor} in {linked}")
    return broken


DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted(p for p in ROOT.glob("*/README.md") if not p.parent.name.startswith(".")),
    *sorted(DATA.glob("*/README.md")),
]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(path: Path) -> None:
    assert broken_links(path) == []


def test_the_readme_links_to_every_docs_file() -> None:
    linked = {target.partition("#")[0] for target in LINK.findall(README)}
    assert [p.name for p in sorted((ROOT / "docs").glob("*.md")) if f"docs/{p.name}" not in linked] == []


def test_a_broken_link_or_anchor_is_found(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Its `part`: one, two\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#its-part-one-two) [ok](#page) [web](https://example.org/x)\n"
        "[gone](missing.md) [bad anchor](other.md#nowhere) [bad local](#elsewhere)\n"
        "```\n[in code](missing-too.md)\n```\n`[inline](missing-three.md)`\n",
        encoding="utf-8",
    )
    assert [b.split(":")[0] for b in broken_links(page)] == ["missing.md", "other.md#nowhere", "#elsewhere"]
