"""The example user's pipeline end to end, replayed offline: create a job, poll it to Completed,
list its candidates, stop another (the samples under cassettes/automl/family)."""

from __future__ import annotations

from typing import Any

import pytest

from replay.scenarios import tabular_request
from tests.downstream.automl_watch import candidates, launch, report, stop_and_wait, wait_for_job
from tests.downstream.conftest import Sleeps


@pytest.mark.aws_replay("automl/family/created-job")
def test_a_created_job_is_polled_to_completed_and_its_best_candidate_is_listed(
        sagemaker: Any, sleeps: Sleeps) -> None:
    arn = launch(sagemaker, tabular_request("created-job"))
    job = wait_for_job(sagemaker, "created-job", poll_seconds=60, sleep=sleeps)
    listed = candidates(sagemaker, "created-job", page_size=2)

    assert job["AutoMLJobArn"] == arn and report(job).status == "Completed"
    assert len(sleeps) > 1  # it was running for a while
    best = job["BestCandidate"]["CandidateName"]
    assert best in [c["CandidateName"] for c in listed] and len(listed) > 2
    done = [c for c in listed if c["CandidateStatus"] == "Completed"]
    values = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in done]
    assert job["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["Value"] == max(values)


@pytest.mark.aws_replay("automl/family/stopped-v2-job")
def test_another_job_is_stopped(sagemaker: Any, sleeps: Sleeps) -> None:
    running = sagemaker.describe_auto_ml_job_v2(AutoMLJobName="stopped-v2-job")
    assert running["AutoMLJobStatus"] == "InProgress"
    assert stop_and_wait(sagemaker, "stopped-v2-job", sleep=sleeps) == ["Stopping", "Stopped"]
    assert sleeps == [30.0]
