"""Atomic writes: old file intact on any failure, one line per OS error, stale temps swept."""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from replay.core.atomic import WriteError, atomic_writer, sweep_stale_temps, write_error

OLD = "old content\n"


def _write(path: Path, text: str) -> None:
    with atomic_writer(path) as handle:
        handle.write(text)


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_write_replaces_the_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "a.yaml"
    _write(path, OLD)
    _write(path, "new\n")
    assert path.read_text() == "new\n"
    assert _only(path.parent) == ["a.yaml"]


def test_a_name_too_long_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    path = tmp_path / ("j" * 300 + ".yaml")
    with pytest.raises(WriteError) as raised:
        _write(path, OLD)
    message = str(raised.value)
    assert message.startswith(f"cannot write {path}: File name too long (ENAMETOOLONG); ")
    assert "use a shorter name" in message and "\n" not in message
    assert _only(tmp_path) == []


def test_a_file_where_the_folder_should_be(tmp_path: Path) -> None:
    (tmp_path / "cassettes").write_text("not a folder")
    with pytest.raises(WriteError, match=r"\(EEXIST\); a file sits where a folder is expected"):
        _write(tmp_path / "cassettes" / "a.yaml", OLD)
    with pytest.raises(WriteError, match=r"\(ENOTDIR\); a file sits where a folder"):
        _write(tmp_path / "cassettes" / "deeper" / "a.yaml", OLD)


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder this process may not create files in: chmod for a normal user; as root (whom
    chmod does not stop) a kernel folder that refuses new files."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        probe = folder / "probe"
        try:
            probe.write_text("x")
            probe.unlink()
        except PermissionError:
            yield folder
            return
        for candidate in (Path("/sys/fs"), Path("/sys")):
            try:
                fd = os.open(candidate / ".aws-replay-probe", os.O_CREAT | os.O_WRONLY, 0o600)
            except PermissionError:
                yield candidate
                return
            except OSError:
                continue
            os.close(fd)
            os.unlink(candidate / ".aws-replay-probe")
        pytest.skip("no folder refuses writes to this user here")
    finally:
        folder.chmod(0o700)


def test_no_permission_is_one_line(unwritable_folder: Path) -> None:
    path = unwritable_folder / "a.yaml"
    with pytest.raises(WriteError, match=r"Permission denied \(EACCES\); no permission to "
                                         r"write there"):
        _write(path, OLD)


def test_file_size_limit_keeps_the_old_file(tmp_path: Path) -> None:
    # A real EFBIG: RLIMIT_FSIZE in a child process (Python ignores SIGXFSZ, so write fails).
    path = tmp_path / "a.yaml"
    path.write_text(OLD)
    script = textwrap.dedent(f"""
        import resource, sys
        from pathlib import Path
        from replay.core.atomic import WriteError, atomic_writer
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            with atomic_writer(Path({str(path)!r})) as handle:
                handle.write("x" * 100_000)
        except WriteError as exc:
            print(exc)
            sys.exit(2)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2, run.stderr
    assert run.stdout.startswith(f"cannot write {path}: File too large (EFBIG); ")
    assert "ulimit -f" in run.stdout
    assert path.read_text() == OLD
    assert _only(tmp_path) == ["a.yaml"]


@pytest.mark.parametrize(("code", "name", "fix"), [
    (errno.ENOSPC, "ENOSPC", "the disk is full"),
    (errno.EROFS, "EROFS", "the file system is read-only"),
    (errno.EIO, "EIO", "the disk reported an I/O error"),
])
def test_errors_at_sync_keep_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          code: int, name: str, fix: str) -> None:
    # No unprivileged way to fill a disk or remount one read-only: the OS call fails instead.
    path = tmp_path / "a.yaml"
    path.write_text(OLD)

    def failing(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("replay.core.atomic.os.fsync", failing)
    with pytest.raises(WriteError, match=rf"\({name}\); {fix}"):
        _write(path, "new\n")
    assert path.read_text() == OLD
    assert _only(tmp_path) == ["a.yaml"]


def test_an_unknown_errno_still_names_the_path() -> None:
    message = str(write_error(Path("x/y.yaml"), OSError(errno.EXDEV, "Invalid cross-device")))
    assert message.startswith("cannot write x/y.yaml: Invalid cross-device (EXDEV); ")


def test_an_error_in_the_body_removes_the_temp_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(OLD)
    with pytest.raises(KeyError), atomic_writer(path) as handle:
        handle.write("half")
        raise KeyError("boom")
    assert path.read_text() == OLD
    assert _only(tmp_path) == ["a.yaml"]


def test_stale_temps_of_killed_runs_are_swept_but_not_live_or_foreign_ones(
        tmp_path: Path) -> None:
    stale = tmp_path / ".a.yaml.k2j4_x9q.tmp"
    fresh = tmp_path / ".b.yaml.abcdefgh.tmp"
    held = tmp_path / ".c.yaml.zzzzzzzz.tmp"
    foreign = tmp_path / ".d.yaml.tmp"
    for path in (stale, fresh, held, foreign):
        path.write_text("half")
    for path in (stale, held, foreign):
        os.utime(path, (1_000_000, 1_000_000))
    with open(held) as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)  # a writer still at work
        _write(tmp_path / "e.yaml", OLD)
    assert _only(tmp_path) == [".b.yaml.abcdefgh.tmp", ".c.yaml.zzzzzzzz.tmp", ".d.yaml.tmp",
                               "e.yaml"]
    assert sweep_stale_temps(tmp_path) == [held]
