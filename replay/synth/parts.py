"""The pieces a synthetic AutoML job is built from: the source of choices, account and registry
per region, metric values per problem type, the lifecycle's stages, failure reasons and
candidates. :func:`replay.synth.job.build_job` assembles them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any, Protocol, TypeVar

from replay.core.errors import ConfigError

T = TypeVar("T")


Body = dict[str, Any]


ACCOUNT_ID = "000000000001"


"""The account every synthetic ARN and bucket names: a placeholder, as the sanitizer writes."""


DEFAULT_REGION = "us-east-1"


class Chooser(Protocol):
    """Where a job's free choices come from: a seeded ``random.Random`` or hypothesis draws."""

    def choice(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...

    def chance(self, probability: float) -> bool: ...


_STARTING, _ANALYZING = "Starting", "AnalyzingData"


HPO, ENSEMBLING = "HYPERPARAMETER_TUNING", "ENSEMBLING"


# problem type -> (datasets with their target column, objective metrics, the default first)
PROBLEMS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    "BinaryClassification": ((("churn", "churned"), ("fraud", "is_fraud"), ("loans", "default")),
                             ("F1", "AUC", "Accuracy", "BalancedAccuracy", "Precision", "Recall")),
    "MulticlassClassification": ((("iris", "species"), ("segments", "segment")),
                                 ("Accuracy", "F1macro", "BalancedAccuracy", "PrecisionMacro",
                                  "RecallMacro")),
    "Regression": ((("housing", "median_house_value"), ("demand", "units_sold")),
                   ("MSE", "RMSE", "MAE", "R2")),
}


# Metrics Autopilot reports per problem type; those outside AutoMLMetricEnum carry only a
# StandardMetricName, as real responses do.
_REPORTED = {
    "BinaryClassification": ("F1", "Accuracy", "AUC", "Precision", "Recall", "BalancedAccuracy",
                             "LogLoss", "InferenceLatency"),
    "MulticlassClassification": ("Accuracy", "F1macro", "PrecisionMacro", "RecallMacro",
                                 "BalancedAccuracy", "LogLoss", "InferenceLatency"),
    "Regression": ("MSE", "RMSE", "MAE", "R2", "InferenceLatency"),
}


NOT_IN_METRIC_ENUM = {"LogLoss", "InferenceLatency"}


MINIMIZED = {"MSE", "RMSE", "MAE", "LogLoss", "InferenceLatency"}


HPO_ALGORITHMS = ("xgboost", "linear-learner", "mlp")


ENSEMBLE_ALGORITHMS = ("lightgbm", "catboost", "xgboost", "randomforest", "extra-trees",
                        "linear-learner", "nn-torch", "fastai")


JOB_EPOCH = 1767225600  # 2026-01-01T00:00:00Z: synthetic jobs are created during 2026


@functools.cache
def registry_account(region: str) -> tuple[str, str]:
    """(sklearn/xgboost registry, DLC registry) accounts of ``region``, from the allowlist."""
    text = resources.files("replay").joinpath("data/aws_owned_account_ids.json").read_text()
    relevant = json.loads(text)["autopilot_relevant"]
    try:
        return relevant["sklearn"][region][0], relevant["autogluon"][region][0]
    except KeyError:
        known = sorted(set(relevant["sklearn"]) & set(relevant["autogluon"]))
        raise ConfigError(f"region {region!r} has no SageMaker Autopilot image registry in "
                          f"aws-replay's list; use one of: {', '.join(known)}") from None


def partition_of(region: str) -> tuple[str, str]:
    """(ARN partition, DNS suffix) of a region."""
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    if region.startswith("us-iso"):
        raise ConfigError(f"region {region!r} is in an isolated partition synthetic jobs do "
                          "not model; use a commercial, China or GovCloud region")
    return "aws", "amazonaws.com"


def hex(chooser: Chooser, digits: int) -> str:
    raw = format(chooser.integer(0, 16**digits - 1), f"0{digits}x")
    # A long run of digits reads as an account id to the sanitizer and the leak scanner: break
    # every run at 8 digits with a letter (still hex).
    return re.sub(r"(\d{8})(\d)", lambda run: run[1] + "abcdef"[int(run[2]) % 6], raw)


def uuid(chooser: Chooser) -> str:
    raw = hex(chooser, 32)
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-8{raw[17:20]}-{raw[20:]}"


def subset(chooser: Chooser, options: Sequence[str], keep: str | None = None) -> list[str]:
    chosen = [o for o in options if o == keep or chooser.chance(0.5)]
    return chosen or [options[0]]


def compact(pairs: list[tuple[str, Any]]) -> Body:
    """A JSON object from (member, value) pairs in model order, leaving out ``None`` values."""
    return {key: value for key, value in pairs if value is not None}


def metric_values(chooser: Chooser, problem: str) -> dict[str, float]:
    """The best candidate's validation metrics, consistent with each other."""
    values: dict[str, float] = {}
    for metric in _REPORTED[problem]:
        if metric == "InferenceLatency":
            values[metric] = chooser.integer(5, 400) / 1000
        elif metric == "RMSE":
            rmse = chooser.integer(100, 90000) / 100
            values.update(MSE=round(rmse * rmse, 2), RMSE=rmse,
                          MAE=round(rmse * chooser.integer(60, 95) / 100, 2))
        elif metric == "LogLoss":
            values[metric] = chooser.integer(500, 6000) / 10000
        elif metric not in ("MSE", "MAE"):  # those follow from RMSE
            values[metric] = chooser.integer(6000, 9990) / 10000
    # reported in Autopilot's order, whatever order they were drawn in
    return {metric: values[metric] for metric in _REPORTED[problem]}


def stages_of(kind: str, final: tuple[str, str], mode: str, deploys: bool) -> list[tuple[str, str]]:
    build = ["TrainingModels"] if mode == ENSEMBLING else ["FeatureEngineering", "ModelTuning"]
    reports = ["GeneratingExplainabilityReport", "GeneratingModelInsightsReport"]
    path = [_STARTING, _ANALYZING, *build, *reports, *(["DeployingModel"] if deploys else [])]
    status, secondary = final
    steps = [("InProgress", step) for step in path]
    if status == "InProgress":
        return steps[:path.index(secondary) + 1]
    if kind == "candidates":
        return [*steps[:3], final]
    if kind == "maxcandidates" or status == "Failed":
        return [*steps[:2 + len(build)], final]
    if status in ("Stopped", "Stopping"):
        stopping = [*steps[:3], ("Stopping", "Stopping")]
        return stopping if status == "Stopping" else [*stopping, final]
    return [*steps, final]


FAILURES = (
    "ClientError: All training jobs failed. See PartialFailureReasons for the first failures.",
    "AlgorithmError: CandidateGenerationError: Not enough rows to split the data into "
    "training and validation sets.",
    "ClientError: The target attribute has one unique value; classification needs two or more.",
)


def partial_failures(chooser: Chooser, name: str, status: str) -> list[Body] | None:
    if status == "Failed":
        count = chooser.integer(1, 3)
    elif status == "Completed" and chooser.chance(0.25):
        count = 1
    else:
        return None
    reasons = []
    for _ in range(count):
        job = f"{name}-{hex(chooser, 6)}-{chooser.integer(1, 250):03d}-{hex(chooser, 8)}"
        why = ("failed: AlgorithmError: training data has no rows after preprocessing"
               if status == "Failed" else "stopped: MaxRuntimePerTrainingJobInSeconds reached")
        reasons.append({"PartialFailureMessage": f"Training job {job} {why}."})
    return reasons


def candidate_parts(chooser: Chooser, name: str, mode: str, problem: str, output: str,
                     arn: str, *, images: tuple[str, str],
                     trials: int) -> tuple[list[Body], list[Body], str]:
    """(inference containers, candidate steps, candidate name) of the best candidate."""
    registry, dlc_registry = images
    labels = ("predicted_label" if problem == "Regression"
              else "predicted_label,probability,probabilities")
    db = f"{name}-db-1-{hex(chooser, 12)}"
    if mode == ENSEMBLING:
        candidate = f"WeightedEnsemble-L{chooser.integer(2, 3)}-FULL-t{chooser.integer(1, 3)}"
        training = f"{name}-t{hex(chooser, 12)}"
        kinds = [("ProcessingJob", db), ("TrainingJob", training)]
        containers: list[Body] = [{
            "Image": f"{dlc_registry}/autogluon-inference:0.4.3-cpu-py38-ubuntu20.04",
            "ModelDataUrl": f"{output}/{name}/sagemaker-automl-candidates/{training}/"
                            "output/model.tar.gz",
            "Environment": {"MODEL_NAME": candidate,
                            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                            "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                            "SAGEMAKER_INFERENCE_SUPPORTED": labels,
                            "SAGEMAKER_PROGRAM": "tabular_serve.py",
                            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
        }]
    else:
        pipeline = f"{name}-dpp{chooser.integer(0, 4)}"
        tag = hex(chooser, 12)
        candidate = (f"{name}-{hex(chooser, 6)}-{chooser.integer(1, trials):03d}-"
                     f"{hex(chooser, 8)}")
        kinds = [("ProcessingJob", db), ("TrainingJob", f"{pipeline}-1-{tag}"),
                 ("TransformJob", f"{pipeline}-rpb-1-{tag}"), ("TrainingJob", candidate)]
        processor = f"{output}/{name}/data-processor-models/{pipeline}-1-{tag}/output/model.tar.gz"
        sklearn = f"{registry}/sagemaker-sklearn-automl:2.5-1-cpu-py3"
        serve = {"SAGEMAKER_PROGRAM": "sagemaker_serve",
                 "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}
        containers = [
            {"Image": sklearn, "ModelDataUrl": processor,
             "Environment": {"AUTOML_SPARSE_ENCODE_RECORDIO_PROTOBUF": "1",
                             "AUTOML_TRANSFORM_MODE": "feature-transform",
                             "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT":
                                 "application/x-recordio-protobuf", **serve}},
            {"Image": f"{registry}/sagemaker-xgboost:1.7-1",
             "ModelDataUrl": f"{output}/{name}/tuning/{pipeline}-xgb/{candidate}/output/"
                             "model.tar.gz",
             "Environment": {"MAX_CONTENT_LENGTH": "20971520",
                             "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                             "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                             "SAGEMAKER_INFERENCE_SUPPORTED": labels}},
        ]
        if problem != "Regression":
            containers.append(
                {"Image": sklearn, "ModelDataUrl": processor,
                 "Environment": {"AUTOML_TRANSFORM_MODE": "inverse-label-transform",
                                 "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                                 "SAGEMAKER_INFERENCE_INPUT": "predicted_label",
                                 "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                                 "SAGEMAKER_INFERENCE_SUPPORTED": labels, **serve}})
    resource = {"ProcessingJob": "processing-job", "TrainingJob": "training-job",
                "TransformJob": "transform-job"}
    steps = [{"CandidateStepType": f"AWS::SageMaker::{kind}",
              "CandidateStepArn": f"{arn}:{resource[kind]}/{step.lower()}",
              "CandidateStepName": step} for kind, step in kinds]
    return containers, steps, candidate
