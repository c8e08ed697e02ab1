"""The "user code" of the example suite: what a team's pipeline does with SageMaker AutoML.

It polls a job with boto3 until it ends and turns the description into a report. Nothing here
knows about aws-replay: the tests beside it replay the sample cassettes to the real boto3 client
this code is given, exactly as a user's suite would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TERMINAL = frozenset({"Completed", "Failed", "Stopped"})


class JobNotFound(LookupError):
    """The AutoML job does not exist (SageMaker's ResourceNotFound)."""


@dataclass(frozen=True)
class JobReport:
    name: str
    status: str
    stage: str
    objective: str | None
    score: float | None
    images: tuple[str, ...]
    failure: str | None
    minutes: float | None

    def line(self) -> str:
        text = f"{self.name}: {self.status} ({self.stage})"
        if self.objective is not None:
            text += f", best {self.objective} {self.score:g}"
        if self.failure:
            text += f": {self.failure}"
        return text


def describe(client: Any, name: str) -> dict[str, Any]:
    """The job's description; :class:`JobNotFound` when SageMaker does not know it."""
    try:
        return client.describe_auto_ml_job(AutoMLJobName=name)  # type: ignore[no-any-return]
    except client.exceptions.ResourceNotFound as error:
        raise JobNotFound(name) from error


def wait_for_job(client: Any, name: str, *, poll_seconds: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep,
                 on_poll: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Poll until the job reaches a terminal status; the last description."""
    while True:
        job = describe(client, name)
        if on_poll is not None:
            on_poll(job)
        if job["AutoMLJobStatus"] in TERMINAL:
            return job
        sleep(poll_seconds)


def report(job: dict[str, Any]) -> JobReport:
    """What the dashboard shows about a job (as boto3 returns it)."""
    best = job.get("BestCandidate") or {}
    metric = best.get("FinalAutoMLJobObjectiveMetric") or {}
    ended: datetime | None = job.get("EndTime")
    minutes = (ended - job["CreationTime"]).total_seconds() / 60 if ended else None
    return JobReport(
        name=job["AutoMLJobName"],
        status=job["AutoMLJobStatus"],
        stage=job["AutoMLJobSecondaryStatus"],
        objective=metric.get("MetricName"),
        score=metric.get("Value"),
        images=tuple(c["Image"] for c in best.get("InferenceContainers", [])),
        failure=job.get("FailureReason") or None,
        minutes=minutes,
    )


def launch(client: Any, request: dict[str, Any]) -> str:
    """Start an AutoML job; its ARN."""
    return str(client.create_auto_ml_job(**request)["AutoMLJobArn"])


def candidates(client: Any, name: str, *, page_size: int = 10) -> list[dict[str, Any]]:
    """Every candidate of a job, page by page."""
    pages = client.get_paginator("list_candidates_for_auto_ml_job").paginate(
        AutoMLJobName=name, PaginationConfig={"PageSize": page_size})
    return [candidate for page in pages for candidate in page["Candidates"]]


def stop_and_wait(client: Any, name: str, *, sleep: Callable[[float], None] = time.sleep,
                  poll_seconds: float = 30.0) -> list[str]:
    """Stop a job and poll DescribeAutoMLJobV2 until it stopped; the statuses seen."""
    client.stop_auto_ml_job(AutoMLJobName=name)
    seen: list[str] = []
    while not seen or seen[-1] not in TERMINAL:
        seen.append(client.describe_auto_ml_job_v2(AutoMLJobName=name)["AutoMLJobStatus"])
        if seen[-1] not in TERMINAL:
            sleep(poll_seconds)
    return seen
