"""What real SageMaker sends that the model does not list: the shipped file and its note."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest
from botocore.model import Shape

from replay.core.findings import Severity
from replay.core.jsonpath import parse_json_path
from replay.spec.check import check_body
from replay.spec.observed import observed_values
from replay.spec.operations import operation_ref

NOTE = ("seen in real SageMaker output since 2020; no botocore model lists it: code written "
        "against the enum must handle it")
DESCRIBE = operation_ref("sagemaker", "DescribeAutoMLJob").model


def shape_at(shape: Shape, path: str) -> Shape:
    for step in parse_json_path(path.replace("[*]", "[0]")) or ():
        shape = shape.member if isinstance(step, int) else shape.members[step]
    return shape


def test_the_file_ships_in_the_package_and_says_how_to_add_one() -> None:
    document = json.loads(resources.files("replay").joinpath(
        "data/observed_values.json").read_text("utf-8"))
    assert "how_to_add" in document
    values = {(e["path"].rsplit(".", 1)[-1], e["value"]) for e in document["observed"]}
    assert {("MetricName", "validation:accuracy"),
            ("MetricName", "validation:binary_classification_accuracy"),
            ("MetricName", "validation:f1"), ("MetricName", "LogLoss"),
            ("AutoMLJobSecondaryStatus", "MergingAutoMLTaskReports")} <= values
    for entry in document["observed"]:
        assert entry["seen"] and all(isinstance(s["year"], int) and s["note"]
                                     for s in entry["seen"])
    keys = [(e["operation"], e["path"], e["value"]) for e in document["observed"]]
    assert keys == sorted(keys)


@pytest.mark.parametrize("key", sorted(observed_values()), ids=lambda k: f"{k[1]}={k[2]}")
def test_every_observed_value_is_still_unknown_to_the_installed_model(
        key: tuple[str, str, str]) -> None:
    # When botocore starts listing one, the note would lie: drop the entry from the file.
    operation, path, value = key
    service, _, name = operation.partition(":")
    shape = shape_at(operation_ref(service, name).model.output_shape, path)
    assert shape.enum, f"{path} is not an enum in the model"
    assert value not in shape.enum


def real_body(full_body: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(full_body)
    body["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["MetricName"] = "validation:accuracy"
    body["BestCandidate"]["CandidateProperties"]["CandidateMetrics"][5]["MetricName"] = "LogLoss"
    body["AutoMLJobSecondaryStatus"] = "MergingAutoMLTaskReports"
    body["AutoMLJobObjective"]["MetricName"] = "Invented"
    return body


def test_findings_about_observed_values_say_so_and_keep_their_severity(
        full_body: dict[str, Any]) -> None:
    findings = check_body(DESCRIBE, json.dumps(real_body(full_body)))
    by_value = {f.actual: f for f in findings}
    for value in ("validation:accuracy", "LogLoss", "MergingAutoMLTaskReports"):
        assert by_value[value].message.endswith(NOTE), value
        assert by_value[value].severity is Severity.BREAKING
    assert NOTE not in by_value["Invented"].message  # a value nobody saw gets no note


def test_an_observed_value_at_another_path_gets_no_note(full_body: dict[str, Any]) -> None:
    body = copy.deepcopy(full_body)
    body["AutoMLJobSecondaryStatus"] = "LogLoss"
    [finding] = check_body(DESCRIBE, json.dumps(body))
    assert NOTE not in finding.message
