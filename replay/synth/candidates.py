"""The candidates of a synthetic job, as ListCandidatesForAutoMLJob lists them.

Built from the job's own description so the two agree: the best candidate Describe names is
one of them, unchanged; the others are its siblings (the same steps and containers under their
own trial name), each with an objective value no better than the best's, created within the
job's lifetime. While the job still trains, some are ``InProgress`` (no metric yet); a stopped
job's unfinished candidates are ``Stopped``; some candidates ``Failed`` with a reason. A job
without a best candidate yet lists none.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from replay.synth.parts import Body, Chooser, hex

_TRIAL = re.compile(r"^(?P<head>.*-)(?P<trial>\d{3})(?P<tail>-[0-9a-f]{8})$")
_ENSEMBLE_MEMBERS = ("LightGBM", "CatBoost", "XGBoost", "RandomForestGini", "ExtraTreesMSE",
                     "NeuralNetTorch", "NeuralNetFastAI", "LinearModel")
_RATIO_METRICS = frozenset({"Accuracy", "F1", "F1macro", "AUC", "BalancedAccuracy", "Precision",
                            "PrecisionMacro", "Recall", "RecallMacro", "R2", "RougeL"})
_FAILURE = "AlgorithmError: training stopped early: the objective metric did not improve"


def _sibling_names(best: str, count: int, chooser: Chooser) -> list[str]:
    trial = _TRIAL.match(best)
    names: list[str] = []
    if trial is not None:  # hyperparameter tuning: the same prefix, other trial numbers
        taken = {int(trial["trial"])}
        while len(names) < count:
            number = chooser.integer(1, 250)
            if number not in taken:
                taken.add(number)
                names.append(f"{trial['head']}{number:03d}-{hex(chooser, 8)}")
        return names
    members = list(_ENSEMBLE_MEMBERS)
    for index in range(count):
        names.append(f"{members[index % len(members)]}-t{index // len(members) + 1}"
                     if "Ensemble" in best else f"{best[:48]}-{index + 2:02d}")
    return names


def _worse(value: float, metric: str | None, minimize: bool, factor: float) -> float:
    if minimize or metric in ("MSE", "RMSE", "MAE", "LogLoss", "InferenceLatency",
                              "ValidationLoss", "TrainingLoss", "Perplexity"):
        return round(value * (1 + factor), 4)
    worse = value * (1 - factor)
    return round(min(worse, 1.0) if metric in _RATIO_METRICS else worse, 4)


def _sibling(best: Body, name: str, chooser: Chooser, status: str, job: Body) -> Body:
    candidate = copy.deepcopy(best)
    old = best["CandidateName"]
    candidate["CandidateName"] = name
    for step in candidate.get("CandidateSteps", []):
        if step["CandidateStepName"] == old:
            step["CandidateStepName"] = name
            step["CandidateStepArn"] = step["CandidateStepArn"].replace(old.lower(), name.lower())
    for container in candidate.get("InferenceContainers", []):
        container["ModelDataUrl"] = container["ModelDataUrl"].replace(old, name)
    candidate.pop("InferenceContainerDefinitions", None)
    start, end = job["CreationTime"], job["LastModifiedTime"]
    created = round(start + (end - start) * chooser.integer(5, 80) / 100, 3)
    candidate["CreationTime"] = created
    candidate["LastModifiedTime"] = round(created + (end - created) * 0.5, 3)
    candidate["CandidateStatus"] = status
    factor = chooser.integer(1, 30) / 100
    final = candidate.get("FinalAutoMLJobObjectiveMetric")
    if status == "Completed":
        candidate["EndTime"] = round(created + (end - created) * 0.4, 3)
        if final is not None:
            final["Value"] = _worse(final["Value"], final["MetricName"],
                                    final.get("Type") == "Minimize", factor)
        for metric in candidate.get("CandidateProperties", {}).get("CandidateMetrics", []):
            metric["Value"] = _worse(metric["Value"], metric.get("StandardMetricName"),
                                     False, factor)
        return candidate
    candidate.pop("FinalAutoMLJobObjectiveMetric", None)
    candidate.pop("CandidateProperties", None)
    candidate.pop("InferenceContainers", None)
    candidate["ObjectiveStatus"] = "Pending" if status == "InProgress" else "Failed"
    if status == "InProgress":
        candidate.pop("EndTime", None)
    else:
        candidate["EndTime"] = candidate["LastModifiedTime"]
    if status == "Failed":
        candidate["FailureReason"] = _FAILURE
    else:
        candidate.pop("FailureReason", None)
    return candidate


def job_candidates(job: Body, chooser: Chooser) -> list[Body]:
    """Every candidate of the job ``job`` describes (DescribeAutoMLJob or V2), in creation
    order; ``[]`` until it has a best candidate."""
    best = job.get("BestCandidate")
    if best is None:
        return []
    count = chooser.integer(2, 7) if "TextGeneration" not in str(
        job.get("AutoMLProblemTypeConfigName")) else 0
    status = job["AutoMLJobStatus"]
    unfinished = "InProgress" if status == "InProgress" else "Stopped"
    siblings = []
    for index, name in enumerate(_sibling_names(best["CandidateName"], count, chooser)):
        # Drawn whatever the job's status, so the siblings are the same at every step.
        failed = chooser.chance(0.15)
        if status in ("InProgress", "Stopping", "Stopped") and index % 3 == 2:
            sibling_status = unfinished
        else:
            sibling_status = "Failed" if failed else "Completed"
        siblings.append(_sibling(best, name, chooser, sibling_status, job))
    everyone = [copy.deepcopy(best), *siblings]
    return sorted(everyone, key=_created)


def _created(candidate: dict[str, Any]) -> float:
    return float(candidate["CreationTime"])
