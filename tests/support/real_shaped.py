"""DescribeAutoMLJob answers shaped like the real ones printed in public notebooks: the values
no botocore model lists (replay/data/observed_values.json) where AWS puts them, the rest of the
body synthesised from the spec-valid full job of tests/data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parents[1] / "data"
FINAL_METRIC = "$.BestCandidate.FinalAutoMLJobObjectiveMetric.MetricName"
CANDIDATE_METRIC = "$.BestCandidate.CandidateProperties.CandidateMetrics[{}].MetricName"
SECONDARY_STATUS = "$.AutoMLJobSecondaryStatus"


def _job(name: str) -> dict[str, Any]:
    text = (DATA / "describe_auto_ml_job_full.json").read_text()
    old = json.loads(text)["AutoMLJobName"]
    body: dict[str, Any] = json.loads(text.replace(old, name))  # ARNs and S3 paths follow it
    return body


def completed(name: str, objective: str, logloss_at: int = 5) -> dict[str, Any]:
    """A completed job whose best candidate reports ``objective`` as its final metric name (as
    real jobs do: ``validation:accuracy``, not the enum's ``Accuracy``) and ``LogLoss`` among
    its candidate metrics."""
    body = _job(name)
    best = body["BestCandidate"]
    best["FinalAutoMLJobObjectiveMetric"]["MetricName"] = objective
    best["CandidateProperties"]["CandidateMetrics"][logloss_at]["MetricName"] = "LogLoss"
    return body


def merging(name: str) -> dict[str, Any]:
    """A job in its last stage, which real jobs report as ``MergingAutoMLTaskReports``."""
    body = _job(name)
    body.update(AutoMLJobStatus="InProgress", AutoMLJobSecondaryStatus="MergingAutoMLTaskReports")
    for member in ("EndTime", "BestCandidate", "ModelDeployResult"):
        body.pop(member, None)
    return body


def real_jobs() -> dict[str, dict[str, Any]]:
    """Four jobs carrying the four kinds of real value (five values in all)."""
    return {
        "churn-accuracy": completed("churn-accuracy", "validation:accuracy"),
        "churn-binary": completed("churn-binary", "validation:binary_classification_accuracy",
                                  logloss_at=2),
        "churn-f1": completed("churn-f1", "validation:f1", logloss_at=0),
        "churn-merging": merging("churn-merging"),
    }
