"""The browser tests' harness: Debian's Chromium driven by Playwright (its own browser download does not
work here), a page that records what goes wrong, and a plain static file server for a built site."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent.parent / "artifacts"


@contextlib.contextmanager
def chromium() -> Iterator:
    """Headless Chromium through Playwright; the test is skipped, saying what to install, where either is missing."""
    import pytest

    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium fonts-noto-cjk` (.ci/run does)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is in the test extra")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve_directory(root: Path) -> tuple[ThreadingHTTPServer, str]:
    """A plain static file server for `root`; its URL. Stop it with `.shutdown()` and `.server_close()`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


def serve_site(build: Path) -> tuple[ThreadingHTTPServer, str]:
    """The site of a build below a sub-path, as a static host might put it: /{build name}/site/."""
    server, url = serve_directory(build.parent)
    return server, f"{url}{build.name}/site/"


class Watched:
    """A page whose console errors, uncaught exceptions, dialogs and requests are recorded."""

    def __init__(self, browser, site_url: str, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
        self.page = self.context.new_page()
        self.site_url = site_url
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, path: str):
        self.page.goto(self.site_url + path, wait_until="load")
        return self.page

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.site_url) and not u.startswith("data:")]

    def shot(self, name: str, locator=None) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        (locator or self.page).screenshot(path=str(ARTIFACTS / f"{name}.png"))
