"""A build's output directory, replaced whole: never half-written, never absent, no debris left behind.

A build writes into a temporary directory beside DIR (`.DIR.tmp-XXXX`), guarded by a lock file beside it
(`.DIR.tmp-XXXX.lock`, holding the builder's PID and an exclusive `flock`). On success the two directories
are exchanged in one system call (`renameat2(RENAME_EXCHANGE)` on Linux, `renamex_np(RENAME_SWAP)` on macOS),
so at every instant DIR is either the old build or the new one; the old one, now under the temporary
name, is removed. A build that dies (even by SIGKILL) leaves its temporary directory, but the kernel
releases its lock: the next build removes every temporary directory whose lock is free, and none whose
builder is still running.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import RyoikiError

LOCK_SUFFIX = ".lock"
_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # macOS sys/stdio.h
_AT_FDCWD = -100


def temp_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield a fresh, locked directory beside `target`; on success it replaces `target`, on failure it is removed."""
    given, target = target, check_target(target)
    remove_debris(target)
    lock_fd, tmp = _new_locked_directory(target, given)
    try:
        try:
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if target.exists():
            exchange(tmp, target)  # `tmp` now holds the previous build
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.rename(tmp, target)
    finally:
        Path(str(tmp) + LOCK_SUFFIX).unlink(missing_ok=True)
        os.close(lock_fd)


def check_target(given: Path) -> Path:
    """`given` resolved; an error (exit 2, naming the path as given) if it cannot become a build directory."""
    target = given.resolve()
    if target.exists() and not target.is_dir():
        raise RyoikiError(f"--out {given}: is a file, not a directory")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RyoikiError(f"--out {given}: cannot create {target.parent}: {e.strerror or e}") from None
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise RyoikiError(f"--out {given}: {target.parent} is not writable")
    return target


def _new_locked_directory(target: Path, given: Path) -> tuple[int, Path]:
    """The lock file first, locked, then the directory it names: a directory without a held lock is debris."""
    try:
        fd, lock = tempfile.mkstemp(prefix=temp_prefix(target), suffix=LOCK_SUFFIX, dir=target.parent)
    except OSError as e:
        raise RyoikiError(f"--out {given}: cannot write in {target.parent}: {e.strerror or e}") from None
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, f"{os.getpid()}\n".encode())
    tmp = Path(lock[: -len(LOCK_SUFFIX)])
    tmp.mkdir(mode=0o755)
    tmp.chmod(0o755)  # whatever the umask: the site is served from here
    return fd, tmp


def remove_debris(target: Path) -> list[Path]:
    """Remove the temporary directories (and their lock files) of builds into `target` that no longer run."""
    removed = []
    for path in sorted(target.parent.glob(temp_prefix(target) + "*")):
        if path.name.endswith(LOCK_SUFFIX) or not path.is_dir() or path.is_symlink():
            continue
        lock = Path(str(path) + LOCK_SUFFIX)
        if lock.exists() and _is_held(lock):
            continue
        shutil.rmtree(path, ignore_errors=True)
        lock.unlink(missing_ok=True)
        removed.append(path)
    for lock in target.parent.glob(temp_prefix(target) + "*" + LOCK_SUFFIX):
        if not Path(str(lock)[: -len(LOCK_SUFFIX)]).exists() and not _is_held(lock):
            lock.unlink(missing_ok=True)
    return removed


def _is_held(lock: Path) -> bool:
    """Whether a running build holds `lock`: its flock is taken (flock locks die with the processes that hold
    them, whatever killed them) and the PID written in it still runs (a killed build's forked workers, which
    share its lock until they notice, do not count)."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return _running(os.read(fd, 32))
    finally:
        os.close(fd)
    return False


def _running(pid_line: bytes) -> bool:
    try:
        os.kill(int(pid_line), 0)
    except ProcessLookupError:
        return False
    except (ValueError, PermissionError):  # being written, or another user's process
        return True
    return True


def exchange(a: Path, b: Path) -> None:
    """Swap two directories in one step, so that neither path is ever missing.

    Where the system or file system has no atomic exchange (EINVAL, ENOSYS, ENOTSUP), `b` is renamed away
    and `a` renamed in: the one case with an instant without `b` (docs/build.md says so).
    """
    code = _exchange_call(a, b)
    if code == 0:
        return
    if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        raise RyoikiError(f"cannot swap the new build into {b}: {os.strerror(code)}")
    aside = a.with_name(a.name + ".old")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


def _exchange_call(a: Path, b: Path) -> int:
    """0, or the errno of the platform's atomic exchange (ENOSYS where there is none)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        done = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0
    elif sys.platform == "darwin":
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        done = libc.renamex_np(os.fsencode(a), os.fsencode(b), _RENAME_SWAP) == 0
    else:
        return errno.ENOSYS
    return 0 if done else ctypes.get_errno()
