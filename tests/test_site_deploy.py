"""The site's rewrite rules for Apache (site/deploy/htaccess, copied to DIR/site/.htaccess) and nginx
(site/deploy/nginx.conf), run by the real servers: /id/… answers as `serve` does."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ryoiki_ld import formats
from ryoiki_ld.config import Settings

from .support.negotiation import GENERIC_CASES, NEGOTIATION_CASES, Q_VALUE_CASES, expected_answer, expected_variant
from .support.ports import free_port, wait_for

MOUNT = "/mount/sub/"  # where the servers also show the site, besides their root


APACHE_CONF = """ServerRoot "{tmp}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {tmp}/httpd.pid
ErrorLog {tmp}/error.log
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule rewrite_module {modules}/mod_rewrite.so
LoadModule alias_module {modules}/mod_alias.so
LoadModule headers_module {modules}/mod_headers.so
User nobody
Group nogroup
TypesConfig /etc/mime.types
DocumentRoot "{site}"
Alias /mount/sub "{site}"
Alias /ryoiki-ld "{site}"
<Directory "{site}">
  AllowOverride All
  Require all granted
</Directory>
"""
NGINX_CONF = """daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{}}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  types {{ text/html html; text/turtle ttl; application/ld+json jsonld; application/n-triples nt; }}
  charset utf-8;
  charset_types text/html text/turtle;
  server {{
    listen 127.0.0.1:{port};
    root {site};
    location /mount/sub/ {{ alias {site}/; }}
    location /ryoiki-ld/ {{ alias {site}/; }}
    include {snippet};
  }}
}}
"""


@pytest.fixture(params=["apache", "nginx"])
def web_server(request, built: Path):
    """Apache httpd with the site's .htaccess, or nginx with the site's snippet, serving a copy of some of the
    site at / and at /mount/sub/. The copy lives in a world-readable directory: Apache's workers drop root."""
    binary = {"apache": "apache2", "nginx": "nginx"}[request.param]
    if not shutil.which(binary):
        pytest.skip(f"no {binary}: install it with `apt-get install -y apache2 nginx` (.ci/run does)")
    tmp = Path(tempfile.mkdtemp(prefix="ryoiki-web-"))
    try:
        site = tmp / "site"
        for path in ("doc/network/001", "doc/prefecture/13", "doc/def", "doc/observation/fy2019/001"):
            for ext in ("html", "ttl", "jsonld", "nt"):
                (site / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(built / "site" / f"{path}.{ext}", site / f"{path}.{ext}")
        shutil.copyfile(built / "site" / ".htaccess", site / ".htaccess")
        for page in ("404.html", "en/404.html"):
            (site / page).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(built / "site" / page, site / page)
        for p in [tmp, *tmp.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        port = free_port()
        settings = Settings()
        values = {"tmp": tmp, "port": port, "site": site, "modules": "/usr/lib/apache2/modules"}
        if request.param == "apache":
            conf = tmp / "httpd.conf"
            conf.write_text(APACHE_CONF.format(**values))
            command = [binary, "-f", str(conf), "-DFOREGROUND"]
        else:
            conf = tmp / "nginx.conf"
            conf.write_text(NGINX_CONF.format(**values, snippet=settings.paths.nginx_snippet))
            command = [binary, "-c", str(conf), "-p", str(tmp)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_for(port, process, tmp / "error.log")
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _get(port: int, path: str, accept: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Accept": accept} if accept is not None else {})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


@pytest.mark.parametrize("mount", ["/", MOUNT])
def test_rewrite_rules_answer_as_serve_does(web_server, mount):
    """/id/… answers 303 to the document formats.negotiate picks (suffix > format= > Accept), 400 or 406 when
    none fits — at the server's root and below a sub-path — and the document it points to is served."""
    wrong = []
    for path, accept in NEGOTIATION_CASES:
        status, document = expected_answer(path, accept)
        response = _get(web_server, mount + path, accept)
        location = response.getheader("Location")
        got = (response.status, urlsplit(location).path if location else None)
        want = (status, mount + document if document else None)
        if got != want:
            wrong.append(f"{mount}{path} Accept={accept!r}: {got}, want {want}")
        elif status == 303:
            followed = _get(web_server, got[1])
            media_type = formats.BY_EXT[document.rsplit(".", 1)[1]].media_type
            if followed.status != 200 or not followed.getheader("Content-Type", "").startswith(media_type):
                wrong.append(f"{got[1]}: {followed.status} {followed.getheader('Content-Type')}")
    assert not wrong, wrong
    assert _get(web_server, mount + "doc/def.html").status == 200  # documents are not rewritten


@pytest.mark.parametrize("mount", ["/", MOUNT])
def test_generic_documents_answer_as_serve_does(web_server, mount):
    """/doc/{kind}/{key} without a suffix: 200 with the variant negotiation picks, Vary: Accept and a
    Content-Location naming it (Apache needs mod_headers for the two headers: docs/site.md)."""
    wrong = []
    for path, accept in GENERIC_CASES:
        status, variant = expected_variant(path, accept)
        response = _get(web_server, mount + path, accept)
        got = (response.status, response.getheader("Content-Location") if response.status == 200 else None)
        if got != (status, variant):
            wrong.append(f"{mount}{path} Accept={accept!r}: {got}, want {(status, variant)}")
        elif status == 200:
            same = _get(web_server, mount + path.rsplit("/", 1)[0] + "/" + variant)
            if response.getheader("Vary") != "Accept" or same.body != response.body:
                wrong.append(f"{mount}{path} Accept={accept!r}: Vary {response.getheader('Vary')!r}, or not {variant}")
    assert not wrong, wrong
    assert _get(web_server, mount + "doc/network/999", "text/turtle").status == 404


def test_the_rules_read_no_q_values(web_server):
    """What docs/site.md says the rules do instead: the first of HTML, Turtle, JSON-LD, N-Triples named wins."""
    for accept, _serve_picks, rules_pick in Q_VALUE_CASES:
        location = _get(web_server, "/id/network/001", accept).getheader("Location")
        assert urlsplit(location).path == f"/doc/network/001.{rules_pick}", accept


def test_a_path_that_names_nothing_gets_the_not_found_page_in_its_language(web_server, request):
    """The site is published at the base IRI's path (/ryoiki-ld/ by default), where the rules name the page."""
    for path, words in (
        ("/ryoiki-ld/no/such/page", "ページが見つかりません"),
        ("/ryoiki-ld/en/no/such", "Page not found"),
    ):
        response = _get(web_server, path, "text/html")
        assert response.status == 404 and words in response.body.decode("utf-8"), (path, response.status)
        assert '<base href="/ryoiki-ld/' in response.body.decode("utf-8")
    if "apache" in request.node.callspec.id:  # nginx cannot test a document's file under an alias: docs/site.md
        for mount in ("/", MOUNT, "/ryoiki-ld/"):
            response = _get(web_server, mount + "id/network/999", "text/html")
            assert response.status == 404 and response.getheader("Location") is None, mount
            assert _get(web_server, mount + "id/network/001", "text/html").status == 303
        assert "ページが見つかりません" in _get(web_server, "/ryoiki-ld/id/network/999").body.decode("utf-8")
