"""`serve` as identical read-only replicas behind a load balancer: two `ryoiki-ld serve` processes behind nginx,
configured by examples/deploy/nginx-replicas.conf as docs/publishing.md shows it."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from ryoiki_ld.config import ROOT

from .support.ports import free_port, wait_for
from .support.server import COUNT_NETWORKS, Server, fetch, get_query, serving, stop

CONF = ROOT / "examples" / "deploy" / "nginx-replicas.conf"


@pytest.fixture
def balanced(built: Path, tmp_path: Path):
    """nginx on a free port in front of two replicas; yields (nginx as a Server to send requests to, replicas)."""
    if not shutil.which("nginx"):
        pytest.skip("no nginx: install it with `apt-get install -y nginx` (.ci/run does)")
    with serving(built, tmp_path / "a" / "build") as first, serving(built, tmp_path / "b" / "build") as second:
        tmp = Path(tempfile.mkdtemp(prefix="ryoiki-lb-"))
        port = free_port()
        conf = tmp / "nginx.conf"
        replicas = {"replica_1": f"127.0.0.1:{first.port}", "replica_2": f"127.0.0.1:{second.port}"}
        conf.write_text(CONF.read_text(encoding="utf-8").format(tmp=tmp, port=port, **replicas))
        nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)], stderr=subprocess.PIPE)
        try:
            wait_for(port, nginx)
            front = Server(f"http://127.0.0.1:{port}/", "127.0.0.1", port, nginx, first.out, first.log, first.stderr)
            yield front, [first, second]
        finally:
            nginx.terminate()
            nginx.wait(timeout=30)
            shutil.rmtree(tmp, ignore_errors=True)


def requests_seen(replica: Server) -> int:
    if not replica.log.exists():
        return 0
    return sum(
        1 for line in replica.log.read_text().splitlines() if json.loads(line).get("path", "").startswith("/sparql")
    )


def test_two_replicas_share_the_requests_and_one_may_stop(balanced):
    front, replicas = balanced
    for _ in range(20):
        reply = get_query(front, COUNT_NETWORKS, "application/sparql-results+json")
        assert reply.status == 200
        assert json.loads(reply.body)["results"]["bindings"][0]["networks"]["value"] == "218"
    page = fetch(front, "GET", "/id/network/001", {"Accept": "text/turtle"})
    assert page.status == 303 and page.header("Location")
    # One replica goes away (its access log is complete once it has stopped: it answered some of the 20).
    assert stop(replicas[0]) == 0 and requests_seen(replicas[0]) > 0
    for _ in range(10):  # the other answers everything
        assert get_query(front, COUNT_NETWORKS, "application/sparql-results+json").status == 200
    assert stop(replicas[1]) == 0 and requests_seen(replicas[1]) >= 10
