"""The plugin under pytest-xdist: replay from two workers, and recording that never loses or
interleaves an interaction when workers write the same cassette."""

from __future__ import annotations

import json
from pathlib import Path

import boto3  # noqa: F401 - see test_plugin.py: shared across in-process sessions
import hypothesis  # noqa: F401
import pytest

from replay.cassette.read import read_cassette
from tests.support.cassettes import JOB, drifted_body, full_body, lifecycle, write_job_cassette
from tests.support.stub_sagemaker import StubSageMaker

JOBS = [f"job-{n:02d}" for n in range(8)]

REPLAY_MODULE = """
import pytest

@pytest.mark.parametrize("poll", range(6))
@pytest.mark.aws_replay("automl/completed-job")
def test_poll(sagemaker, poll):
    for _ in range(poll + 1):
        job = sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
    assert job["AutoMLJobSecondaryStatus"] == [
        "Starting", "CandidateDefinitionsGenerated", "Completed"][min(poll, 2)]

@pytest.mark.parametrize("n", range(2))
@pytest.mark.aws_replay("automl/drifted")
def test_drifted(sagemaker, n):
    sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
"""

RECORD_MODULE = f"""
import pytest

@pytest.mark.parametrize("job", {JOBS!r})
@pytest.mark.aws_replay("recorded/all-jobs")
def test_record(sagemaker, job):
    assert sagemaker.describe_auto_ml_job(AutoMLJobName=job)["AutoMLJobName"] == job
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-aws-credentials"))
    write_job_cassette(pytester.path / "cassettes" / "automl" / "completed-job.yaml", lifecycle())
    write_job_cassette(pytester.path / "cassettes" / "automl" / "drifted.yaml", [drifted_body()])
    return pytester


def test_replay_on_two_workers_reports_once_on_the_controller(project: pytest.Pytester) -> None:
    project.makepyfile(test_replay=REPLAY_MODULE)
    result = project.runpytest("-n", "2", "--aws-replay-drift=warn",
                               "--aws-replay-unused=error", "--aws-replay-report=drift.json")
    result.assert_outcomes(passed=8, warnings=2)
    assert result.ret == 0  # every interaction was played by some worker: none unused
    assert result.stdout.str().count("aws-replay drift summary") == 1
    report = json.loads((project.path / "drift.json").read_text())
    assert [(f["cassette"], f["path"]) for f in report["findings"]] == [
        ("cassettes/automl/drifted.yaml", "$.AutoMLJobSecondaryStatus"),
        ("cassettes/automl/drifted.yaml", "$.ModelInsights")]
    assert report["summary"]["cassettes"] == 2
    assert report["summary"]["interactions"] == 4


@pytest.fixture
def stub(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
         stub_sagemaker: StubSageMaker) -> StubSageMaker:
    for job in JOBS:
        stub_sagemaker.jobs[job] = dict(full_body(), AutoMLJobName=job)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", stub_sagemaker.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    project.makepyfile(test_record=RECORD_MODULE)
    return stub_sagemaker


def recorded(path: Path) -> list[str]:
    return [json.loads(i.request.body)["AutoMLJobName"] for i in read_cassette(path).interactions]


def test_workers_recording_one_cassette_lose_nothing(project: pytest.Pytester,
                                                     stub: StubSageMaker) -> None:
    # once: the cassette did not exist when the run started, so every test adds to it
    result = project.runpytest("-n", "2", "--aws-replay-mode=once")
    result.assert_outcomes(passed=len(JOBS))
    cassette = project.path / "cassettes" / "recorded" / "all-jobs.yaml"
    assert sorted(recorded(cassette)) == JOBS
    assert not [p.name for p in cassette.parent.iterdir() if p.name != "all-jobs.yaml"]
    assert len(stub.requests) == len(JOBS)
    # and the merged cassette replays every job, offline
    project.runpytest().assert_outcomes(passed=len(JOBS))
    assert len(stub.requests) == len(JOBS)


def test_rewrite_on_workers_replaces_the_old_cassette_once(project: pytest.Pytester,
                                                           stub: StubSageMaker) -> None:
    cassette = write_job_cassette(project.path / "cassettes" / "recorded" / "all-jobs.yaml",
                                  [full_body()])
    assert recorded(cassette) == [JOB]
    result = project.runpytest("-n", "2", "--aws-replay-mode=rewrite")
    result.assert_outcomes(passed=len(JOBS))
    assert sorted(recorded(cassette)) == JOBS
