"""Synthetic DescribeAutoMLJob jobs: spec-valid, realistic, and the same every time for a name.

The local endpoint (``aws-replay serve --synthetic``), the sample cassettes and the demo answer
from here, so there is an "AWS account" to record from without one. A job's story is fixed by the
first word of its name (the text before the first ``-``); everything else (problem type, mode,
channels, metrics, candidate, timestamps) is drawn from a generator seeded by the whole name:

==================  ==========================================================================
name starts with    the job
==================  ==========================================================================
``missing-``        does not exist: HTTP 400 ``ResourceNotFound``
``failed-``         ``Failed``/``Failed``, with ``FailureReason`` and ``PartialFailureReasons``
``stopped-``        ``Stopped``/``Stopped`` (stopped while building candidates)
``stopping-``       ``Stopping``/``Stopping``
``starting-``       ``InProgress``/``Starting``
``analyzing-``      ``InProgress``/``AnalyzingData``
``engineering-``    ``InProgress``/``FeatureEngineering`` (hyperparameter tuning mode)
``tuning-``         ``InProgress``/``ModelTuning`` (hyperparameter tuning mode)
``training-``       ``InProgress``/``TrainingModels`` (ensembling mode)
``explaining-``     ``InProgress``/``GeneratingExplainabilityReport``
``insights-``       ``InProgress``/``GeneratingModelInsightsReport``
``deploying-``      ``InProgress``/``DeployingModel`` (with ``ModelDeployConfig``)
``candidates-``     ``Completed``/``CandidateDefinitionsGenerated`` (definitions only)
``maxcandidates-``  ``Completed``/``MaxCandidatesReached``
``lifecycle-``      plays its lifecycle, one step per call, through :class:`SyntheticJobs`
``textgen-``        V2 only: an LLM fine-tuned from a base model, through ``PreTraining``
``forecast-``       V2 only: time-series forecasting
``drifted-``        ``Completed``, but drifted from the model: see below
anything else       ``Completed``/``Completed`` with a best candidate and inference containers
==================  ==========================================================================

A ``drifted-`` job is what the API looks like when it changed before botocore's model did: its
final body carries an undocumented member (:data:`DRIFT_MEMBER`, a member of
DescribeAutoMLJobV2 leaking into V1) and an objective metric name the model's enum does not know
(``validation:<metric>``, as real Autopilot output shows); its lifecycle passes through a
secondary status the model does not list (:data:`DRIFT_SECONDARY_STATUS`); :func:`drifted_body`
applies the same drift to any body. Every other job is spec-valid. A name SageMaker would
reject (empty, over 32 characters, not letters, digits and hyphens) answers 400
``ValidationException``, as SageMaker does.

Account ids in ARNs and buckets are the placeholder :data:`ACCOUNT_ID`; container images use the
AWS-owned registries of the region (public, kept by the sanitizer). This module does not import
hypothesis: the endpoint stays light. The hypothesis strategies are in
:mod:`replay.synth.strategies`.

Example::

    status, body = synthetic_response("churn-2026")         # (200, {... "Completed" ...})
    steps = synthetic_lifecycle("churn-2026")                # Starting, AnalyzingData, ...
    jobs = SyntheticJobs()          # = replay.synth.account.SyntheticAccount: the whole family
    jobs.describe("lifecycle-churn")[1]["AutoMLJobSecondaryStatus"]   # 'Starting', then on
"""

from __future__ import annotations

import copy
import hashlib
import random
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from replay.synth.job import build_job
from replay.synth.parts import ACCOUNT_ID, DEFAULT_REGION, Body, Chooser

__all__ = [
    "ACCOUNT_ID", "DEFAULT_REGION", "DRIFT_MEMBER", "DRIFT_SECONDARY_STATUS", "FINAL_STATES",
    "Chooser", "RandomChooser", "drifted_body", "is_valid_job_name", "job_kind",
    "lifecycle_bodies", "not_found_body", "synthetic_lifecycle", "synthetic_response",
    "validation_error_body",
]

T = TypeVar("T")

DRIFT_MEMBER = "AutoMLProblemTypeConfigName"
"""The undocumented member a ``drifted-`` job's final body carries."""

DRIFT_SECONDARY_STATUS = "MergingAutoMLTaskReports"
"""The secondary status, unknown to the model, a ``drifted-`` job's lifecycle passes through."""

_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")

_IN_PROGRESS = "InProgress"

# prefix -> (final AutoMLJobStatus, final AutoMLJobSecondaryStatus); absent: Completed/Completed.
FINAL_STATES: dict[str, tuple[str, str]] = {
    "failed": ("Failed", "Failed"),
    "stopped": ("Stopped", "Stopped"),
    "stopping": ("Stopping", "Stopping"),
    "starting": (_IN_PROGRESS, "Starting"),
    "analyzing": (_IN_PROGRESS, "AnalyzingData"),
    "engineering": (_IN_PROGRESS, "FeatureEngineering"),
    "tuning": (_IN_PROGRESS, "ModelTuning"),
    "training": (_IN_PROGRESS, "TrainingModels"),
    "explaining": (_IN_PROGRESS, "GeneratingExplainabilityReport"),
    "insights": (_IN_PROGRESS, "GeneratingModelInsightsReport"),
    "deploying": (_IN_PROGRESS, "DeployingModel"),
    "candidates": ("Completed", "CandidateDefinitionsGenerated"),
    "maxcandidates": ("Completed", "MaxCandidatesReached"),
}


class RandomChooser:
    """A :class:`Chooser` over ``random.Random`` (deterministic for a seed)."""

    def __init__(self, seed: int | str) -> None:
        if isinstance(seed, str):
            # random.seed(str) is stable too, but a digest keeps the seed independent of
            # Python's hashing details across versions.
            seed = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big")
        self._random = random.Random(seed)

    def choice(self, options: Sequence[T]) -> T:
        return options[self._random.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self._random.randint(low, high)

    def chance(self, probability: float) -> bool:
        return self._random.random() < probability


def job_kind(job_name: str) -> str:
    """The story word of a job name (``failed`` for ``failed-churn``), lower-cased."""
    return job_name.partition("-")[0].lower() if "-" in job_name else ""


def is_valid_job_name(job_name: str) -> bool:
    """Whether SageMaker accepts ``job_name`` as an AutoML job name."""
    return 1 <= len(job_name) <= 32 and _JOB_NAME.fullmatch(job_name) is not None


def not_found_body(job_name: str) -> Body:
    """The body SageMaker answers (HTTP 400) for a job that does not exist."""
    return {"__type": "ResourceNotFound",
            "Message": f"Could not find AutoML job with name {job_name}."}


def validation_error_body(job_name: str) -> Body:
    """The body SageMaker answers (HTTP 400) for a job name it rejects."""
    return {"__type": "ValidationException",
            "message": f"1 validation error detected: Value '{job_name}' at 'autoMLJobName' "
                       "failed to satisfy constraint: Member must satisfy regular expression "
                       "pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}"}


def lifecycle_bodies(chooser: Chooser, job_name: str, region: str = DEFAULT_REGION) -> list[Body]:
    """Every body the job shows from ``Starting`` to its final state, choices from ``chooser``.

    The engine under :func:`synthetic_lifecycle` and the hypothesis strategies; ``job_name``
    must be valid and not a ``missing-`` name.
    """
    kind = job_kind(job_name)
    final = FINAL_STATES.get(kind, ("Completed", "Completed"))
    steps = build_job(chooser, job_name, region, kind=kind, final=final)
    if kind == "drifted":
        merging = copy.deepcopy(steps[-2])
        merging["AutoMLJobSecondaryStatus"] = DRIFT_SECONDARY_STATUS
        merging["LastModifiedTime"] = round(
            (merging["LastModifiedTime"] + steps[-1]["LastModifiedTime"]) / 2, 3)
        steps = [*steps[:-1], merging, drifted_body(steps[-1])]
    return steps


def drifted_body(body: Body) -> Body:
    """A copy of a DescribeAutoMLJob ``body`` as SageMaker answers once its API has drifted
    from botocore's model: with :data:`DRIFT_MEMBER` and, when there is a best candidate, an
    objective metric name outside the model's enum (``validation:<metric>``)."""
    drifted = copy.deepcopy(body)
    drifted[DRIFT_MEMBER] = "Tabular"
    metric = drifted.get("BestCandidate", {}).get("FinalAutoMLJobObjectiveMetric")
    if metric and ":" not in metric["MetricName"]:
        metric["MetricName"] = f"validation:{metric['MetricName'].lower()}"
    return drifted


def synthetic_lifecycle(job_name: str, region: str = DEFAULT_REGION) -> list[Body]:
    """The bodies a poller sees for ``job_name``, in order, ending with its final state.

    ``[]`` for a job that does not exist (``missing-``) or a name SageMaker rejects.
    """
    if job_kind(job_name) == "missing" or not is_valid_job_name(job_name):
        return []
    return lifecycle_bodies(RandomChooser(f"{region}/{job_name}"), job_name, region)


def synthetic_response(job_name: str, region: str = DEFAULT_REGION, *,
                       poll: int | None = None) -> tuple[int, Body]:
    """The HTTP status and JSON body SageMaker answers DescribeAutoMLJob with, for ``job_name``.

    Deterministic per name and region. Without ``poll``, the job's final state; with ``poll``
    (0 for the first DescribeAutoMLJob call), a ``lifecycle-`` job answers that step of its
    lifecycle (then stays on the last); other jobs ignore ``poll``. A server that wants
    ``lifecycle-`` jobs to progress counts calls per name, as :class:`SyntheticJobs` does.
    """
    if not is_valid_job_name(job_name):
        return 400, validation_error_body(job_name)
    if job_kind(job_name) == "missing":
        return 400, not_found_body(job_name)
    steps = synthetic_lifecycle(job_name, region)
    if poll is not None and job_kind(job_name) == "lifecycle":
        return 200, steps[min(max(poll, 0), len(steps) - 1)]
    return 200, steps[-1]


def __getattr__(name: str) -> Any:
    # SyntheticJobs grew into the whole AutoML family (replay.synth.account), which builds on
    # this module: imported on first use, so the old name keeps working.
    if name == "SyntheticJobs":
        from replay.synth.account import SyntheticJobs

        return SyntheticJobs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
