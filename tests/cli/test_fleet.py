"""`check` and `scan` with --jobs: the same report and exit code as one process, the same
one-line error for the same first bad cassette."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replay.cassette.read import read_cassette
from replay.cassette.write import dump_cassette
from replay.cli.app import main
from tests.support.cassettes import drifted_body, full_body, write_job_cassette
from tests.support.planted import rng_secret


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def same_with_two_jobs(*args: str) -> Any:
    """The command's run with --jobs 1, after checking that --jobs 2 gives the same exit code,
    report and errors."""
    serial = run(*args, "--jobs", "1")
    parallel = run(*args, "--jobs", "2")
    assert (parallel.exit_code, parallel.stdout, parallel.stderr) == (
        serial.exit_code, serial.stdout, serial.stderr)
    return serial


@pytest.fixture(autouse=True)
def parallel_from_few_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("replay.core.parallel.PARALLEL_MIN_ITEMS", 4)


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Clean, drifted and leaking cassettes, interleaved, in nested folders."""
    folder = tmp_path / "cassettes"
    leaking = dict(full_body(), FailureReason=f"key {rng_secret('access-key')} rejected")
    for index in range(24):
        body = (full_body(), drifted_body(), leaking)[index % 3]
        write_job_cassette(folder / f"group{index % 2}" / f"job-{index:02d}.yaml", [body])
    return folder


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_check_with_two_jobs_equals_one(mixed: Path, fmt: str) -> None:
    serial = same_with_two_jobs("check", str(mixed), "--format", fmt, "--max-age", "3650d")
    assert serial.exit_code == 1
    assert "MergingAutoMLTaskReports" in serial.stdout


def test_scan_with_two_jobs_equals_one(mixed: Path) -> None:
    serial = same_with_two_jobs("scan", str(mixed))
    assert serial.exit_code == 1
    assert serial.stdout.count("access-key") >= 8


@pytest.mark.parametrize("command", ["check", "scan"])
def test_a_broken_cassette_is_the_same_one_line_error_with_two_jobs(
        mixed: Path, command: str) -> None:
    (mixed / "group1" / "job-07.yaml").write_text("interactions:\n- request: [unclosed\n")
    (mixed / "group1" / "job-21.yaml").write_text("")
    serial = same_with_two_jobs(command, str(mixed))
    assert serial.exit_code == 2
    assert serial.stderr.count("\n") == 1 and "group1/job-07.yaml: is not valid YAML" in \
        serial.stderr
    assert "Traceback" not in serial.stderr + serial.stdout


@pytest.mark.parametrize("command", ["check", "scan"])
def test_json_files_that_hold_no_cassette_are_passed_over_by_every_worker(
        mixed: Path, command: str) -> None:
    # a JSON cassette counts; a spec lock and a report in the same folders do not (each
    # worker tells them apart from the text it reads, as a serial run does)
    as_yaml = mixed / "group0" / "job-00.yaml"
    (mixed / "group0" / "job-00.json").write_text(dump_cassette(read_cassette(as_yaml),
                                                                as_json=True))
    as_yaml.unlink()
    (mixed / "group0" / "aws-replay.lock.json").write_text('{"operations": {}}\n')
    (mixed / "group1" / "report.json").write_text('{"findings": [], "files": 3}\n')
    serial = same_with_two_jobs(command, str(mixed))
    assert serial.exit_code == 1
    assert "in 24 cassette(s)" in serial.stdout  # 23 YAML, 1 JSON; the lock and report skipped
    assert "lock.json" not in serial.stdout + serial.stderr
    named = run(command, str(mixed / "group0" / "aws-replay.lock.json"))
    assert named.exit_code == 2  # named on the command line, it is taken and refused
    assert "is not a cassette" in named.stderr


@pytest.mark.parametrize("command", ["check", "scan"])
def test_a_folder_of_json_that_holds_no_cassette_is_no_cassettes(tmp_path: Path,
                                                                 command: str) -> None:
    for index in range(6):
        (tmp_path / f"report-{index}.json").write_text('{"findings": []}\n')
    result = run(command, str(tmp_path), "--jobs", "2")
    assert result.exit_code == 2
    assert "no cassette" in result.stderr and "Traceback" not in result.stderr
