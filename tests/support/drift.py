"""Shared test helpers."""

from __future__ import annotations

import copy
import json
from typing import Any

from replay.cassette.model import Interaction, RecordedRequest, RecordedResponse
from replay.core.findings import Severity
from replay.drift.diff import diff_interactions


def interaction(body: Any, status: int = 200, job: str = "churn-automl-2026") -> Interaction:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Interaction(request(job), RecordedResponse(status, "OK", {}, raw))


def changes(old: Any, new: Any, **kwargs: Any) -> list[tuple[str, Severity, str]]:
    found = diff_interactions(interaction(old), interaction(new), **kwargs)
    return sorted((f.kind, f.severity, f.path) for f in found)


def rerecorded(body: dict[str, Any]) -> dict[str, Any]:
    """The same job recorded again later: only volatile values differ."""
    new = copy.deepcopy(body)
    new["CreationTime"] += 3600
    new["LastModifiedTime"] += 3600
    best = new["BestCandidate"]
    best["CandidateName"] = "churn-automl-2026-other-candidate"
    best["FinalAutoMLJobObjectiveMetric"]["Value"] = 0.5
    for step in best["CandidateSteps"]:
        step["CandidateStepName"] += "-x"
        step["CandidateStepArn"] += "-x"
    prefix = body["OutputDataConfig"]["S3OutputPath"].rstrip("/")
    best["InferenceContainers"][0]["ModelDataUrl"] = f"{prefix}/new-run/model.tar.gz"
    return new


def request(job: str = "churn-automl-2026") -> RecordedRequest:
    return RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                           {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]},
                           json.dumps({"AutoMLJobName": job}))
