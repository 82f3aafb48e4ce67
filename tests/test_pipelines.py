"""ryoiki-ld in other people's pipelines: the pre-commit hook (`.pre-commit-hooks.yaml`), run as pre-commit runs
it, on a new git repository holding a network's data."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from .support.cli import CHECKOUT, outside_env
from .support.example import EXAMPLE

ROOT = CHECKOUT


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_the_pre_commit_hook_passes_good_data_and_fails_naming_a_bad_files_line(tmp_path):
    repo = tmp_path / "data"
    repo.mkdir()
    _git(repo, "init", "-q")
    shutil.copyfile(EXAMPLE, repo / "my-network.ttl")
    _git(repo, "add", "my-network.ttl")
    # pre-commit installs the hook's own environment from this checkout; the pins keep it the tested one.
    env = outside_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit"), PIP_CONSTRAINT=str(ROOT / "constraints.txt"))
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "ryoiki-ld-validate", "--all-files"]

    good = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    assert "ryoiki-ld validate" in good.stdout and "Passed" in good.stdout

    (repo / "bad.ttl").write_text("@prefix rld: <https://w3id.org/ryoiki-ld/def#> .\n\n<x> a rld:Network ;;\n")
    _git(repo, "add", "bad.ttl")
    bad = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert bad.returncode == 1, bad.stdout[-3000:] + bad.stderr[-3000:]
    assert "Failed" in bad.stdout and "error: bad.ttl:3" in bad.stdout, bad.stdout[-3000:]


def test_the_github_action_installs_and_validates_with_annotations(tmp_path):
    """action.yml's own steps, run as a runner runs them (bash, the inputs as its env: maps them), after
    actions/setup-python, which a new venv stands in for."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert all(spec.get("description") for spec in action["inputs"].values())
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(EXAMPLE, data / "good.ttl")
    bad = EXAMPLE.read_text(encoding="utf-8").replace(
        "rld:participatingInstitutions 24", "rld:participatingInstitutions -24"
    )
    (data / "bad.ttl").write_text(bad, encoding="utf-8")
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}

    def run_steps(paths: str) -> subprocess.CompletedProcess:
        values = inputs | {"paths": paths}
        result = None
        for step in action["runs"]["steps"]:
            if "run" not in step:
                assert step["uses"].startswith("actions/setup-python@")
                continue
            env = outside_env(GITHUB_ACTION_PATH=str(ROOT), PIP_CONSTRAINT=str(ROOT / "constraints.txt"))
            env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
            for name, value in step.get("env", {}).items():
                env[name] = re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: values[m.group(1)], value)
            result = subprocess.run(
                ["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
            )
            if result.returncode != 0:
                break
        assert result is not None
        return result

    good = run_steps("data/good.ttl")
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    both = run_steps("data/*.ttl")
    assert both.returncode == 1, both.stdout[-3000:] + both.stderr[-3000:]
    assert "::error " in both.stdout and "participatingInstitutions" in both.stdout, both.stdout[-3000:]
