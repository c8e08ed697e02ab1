"""The request side of the spec check (replay.spec.requests)."""

from __future__ import annotations

from typing import Any

import pytest

from replay.spec.operations import operation_from_name
from replay.spec.requests import check_request, validation_message


@pytest.mark.parametrize(("operation", "params", "expected"), [
    ("StopAutoMLJob", {"AutoMLJobName": "ok-name"}, []),
    ("StopAutoMLJob", {}, [("missing-required", "$.AutoMLJobName")]),
    ("StopAutoMLJob", {"AutoMLJobName": "a" * 33}, [("length", "$.AutoMLJobName")]),
    ("StopAutoMLJob", {"AutoMLJobName": "a", "Force": True}, [("unknown-member", "$.Force")]),
    ("ListAutoMLJobs", {"SortBy": "Size", "MaxResults": 0},
     [("enum", "$.SortBy"), ("range", "$.MaxResults")]),
    ("CreateAutoMLJob", {"AutoMLJobName": "a", "InputDataConfig": [],
                         "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
                         "RoleArn": "arn:aws:iam::000000000001:role/r"},
     [("list-length", "$.InputDataConfig")]),
])
def test_requests_are_held_to_the_input_shape(operation: str, params: dict[str, Any],
                                              expected: list[tuple[str, str]]) -> None:
    findings = check_request(operation_from_name(operation).model, params)
    assert [(f.kind, f.path) for f in findings] == expected


def test_the_validation_message_counts_and_names_each_refusal() -> None:
    findings = check_request(operation_from_name("StopAutoMLJob").model,
                             {"AutoMLJobName": "a", "Force": True, "Why": 1})
    assert validation_message(findings) == (
        "2 validation errors detected: $.Force: member Force is not in the model of "
        "StopAutoMLJobRequest; the service refuses it; $.Why: member Why is not in the model "
        "of StopAutoMLJobRequest; the service refuses it")
