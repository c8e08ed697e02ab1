"""How a synthetic AutoML job looks at each step of its lifecycle (the engine of
``replay.synth.jobs``).

:func:`build_job` turns a job name, a region, its story (the final state) and a source of free
choices (a :class:`Chooser`: seeded ``random.Random`` for the endpoint and the samples,
hypothesis draws for :mod:`replay.synth.strategies`) into the DescribeAutoMLJob bodies a poller sees
from ``Starting`` to the end. Every choice is one SageMaker makes or a user makes when creating a
job, so the bodies stay consistent with each other: a regression job reports regression metrics,
an ensembling job trains ``WeightedEnsemble`` candidates in AutoGluon containers, notebooks and
resolved attributes appear after data analysis, a best candidate once one finished.
"""

from __future__ import annotations

import copy
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
_HPO, _ENSEMBLING = "HYPERPARAMETER_TUNING", "ENSEMBLING"

# problem type -> (datasets with their target column, objective metrics, the default first)
_PROBLEMS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {
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
_NOT_IN_METRIC_ENUM = {"LogLoss", "InferenceLatency"}
_MINIMIZED = {"MSE", "RMSE", "MAE", "LogLoss", "InferenceLatency"}
_HPO_ALGORITHMS = ("xgboost", "linear-learner", "mlp")
_ENSEMBLE_ALGORITHMS = ("lightgbm", "catboost", "xgboost", "randomforest", "extra-trees",
                        "linear-learner", "nn-torch", "fastai")
_JOB_EPOCH = 1767225600  # 2026-01-01T00:00:00Z: synthetic jobs are created during 2026


@functools.cache
def _registry_account(region: str) -> tuple[str, str]:
    """(sklearn/xgboost registry, DLC registry) accounts of ``region``, from the allowlist."""
    text = resources.files("replay").joinpath("data/aws_owned_account_ids.json").read_text()
    relevant = json.loads(text)["autopilot_relevant"]
    try:
        return relevant["sklearn"][region][0], relevant["autogluon"][region][0]
    except KeyError:
        known = sorted(set(relevant["sklearn"]) & set(relevant["autogluon"]))
        raise ConfigError(f"region {region!r} has no SageMaker Autopilot image registry in "
                          f"aws-replay's list; use one of: {', '.join(known)}") from None


def _partition(region: str) -> tuple[str, str]:
    """(ARN partition, DNS suffix) of a region."""
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    if region.startswith("us-iso"):
        raise ConfigError(f"region {region!r} is in an isolated partition synthetic jobs do "
                          "not model; use a commercial, China or GovCloud region")
    return "aws", "amazonaws.com"


def _hex(chooser: Chooser, digits: int) -> str:
    raw = format(chooser.integer(0, 16**digits - 1), f"0{digits}x")
    # A long run of digits reads as an account id to the sanitizer and the leak scanner: break
    # every run at 8 digits with a letter (still hex).
    return re.sub(r"(\d{8})(\d)", lambda run: run[1] + "abcdef"[int(run[2]) % 6], raw)


def _uuid(chooser: Chooser) -> str:
    raw = _hex(chooser, 32)
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-8{raw[17:20]}-{raw[20:]}"


def _subset(chooser: Chooser, options: Sequence[str], keep: str | None = None) -> list[str]:
    chosen = [o for o in options if o == keep or chooser.chance(0.5)]
    return chosen or [options[0]]


def _compact(pairs: list[tuple[str, Any]]) -> Body:
    """A JSON object from (member, value) pairs in model order, leaving out ``None`` values."""
    return {key: value for key, value in pairs if value is not None}


def _metric_values(chooser: Chooser, problem: str) -> dict[str, float]:
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


def _stages(kind: str, final: tuple[str, str], mode: str, deploys: bool) -> list[tuple[str, str]]:
    build = ["TrainingModels"] if mode == _ENSEMBLING else ["FeatureEngineering", "ModelTuning"]
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


def build_job(chooser: Chooser, name: str, region: str, *, kind: str,
              final: tuple[str, str], account_id: str = ACCOUNT_ID) -> list[Body]:
    """Every body of one job's lifecycle; the free choices come from ``chooser``."""
    partition, dns = _partition(region)
    registry, dlc_registry = _registry_account(region)
    problem = chooser.choice(tuple(_PROBLEMS))
    datasets, objectives = _PROBLEMS[problem]
    dataset, target = chooser.choice(datasets)
    user_problem = chooser.chance(0.6)
    user_objective = user_problem and chooser.chance(0.7)
    objective = chooser.choice(objectives) if user_objective else objectives[0]
    if kind in ("engineering", "tuning", "candidates", "maxcandidates"):
        mode = _HPO
    elif kind == "training":
        mode = _ENSEMBLING
    else:
        mode = chooser.choice((_HPO, _ENSEMBLING))
    requested = _HPO if kind == "candidates" else chooser.choice((mode, "AUTO", None))
    deploys = kind == "deploying" or (kind != "candidates" and chooser.chance(0.2))
    bucket = f"sagemaker-{region}-{account_id}" if chooser.chance(0.7) else f"{dataset}-ml-data"
    prefix = f"s3://{bucket}/{dataset}"
    output = f"{prefix}/output"
    arn = f"arn:{partition}:sagemaker:{region}:{account_id}"
    kms_key = f"arn:{partition}:kms:{region}:{account_id}:key/{_uuid(chooser)}"

    # ----- what the user asked for
    data_type = chooser.choice(("S3Prefix", "S3Prefix", "S3Prefix", "ManifestFile",
                                "AugmentedManifestFile"))
    content_type = chooser.choice(("text/csv;header=present", "x-application/vnd.amazon+parquet"))
    compression = chooser.choice(("None", "Gzip")) if chooser.chance(0.5) else None
    two_channels = chooser.chance(0.3)
    typed = two_channels or chooser.chance(0.3)
    weight = "sample_weight" if chooser.chance(0.2) else None
    given_type = chooser.chance(0.8)

    def channel(use: str) -> Body:
        uri = f"{prefix}/{use}/" if data_type == "S3Prefix" else f"{prefix}/{use}.manifest"
        return _compact([
            ("DataSource", {"S3DataSource": {"S3DataType": data_type, "S3Uri": uri}}),
            ("CompressionType", compression if content_type.startswith("text") else None),
            ("TargetAttributeName", target),
            ("ContentType", content_type if given_type else None),
            ("ChannelType", use if typed else None),
            ("SampleWeightAttributeName", weight),
        ])

    channels = [channel("training"), *([channel("validation")] if two_channels else [])]
    output_config = _compact([("KmsKeyId", kms_key if chooser.chance(0.3) else None),
                              ("S3OutputPath", output)])
    role = (f"arn:{partition}:iam::{account_id}:role/service-role/AmazonSageMaker-ExecutionRole-"
            f"2025{chooser.integer(1, 12):02d}{chooser.integer(1, 28):02d}T"
            f"{chooser.integer(0, 23):02d}{chooser.integer(0, 59):02d}{chooser.integer(0, 59):02d}")
    max_candidates = chooser.choice((10, 25, 50, 100, 250))
    per_job = chooser.choice((1800, 3600, 86400))
    total = chooser.choice((14400, 86400, 2592000))
    criteria = _compact([
        ("MaxCandidates", max_candidates if chooser.chance(0.7) else None),
        ("MaxRuntimePerTrainingJobInSeconds", per_job if chooser.chance(0.5) else None),
        ("MaxAutoMLJobRuntimeInSeconds", total if chooser.chance(0.6) else None),
    ])
    resolved_criteria = {"MaxCandidates": criteria.get("MaxCandidates", 250),
                         "MaxRuntimePerTrainingJobInSeconds": criteria.get(
                             "MaxRuntimePerTrainingJobInSeconds", 86400),
                         "MaxAutoMLJobRuntimeInSeconds": criteria.get(
                             "MaxAutoMLJobRuntimeInSeconds", 2592000)}
    security = None
    if chooser.chance(0.3):
        security = _compact([
            ("VolumeKmsKeyId", kms_key if chooser.chance(0.6) else None),
            ("EnableInterContainerTrafficEncryption",
             chooser.choice((True, False)) if chooser.chance(0.7) else None),
            ("VpcConfig", {
                "SecurityGroupIds": [f"sg-{_hex(chooser, 17)}"
                                     for _ in range(chooser.integer(1, 2))],
                "Subnets": [f"subnet-{_hex(chooser, 17)}" for _ in range(chooser.integer(1, 3))],
            } if chooser.chance(0.6) else None),
        ]) or None
    algorithms = (_subset(chooser, _HPO_ALGORITHMS, keep="xgboost") if mode == _HPO
                  else _subset(chooser, _ENSEMBLE_ALGORITHMS))
    generation = None
    if chooser.chance(0.35):
        generation = _compact([
            ("FeatureSpecificationS3Uri",
             f"{prefix}/features.json" if mode == _HPO and chooser.chance(0.4) else None),
            ("AlgorithmsConfig",
             [{"AutoMLAlgorithms": algorithms}] if chooser.chance(0.7) else None),
        ]) or None
    split = ({"ValidationFraction": chooser.choice((0.1, 0.2, 0.25, 0.3))}
             if not two_channels and chooser.chance(0.4) else None)
    config = _compact([("CompletionCriteria", criteria or None), ("SecurityConfig", security),
                       ("CandidateGenerationConfig", generation), ("DataSplitConfig", split),
                       ("Mode", requested)]) or None
    deploy_config = deploy_result = None
    if deploys:
        auto_name = chooser.chance(0.5)
        endpoint = f"{name}-{_hex(chooser, 8)}" if auto_name else f"{name}-endpoint"
        deploy_config = _compact([("AutoGenerateEndpointName", auto_name),
                                  ("EndpointName", None if auto_name else endpoint)])
        deploy_result = {"EndpointName": endpoint}

    # ----- the timeline: each stage's LastModifiedTime
    stages = _stages(kind, final, mode, deploys)
    created = _JOB_EPOCH + chooser.integer(0, 300 * 86400) + chooser.integer(0, 999) / 1000
    times, moment = [], created
    for _, secondary in stages:
        longest = 7200 if secondary in ("ModelTuning", "TrainingModels") else 900
        moment += chooser.integer(20, longest) + chooser.integer(0, 999) / 1000
        times.append(round(moment, 3))
    # A best candidate shows once one finished (during the build stage, or by the reports) and
    # stays; a failed job had none succeed.
    finished = {"GeneratingExplainabilityReport", "MaxCandidatesReached"}
    if chooser.chance(0.5):
        finished |= {"ModelTuning", "TrainingModels"}
    appears = next((index for index, (_, secondary) in enumerate(stages)
                    if secondary in finished and final[0] != "Failed"), len(stages))
    # ... and it finished during the step before the first one that shows it.
    previous, shown = times[max(appears - 1, 0)], times[min(appears, len(times) - 1)]
    span = shown - previous

    # ----- the best candidate, as it is once finished
    containers, steps, candidate_name = _candidate_parts(
        chooser, name, mode, problem, output, arn,
        images=(f"{registry}.dkr.ecr.{region}.{dns}", f"{dlc_registry}.dkr.ecr.{region}.{dns}"),
        trials=resolved_criteria["MaxCandidates"])
    values = _metric_values(chooser, problem)
    with_set = chooser.chance(0.9)
    metrics = [_compact([("MetricName", None if m in _NOT_IN_METRIC_ENUM else m),
                         ("StandardMetricName", m), ("Value", v),
                         ("Set", "Validation" if with_set else None)])
               for m, v in values.items()] if chooser.chance(0.85) else None
    final_metric = _compact([
        ("Type", ("Minimize" if objective in _MINIMIZED else "Maximize")
         if chooser.chance(0.85) else None),
        ("MetricName", objective), ("Value", values[objective]),
        ("StandardMetricName", objective if chooser.chance(0.85) else None),
    ])
    docs = f"{output}/{name}/documentation"
    backtest = f"{docs}/backtest/output" if chooser.chance(0.05) else None
    by_unit = None
    if chooser.chance(0.6):
        by_unit = {"CPU": containers}
        if mode == _HPO and chooser.chance(0.5):
            by_unit["GPU"] = containers[:-1] if len(containers) > 2 else containers
    candidate_failure = "" if chooser.chance(0.1) else None

    def candidate(explained: bool, insights: bool) -> Body:
        locations = {"Explainability": f"{docs}/explainability/output",
                     "ModelInsights": f"{docs}/model_monitor/output" if insights else None,
                     "BacktestResults": backtest}
        properties = _compact([
            ("CandidateArtifactLocations",
             _compact(list(locations.items())) if explained else None),
            ("CandidateMetrics", metrics),
        ])
        return _compact([
            ("CandidateName", candidate_name), ("FinalAutoMLJobObjectiveMetric", final_metric),
            ("ObjectiveStatus", "Succeeded"), ("CandidateSteps", steps),
            ("CandidateStatus", "Completed"), ("InferenceContainers", containers),
            ("CreationTime", round(previous + span * 0.2, 3)),
            ("EndTime", round(previous + span * 0.7, 3)),
            ("LastModifiedTime", round(previous + span * 0.8, 3)),
            ("FailureReason", candidate_failure),
            ("CandidateProperties", properties or None),
            ("InferenceContainerDefinitions", by_unit),
        ])

    # ----- what the job reports about itself
    notebooks = f"{output}/{name}/sagemaker-automl-candidates/{name}-pr-1-{_hex(chooser, 12)}"
    artifacts = _compact([
        ("CandidateDefinitionNotebookLocation",
         f"{notebooks}/notebooks/SageMakerAutopilotCandidateDefinitionNotebook.ipynb"
         if mode == _HPO and chooser.chance(0.95) else None),
        ("DataExplorationNotebookLocation",
         f"{notebooks}/notebooks/SageMakerAutopilotDataExplorationNotebook.ipynb"
         if chooser.chance(0.95) else None),
    ]) or None
    resolved = _compact([
        ("AutoMLJobObjective", {"MetricName": objective} if chooser.chance(0.95) else None),
        ("ProblemType", problem if chooser.chance(0.95) else None),
        ("CompletionCriteria", resolved_criteria if chooser.chance(0.9) else None),
    ]) or None
    failure = chooser.choice(_FAILURES) if final[0] == "Failed" else None
    partial = _partial_failures(chooser, name, final[0])
    flag = chooser.chance(0.95)

    bodies = []
    for index, ((status, secondary), modified) in enumerate(zip(stages, times, strict=True)):
        done = {step for _, step in stages[:index]}
        explained = "GeneratingExplainabilityReport" in done
        has_candidate = index >= appears
        last = index == len(stages) - 1
        bodies.append(_compact([
            ("AutoMLJobName", name), ("AutoMLJobArn", f"{arn}:automl-job/{name.lower()}"),
            ("InputDataConfig", channels), ("OutputDataConfig", output_config),
            ("RoleArn", role),
            ("AutoMLJobObjective", {"MetricName": objective} if user_objective else None),
            ("ProblemType", problem if user_problem else None),
            ("AutoMLJobConfig", config),
            ("CreationTime", round(created, 3)),
            ("EndTime", modified if status in ("Completed", "Failed", "Stopped") else None),
            ("LastModifiedTime", modified),
            ("FailureReason", failure if status == "Failed" else None),
            ("PartialFailureReasons", partial if last and status != "Stopped" else None),
            ("BestCandidate", candidate(explained, "GeneratingModelInsightsReport" in done)
             if has_candidate else None),
            ("AutoMLJobStatus", status), ("AutoMLJobSecondaryStatus", secondary),
            ("GenerateCandidateDefinitionsOnly", kind == "candidates" if flag else None),
            ("AutoMLJobArtifacts", artifacts if index >= 2 else None),
            ("ResolvedAttributes", resolved if index >= 2 else None),
            ("ModelDeployConfig", deploy_config),
            ("ModelDeployResult", deploy_result if status == "Completed" else None),
        ]))
    # Stages share sub-objects while built; each body is copied on its own, since one deepcopy
    # of the list would keep them shared.
    return [copy.deepcopy(body) for body in bodies]


_FAILURES = (
    "ClientError: All training jobs failed. See PartialFailureReasons for the first failures.",
    "AlgorithmError: CandidateGenerationError: Not enough rows to split the data into "
    "training and validation sets.",
    "ClientError: The target attribute has one unique value; classification needs two or more.",
)


def _partial_failures(chooser: Chooser, name: str, status: str) -> list[Body] | None:
    if status == "Failed":
        count = chooser.integer(1, 3)
    elif status == "Completed" and chooser.chance(0.25):
        count = 1
    else:
        return None
    reasons = []
    for _ in range(count):
        job = f"{name}-{_hex(chooser, 6)}-{chooser.integer(1, 250):03d}-{_hex(chooser, 8)}"
        why = ("failed: AlgorithmError: training data has no rows after preprocessing"
               if status == "Failed" else "stopped: MaxRuntimePerTrainingJobInSeconds reached")
        reasons.append({"PartialFailureMessage": f"Training job {job} {why}."})
    return reasons


def _candidate_parts(chooser: Chooser, name: str, mode: str, problem: str, output: str,
                     arn: str, *, images: tuple[str, str],
                     trials: int) -> tuple[list[Body], list[Body], str]:
    """(inference containers, candidate steps, candidate name) of the best candidate."""
    registry, dlc_registry = images
    labels = ("predicted_label" if problem == "Regression"
              else "predicted_label,probability,probabilities")
    db = f"{name}-db-1-{_hex(chooser, 12)}"
    if mode == _ENSEMBLING:
        candidate = f"WeightedEnsemble-L{chooser.integer(2, 3)}-FULL-t{chooser.integer(1, 3)}"
        training = f"{name}-t{_hex(chooser, 12)}"
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
        tag = _hex(chooser, 12)
        candidate = (f"{name}-{_hex(chooser, 6)}-{chooser.integer(1, trials):03d}-"
                     f"{_hex(chooser, 8)}")
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
