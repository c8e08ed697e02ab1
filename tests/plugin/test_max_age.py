"""The plugin's --aws-replay-max-age: stale replayed cassettes listed once per run."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import boto3  # noqa: F401 - shared across in-process pytester sessions (see test_pytest_plugin)
import hypothesis  # noqa: F401
import pytest

from replay.cassette.read import read_cassette
from replay.cassette.write import build_meta, write_cassette
from tests.support.cassettes import JOB, full_body, write_job_cassette
from tests.support.planted import rng_secret

MODULE = f"""
import pytest

@pytest.mark.parametrize("n", range(3))
@pytest.mark.aws_replay("automl/old-job")
def test_old(sagemaker, n):
    assert sagemaker.describe_auto_ml_job(AutoMLJobName="{JOB}")["AutoMLJobName"]

@pytest.mark.aws_replay("automl/new-job")
def test_new(sagemaker):
    assert sagemaker.describe_auto_ml_job(AutoMLJobName="{JOB}")["AutoMLJobName"]
"""


def _recorded(path: Path, when: datetime) -> None:
    write_job_cassette(path, [full_body()])
    cassette = read_cassette(path)
    write_cassette(path, replace(cassette, meta=build_meta("live", recorded_at=when)))


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(name, raising=False)
    _recorded(pytester.path / "cassettes" / "automl" / "old-job.yaml",
              datetime(2020, 1, 1, tzinfo=UTC))
    _recorded(pytester.path / "cassettes" / "automl" / "new-job.yaml", datetime.now(UTC))
    pytester.makepyfile(test_jobs=MODULE)
    return pytester


def _section(output: list[str]) -> list[str]:
    starts = [i for i, line in enumerate(output) if " aws-replay stale cassettes " in line]
    assert len(starts) == 1, "\n".join(output)
    end = next((i for i in range(starts[0] + 1, len(output)) if output[i].startswith("====")),
               len(output))
    return output[starts[0] + 1:end]


def test_a_stale_cassette_is_listed_once_in_the_summary(project: pytest.Pytester) -> None:
    result = project.runpytest("--aws-replay-max-age", "90d", "--aws-replay-report",
                               "drift.json")
    result.assert_outcomes(passed=4)
    lines = _section(result.outlines)
    assert lines[0].startswith("1 replayed cassette(s) are older than 90d (or of unknown age)")
    assert lines[1].startswith("  cassettes/automl/old-job.yaml: recorded 2020-01-01, ")
    assert lines[2].startswith("aws-replay: drift report written to ")
    report = json.loads((project.path / "drift.json").read_text())
    assert [(f["kind"], Path(f["cassette"]).name) for f in report["findings"]] == [
        ("stale-cassette", "old-job.yaml")]


def test_the_ini_setting_works_and_without_it_ages_are_not_checked(
        project: pytest.Pytester) -> None:
    quiet = project.runpytest()
    assert "stale cassettes" not in quiet.stdout.str()
    project.makeini("[pytest]\naws_replay_max_age = 12w\n")
    result = project.runpytest()
    assert _section(result.outlines)[0].startswith("1 replayed cassette(s) are older than 12w")


def test_under_xdist_the_controller_lists_it_once(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "xdist", "-n", "2", "--aws-replay-max-age", "90d")
    result.assert_outcomes(passed=4)
    assert len(_section(result.outlines)) == 2
    assert result.stdout.str().count("old-job.yaml: recorded 2020-01-01") == 1


def test_a_bad_max_age_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--aws-replay-max-age", "soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "aws-replay max_age 'soon' is not an age; write it like 90d" in result.stderr.str()


def test_a_usage_error_passes_the_output_gate(project: pytest.Pytester) -> None:
    key = rng_secret("access-key")  # pasted into the wrong setting
    result = project.runpytest("--aws-replay-max-age", key)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stderr.str() + result.stdout.str()
    assert key not in output
    assert f"aws-replay max_age '{key[:4]}****" in output


def test_a_stale_cassette_is_listed_when_pytest_starts_in_a_subfolder(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = project.path / "docs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = project.runpytest(str(project.path), "--rootdir", str(project.path),
                               "--aws-replay-max-age", "90d")
    result.assert_outcomes(passed=4)
    assert _section(result.outlines)[1].startswith(
        "  cassettes/automl/old-job.yaml: recorded 2020-01-01, ")
