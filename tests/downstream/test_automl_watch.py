"""The example user's tests: their polling code against the sample cassettes, replayed."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from replay.synth.strategies import automl_jobs, automl_lifecycles
from tests.downstream.automl_watch import JobNotFound, describe, report, wait_for_job
from tests.downstream.conftest import Sleeps

RUNNING = ["starting", "analyzing", "engineering", "tuning", "training", "explaining",
           "insights", "deploying"]


@pytest.mark.aws_replay("automl/completed-job")
def test_a_completed_job_reports_its_best_candidate(sagemaker: Any, sleeps: Sleeps) -> None:
    job = wait_for_job(sagemaker, "completed-job", sleep=sleeps)
    summary = report(job)
    assert summary.status == "Completed" and sleeps == []
    assert summary.objective == job["AutoMLJobObjective"]["MetricName"]
    assert summary.images and all(
        image.startswith("683313688378.dkr.ecr.us-east-1.amazonaws.com/")
        for image in summary.images)
    assert summary.minutes is not None and summary.minutes > 0
    assert summary.line().startswith("completed-job: Completed (Completed), best ")


@pytest.mark.aws_replay("automl/lifecycle-job")
def test_the_poller_follows_a_job_from_starting_to_completed(sagemaker: Any,
                                                            sleeps: Sleeps) -> None:
    seen: list[str] = []
    job = wait_for_job(sagemaker, "lifecycle-job", poll_seconds=30, sleep=sleeps,
                       on_poll=lambda j: seen.append(j["AutoMLJobSecondaryStatus"]))
    assert seen[0] == "Starting" and seen[-1] == "Completed"
    assert "AnalyzingData" in seen and len(seen) == len(set(seen))
    assert sleeps == [30] * (len(seen) - 1)
    assert report(job).status == "Completed"


@pytest.mark.aws_replay("automl/failed-job")
def test_a_failed_job_says_why(sagemaker: Any, sleeps: Sleeps) -> None:
    summary = report(wait_for_job(sagemaker, "failed-job", sleep=sleeps))
    assert summary.status == "Failed" and summary.failure
    assert summary.line().endswith(f": {summary.failure}")
    assert summary.images == ()


@pytest.mark.aws_replay("automl/stopped-job")
def test_a_stopped_job_ends_the_wait(sagemaker: Any, sleeps: Sleeps) -> None:
    assert report(wait_for_job(sagemaker, "stopped-job", sleep=sleeps)).stage == "Stopped"


@pytest.mark.aws_replay("automl/missing-job")
def test_a_job_that_does_not_exist_is_job_not_found(sagemaker: Any) -> None:
    with pytest.raises(JobNotFound, match="missing-job"):
        describe(sagemaker, "missing-job")


@pytest.mark.parametrize("kind", [
    pytest.param(kind, marks=pytest.mark.aws_replay(f"automl/running/{kind}-job"))
    for kind in RUNNING])
def test_a_running_job_is_shown_with_its_stage(kind: str, sagemaker: Any) -> None:
    summary = report(describe(sagemaker, f"{kind}-job"))
    assert summary.status == "InProgress" and summary.minutes is None
    assert summary.line().startswith(f"{kind}-job: InProgress (")


# The plugin fails a test whose replayed response breaks the model (drift "error", the
# default); this one looks at the drift on purpose, so it only warns, and the warning is
# expected.
@pytest.mark.aws_replay("drifted/drifted-job", drift="warn")
@pytest.mark.filterwarnings("ignore::replay.plugin.AwsReplayWarning")
def test_drift_is_invisible_to_boto3_but_not_to_aws_replay(
        sagemaker: Any, aws_replay_cassette: Any) -> None:
    job = describe(sagemaker, "drifted-job")
    # boto3 passes an enum value its model does not know straight to the code...
    assert (report(job).objective or "").startswith("validation:")
    # ...and silently drops a member its model does not know.
    assert "AutoMLProblemTypeConfigName" not in job
    assert {f.kind for f in aws_replay_cassette.findings} == {"enum", "unknown-member"}


# Property tests of the same code, on generated jobs (replay.synth.strategies), with no cassette.

@settings(max_examples=60, deadline=None)
@given(automl_jobs(parsed=True))
def test_the_report_line_never_breaks_on_any_realistic_job(job: dict[str, Any]) -> None:
    line = report(job).line()
    assert line.startswith(f"{job['AutoMLJobName']}: {job['AutoMLJobStatus']}")


@settings(max_examples=25, deadline=None)
@given(automl_lifecycles(["completed", "failed", "stopped", "candidates", "maxcandidates"],
                         parsed=True))
def test_the_poller_stops_exactly_at_the_end_of_any_lifecycle(
        steps: list[dict[str, Any]]) -> None:
    class Client:
        calls = 0

        def describe_auto_ml_job(self, AutoMLJobName: str) -> dict[str, Any]:
            self.calls += 1
            return steps[min(self.calls, len(steps)) - 1]

    client = Client()
    sleeps = Sleeps()
    job = wait_for_job(client, steps[0]["AutoMLJobName"], sleep=sleeps)
    assert job is steps[-1] and client.calls == len(steps) == len(sleeps) + 1
