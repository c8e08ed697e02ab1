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

from replay.synth.parts import (
    ACCOUNT_ID,
    ENSEMBLE_ALGORITHMS,
    ENSEMBLING,
    FAILURES,
    HPO,
    HPO_ALGORITHMS,
    JOB_EPOCH,
    MINIMIZED,
    NOT_IN_METRIC_ENUM,
    PROBLEMS,
    Body,
    Chooser,
    candidate_parts,
    compact,
    hex,
    metric_values,
    partial_failures,
    partition_of,
    registry_account,
    stages_of,
    subset,
    uuid,
)


def build_job(chooser: Chooser, name: str, region: str, *, kind: str,
              final: tuple[str, str], account_id: str = ACCOUNT_ID,
              fixed: dict[str, str] | None = None) -> list[Body]:
    """Every body of one job's lifecycle; the free choices come from ``chooser``.

    ``fixed`` pins the choices a CreateAutoMLJob request makes (``problem``, ``objective``,
    ``mode``) so the metrics and containers agree with it; the rest is still drawn.
    """
    fixed = fixed or {}
    partition, dns = partition_of(region)
    registry, dlc_registry = registry_account(region)
    problem = fixed.get("problem") or chooser.choice(tuple(PROBLEMS))
    datasets, objectives = PROBLEMS[problem]
    dataset, target = chooser.choice(datasets)
    user_problem = chooser.chance(0.6)
    user_objective = user_problem and chooser.chance(0.7)
    objective = fixed.get("objective") or (
        chooser.choice(objectives) if user_objective else objectives[0])
    if fixed.get("mode"):
        mode = fixed["mode"]
    elif kind in ("engineering", "tuning", "candidates", "maxcandidates"):
        mode = HPO
    elif kind == "training":
        mode = ENSEMBLING
    else:
        mode = chooser.choice((HPO, ENSEMBLING))
    requested = HPO if kind == "candidates" else chooser.choice((mode, "AUTO", None))
    deploys = kind == "deploying" or (kind != "candidates" and chooser.chance(0.2))
    bucket = f"sagemaker-{region}-{account_id}" if chooser.chance(0.7) else f"{dataset}-ml-data"
    prefix = f"s3://{bucket}/{dataset}"
    output = f"{prefix}/output"
    arn = f"arn:{partition}:sagemaker:{region}:{account_id}"
    kms_key = f"arn:{partition}:kms:{region}:{account_id}:key/{uuid(chooser)}"

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
        return compact([
            ("DataSource", {"S3DataSource": {"S3DataType": data_type, "S3Uri": uri}}),
            ("CompressionType", compression if content_type.startswith("text") else None),
            ("TargetAttributeName", target),
            ("ContentType", content_type if given_type else None),
            ("ChannelType", use if typed else None),
            ("SampleWeightAttributeName", weight),
        ])

    channels = [channel("training"), *([channel("validation")] if two_channels else [])]
    output_config = compact([("KmsKeyId", kms_key if chooser.chance(0.3) else None),
                              ("S3OutputPath", output)])
    role = (f"arn:{partition}:iam::{account_id}:role/service-role/AmazonSageMaker-ExecutionRole-"
            f"2025{chooser.integer(1, 12):02d}{chooser.integer(1, 28):02d}T"
            f"{chooser.integer(0, 23):02d}{chooser.integer(0, 59):02d}{chooser.integer(0, 59):02d}")
    max_candidates = chooser.choice((10, 25, 50, 100, 250))
    per_job = chooser.choice((1800, 3600, 86400))
    total = chooser.choice((14400, 86400, 2592000))
    criteria = compact([
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
        security = compact([
            ("VolumeKmsKeyId", kms_key if chooser.chance(0.6) else None),
            ("EnableInterContainerTrafficEncryption",
             chooser.choice((True, False)) if chooser.chance(0.7) else None),
            ("VpcConfig", {
                "SecurityGroupIds": [f"sg-{hex(chooser, 17)}"
                                     for _ in range(chooser.integer(1, 2))],
                "Subnets": [f"subnet-{hex(chooser, 17)}" for _ in range(chooser.integer(1, 3))],
            } if chooser.chance(0.6) else None),
        ]) or None
    algorithms = (subset(chooser, HPO_ALGORITHMS, keep="xgboost") if mode == HPO
                  else subset(chooser, ENSEMBLE_ALGORITHMS))
    generation = None
    if chooser.chance(0.35):
        generation = compact([
            ("FeatureSpecificationS3Uri",
             f"{prefix}/features.json" if mode == HPO and chooser.chance(0.4) else None),
            ("AlgorithmsConfig",
             [{"AutoMLAlgorithms": algorithms}] if chooser.chance(0.7) else None),
        ]) or None
    split = ({"ValidationFraction": chooser.choice((0.1, 0.2, 0.25, 0.3))}
             if not two_channels and chooser.chance(0.4) else None)
    config = compact([("CompletionCriteria", criteria or None), ("SecurityConfig", security),
                       ("CandidateGenerationConfig", generation), ("DataSplitConfig", split),
                       ("Mode", requested)]) or None
    deploy_config = deploy_result = None
    if deploys:
        auto_name = chooser.chance(0.5)
        endpoint = f"{name}-{hex(chooser, 8)}" if auto_name else f"{name}-endpoint"
        deploy_config = compact([("AutoGenerateEndpointName", auto_name),
                                  ("EndpointName", None if auto_name else endpoint)])
        deploy_result = {"EndpointName": endpoint}

    # ----- the timeline: each stage's LastModifiedTime
    stages = stages_of(kind, final, mode, deploys)
    created = JOB_EPOCH + chooser.integer(0, 300 * 86400) + chooser.integer(0, 999) / 1000
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
    containers, steps, candidate_name = candidate_parts(
        chooser, name, mode, problem, output, arn,
        images=(f"{registry}.dkr.ecr.{region}.{dns}", f"{dlc_registry}.dkr.ecr.{region}.{dns}"),
        trials=resolved_criteria["MaxCandidates"])
    values = metric_values(chooser, problem)
    with_set = chooser.chance(0.9)
    metrics = [compact([("MetricName", None if m in NOT_IN_METRIC_ENUM else m),
                         ("StandardMetricName", m), ("Value", v),
                         ("Set", "Validation" if with_set else None)])
               for m, v in values.items()] if chooser.chance(0.85) else None
    final_metric = compact([
        ("Type", ("Minimize" if objective in MINIMIZED else "Maximize")
         if chooser.chance(0.85) else None),
        ("MetricName", objective), ("Value", values[objective]),
        ("StandardMetricName", objective if chooser.chance(0.85) else None),
    ])
    docs = f"{output}/{name}/documentation"
    backtest = f"{docs}/backtest/output" if chooser.chance(0.05) else None
    by_unit = None
    if chooser.chance(0.6):
        by_unit = {"CPU": containers}
        if mode == HPO and chooser.chance(0.5):
            by_unit["GPU"] = containers[:-1] if len(containers) > 2 else containers
    candidate_failure = "" if chooser.chance(0.1) else None

    def candidate(explained: bool, insights: bool) -> Body:
        locations = {"Explainability": f"{docs}/explainability/output",
                     "ModelInsights": f"{docs}/model_monitor/output" if insights else None,
                     "BacktestResults": backtest}
        properties = compact([
            ("CandidateArtifactLocations",
             compact(list(locations.items())) if explained else None),
            ("CandidateMetrics", metrics),
        ])
        return compact([
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
    notebooks = f"{output}/{name}/sagemaker-automl-candidates/{name}-pr-1-{hex(chooser, 12)}"
    artifacts = compact([
        ("CandidateDefinitionNotebookLocation",
         f"{notebooks}/notebooks/SageMakerAutopilotCandidateDefinitionNotebook.ipynb"
         if mode == HPO and chooser.chance(0.95) else None),
        ("DataExplorationNotebookLocation",
         f"{notebooks}/notebooks/SageMakerAutopilotDataExplorationNotebook.ipynb"
         if chooser.chance(0.95) else None),
    ]) or None
    resolved = compact([
        ("AutoMLJobObjective", {"MetricName": objective} if chooser.chance(0.95) else None),
        ("ProblemType", problem if chooser.chance(0.95) else None),
        ("CompletionCriteria", resolved_criteria if chooser.chance(0.9) else None),
    ]) or None
    failure = chooser.choice(FAILURES) if final[0] == "Failed" else None
    partial = partial_failures(chooser, name, final[0])
    flag = chooser.chance(0.95)

    bodies = []
    for index, ((status, secondary), modified) in enumerate(zip(stages, times, strict=True)):
        done = {step for _, step in stages[:index]}
        explained = "GeneratingExplainabilityReport" in done
        has_candidate = index >= appears
        last = index == len(stages) - 1
        bodies.append(compact([
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
