"""The documentation keeps up with the code: every CLI command and option, every vocabulary term."""

from __future__ import annotations

import re

import click
import pyoxigraph as ox
import pytest

from ryoiki_ld.cli import cli
from ryoiki_ld.config import ROOT

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
