"""Builds replace DIR whole: never half-written, never absent, no debris after a build that was killed."""

from __future__ import annotations

import fcntl
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ryoiki_ld import swap
from ryoiki_ld.config import Output
from ryoiki_ld.errors import RyoikiError
from ryoiki_ld.store import open_store, read_manifest

from .support.cli import CLI, run_cli, tree_digest


def _debris(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(swap.temp_prefix(out) + "*"))


def test_a_new_directory_appears_whole_and_leaves_nothing_beside_it(tmp_path):
    out = tmp_path / "out"
    with swap.replacing(out) as tmp:
        assert not out.exists() and (Path(str(tmp) + swap.LOCK_SUFFIX)).read_text() == f"{os.getpid()}\n"
        (tmp / "a.txt").write_text("new")
    assert (out / "a.txt").read_text() == "new"
    assert oct(out.stat().st_mode & 0o777) == "0o755"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_replacement_swaps_the_old_content_out_in_one_step(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with swap.replacing(out) as tmp:
        (tmp / "new.txt").write_text("new")
        assert (out / "old.txt").exists()  # the old build serves until the swap
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_exchange_swaps_two_directories(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / d.name).touch()
    swap.exchange(a, b)
    assert [p.name for p in a.iterdir()] == ["b"] and [p.name for p in b.iterdir()] == ["a"]


def test_a_failure_leaves_the_old_directory_and_no_temporaries(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(ValueError), swap.replacing(out) as tmp:
        (tmp / "half.txt").write_text("half")
        raise ValueError("a stage failed")
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_debris_of_dead_builds_is_removed_and_a_running_builds_is_kept(tmp_path):
    out = tmp_path / "out"
    prefix = swap.temp_prefix(out)
    dead, running, lockless = (tmp_path / f"{prefix}{name}" for name in ("dead", "running", "legacy"))
    for d in (dead, running, lockless):
        (d / "data").mkdir(parents=True)
    Path(f"{dead}.lock").write_text("999999\n")  # nobody holds it: its builder is gone
    Path(f"{tmp_path / prefix}orphan.lock").write_text("1\n")  # a lock whose directory is gone
    held = Path(f"{running}.lock")
    held.write_text(f"{os.getpid()}\n")
    fd = os.open(held, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a running build's lock (another open file: flock tells them apart)
    try:
        assert swap.remove_debris(out) == [dead, lockless]
        assert _debris(out) == [f"{prefix}running", f"{prefix}running.lock"]
    finally:
        os.close(fd)
    assert swap.remove_debris(out) == [running]
    assert _debris(out) == []


def test_out_that_is_a_file_is_refused(tmp_path):
    file = tmp_path / "out"
    file.write_text("not a directory")
    with pytest.raises(RyoikiError, match="is a file, not a directory"):
        swap.check_target(file)
    result = run_cli("build", "--out", file)
    assert result.returncode == 2 and "is a file, not a directory" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and file.read_text() == "not a directory"


@pytest.mark.parametrize("out", ["/proc/ryoiki-ld-build", "/proc/self/ryoiki-ld/build"])
def test_out_where_nothing_can_be_written_is_refused(out):
    """/proc refuses new files even to root (CI runs as root, so file modes would not do)."""
    result = run_cli("build", "--out", out)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith(f"error: --out {out}: ") and "Traceback" not in result.stderr


def _published(digest: dict[str, str]) -> dict[str, str]:
    """A build's files but the store's own (they carry database ids; test_store.py checks its content)."""
    return {path: sha for path, sha in digest.items() if not path.startswith("store/")}


def _start_build(out: Path) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "build", "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_running_builds_temporary_directory_survives_another_build_starting(tmp_path):
    out = tmp_path / "out"
    first = _start_build(out)
    try:
        deadline = time.monotonic() + 60
        while not [d for d in _debris(out) if not d.endswith(swap.LOCK_SUFFIX)] and time.monotonic() < deadline:
            time.sleep(0.02)
        (tmp,) = [d for d in _debris(out) if not d.endswith(swap.LOCK_SUFFIX)]
        assert swap.remove_debris(out) == [] and (tmp_path / tmp).is_dir()
    finally:
        first.kill()
        first.wait()
    if first.returncode == -signal.SIGKILL and (tmp_path / tmp).exists():
        assert swap.remove_debris(out) == [tmp_path / tmp]
    assert _debris(out) == []


def test_builds_killed_at_random_moments_leave_the_previous_build_whole_and_the_next_build_cleans_up(tmp_path):
    """SIGKILL cannot be caught: whatever instant it hits, DIR is never absent and is a whole build: the previous
    one byte for byte, or, when the kill came after the swap (while the old build was being removed), the new one."""
    out = tmp_path / "out"
    assert run_cli("build", "--out", out).returncode == 0
    before = tree_digest(out)
    missing: list[float] = []
    watching = threading.Event()
    watching.set()

    def watch() -> None:  # DIR must exist at every instant, through kills and the final swap
        while watching.is_set():
            if not (out / "build.json").is_file():
                missing.append(time.monotonic())
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    rng = random.Random(13)
    try:
        for delay in sorted(rng.uniform(0.05, 4.0) for _ in range(6)):
            build = _start_build(out)
            time.sleep(delay)
            build.send_signal(signal.SIGKILL)
            build.wait()
            now = tree_digest(out)
            if now != before:  # swapped in before the kill (or finished): the new build, whole
                assert _published(now) == _published(before), f"killed after {delay:.2f} s"
                assert len(open_store(Output(out))) == read_manifest(Output(out)).triples
                before = now
        assert run_cli("build", "--out", out).returncode == 0
    finally:
        watching.clear()
        watcher.join()
    assert missing == []
    assert _published(tree_digest(out)) == _published(before)
    assert _debris(out) == []
