"""Classifying a body change against the model: added, removed, retyped, new enum value."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from replay.core.findings import Severity
from replay.drift.changes import classify_changes, prune_equal, shape_at
from replay.drift.diff import diff_interactions
from replay.spec.operations import operation_ref
from tests.support.drift import changes, interaction

# ------------------------------------------------------------------------- classification


def test_new_member_is_additive(full_body: dict[str, Any]) -> None:
    new = dict(full_body, AutoMLProblemTypeConfig={"Tabular": {}})
    found = diff_interactions(interaction(full_body), interaction(new))
    assert [(f.kind, f.severity, f.path) for f in found] == [
        ("member-added", Severity.ADDITIVE, "$.AutoMLProblemTypeConfig")]
    assert found[0].message == "new member, not in the model"
    assert found[0].operation == "sagemaker:DescribeAutoMLJob"


def test_removed_member_is_breaking(full_body: dict[str, Any]) -> None:
    new = copy.deepcopy(full_body)
    del new["BestCandidate"]["CandidateProperties"]
    assert changes(full_body, new) == [
        ("member-removed", Severity.BREAKING, "$.BestCandidate.CandidateProperties")]


def test_type_change_is_breaking_even_on_a_volatile_path(full_body: dict[str, Any]) -> None:
    new = copy.deepcopy(full_body)
    new["AutoMLJobConfig"]["CompletionCriteria"]["MaxCandidates"] = "10"
    new["CreationTime"] = "2026-11-29T12:00:00Z"
    assert changes(full_body, new) == [
        ("type-changed", Severity.BREAKING, "$.AutoMLJobConfig.CompletionCriteria.MaxCandidates"),
        ("type-changed", Severity.BREAKING, "$.CreationTime"),
    ]


def test_boolean_becoming_a_number_is_a_type_change(full_body: dict[str, Any]) -> None:
    old = dict(full_body, GenerateCandidateDefinitionsOnly=False)
    new = dict(full_body, GenerateCandidateDefinitionsOnly=0)  # Python says False == 0
    assert changes(old, new) == [
        ("type-changed", Severity.BREAKING, "$.GenerateCandidateDefinitionsOnly")]


def test_only_the_differing_members_reach_deepdiff(full_body: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import deepdiff

    seen: list[Any] = []
    real = deepdiff.DeepDiff

    def spy(old: Any, new: Any, **kwargs: Any) -> Any:
        seen.append((old, new))
        return real(old, new, **kwargs)

    monkeypatch.setattr(deepdiff, "DeepDiff", spy)
    new = dict(full_body, AutoMLJobStatus="Stopped", Extra=1)
    assert len(changes(full_body, new)) == 2
    assert seen == [({"AutoMLJobStatus": full_body["AutoMLJobStatus"]},
                     {"AutoMLJobStatus": "Stopped", "Extra": 1})]


def test_enum_value_the_model_does_not_list_is_breaking(full_body: dict[str, Any]) -> None:
    new = dict(full_body, AutoMLJobSecondaryStatus="MergingAutoMLTaskReports")
    found = diff_interactions(interaction(full_body), interaction(new))
    assert [(f.kind, f.severity, f.path, f.actual) for f in found] == [
        ("enum-value-new", Severity.BREAKING, "$.AutoMLJobSecondaryStatus",
         "MergingAutoMLTaskReports")]
    assert found[0].message == ("value 'MergingAutoMLTaskReports' is new here; enum "
                                "AutoMLJobSecondaryStatus does not list it; seen in real "
                                "SageMaker output since 2020; no botocore model lists it: code "
                                "written against the enum must handle it")


def test_enum_value_the_model_lists_is_additive(full_body: dict[str, Any]) -> None:
    old = dict(full_body, AutoMLJobStatus="InProgress", AutoMLJobSecondaryStatus="Starting")
    found = diff_interactions(interaction(old), interaction(full_body))
    assert sorted((f.kind, f.severity, f.path, f.expected) for f in found) == [
        ("enum-value-new", Severity.ADDITIVE, "$.AutoMLJobSecondaryStatus", ["Starting"]),
        ("enum-value-new", Severity.ADDITIVE, "$.AutoMLJobStatus", ["InProgress"]),
    ]


def test_enum_value_seen_elsewhere_in_the_same_list_is_only_a_value_change(
        full_body: dict[str, Any]) -> None:
    new = copy.deepcopy(full_body)
    steps = new["BestCandidate"]["CandidateSteps"]
    steps[0]["CandidateStepType"] = steps[1]["CandidateStepType"]
    assert changes(full_body, new) == [
        ("value-changed", Severity.INFO, "$.BestCandidate.CandidateSteps[0].CandidateStepType")]


def test_plain_value_change_is_info(full_body: dict[str, Any]) -> None:
    new = dict(full_body, RoleArn=full_body["RoleArn"] + "-2")
    assert changes(full_body, new) == [("value-changed", Severity.INFO, "$.RoleArn")]


# ------------------------------------------------------------------------------- helpers

OUTPUT = operation_ref("sagemaker", "DescribeAutoMLJob").model.output_shape


@pytest.mark.parametrize(("steps", "expected"), [
    ((), "DescribeAutoMLJobResponse"),
    (("AutoMLJobStatus",), "AutoMLJobStatus"),
    (("BestCandidate", "CandidateSteps", 0, "CandidateStepType"), "CandidateStepType"),
    (("BestCandidate", "InferenceContainerDefinitions", "any key", 0, "Image"),
     "ContainerImage"),
    (("BestCandidate", "CandidateSteps", "0"), None),  # a list takes indexes, not names
    (("AutoMLJobStatus", 0), None),  # below a string
    (("NotInTheModel",), None),
])
def test_shape_at(steps: tuple[str | int, ...], expected: str | None) -> None:
    shape = shape_at(OUTPUT, steps)
    assert (shape.name if shape is not None else None) == expected


@pytest.mark.parametrize(("old", "new", "expected"), [
    ({"a": 1, "b": {"c": 1, "d": 2}}, {"a": 1, "b": {"c": 1, "d": 3}, "e": 4},
     ({"b": {"d": 2}}, {"b": {"d": 3}, "e": 4})),
    ({"a": 1}, {"a": 1.0}, ({}, {})),
    ({"a": True}, {"a": 1}, ({"a": True}, {"a": 1})),
    ({"a": [1, 2]}, {"a": [1, 2]}, ({}, {})),
    ({"a": [1, 2]}, {"a": [2, 1]}, ({"a": [1, 2]}, {"a": [2, 1]})),
    ([1], [2], ([1], [2])),
])
def test_prune_equal_keeps_only_what_differs(old: Any, new: Any, expected: Any) -> None:
    assert prune_equal(old, new) == expected


@pytest.mark.parametrize(("old", "new", "expected"), [
    ({"A": 1}, {"A": 1, "B": 2}, [("member-added", Severity.ADDITIVE, "$.B", "new member")]),
    ({"A": [1]}, {"A": [1, 2]},
     [("value-changed", Severity.INFO, "$.A[1]", "a list item was added")]),
    ({"A": [1, 2]}, {"A": [1]},
     [("value-changed", Severity.INFO, "$.A[1]", "a list item was removed")]),
    ({"A": "x"}, {"A": ["x"]},
     [("type-changed", Severity.BREAKING, "$.A", "was a JSON string, is a JSON array")]),
    ({"T": "<volatile number>"}, {"T": "<volatile string>"},
     [("type-changed", Severity.BREAKING, "$.T",
       "volatile member changed type from number to string")]),
])
def test_classify_changes_without_a_model(old: Any, new: Any,
                                          expected: list[tuple[str, Severity, str, str]]) -> None:
    found = classify_changes(old, new, None)
    assert [(f.kind, f.severity, f.path, f.message) for f in found] == expected
