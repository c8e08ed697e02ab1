"""What a pipeline does with the AutoML family, scripted: the sample cassettes and the demo
record these through boto3 against ``aws-replay serve --synthetic``.

Each scenario is a function of a boto3 SageMaker client (create a job, poll it to the end, list
its candidates, stop another...). :func:`scenario_server` starts the synthetic endpoint with a
clock that ticks a fixed step per look, so a created job's timestamps, and so its cassette,
are the same on every run (the sample cassettes are checked for staleness).

Example::

    with offline_aws_environment(), scenario_server() as server:
        client = boto3.client("sagemaker", endpoint_url=server.url)
        create_poll_and_list(client, "churn-pipeline")
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from replay.serve.responders import SyntheticResponder
from replay.serve.server import ReplayHTTPServer, RunningServer
from replay.synth.parts import JOB_EPOCH

BUCKET = "s3://sagemaker-us-east-1-000000000001"
ROLE = "arn:aws:iam::000000000001:role/service-role/AmazonSageMaker-ExecutionRole-pipeline"
TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
MAX_POLLS = 100

Scenario = Callable[[Any, str], None]


@contextlib.contextmanager
def scenario_server(*, tick: float = 1.0, time_scale: float = 600.0) -> Iterator[RunningServer]:
    """The synthetic endpoint on 127.0.0.1 with a clock that advances ``tick`` seconds each
    time it is read (so a poller needs no sleep, and the timeline is deterministic)."""
    counter = itertools.count()

    def clock() -> float:
        return JOB_EPOCH + 86400 + next(counter) * tick

    responder = SyntheticResponder(time_scale=time_scale, clock=clock)
    with RunningServer(ReplayHTTPServer(("127.0.0.1", 0), responder)) as server:
        yield server


def tabular_request(name: str, **extra: Any) -> dict[str, Any]:
    """A CreateAutoMLJob request for a churn table in the placeholder account."""
    return {"AutoMLJobName": name,
            "InputDataConfig": [{
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                "S3Uri": f"{BUCKET}/churn/train/"}},
                "TargetAttributeName": "churned", "ContentType": "text/csv;header=present"}],
            "OutputDataConfig": {"S3OutputPath": f"{BUCKET}/churn/output"},
            "ProblemType": "BinaryClassification", "AutoMLJobObjective": {"MetricName": "F1"},
            "AutoMLJobConfig": {"CompletionCriteria": {"MaxCandidates": 10}},
            "RoleArn": ROLE, **extra}


def tabular_v2_request(name: str) -> dict[str, Any]:
    """The same table as a CreateAutoMLJobV2 request (``TabularJobConfig``)."""
    return {"AutoMLJobName": name,
            "AutoMLJobInputDataConfig": [{
                "ChannelType": "training", "ContentType": "text/csv;header=present",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                "S3Uri": f"{BUCKET}/churn/train/"}}}],
            "OutputDataConfig": {"S3OutputPath": f"{BUCKET}/churn/output"},
            "AutoMLProblemTypeConfig": {"TabularJobConfig": {
                "TargetAttributeName": "churned", "ProblemType": "BinaryClassification",
                "CompletionCriteria": {"MaxCandidates": 10}}},
            "AutoMLJobObjective": {"MetricName": "F1"}, "RoleArn": ROLE}


def text_generation_request(name: str) -> dict[str, Any]:
    """A CreateAutoMLJobV2 request fine-tuning an LLM (``TextGenerationJobConfig``)."""
    return {"AutoMLJobName": name,
            "AutoMLJobInputDataConfig": [{
                "ChannelType": "training", "ContentType": "text/csv;header=present",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                "S3Uri": f"{BUCKET}/support/train/"}}}],
            "OutputDataConfig": {"S3OutputPath": f"{BUCKET}/support/output"},
            "AutoMLProblemTypeConfig": {"TextGenerationJobConfig": {
                "BaseModelName": "Falcon7BInstruct",
                "ModelAccessConfig": {"AcceptEula": True}}},
            "RoleArn": ROLE}


def poll(describe: Callable[..., Any], name: str) -> dict[str, Any]:
    """Describe ``name`` until it reaches a terminal status; the last description."""
    for _ in range(MAX_POLLS):
        job: dict[str, Any] = describe(AutoMLJobName=name)
        if job["AutoMLJobStatus"] in TERMINAL:
            return job
    raise RuntimeError(f"{name} did not finish in {MAX_POLLS} polls")


def all_candidates(client: Any, name: str, page_size: int = 2) -> list[dict[str, Any]]:
    """Every candidate of ``name``, through the paginator, ``page_size`` a page."""
    pages = client.get_paginator("list_candidates_for_auto_ml_job").paginate(
        AutoMLJobName=name, PaginationConfig={"PageSize": page_size})
    return [candidate for page in pages for candidate in page["Candidates"]]


def create_poll_and_list(client: Any, name: str) -> None:
    """CreateAutoMLJob, DescribeAutoMLJob until Completed, every page of its candidates."""
    client.create_auto_ml_job(**tabular_request(name))
    poll(client.describe_auto_ml_job, name)
    all_candidates(client, name)


def create_v2_and_stop(client: Any, name: str) -> None:
    """CreateAutoMLJobV2, one look at it, StopAutoMLJob, DescribeAutoMLJobV2 until Stopped."""
    client.create_auto_ml_job_v2(**tabular_v2_request(name))
    client.describe_auto_ml_job_v2(AutoMLJobName=name)
    client.stop_auto_ml_job(AutoMLJobName=name)
    poll(client.describe_auto_ml_job_v2, name)


def fine_tune_llm(client: Any, name: str) -> None:
    """CreateAutoMLJobV2 for text generation, DescribeAutoMLJobV2 through PreTraining to the
    end."""
    client.create_auto_ml_job_v2(**text_generation_request(name))
    poll(client.describe_auto_ml_job_v2, name)


def list_every_job(client: Any, name: str) -> None:
    """ListAutoMLJobs, every page, two jobs a page (``name`` is unused: the account's jobs)."""
    for _ in client.get_paginator("list_auto_ml_jobs").paginate(
            PaginationConfig={"PageSize": 2}):
        pass
