"""serve.query: `ryoiki-ld query` on a real build, in every output format, its one-line errors, and the deep
stack its query runs on."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import rdflib

from .support.cli import run_cli
from .support.report import RLD

COUNT = f"PREFIX rld: <{RLD}> SELECT (COUNT(?n) AS ?networks) {{ ?n a rld:Network }}"


def test_query_prints_a_table_by_default(built):
    result = run_cli("query", COUNT, "--out", built)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["networks", "--------", "218"]
    assert "(1 row)" in result.stdout


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("csv", lambda out: out.splitlines() == ["networks", "218"]),
        ("json", lambda out: json.loads(out)["results"]["bindings"][0]["networks"]["value"] == "218"),
    ],
)
def test_query_formats_for_select(built, fmt, check):
    result = run_cli("query", COUNT, "--format", fmt, "--out", built)
    assert result.returncode == 0, result.stderr
    assert check(result.stdout)


def test_query_from_a_file_as_turtle(built, tmp_path):
    query = tmp_path / "q.rq"
    query.write_text("CONSTRUCT WHERE { <https://w3id.org/ryoiki-ld/id/prefecture/13> ?p ?o }", encoding="utf-8")
    result = run_cli("query", f"@{query}", "--format", "turtle", "--out", built)
    assert result.returncode == 0, result.stderr
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    assert (
        rdflib.URIRef("https://w3id.org/ryoiki-ld/id/prefecture/13"),
        None,
        rdflib.Literal("東京都", lang="ja"),
    ) in graph


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["SELECT * WHERE { ?s ?p }"], "query:1: column 25: SPARQL syntax error: expected"),
        (["PREFIX x: <http://x/>\nSELECT * WHERE {\n  ?s ?p ?o ;\n}}"], "query:4: column 3: SPARQL syntax error"),
        (["SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"], "query: SERVICE is not allowed"),
        (["INSERT DATA { <http://x/s> <http://x/p> 1 }"], "read-only"),
        ([COUNT, "--format", "turtle"], "--format turtle is for CONSTRUCT and DESCRIBE"),
        (["@missing.rq"], "missing.rq: cannot read the query"),
    ],
)
def test_query_errors_exit_2_with_one_line(built, args, message):
    result = run_cli("query", *args, "--out", built)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_deep_queries_need_the_deep_stack(built):
    """A chain of 15,000 `||` overflows Oxigraph's parser on an 8 MiB stack (Linux's usual default for the
    main thread); `with_deep_stack` runs it."""
    code = (
        "import sys, threading, pyoxigraph as ox\n"
        "from ryoiki_ld.serve.query import with_deep_stack\n"
        f"store = ox.Store.read_only({str(built / 'store')!r})\n"
        "query = 'ASK { FILTER(' + 'true||' * 15000 + 'true) }'\n"
        "run = lambda: print(bool(store.query(query)))\n"
        "if sys.argv[1] == 'deep':\n"
        "    with_deep_stack(run)\n"
        "else:\n"
        "    threading.stack_size(8 * 1024 * 1024)\n"
        "    thread = threading.Thread(target=run)\n"
        "    thread.start()\n"
        "    thread.join()\n"
    )
    deep = subprocess.run([sys.executable, "-c", code, "deep"], capture_output=True, text=True, timeout=120)
    assert deep.returncode == 0 and deep.stdout == "True\n", deep.stderr
    small = subprocess.run([sys.executable, "-c", code, "8MiB"], capture_output=True, text=True, timeout=120)
    assert small.returncode < 0  # killed by a signal (SIGSEGV): why the workers use the deep stack
