"""DescribeAutoMLJobV2 bodies of synthetic jobs: a tabular job in its V2 shape, and the V2-only
stories (LLM fine-tuning, time-series forecasting).

A tabular job created with ``CreateAutoMLJob`` is visible to ``DescribeAutoMLJobV2`` too:
:func:`v2_from_v1` moves what V1 spreads over ``InputDataConfig`` and ``AutoMLJobConfig`` into
V2's ``AutoMLJobInputDataConfig`` and ``AutoMLProblemTypeConfig.TabularJobConfig``, so both
views describe the same job (same ARN, times, statuses, best candidate).

Jobs whose name starts with ``textgen-`` (``TextGenerationJobConfig``, an LLM fine-tuned from a
JumpStart base model) or ``forecast-`` (``TimeSeriesForecastingJobConfig``) exist in V2 only:
:func:`v2_only_lifecycle` builds their bodies, and DescribeAutoMLJob answers them with a
``ValidationException`` pointing at V2. Their lifecycles pass through the statuses V1 jobs never
show: ``PreTraining`` (text generation). The order of the stages is this tool's choice,
within the model's enum; SageMaker documents no order.
"""

from __future__ import annotations

import copy

from replay.synth.parts import (
    ACCOUNT_ID,
    JOB_EPOCH,
    Body,
    Chooser,
    compact,
    hex,
    partition_of,
    registry_account,
)

V2_ONLY_KINDS: dict[str, str] = {"textgen": "TextGeneration",
                                 "forecast": "TimeSeriesForecasting"}
"""Story word -> ``AutoMLProblemTypeConfigName`` of the jobs that exist in V2 only."""

_TABULAR_CHANNEL = ("ChannelType", "ContentType", "CompressionType", "DataSource")


def v2_from_v1(body: Body) -> Body:
    """The DescribeAutoMLJobV2 body of the tabular job a DescribeAutoMLJob ``body`` describes."""
    channels = body["InputDataConfig"]
    first = channels[0]
    config = body.get("AutoMLJobConfig") or {}
    generation = dict(config.get("CandidateGenerationConfig") or {})
    features = generation.pop("FeatureSpecificationS3Uri", None)
    tabular = compact([
        ("CandidateGenerationConfig", generation or None),
        ("CompletionCriteria", config.get("CompletionCriteria")),
        ("FeatureSpecificationS3Uri", features),
        ("Mode", config.get("Mode")),
        ("GenerateCandidateDefinitionsOnly", body.get("GenerateCandidateDefinitionsOnly")),
        ("ProblemType", body.get("ProblemType")),
        ("TargetAttributeName", first["TargetAttributeName"]),
        ("SampleWeightAttributeName", first.get("SampleWeightAttributeName")),
    ])
    resolved = body.get("ResolvedAttributes")
    if resolved is not None:
        resolved = compact([
            ("AutoMLJobObjective", resolved.get("AutoMLJobObjective")),
            ("CompletionCriteria", resolved.get("CompletionCriteria")),
            ("AutoMLProblemTypeResolvedAttributes",
             {"TabularResolvedAttributes": {"ProblemType": resolved["ProblemType"]}}
             if "ProblemType" in resolved else None),
        ])
    return copy.deepcopy(compact([
        ("AutoMLJobName", body["AutoMLJobName"]), ("AutoMLJobArn", body["AutoMLJobArn"]),
        ("AutoMLJobInputDataConfig",
         [{key: channel[key] for key in _TABULAR_CHANNEL if key in channel}
          for channel in channels]),
        ("OutputDataConfig", body["OutputDataConfig"]), ("RoleArn", body["RoleArn"]),
        ("AutoMLJobObjective", body.get("AutoMLJobObjective")),
        ("AutoMLProblemTypeConfig", {"TabularJobConfig": tabular}),
        ("AutoMLProblemTypeConfigName", "Tabular"),
        ("CreationTime", body["CreationTime"]), ("EndTime", body.get("EndTime")),
        ("LastModifiedTime", body["LastModifiedTime"]),
        ("FailureReason", body.get("FailureReason")),
        ("PartialFailureReasons", body.get("PartialFailureReasons")),
        ("BestCandidate", body.get("BestCandidate")),
        ("AutoMLJobStatus", body["AutoMLJobStatus"]),
        ("AutoMLJobSecondaryStatus", body["AutoMLJobSecondaryStatus"]),
        ("AutoMLJobArtifacts", body.get("AutoMLJobArtifacts")),
        ("ResolvedAttributes", resolved or None),
        ("ModelDeployConfig", body.get("ModelDeployConfig")),
        ("ModelDeployResult", body.get("ModelDeployResult")),
        ("DataSplitConfig", config.get("DataSplitConfig")),
        ("SecurityConfig", config.get("SecurityConfig")),
    ]))


# Base models Autopilot fine-tunes (JumpStart), with the image family that serves them.
_BASE_MODELS = ("Falcon7BInstruct", "Mistral7BInstruct", "Llama2-7B-Chat", "FlanT5XL",
                "Dolly3B")
_FORECAST_FREQUENCIES = ("D", "1H", "W", "1M")
_FORECAST_METRICS = ("AverageWeightedQuantileLoss", "MAPE", "WAPE", "MASE", "RMSE")
_STAGES = {
    "TextGeneration": ("Starting", "PreTraining", "TrainingModels",
                       "GeneratingModelInsightsReport"),
    "TimeSeriesForecasting": ("Starting", "AnalyzingData", "TrainingModels",
                              "GeneratingExplainabilityReport", "GeneratingModelInsightsReport"),
}


def v2_only_lifecycle(chooser: Chooser, name: str, region: str, kind: str,
                      account_id: str = ACCOUNT_ID,
                      fixed: dict[str, str] | None = None) -> list[Body]:
    """Every DescribeAutoMLJobV2 body of a ``textgen-`` or ``forecast-`` job, Starting to
    Completed; the free choices come from ``chooser``. ``fixed`` pins what a CreateAutoMLJobV2
    request chose (``base_model``, ``objective``)."""
    fixed = fixed or {}
    problem = V2_ONLY_KINDS[kind]
    partition, dns = partition_of(region)
    _, dlc_registry = registry_account(region)
    arn = f"arn:{partition}:sagemaker:{region}:{account_id}"
    prefix = f"s3://sagemaker-{region}-{account_id}/{name.lower()}"
    output = f"{prefix}/output"
    role = (f"arn:{partition}:iam::{account_id}:role/service-role/"
            f"AmazonSageMaker-ExecutionRole-{hex(chooser, 6)}")
    channel = {"ChannelType": "training",
               "ContentType": "text/csv;header=present",
               "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                               "S3Uri": f"{prefix}/train/"}}}
    criteria = {"MaxAutoMLJobRuntimeInSeconds": chooser.choice((7200, 14400, 86400))}
    image = f"{dlc_registry}.dkr.ecr.{region}.{dns}"
    if problem == "TextGeneration":
        base = fixed.get("base_model") or chooser.choice(_BASE_MODELS)
        problem_config: Body = {"TextGenerationJobConfig": compact([
            ("CompletionCriteria", criteria), ("BaseModelName", base),
            ("TextGenerationHyperParameters",
             {"epochCount": str(chooser.integer(1, 5)), "learningRate": "0.00001",
              "batchSize": str(chooser.choice((1, 4, 8))), "learningRateWarmupSteps": "10"}
             if chooser.chance(0.7) else None),
            ("ModelAccessConfig", {"AcceptEula": True}),
        ])}
        resolved_kind: Body = {"TextGenerationResolvedAttributes": {"BaseModelName": base}}
        objective = None
        candidate = f"{base[:40]}-ft-{hex(chooser, 8)}"
        loss = chooser.integer(80, 250) / 100
        metrics = [{"StandardMetricName": "ValidationLoss", "Value": loss, "Set": "Validation"},
                   {"StandardMetricName": "TrainingLoss", "Value": round(loss * 0.9, 4),
                    "Set": "Train"},
                   {"StandardMetricName": "Perplexity", "Value": round(2.718 ** loss, 4),
                    "Set": "Validation"},
                   {"StandardMetricName": "RougeL",
                    "Value": chooser.integer(2000, 6000) / 10000, "Set": "Validation"}]
        containers = [{"Image": f"{image}/huggingface-pytorch-tgi-inference:2.1.1-tgi1.4.0-"
                                "gpu-py310-cu121-ubuntu22.04",
                       "ModelDataUrl": f"{output}/{name}/models/{candidate}/model.tar.gz",
                       "Environment": {"HF_MODEL_ID": "/opt/ml/model", "SM_NUM_GPUS": "1"}}]
    else:
        metric = fixed.get("objective") or chooser.choice(_FORECAST_METRICS)
        problem_config = {"TimeSeriesForecastingJobConfig": compact([
            ("CompletionCriteria", criteria),
            ("ForecastFrequency", chooser.choice(_FORECAST_FREQUENCIES)),
            ("ForecastHorizon", chooser.integer(7, 60)),
            ("ForecastQuantiles", ["p10", "p50", "p90"] if chooser.chance(0.7) else None),
            ("TimeSeriesConfig", {"TargetAttributeName": "demand",
                                  "TimestampAttributeName": "timestamp",
                                  "ItemIdentifierAttributeName": "item_id"}),
            ("HolidayConfig", [{"CountryCode": chooser.choice(("US", "DE", "JP"))}]
             if chooser.chance(0.4) else None),
        ])}
        resolved_kind = {}
        objective = {"MetricName": metric}
        candidate = f"{name}-ensemble-{hex(chooser, 8)}"
        value = chooser.integer(300, 2500) / 10000 if metric != "RMSE" else chooser.integer(
            100, 9000) / 100
        metrics = [{"MetricName": metric, "StandardMetricName": metric, "Value": value,
                    "Set": "Validation"}]
        containers = [{"Image": f"{image}/autogluon-inference:0.4.3-cpu-py38-ubuntu20.04",
                       "ModelDataUrl": f"{output}/{name}/models/{candidate}/model.tar.gz",
                       "Environment": {"AUTOML_INFERENCE_QUANTILES": "p10,p50,p90"}}]

    created = JOB_EPOCH + chooser.integer(0, 300 * 86400) + chooser.integer(0, 999) / 1000
    times, moment = [], created
    stages = [*_STAGES[problem], "Completed"]
    for stage in stages:
        moment += chooser.integer(30, 3600 if stage == "TrainingModels" else 600)
        times.append(round(moment, 3))
    steps = [{"CandidateStepType": "AWS::SageMaker::TrainingJob",
              "CandidateStepArn": f"{arn}:training-job/{candidate.lower()}",
              "CandidateStepName": candidate}]
    trained = stages.index("TrainingModels")
    best = compact([
        ("CandidateName", candidate),
        ("FinalAutoMLJobObjectiveMetric",
         {"Type": "Minimize", "MetricName": objective["MetricName"],
          "Value": metrics[0]["Value"], "StandardMetricName": objective["MetricName"]}
         if objective else None),
        ("ObjectiveStatus", "Succeeded"), ("CandidateSteps", steps),
        ("CandidateStatus", "Completed"), ("InferenceContainers", containers),
        ("CreationTime", times[trained - 1]), ("EndTime", round(times[trained] - 5, 3)),
        ("LastModifiedTime", times[trained]),
        ("CandidateProperties", {"CandidateMetrics": metrics}),
    ])
    bodies = []
    for index, (stage, modified) in enumerate(zip(stages, times, strict=True)):
        done = stage == "Completed"
        bodies.append(compact([
            ("AutoMLJobName", name), ("AutoMLJobArn", f"{arn}:automl-job/{name.lower()}"),
            ("AutoMLJobInputDataConfig", [channel]),
            ("OutputDataConfig", {"S3OutputPath": output}), ("RoleArn", role),
            ("AutoMLJobObjective", objective),
            ("AutoMLProblemTypeConfig", problem_config),
            ("AutoMLProblemTypeConfigName", problem),
            ("CreationTime", round(created, 3)), ("EndTime", modified if done else None),
            ("LastModifiedTime", modified),
            ("BestCandidate", best if index > trained else None),
            ("AutoMLJobStatus", "Completed" if done else "InProgress"),
            ("AutoMLJobSecondaryStatus", stage),
            ("ResolvedAttributes", compact([
                ("AutoMLJobObjective", objective), ("CompletionCriteria", criteria),
                ("AutoMLProblemTypeResolvedAttributes", resolved_kind or None)])
             if index >= 1 else None),
        ]))
    return [copy.deepcopy(body) for body in bodies]
