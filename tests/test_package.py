"""The package as others install it: the sdist and the wheel from `python -m build`, installed into a new venv in
a temporary folder far from this checkout, behave as the checkout does (issue: installable anywhere)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .support.cli import CHECKOUT, outside_env, tree_digest
from .support.example import EXAMPLE
from .support.server import fetch, start_server, stop

ROOT = CHECKOUT
PROJECT_FOLDERS = ("data", "ontology", "shapes", "mappings", "site", "queries", "surveys")


def _run(*command: str | Path, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(map(str, command)), capture_output=True, text=True, cwd=cwd, env=outside_env(), timeout=timeout
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel, the wheel built from the sdist (what `python -m build` does): so the sdist is complete."""
    out = tmp_path_factory.mktemp("dist")
    result = _run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv outside the checkout with the wheel installed; its bin/ folder."""
    venv = tmp_path_factory.mktemp("venv")
    assert _run(sys.executable, "-m", "venv", venv, cwd=venv).returncode == 0
    (wheel,) = dist.glob("*.whl")
    pip = _run(venv / "bin" / "pip", "install", "--quiet", "-c", ROOT / "constraints.txt", wheel, cwd=venv)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return venv / "bin"


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with no checkout in it or above it."""
    folder = tmp_path_factory.mktemp("elsewhere")
    assert not any((p / "pyproject.toml").exists() for p in (folder, *folder.parents))
    return folder


def test_twine_accepts_the_sdist_and_the_wheel(dist):
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    result = _run(sys.executable, "-m", "twine", "check", "--strict", *files, cwd=dist)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wheel_holds_the_package_and_its_folders_and_nothing_else(dist):
    (wheel,) = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tracked = _run("git", "ls-files", *PROJECT_FOLDERS, cwd=ROOT).stdout.split()
    assert {f"ryoiki_ld/_project/{path}" for path in tracked} <= set(names)
    tops = {name.split("/")[0] for name in names}
    assert tops == {"ryoiki_ld", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    folders = {name.split("/")[2] for name in names if name.startswith("ryoiki_ld/_project/") and name.count("/") > 2}
    assert folders == set(PROJECT_FOLDERS)
    assert not [n for n in names if "/tests/" in n or "/benchmarks/" in n or "/build/" in n or "__pycache__" in n]


def test_the_installed_command_builds_the_same_bytes_as_the_checkout(installed, elsewhere, built):
    result = _run(installed / "ryoiki-ld", "build", "--out", elsewhere / "build", cwd=elsewhere)
    assert result.returncode == 0, result.stderr[-3000:]
    assert tree_digest(elsewhere / "build", skip=("store",)) == tree_digest(built, skip=("store",))


def test_the_installed_command_validates_and_says_why_not(installed, elsewhere):
    good = elsewhere / "my-network.ttl"
    good.write_bytes(EXAMPLE.read_bytes())
    assert _run(installed / "ryoiki-ld", "validate", "--shapes", "quality", good, cwd=elsewhere).returncode == 0
    bad = elsewhere / "bad.ttl"
    bad.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            "rld:participatingInstitutions 24", "rld:participatingInstitutions -24"
        )
    )
    result = _run(installed / "ryoiki-ld", "validate", "--shapes", "quality", bad, cwd=elsewhere)
    assert result.returncode == 1, result.stdout + result.stderr
    missing = _run(installed / "ryoiki-ld", "validate", elsewhere / "missing.ttl", cwd=elsewhere)
    assert missing.returncode == 2 and missing.stderr.strip() == f"error: {elsewhere / 'missing.ttl'}: no such file"


def test_pipx_installs_the_checkout_as_an_application(tmp_path_factory, elsewhere):
    """`pipx install .`: its own venv, the command on PATH, nothing of the checkout's venv."""
    home = tmp_path_factory.mktemp("pipx")
    env = outside_env(PIPX_HOME=str(home / "home"), PIPX_BIN_DIR=str(home / "bin"), PIPX_MAN_DIR=str(home / "man"))
    pipx = [sys.executable, "-m", "pipx", "install", "--pip-args", f"--quiet -c {ROOT / 'constraints.txt'}", ROOT]
    scratch_before = (ROOT / "build" / "lib").exists()
    result = subprocess.run(list(map(str, pipx)), capture_output=True, text=True, cwd=elsewhere, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # setuptools builds in .setuptools-build/ (pyproject.toml), never in build/, where `ryoiki-ld build` writes
    assert (ROOT / ".setuptools-build").is_dir()
    assert (ROOT / "build" / "lib").exists() == scratch_before
    command = home / "bin" / "ryoiki-ld"
    version = _run(command, "--version", cwd=elsewhere)
    assert version.returncode == 0 and version.stdout.startswith("ryoiki-ld, version ")
    example = elsewhere / "pipx-example.ttl"
    example.write_bytes(EXAMPLE.read_bytes())
    report = _run(command, "validate", "--shapes", "quality", example, cwd=elsewhere)
    assert report.returncode == 0 and "適合 conforms" in report.stdout, report.stdout + report.stderr
    missing = _run(command, "validate", elsewhere / "missing.ttl", cwd=elsewhere)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_the_installed_version_and_module(installed, elsewhere):
    for command in ([installed / "ryoiki-ld"], [installed / "python", "-m", "ryoiki_ld"]):
        result = _run(*command, "--version", cwd=elsewhere)
        assert result.returncode == 0 and result.stdout.strip().startswith("ryoiki-ld, version ")


def test_the_installed_server_answers(installed, elsewhere, built):
    out = elsewhere / "build"
    if not out.exists():
        assert _run(installed / "ryoiki-ld", "build", "--out", out, cwd=elsewhere).returncode == 0
    server = start_server(out, cli=[str(installed / "ryoiki-ld")], cwd=elsewhere)
    try:
        assert fetch(server, "GET", "/health").status == 200
        page = fetch(server, "GET", "/id/network/001", {"Accept": "text/html"})
        assert page.status == 303 and page.header("Location").endswith("/doc/network/001.html")
        assert fetch(server, "GET", "/doc/network/001.html").status == 200
    finally:
        stop(server)


@pytest.mark.parametrize("shipped", ["shapes/quality.ttl", "data/networks.csv-metadata.json"])
def test_a_damaged_installation_is_one_line_naming_the_missing_file(shipped, installed, elsewhere):
    """Runs last in this module: it takes a file away from the installed package, and puts it back."""
    (path,) = (installed.parent / "lib").glob(f"python3*/site-packages/ryoiki_ld/_project/{shipped}")
    kept = path.read_bytes()
    path.unlink()
    try:
        result = _run(installed / "ryoiki-ld", "validate", elsewhere / "my-network.ttl", cwd=elsewhere)
    finally:
        path.write_bytes(kept)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}: ") and "o such file" in line, line
