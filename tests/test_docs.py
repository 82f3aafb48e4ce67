"""The documentation keeps up with the code: every CLI command and option, every vocabulary term, and the
README's curl and SPARQLWrapper examples, run as printed against a real server, print what it shows."""

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
from ryoiki_ld.config import ROOT

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
    assert set(re.findall(r"^\| `rld:(\w+)`", readme, re.M)) == terms
    assert f"It declares {len(terms)} terms" in readme


PRINTED_URL = "http://127.0.0.1:8000/"


def examples() -> list[tuple[str, str, str]]:
    """(language, code, printed output) of each example in the README's "Examples that work as printed"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Examples that work as printed", 1)[1].split("\n### ", 1)[0]
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


def test_the_readme_has_a_curl_and_a_sparqlwrapper_example():
    languages = [language for language, _, _ in examples()]
    assert languages == ["sh", "python"]
    assert all(PRINTED_URL in code for _, code, _ in examples())


@pytest.mark.parametrize("index", [0, 1])
def test_readme_example_prints_what_the_readme_shows(server, index):
    language, code, printed = examples()[index]
    code = code.replace(PRINTED_URL, server.url)
    if language == "sh":
        assert shutil.which("curl"), "curl is needed (.ci/run installs it)"
        result = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=60)
    else:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.replace("\r\n", "\n") == printed
