"""Where the plugin looks for a test's cassettes, whatever folder pytest is started from."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.cassettes import JOB, full_body, write_job_cassette

MODULE = '''
import pytest

{marker}
def test_job(sagemaker):
    job = sagemaker.describe_auto_ml_job(AutoMLJobName="{job}")
    assert job["AutoMLJobStatus"] == "{status}"
'''


def module(path: Path, status: str, marker: str = "@pytest.mark.aws_replay") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(MODULE.format(marker=marker, job=JOB, status=status)))
    return path


def cassette(path: Path, status: str) -> Path:
    return write_job_cassette(path, [dict(full_body(), AutoMLJobStatus=status)])


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A pytest process started in ``cwd``, as a user starts one (no AWS settings)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "PYTEST_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "--color=no", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two same-named modules in two folders, each beside its own cassette (a different job
    status in each), with a pytest.ini at the top (importlib: two modules share a basename)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --import-mode=importlib\n")
    for folder, status in (("a", "Completed"), ("b", "Failed")):
        module(tmp_path / "tests" / folder / "test_same.py", status)
        cassette(tmp_path / "tests" / folder / "cassettes" / "test_same" / "test_job.yaml",
                 status)
    return tmp_path


def test_same_named_modules_in_two_folders_read_their_own_cassettes(project: Path) -> None:
    result = run(project)
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


def test_started_from_a_subfolder_the_same_cassettes_are_found(project: Path) -> None:
    result = run(project / "tests" / "b", "test_same.py")
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout


def test_started_from_the_filesystem_root_the_same_cassettes_are_found(project: Path) -> None:
    result = run(Path("/"), str(project / "tests" / "a" / "test_same.py"),
                 str(project / "tests" / "b" / "test_same.py"))
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


def test_marker_names_are_relative_to_the_folder_and_absolute_ones_are_kept(
        tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    tests = tmp_path / "deep" / "tests"
    module(tests / "test_relative.py", "Completed", '@pytest.mark.aws_replay("shared/job")')
    cassette(tests / "cassettes" / "shared" / "job.yaml", "Completed")
    elsewhere = cassette(tmp_path / "elsewhere" / "recorded.yaml", "Stopped")
    module(tests / "test_absolute.py", "Stopped", f'@pytest.mark.aws_replay({str(elsewhere)!r})')

    result = run(tmp_path / "deep")
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


def test_not_found_names_the_absolute_path_and_the_setting_that_chose_it(
        tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    module(tmp_path / "tests" / "test_new.py", "Completed")

    result = run(tmp_path / "tests", "test_new.py")
    assert result.returncode == 1
    expected = tmp_path / "tests" / "cassettes" / "test_new" / "test_job.yaml"
    assert (f"aws-replay: cassette {expected} (chosen by the default name <module>/<test> in "
            "the default folder: cassettes/ beside the test module) does not exist, and mode "
            "'none' only replays") in result.stdout


def test_the_cassette_dir_setting_is_still_honoured_and_named(tmp_path: Path) -> None:
    # The old default, kept by a project that sets it: <rootdir>/<dir>/<module>/<test>.yaml
    (tmp_path / "pytest.ini").write_text("[pytest]\naws_replay_cassette_dir = cassettes\n")
    module(tmp_path / "tests" / "test_old.py", "Completed")
    cassette(tmp_path / "cassettes" / "test_old" / "test_job.yaml", "Completed")
    module(tmp_path / "tests" / "test_unrecorded.py", "Completed")

    result = run(tmp_path / "tests")
    assert "1 passed" in result.stdout and "1 failed" in result.stdout
    missing = tmp_path / "cassettes" / "test_unrecorded" / "test_job.yaml"
    assert (f"aws-replay: cassette {missing} (chosen by the default name <module>/<test> in "
            "aws_replay_cassette_dir 'cassettes' (ini file)) does not exist") in result.stdout
