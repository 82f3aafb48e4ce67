"""validate under fuzzing and at its bounds: a mutated real input in each format is validated or refused with a
RyoikiError, never another exception; the input limits refuse what is over them, with the option that raises
them, and accept the build's own dump in every format with room to spare.

The mutations are tests/support/hostile_input.py's (the long run: benchmarks/fuzz_validate.py). Hypothesis is
derandomized and bounded: a fixed set of examples, about 25 s for the five formats.
"""

from __future__ import annotations

import logging
import random
import tempfile
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ryoiki_ld import formats, validate
from ryoiki_ld.config import InputLimits, Paths, Settings
from ryoiki_ld.errors import RyoikiError, SourceError
from ryoiki_ld.extract import read_csv
from ryoiki_ld.reading import read_bounded
from ryoiki_ld.validate import bounds

from .support.cli import run_cli
from .support.example import EXAMPLE
from .support.hostile_input import FORMATS, mutate, seeds

SEEDS = seeds()
SETTINGS = Settings()
FUZZ = settings(derandomize=True, max_examples=30, deadline=None, database=None)


@pytest.fixture(autouse=True, scope="module")
def quiet_rdflib():
    """rdflib logs and warns on ill-typed literals, as in the command (cli.main silences it there too)."""
    logger = logging.getLogger("rdflib")
    level = logger.level
    logger.setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="rdflib")
        yield
    logger.setLevel(level)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_seed_is_validated(fmt):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"seed.{fmt}"
        path.write_bytes(SEEDS[fmt])
        report = validate.validate_files([path], SETTINGS)
    assert report.focus_counts["<https://w3id.org/ryoiki-ld/shapes#NetworkShape>"] == (3 if fmt == "csv" else 1)


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(rnd=st.randoms(use_true_random=False))
def test_a_mutated_input_is_validated_or_refused_never_a_crash(fmt, rnd: random.Random):
    data, done = mutate(SEEDS[fmt], fmt, rnd)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"case.{fmt}"
        path.write_bytes(data)
        try:
            report = validate.validate_files([path], SETTINGS)
        except RyoikiError as e:
            assert str(e), done
        else:  # accepted: it held a network, and the report counts what was checked
            assert any(report.focus_counts.values()), done


@FUZZ
@given(depth=st.integers(1, 300), fmt=st.sampled_from([formats.TURTLE, formats.JSON_LD, formats.RDF_XML]))
def test_nesting_is_refused_exactly_over_the_depth_limit(depth: int, fmt):
    opening, closing = {
        formats.TURTLE: ("[ <http://e/p> ", " ]"),
        formats.JSON_LD: ('{"http://e/p": ', "}"),
        formats.RDF_XML: ("<ex:p><rdf:Description>", "</rdf:Description></ex:p>"),
    }[fmt]
    inner = opening * depth + ("<http://e/b>" if fmt is formats.TURTLE else "1" if fmt is formats.JSON_LD else "")
    inner += closing * depth
    document = {
        formats.TURTLE: f"<http://e/a> <http://e/p> {inner} .",
        formats.JSON_LD: f'{{"@id": "http://e/a", "http://e/p": {inner}}}',
        formats.RDF_XML: '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://e/">'
        f'<rdf:Description rdf:about="http://e/a">{inner}</rdf:Description></rdf:RDF>',
    }[fmt].encode()
    # RDF/XML's depth counts elements: rdf:RDF and the outer description, then two per level.
    levels = 2 + 2 * depth if fmt is formats.RDF_XML else depth
    limits = InputLimits(max_depth=150)
    if levels > limits.max_depth:
        with pytest.raises(SourceError, match="--max-depth"):
            bounds.check_rdf(Path("x"), document, fmt, limits)
    else:
        bounds.check_rdf(Path("x"), document, fmt, limits)
        assert list(ox.parse(input=document, format=fmt.oxigraph))


@pytest.mark.parametrize(
    "text",
    [
        '<http://e/a> <http://e/p> "[[[[ ((( #" .',  # brackets inside a string
        "<http://e/a> <http://e/p> '''[[[\n]]]' ((( ''' .",  # and a long string
        "<http://e/a> <http://e/p> <http://e/[[[[(((> .",  # and an IRI
        "# [[[[[[ (((((\n<http://e/a> <http://e/p> <http://e/b> .",  # and a comment
    ],
)
def test_brackets_in_strings_iris_and_comments_are_not_nesting(text):
    bounds.check_rdf(Path("x.ttl"), text.encode(), formats.TURTLE, InputLimits(max_depth=1))


def test_the_dump_in_every_format_is_within_a_tenth_of_the_limits(built, tmp_path):
    """Room to spare: our own data passes limits ten times lower than the defaults (depth: 10; it is 4)."""
    default = InputLimits()
    tight = InputLimits(default.max_bytes // 10, 10, default.max_literal_bytes // 10)
    dump = built / "dump" / "ryoiki-ld.nt"
    rdf_xml = tmp_path / "ryoiki-ld.rdf"
    rdf_xml.write_bytes(
        ox.serialize(ox.parse(path=str(dump), format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.RDF_XML)
    )
    for path in (dump, dump.with_suffix(".ttl"), dump.with_suffix(".jsonld"), rdf_xml):
        bounds.check_rdf(path, read_bounded(path, tight), formats.for_input(path.suffix), tight)
    assert len(read_csv(built / "data" / "networks.csv", Paths().csvw_metadata, tight.max_literal_bytes)) == 218


def test_each_limit_is_an_option_of_validate(tmp_path):
    over_size = run_cli("validate", EXAMPLE, "--max-bytes", "1000")
    assert over_size.returncode == 2
    assert over_size.stderr == f"error: {EXAMPLE}: 2,006 bytes, over 1,000 (the limit; --max-bytes raises it)\n"
    over_literal = run_cli("validate", EXAMPLE, "--max-literal-bytes", "20")
    assert over_literal.returncode == 2 and "(the limit; --max-literal-bytes raises it)" in over_literal.stderr
    deep = tmp_path / "deep.ttl"
    deep.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            "rld:hasOwnFunding true ;", "rld:note " + "[ rld:note " * 120 + "1" + " ]" * 120 + " ;"
        ),
        encoding="utf-8",
    )
    assert run_cli("validate", deep).returncode == 2
    assert run_cli("validate", deep, "--max-depth", "200").returncode == 1  # read; the example fails (ウ)


def test_a_csv_field_over_the_literal_limit_is_named_by_line(tmp_path):
    path = tmp_path / "long.csv"
    path.write_bytes(SEEDS["csv"].replace("PersonalNetworkぱるな".encode(), b"x" * 100))  # row 2, line 3
    with pytest.raises(
        SourceError, match=r"a field over 50 characters \(the limit; --max-literal-bytes raises it\)"
    ) as e:
        validate.read_input(path, formats.CSV, SETTINGS, InputLimits(max_literal_bytes=50))
    assert e.value.line == 3
    assert validate.read_input(path, formats.CSV, SETTINGS, InputLimits(max_literal_bytes=100))
