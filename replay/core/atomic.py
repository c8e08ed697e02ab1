"""Writing a file atomically, and what an operating-system error on write means to a user.

Every file aws-replay writes (cassettes, reports, spec locks, the baseline) goes through
:func:`atomic_writer`: a temporary file ``.<name>.<random>.tmp`` beside the target, flushed and
synced, then renamed over it, so a reader (or a crash, or ``kill -9``) sees the old file or the
new one, never half of one. A temporary file left by a killed run is removed by the next write
to that folder (it is ours by its name, older than this process, and no writer holds it).

Any ``OSError`` on the way (a name too long, a read-only or full disk, a file-size limit, no
permission, a file where a folder should be) becomes one :class:`WriteError` line naming the
path and what to do: exit 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from replay.core.errors import ReplayError

PROCESS_STARTED = time.time()
"""Temporary files older than this (and not held by a writer) were left by an earlier run."""

_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
_swept: set[Path] = set()
_swept_lock = threading.Lock()


class WriteError(ReplayError):
    """A file could not be written (the OS refused); the old file, if any, is intact."""


_FIXES: dict[int, str] = {
    errno.ENAMETOOLONG: "the name is too long for this file system; use a shorter name "
                        "(a shorter job name, --cassette-dir or --output)",
    errno.EROFS: "the file system is read-only; write to a writable folder",
    errno.ENOSPC: "the disk is full; free some space and run again",
    errno.EDQUOT: "the disk quota is used up; free some space and run again",
    errno.EFBIG: "the file is over the file-size limit (ulimit -f); raise the limit",
    errno.EACCES: "no permission to write there; fix the folder's permissions or write "
                  "elsewhere",
    errno.EPERM: "the operation is not permitted there; fix the folder's permissions or write "
                 "elsewhere",
    errno.ENOTDIR: "a file sits where a folder is expected; rename it or choose another folder",
    errno.EEXIST: "a file sits where a folder is expected; rename it or choose another folder",
    errno.EISDIR: "a folder sits where the file should go; choose another file name",
    errno.ELOOP: "too many symbolic links on the way; resolve them",
    errno.EIO: "the disk reported an I/O error; check the disk and run again",
}


def write_error(path: Path, error: OSError) -> WriteError:
    """``error`` (raised writing ``path``) as one line: what, where, and what to do."""
    code = error.errno or 0
    name = errno.errorcode.get(code, "error")
    reason = error.strerror or str(error)
    fix = _FIXES.get(code, "check the path and the disk, then run again")
    return WriteError(f"cannot write {path}: {reason} ({name}); {fix}; nothing was changed "
                      "there")


def _held(path: Path) -> bool:
    """Whether a live writer holds ``path`` (it keeps an exclusive lock while writing)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def sweep_stale_temps(folder: Path, started: float = PROCESS_STARTED) -> list[Path]:
    """Remove our temporary files in ``folder`` that an earlier, killed run left; the removed.

    Ours: named ``.<name>.<8 random>.tmp``, a regular file, last written before ``started``,
    and not locked by a writer (a concurrent process mid-write keeps its lock).
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not _TEMP_NAME.match(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_mtime >= started:
                continue
        except OSError:
            continue
        path = Path(entry.path)
        if _held(path):
            continue
        with contextlib.suppress(OSError):
            os.unlink(path)
            removed.append(path)
    return removed


def _sweep_once(folder: Path) -> None:
    key = folder.resolve()
    with _swept_lock:
        if key in _swept:
            return
        _swept.add(key)
    sweep_stale_temps(folder)


def check_writable(folder: Path) -> None:
    """Raise :class:`WriteError` unless files can be created in ``folder`` (made if missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".aws-replay-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise write_error(folder, exc) from None


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[IO[str]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename.

    On any exception (or a kill before the rename) the previous file stays byte-for-byte
    intact; an ``OSError`` comes out as a :class:`WriteError` naming ``path`` and the fix.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _sweep_once(path.parent)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        with contextlib.suppress(OSError):  # a file system without locks: writing still works
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by close; tells sweepers we are alive
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
            os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise
