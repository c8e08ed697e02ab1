"""Cassettes and downstream-suite files for the plugin and replayer tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.read import read_cassette
from replay.cassette.write import write_cassette
from replay.plugin.engine import ActiveCassette, DriftCache
from replay.plugin.settings import ReplaySettings

DATA = Path(__file__).parents[1] / "data"
JOB = "churn-automl-2026"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


def full_body() -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / "describe_auto_ml_job_full.json").read_text())
    return body


def lifecycle() -> list[dict[str, Any]]:
    """InProgress/Starting, InProgress/CandidateDefinitionsGenerated, then the completed job."""
    done = full_body()
    first = {key: done[key] for key in ("AutoMLJobName", "AutoMLJobArn", "InputDataConfig",
                                       "OutputDataConfig", "RoleArn", "CreationTime",
                                       "LastModifiedTime")}
    return [dict(first, AutoMLJobStatus="InProgress", AutoMLJobSecondaryStatus="Starting"),
            dict(first, AutoMLJobStatus="InProgress",
                 AutoMLJobSecondaryStatus="CandidateDefinitionsGenerated"),
            done]


def describe_interaction(name: str, body: dict[str, Any], status: int = 200,
                         host: str = "api.sagemaker.us-east-1.amazonaws.com") -> Interaction:
    return Interaction(
        request=RecordedRequest(
            method="POST", uri=f"https://{host}/",
            headers={"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
                     "Content-Type": ["application/x-amz-json-1.1"]},
            body=json.dumps({"AutoMLJobName": name})),
        response=RecordedResponse(
            status=status, reason="OK" if status == 200 else "Bad Request",
            headers={"Content-Type": ["application/x-amz-json-1.1"],
                     "x-amzn-RequestId": ["00000000-0000-4000-8000-000000000001"]},
            body=json.dumps(body).encode()))


def write_job_cassette(path: Path, bodies: Sequence[dict[str, Any]], name: str = JOB) -> Path:
    """A cassette answering DescribeAutoMLJob(name) with ``bodies`` in order."""
    write_cassette(path, Cassette(tuple(describe_interaction(name, b) for b in bodies)))
    return path


def drifted_body() -> dict[str, Any]:
    """The completed job with an enum value the model lacks and a member it does not know."""
    return dict(full_body(), AutoMLJobSecondaryStatus="MergingAutoMLTaskReports",
                ModelInsights={"Enabled": True})


POLLING_MODULE = '''
import boto3
import pytest

TERMINAL = {"Completed", "Failed", "Stopped"}


def wait_for(client, name):
    """How the downstream code polls a job (no sleep: replay answers at once)."""
    for _ in range(20):
        job = client.describe_auto_ml_job(AutoMLJobName=name)
        if job["AutoMLJobStatus"] in TERMINAL:
            return job
    raise AssertionError("the job never finished")


@pytest.mark.aws_replay("automl/completed-job")
def test_best_candidate(sagemaker):
    job = wait_for(sagemaker, "churn-automl-2026")
    assert job["AutoMLJobStatus"] == "Completed"
    assert job["BestCandidate"]["CandidateName"]


@pytest.mark.aws_replay("automl/completed-job")
def test_status_with_own_client():
    client = boto3.client("sagemaker", region_name="eu-west-1")
    assert wait_for(client, "churn-automl-2026")["AutoMLJobStatus"] == "Completed"
'''


def active_for(tmp_path: Path, names: list[str], **settings: Any) -> ActiveCassette:
    return ActiveCassette([tmp_path / f"{n}.yaml" for n in names], ReplaySettings(**settings),
                          test_id="tests/test_jobs.py::test_job", rootdir=tmp_path,
                          drift=DriftCache())


def client(region: str = "us-east-1", endpoint_url: str | None = None) -> Any:
    return boto3.client("sagemaker", region_name=region, endpoint_url=endpoint_url,
                        config=NO_RETRY)


def make_cassette(body: dict[str, Any], name: str = "job-1") -> Cassette:
    request = RecordedRequest(
        "POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
        {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
         "Content-Type": ["application/x-amz-json-1.1"], "Content-Length": ["1"]},
        json.dumps({"AutoMLJobName": name}))
    response = RecordedResponse(200, "OK", {"Content-Type": ["application/x-amz-json-1.1"],
                                            "Content-Length": ["1"]},
                                json.dumps(body, separators=(",", ":")).encode())
    return Cassette((Interaction(request, response),), {"source": "synthetic"})





def recorded_names(path: Path) -> list[str]:
    """The job names the requests of a recorded DescribeAutoMLJob cassette ask for, in order."""
    return [json.loads(i.request.body)["AutoMLJobName"] for i in read_cassette(path).interactions]


def list_jobs_interaction(body: dict[str, Any]) -> Interaction:
    """A recorded ListAutoMLJobs call answered with ``body``."""
    return Interaction(
        RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                        {"X-Amz-Target": ["SageMaker.ListAutoMLJobs"],
                         "Content-Type": ["application/x-amz-json-1.1"]}, "{}"),
        RecordedResponse(200, "OK", {"Content-Type": ["application/x-amz-json-1.1"]},
                         json.dumps(body).encode()))
