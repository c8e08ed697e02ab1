"""The public hypothesis strategies (replay.synth.strategies): spec-valid bodies, realistic jobs."""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.model import OperationModel, ServiceModel, Shape
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from replay.spec.check import check_body
from replay.spec.operations import operation_from_name
from replay.synth.jobs import FINAL_STATES, is_valid_job_name, job_kind
from replay.synth.strategies import (
    JOB_KINDS,
    automl_jobs,
    automl_lifecycles,
    describe_auto_ml_job_bodies,
    job_names,
    output_bodies,
    shape_values,
    to_boto3,
)

OPERATION = operation_from_name("DescribeAutoMLJob").model


def _output(operation: OperationModel) -> Shape:
    assert operation.output_shape is not None
    return operation.output_shape


OUTPUT = _output(OPERATION)
def _enum_shapes(shape: Shape, path: str, into: dict[str, Shape]) -> dict[str, Shape]:
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            _enum_shapes(member, f"{path}.{name}", into)
    elif shape.type_name == "list":
        _enum_shapes(shape.member, f"{path}[*]", into)
    elif shape.type_name == "map":
        _enum_shapes(shape.key, f"{path}.<key>", into)
        _enum_shapes(shape.value, f"{path}.*", into)
    elif getattr(shape, "enum", None):
        into[path] = shape
    return into


ENUMS = _enum_shapes(OPERATION.output_shape, "$", {})
OPTIONAL_TOP = [name for name in OUTPUT.members if name not in OUTPUT.required_members]


def tiny_operation(shapes: dict[str, Any]) -> OperationModel:
    """A one-operation JSON service, built in memory like botocore's own tests do."""
    data = {
        "metadata": {"protocol": "json", "jsonVersion": "1.1", "targetPrefix": "Tiny",
                     "serviceId": "Tiny", "endpointPrefix": "tiny", "apiVersion": "2026-01-01",
                     "signatureVersion": "v4"},
        "operations": {"Get": {"name": "Get", "http": {"method": "POST", "requestUri": "/"},
                               "output": {"shape": "Out"}}},
        "shapes": shapes,
    }
    return ServiceModel(data, service_name="tiny").operation_model("Get")


# --------------------------------------------------------------- from the model alone


@settings(max_examples=150, deadline=None)
@given(describe_auto_ml_job_bodies())
def test_model_bodies_pass_the_checker_and_parse_whole(body: dict[str, Any]) -> None:
    assert check_body(OPERATION, json.dumps(body)) == []
    parsed = to_boto3(body)
    # botocore drops members it does not model; none may be lost.
    assert set(parsed) == set(body)


def member_paths(value: Any, path: str = "$") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}"
            yield from member_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from member_paths(item, f"{path}[*]")


def model_paths(shape: Shape, path: str = "$") -> Iterator[str]:
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            yield f"{path}.{name}"
            yield from model_paths(member, f"{path}.{name}")
    elif shape.type_name == "list":
        yield from model_paths(shape.member, f"{path}[*]")


def test_every_member_is_reachable_and_every_optional_one_sometimes_absent() -> None:
    # Generous: under derandomize the draws still changed with the test order in full runs
    # (hypothesis also draws constants found in the loaded modules); 250 examples once missed.
    present: Counter[str] = Counter()
    runs = 0

    @settings(max_examples=600, derandomize=True, deadline=None, database=None)
    @given(describe_auto_ml_job_bodies())
    def collect(body: dict[str, Any]) -> None:
        nonlocal runs
        runs += 1
        present.update(set(member_paths(body)))

    collect()
    # Map entries are free-form: a path stops at the map.
    reached = {re.sub(r"\.(Environment|InferenceContainerDefinitions)\..*", r".\1", path)
               for path in present}
    assert set(model_paths(OPERATION.output_shape)) - reached == set()
    assert [m for m in OPTIONAL_TOP if present[f"$.{m}"] == runs] == []


@pytest.mark.parametrize("path", sorted(ENUMS))
def test_every_enum_value_of_every_member_is_reachable(path: str) -> None:
    # Together with every member being reachable (above), every value is reachable in a body.
    strategy = shape_values(ENUMS[path])
    for value in ENUMS[path].enum:
        assert find(strategy, lambda v, value=value: bool(v == value),  # type: ignore[misc]
                    settings=settings(database=None, derandomize=True)) == value


def test_patterns_are_searched_not_anchored_and_lengths_hold() -> None:
    operation = tiny_operation({
        "Out": {"type": "structure", "required": ["Code"],
                "members": {"Code": {"shape": "Code"}}},
        "Code": {"type": "string", "min": 3, "max": 8, "pattern": "[0-9]{3}"},
    })
    strategy = output_bodies(operation)

    @settings(max_examples=200, deadline=None)
    @given(strategy)
    def each(body: dict[str, Any]) -> None:
        assert 3 <= len(body["Code"]) <= 8
        assert re.search("[0-9]{3}", body["Code"])
        assert check_body(operation, json.dumps(body)) == []

    each()
    around = find(strategy, lambda b: re.fullmatch("[0-9]{3}", b["Code"]) is None,
                  settings=settings(max_examples=1000, database=None, derandomize=True))
    assert re.search("[0-9]{3}", around["Code"])


def test_limits_of_lists_maps_numbers_and_lengths_are_respected() -> None:
    operation = tiny_operation({
        "Out": {"type": "structure", "required": ["Items", "Tags", "Count", "Ratio", "Note"],
                "members": {"Items": {"shape": "Items"}, "Tags": {"shape": "Tags"},
                            "Count": {"shape": "Count"}, "Ratio": {"shape": "Ratio"},
                            "Note": {"shape": "Note"}}},
        "Items": {"type": "list", "member": {"shape": "Note"}, "min": 2, "max": 4},
        "Tags": {"type": "map", "key": {"shape": "Note"}, "value": {"shape": "Note"},
                 "min": 1, "max": 2},
        "Count": {"type": "integer", "min": 5, "max": 9},
        "Ratio": {"type": "double", "min": 0, "max": 1},
        "Note": {"type": "string", "min": 2, "max": 5},
    })

    @settings(max_examples=150, deadline=None)
    @given(output_bodies(operation))
    def each(body: dict[str, Any]) -> None:
        assert 2 <= len(body["Items"]) <= 4 and 1 <= len(body["Tags"]) <= 2
        assert 5 <= body["Count"] <= 9 and 0 <= body["Ratio"] <= 1
        assert 2 <= len(body["Note"]) <= 5
        assert check_body(operation, json.dumps(body)) == []

    each()


def test_an_unsupported_pattern_and_a_recursive_shape_do_not_break_generation() -> None:
    operation = tiny_operation({
        "Out": {"type": "structure", "required": ["Tree"], "members": {"Tree": {"shape": "Node"}}},
        "Node": {"type": "structure", "required": ["Label"],
                 "members": {"Label": {"shape": "Label"}, "Children": {"shape": "Nodes"}}},
        "Nodes": {"type": "list", "member": {"shape": "Node"}, "max": 2},
        "Label": {"type": "string", "min": 1, "max": 6, "pattern": "\\p{L}+"},
    })

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(output_bodies(operation))
    def each(body: dict[str, Any]) -> None:
        assert 1 <= len(body["Tree"]["Label"]) <= 6

    each()


def test_shape_values_of_a_timestamp_are_epoch_seconds() -> None:
    shape = OUTPUT.members["CreationTime"]
    value = find(shape_values(shape), lambda v: isinstance(v, float) and v != int(v),
                 settings=settings(database=None, derandomize=True))
    assert 946684800 <= value <= 4102444800


def test_other_operations_work_too() -> None:
    operation = operation_from_name("sagemaker:ListAutoMLJobs").model

    @settings(max_examples=40, deadline=None)
    @given(output_bodies("sagemaker:ListAutoMLJobs"))
    def each(body: dict[str, Any]) -> None:
        assert check_body(operation, json.dumps(body)) == []

    each()


# ------------------------------------------------------------------------ realistic jobs


@settings(max_examples=120, deadline=None)
@given(automl_jobs())
def test_realistic_jobs_pass_the_checker(body: dict[str, Any]) -> None:
    assert check_body(OPERATION, json.dumps(body)) == []
    assert set(to_boto3(body)) == set(body)


@settings(max_examples=60, deadline=None)
@given(automl_lifecycles(["failed", "stopped", "lifecycle"]))
def test_realistic_lifecycles_start_at_starting_and_end_where_their_story_does(
        steps: list[dict[str, Any]]) -> None:
    assert steps[0]["AutoMLJobSecondaryStatus"] == "Starting"
    final = (steps[-1]["AutoMLJobStatus"], steps[-1]["AutoMLJobSecondaryStatus"])
    kind = job_kind(steps[0]["AutoMLJobName"])
    assert final == FINAL_STATES.get(kind, ("Completed", "Completed"))
    assert all(check_body(OPERATION, json.dumps(step)) == [] for step in steps)


@settings(max_examples=30, deadline=None)
@given(automl_jobs(["tuning"], parsed=True))
def test_parsed_jobs_are_what_boto3_returns(job: dict[str, Any]) -> None:
    assert isinstance(job["CreationTime"], datetime.datetime)
    assert job["AutoMLJobSecondaryStatus"] in {"Starting", "AnalyzingData",
                                               "FeatureEngineering", "ModelTuning"}
    assert "ResponseMetadata" not in job


def test_drifted_jobs_are_only_given_when_asked_for() -> None:
    assert "drifted" not in JOB_KINDS

    @settings(max_examples=20, deadline=None)
    @given(automl_lifecycles(["drifted"]))
    def each(steps: list[dict[str, Any]]) -> None:
        findings = check_body(OPERATION, json.dumps(steps[-1]))
        assert {f.kind for f in findings} == {"unknown-member", "enum"}

    each()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(JOB_KINDS).flatmap(lambda kind: st.tuples(st.just(kind),
                                                                 job_names(kind))))
def test_job_names_are_valid_and_tell_their_story(pair: tuple[str, str]) -> None:
    kind, name = pair
    assert is_valid_job_name(name)
    assert job_kind(name) == kind


def test_an_unknown_kind_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown job kinds \['finished'\]; choose from"):
        automl_jobs(["finished"])


# ------------------------------------------------------------------- the rest of the family

from replay.synth.strategies import (  # noqa: E402
    automl_candidate_lists,
    automl_v2_jobs,
    create_auto_ml_job_bodies,
    describe_auto_ml_job_v2_bodies,
    list_auto_ml_jobs_bodies,
    list_candidates_bodies,
)

FAMILY = [
    ("DescribeAutoMLJobV2", describe_auto_ml_job_v2_bodies()),
    ("ListAutoMLJobs", list_auto_ml_jobs_bodies()),
    ("ListCandidatesForAutoMLJob", list_candidates_bodies()),
    ("CreateAutoMLJob", create_auto_ml_job_bodies()),
    ("CreateAutoMLJobV2", create_auto_ml_job_bodies(v2=True)),
    ("DescribeAutoMLJobV2", automl_v2_jobs()),
    ("ListCandidatesForAutoMLJob", automl_candidate_lists()),
]


@pytest.mark.parametrize(("operation", "strategy"), FAMILY,
                         ids=[f"{op}-{index}" for index, (op, _) in enumerate(FAMILY)])
def test_each_family_strategy_draws_spec_valid_bodies(operation: str,
                                                      strategy: st.SearchStrategy[Any]) -> None:
    model = operation_from_name(operation).model

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def check(body: dict[str, Any]) -> None:
        assert [f for f in check_body(model, json.dumps(body))
                if f.kind != "unsupported-pattern"] == []

    check()


def test_realistic_v2_jobs_reach_pre_training_and_candidate_lists_hold_the_best() -> None:
    found = find(automl_v2_jobs(["textgen"]),
                 lambda body: body["AutoMLJobSecondaryStatus"] == "PreTraining",
                 settings=settings(database=None, derandomize=True))
    assert found["AutoMLProblemTypeConfigName"] == "TextGeneration"
    parsed = find(automl_candidate_lists(["completed"], parsed=True),
                  lambda body: len(body["Candidates"]) > 2,
                  settings=settings(database=None, derandomize=True))
    assert isinstance(parsed["Candidates"][0]["CreationTime"], datetime.datetime)
