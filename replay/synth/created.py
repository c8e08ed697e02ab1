"""Jobs made by CreateAutoMLJob and CreateAutoMLJobV2: the lifecycle a request starts.

What the request says is what the job shows (channels, output, role, problem type, objective,
job config, deployment); what SageMaker decides (mode under ``AUTO``, candidates, metrics,
timings) is drawn, seeded by the job's name and region, as for every synthetic job. The story
word of the name still tells how it ends (``failed-x`` fails, ``tuning-x`` stays in
``ModelTuning``; see :mod:`replay.synth.jobs`), and ``GenerateCandidateDefinitionsOnly`` ends in
``CandidateDefinitionsGenerated``.

The bodies come out with the synthetic 2026 timestamps of :func:`replay.synth.job.build_job`;
:class:`replay.synth.account.SyntheticAccount` moves them to the moment of the request and
plays them in scaled time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from replay.synth.job import build_job
from replay.synth.jobs import FINAL_STATES, RandomChooser, job_kind
from replay.synth.parts import ENSEMBLING, HPO, PROBLEMS, Body, compact
from replay.synth.v2 import v2_from_v1, v2_only_lifecycle


class CreateRefused(ValueError):
    """A Create request SageMaker refuses: the error type and its message."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass(frozen=True)
class CreatedJob:
    """A new job's bodies: DescribeAutoMLJob's (``None`` for a V2-only job) and V2's."""

    v1: list[Body] | None
    v2: list[Body]


def _validation(message: str) -> CreateRefused:
    return CreateRefused("ValidationException", message)


def _story(name: str, candidates_only: bool) -> tuple[str, tuple[str, str]]:
    if candidates_only:
        return "candidates", FINAL_STATES["candidates"]
    kind = job_kind(name)
    if kind in FINAL_STATES:
        return kind, FINAL_STATES[kind]
    return "", ("Completed", "Completed")


def _replace_text(body: Body, old: str, new: str) -> Body:
    # The drawn output path also appears inside artifact and model locations: they all move
    # to the requested one.
    if not old or old == new:
        return body
    loaded: Body = json.loads(json.dumps(body).replace(json.dumps(old)[1:-1],
                                                       json.dumps(new)[1:-1]))
    return loaded


def create_tabular(params: Mapping[str, Any], region: str) -> CreatedJob:
    """The lifecycle of a CreateAutoMLJob request (already checked against the input shape)."""
    name = params["AutoMLJobName"]
    problem = params.get("ProblemType")
    objective = (params.get("AutoMLJobObjective") or {}).get("MetricName")
    if objective is not None and problem is None:
        raise _validation("AutoMLJobObjective needs ProblemType: give both or neither "
                          "(Autopilot then infers the problem type and its default metric)")
    if problem is not None and objective is not None and objective not in PROBLEMS[problem][1]:
        raise _validation(f"objective metric {objective} does not fit problem type {problem}; "
                          f"use one of {', '.join(PROBLEMS[problem][1])}")
    config = params.get("AutoMLJobConfig")
    mode = (config or {}).get("Mode")
    candidates_only = bool(params.get("GenerateCandidateDefinitionsOnly"))
    if candidates_only and mode == ENSEMBLING:
        raise _validation("GenerateCandidateDefinitionsOnly is only supported in "
                          "HYPERPARAMETER_TUNING mode")
    kind, final = _story(name, candidates_only)
    fixed = {key: value for key, value in (("problem", problem), ("objective", objective),
                                           ("mode", mode if mode in (HPO, ENSEMBLING) else None))
             if value}
    bodies = build_job(RandomChooser(f"created/{region}/{name}"), name, region, kind=kind,
                       final=final, fixed=fixed)
    deploy = params.get("ModelDeployConfig")
    if deploy is None:
        bodies = [b for b in bodies if b["AutoMLJobSecondaryStatus"] != "DeployingModel"]
    drawn_output = bodies[0]["OutputDataConfig"]["S3OutputPath"]
    made = []
    for body in bodies:
        body = _replace_text(body, drawn_output, params["OutputDataConfig"]["S3OutputPath"])
        for member in ("InputDataConfig", "OutputDataConfig", "RoleArn", "ProblemType",
                       "AutoMLJobObjective", "AutoMLJobConfig", "ModelDeployConfig"):
            body.pop(member, None)
            if params.get(member) is not None:
                body[member] = copy.deepcopy(params[member])
        body["GenerateCandidateDefinitionsOnly"] = candidates_only
        body.pop("ModelDeployResult", None)
        if deploy is not None and body["AutoMLJobStatus"] == "Completed" and not candidates_only:
            body["ModelDeployResult"] = {
                "EndpointName": deploy.get("EndpointName") or f"{name}-endpoint"}
        resolved = body.get("ResolvedAttributes")
        criteria = (config or {}).get("CompletionCriteria")
        if resolved is not None and criteria:
            resolved["CompletionCriteria"] = {**resolved.get("CompletionCriteria", {}),
                                              **criteria}
        made.append(_model_order(body))
    return CreatedJob(made, [v2_from_v1(body) for body in made])


_V1_ORDER = ("AutoMLJobName", "AutoMLJobArn", "InputDataConfig", "OutputDataConfig", "RoleArn",
             "AutoMLJobObjective", "ProblemType", "AutoMLJobConfig", "CreationTime", "EndTime",
             "LastModifiedTime", "FailureReason", "PartialFailureReasons", "BestCandidate",
             "AutoMLJobStatus", "AutoMLJobSecondaryStatus", "GenerateCandidateDefinitionsOnly",
             "AutoMLJobArtifacts", "ResolvedAttributes", "ModelDeployConfig",
             "ModelDeployResult")


def _model_order(body: Body) -> Body:
    return {key: body[key] for key in (*_V1_ORDER, *body) if key in body}


def v1_request(params: Mapping[str, Any]) -> Body:
    """A CreateAutoMLJobV2 request for a tabular job, as the CreateAutoMLJob request it means."""
    tabular = params["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    channels = []
    for index, channel in enumerate(params["AutoMLJobInputDataConfig"]):
        if "DataSource" not in channel:
            raise _validation(f"AutoMLJobInputDataConfig[{index}] has no DataSource; name the "
                              "S3 data of the channel")
        channels.append(compact([
            ("DataSource", channel["DataSource"]),
            ("CompressionType", channel.get("CompressionType")),
            ("TargetAttributeName", tabular["TargetAttributeName"]),
            ("ContentType", channel.get("ContentType")),
            ("ChannelType", channel.get("ChannelType")),
            ("SampleWeightAttributeName", tabular.get("SampleWeightAttributeName")),
        ]))
    generation = dict(tabular.get("CandidateGenerationConfig") or {})
    if tabular.get("FeatureSpecificationS3Uri"):
        generation["FeatureSpecificationS3Uri"] = tabular["FeatureSpecificationS3Uri"]
    config = compact([("CompletionCriteria", tabular.get("CompletionCriteria")),
                      ("SecurityConfig", params.get("SecurityConfig")),
                      ("CandidateGenerationConfig", generation or None),
                      ("DataSplitConfig", params.get("DataSplitConfig")),
                      ("Mode", tabular.get("Mode"))])
    return compact([
        ("AutoMLJobName", params["AutoMLJobName"]), ("InputDataConfig", channels),
        ("OutputDataConfig", params["OutputDataConfig"]),
        ("ProblemType", tabular.get("ProblemType")),
        ("AutoMLJobObjective", params.get("AutoMLJobObjective")),
        ("AutoMLJobConfig", config or None), ("RoleArn", params["RoleArn"]),
        ("GenerateCandidateDefinitionsOnly", tabular.get("GenerateCandidateDefinitionsOnly")),
        ("ModelDeployConfig", params.get("ModelDeployConfig")),
    ])


_V2_CONFIGS = {"TextGenerationJobConfig": "textgen", "TimeSeriesForecastingJobConfig": "forecast"}


def create_v2(params: Mapping[str, Any], region: str) -> CreatedJob:
    """The lifecycle of a CreateAutoMLJobV2 request (already checked against the input shape)."""
    problem_config = params["AutoMLProblemTypeConfig"]
    (config_name, config), = problem_config.items()  # a union: the shape check saw to one
    if config_name == "TabularJobConfig":
        tabular = create_tabular(v1_request(params), region)
        extra = {key: params[key] for key in ("AutoMLComputeConfig",) if key in params}
        return CreatedJob(tabular.v1, [{**body, **copy.deepcopy(extra)} for body in tabular.v2])
    kind = _V2_CONFIGS.get(config_name)
    if kind is None:
        modelled = ", ".join(["TabularJobConfig", *_V2_CONFIGS])
        raise _validation(f"aws-replay's synthetic jobs do not model {config_name}; create a "
                          f"job with one of {modelled}")
    name = params["AutoMLJobName"]
    objective = (params.get("AutoMLJobObjective") or {}).get("MetricName")
    fixed = {key: value for key, value in (("base_model", config.get("BaseModelName")),
                                           ("objective", objective)) if value}
    bodies = v2_only_lifecycle(RandomChooser(f"created/{region}/{name}"), name, region, kind,
                               fixed=fixed)
    drawn_output = bodies[0]["OutputDataConfig"]["S3OutputPath"]
    made = []
    for body in bodies:
        body = _replace_text(body, drawn_output, params["OutputDataConfig"]["S3OutputPath"])
        body["AutoMLProblemTypeConfig"] = copy.deepcopy(problem_config)
        for member in ("AutoMLJobInputDataConfig", "OutputDataConfig", "RoleArn",
                       "SecurityConfig", "DataSplitConfig", "AutoMLComputeConfig",
                       "ModelDeployConfig"):
            if params.get(member) is not None:
                body[member] = copy.deepcopy(params[member])
        made.append(body)
    return CreatedJob(None, made)
