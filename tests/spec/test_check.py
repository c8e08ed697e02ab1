"""The spec checker: every finding kind, on small inline models and on DescribeAutoMLJob."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay.core.findings import Severity
from replay.core.jsonpath import member_segment
from replay.spec.check import check_body, checker_for, error_code_of
from replay.spec.operations import operation_ref
from replay.spec.servicemodel import ServiceModel as OurServiceModel
from tests.support.models import botocore_output, thing_service

# ----------------------------------------------------------------------- inline models


def inline_operation(shapes: dict[str, Any], errors: tuple[str, ...] = ()) -> OperationModel:
    """A one-operation JSON service whose output shape is ``Out``."""
    model = {
        "metadata": {"protocol": "json", "jsonVersion": "1.1", "targetPrefix": "Demo",
                     "serviceId": "Demo", "endpointPrefix": "demo", "apiVersion": "2020-01-01",
                     "signatureVersion": "v4"},
        "operations": {"Get": {"name": "Get", "http": {"method": "POST", "requestUri": "/"},
                               "output": {"shape": "Out"},
                               "errors": [{"shape": e} for e in errors]}},
        "shapes": shapes,
    }
    return ServiceModel(model, service_name="demo").operation_model("Get")


def out(members: dict[str, Any], required: list[str] | None = None,
        **shapes: Any) -> OperationModel:
    return inline_operation({"Out": {"type": "structure", "members": members,
                                     "required": required or []}, **shapes})


def kinds(operation: OperationModel, body: Any, status: int = 200) -> list[tuple[str, str, str]]:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return [(f.kind, f.severity.value, f.path) for f in check_body(operation, raw, status)]


STR = {"Name": {"shape": "S"}}

# Each row: shapes of the model, a body, the findings expected (kind, severity, path).
TABLE = [
    pytest.param({"S": {"type": "string"}}, {"Name": "x"}, [], id="clean"),
    pytest.param({"S": {"type": "string"}}, {"Name": 5},
                 [("type", "breaking", "$.Name")], id="type-string"),
    pytest.param({"S": {"type": "string", "min": 2, "max": 3}}, {"Name": "x"},
                 [("length", "breaking", "$.Name")], id="length-short"),
    pytest.param({"S": {"type": "string", "max": 3}}, {"Name": "ééé"}, [],
                 id="length-counts-code-points-not-bytes"),
    pytest.param({"S": {"type": "string", "max": 2}}, {"Name": "\U0001F600\U0001F600\U0001F600"},
                 [("length", "breaking", "$.Name")], id="length-astral"),
    pytest.param({"S": {"type": "string", "pattern": "[0-9]{3}"}}, {"Name": "ab123cd"}, [],
                 id="pattern-searched-not-anchored"),
    pytest.param({"S": {"type": "string", "pattern": "^[0-9]{3}$"}}, {"Name": "ab123"},
                 [("pattern", "breaking", "$.Name")], id="pattern"),
    pytest.param({"S": {"type": "string", "enum": ["A", "B"]}}, {"Name": "C"},
                 [("enum", "breaking", "$.Name")], id="enum"),
    pytest.param({"S": {"type": "integer", "min": 1, "max": 5}}, {"Name": 9},
                 [("range", "breaking", "$.Name")], id="range"),
    pytest.param({"S": {"type": "integer"}}, {"Name": 2**40},
                 [("range", "breaking", "$.Name")], id="integer-32-bit"),
    pytest.param({"S": {"type": "long"}}, {"Name": 2**40}, [], id="long-64-bit"),
    pytest.param({"S": {"type": "integer"}}, {"Name": True},
                 [("type", "breaking", "$.Name")], id="boolean-is-not-integer"),
    pytest.param({"S": {"type": "integer"}}, {"Name": 1.5},
                 [("type", "breaking", "$.Name")], id="integer-fraction"),
    pytest.param({"S": {"type": "double", "min": 0, "max": 1}}, {"Name": 1.5},
                 [("range", "breaking", "$.Name")], id="float-range"),
    pytest.param({"S": {"type": "float"}}, {"Name": "NaN"}, [], id="float-nan-string"),
    pytest.param({"S": {"type": "float"}}, {"Name": "1.5"},
                 [("type", "breaking", "$.Name")], id="float-string"),
    pytest.param({"S": {"type": "boolean"}}, {"Name": "true"},
                 [("type", "breaking", "$.Name")], id="boolean"),
    pytest.param({"S": {"type": "timestamp"}}, {"Name": 1700000000.25}, [], id="timestamp-epoch"),
    pytest.param({"S": {"type": "timestamp"}}, {"Name": "2026-11-29T12:00:00Z"},
                 [("timestamp-format", "breaking", "$.Name")], id="timestamp-iso-string"),
    pytest.param({"S": {"type": "timestamp"}}, {"Name": [1]},
                 [("type", "breaking", "$.Name")], id="timestamp-array"),
    pytest.param({"S": {"type": "blob"}}, {"Name": "aGVsbG8="}, [], id="blob"),
    pytest.param({"S": {"type": "blob"}}, {"Name": "not base64!"},
                 [("type", "breaking", "$.Name")], id="blob-not-base64"),
    pytest.param({"S": {"type": "list", "member": {"shape": "E"}, "min": 1, "max": 2},
                  "E": {"type": "string", "enum": ["A"]}},
                 {"Name": ["A", "B", "A"]},
                 [("list-length", "breaking", "$.Name"), ("enum", "breaking", "$.Name[1]")],
                 id="list-length-and-item"),
    pytest.param({"S": {"type": "list", "member": {"shape": "E"}}, "E": {"type": "string"}},
                 {"Name": {"a": 1}}, [("type", "breaking", "$.Name")], id="list-type"),
    pytest.param({"S": {"type": "map", "key": {"shape": "K"}, "value": {"shape": "V"}, "max": 1},
                  "K": {"type": "string", "pattern": "^[A-Z_]+$"}, "V": {"type": "string"}},
                 {"Name": {"OK": "1", "bad key": "2"}},
                 [("map-length", "breaking", "$.Name"),
                  ("pattern", "breaking", "$.Name['bad key']")],
                 id="map-length-and-key"),
    pytest.param({"S": {"type": "map", "key": {"shape": "K"}, "value": {"shape": "V"}},
                  "K": {"type": "string"}, "V": {"type": "integer"}},
                 {"Name": {"a": "x"}}, [("type", "breaking", "$.Name.a")], id="map-value"),
    pytest.param({"S": {"type": "structure", "members": {"A": {"shape": "E"}, "B": {"shape": "E"}},
                        "union": True}, "E": {"type": "string"}},
                 {"Name": {"A": "x", "B": "y"}}, [("type", "breaking", "$.Name")], id="union"),
    pytest.param({"S": {"type": "structure", "members": {}, "document": True}},
                 {"Name": {"any": [1, {"thing": None}]}}, [], id="document"),
]


@pytest.mark.parametrize(("shapes", "body", "expected"), TABLE)
def test_each_kind_on_an_inline_model(shapes: dict[str, Any], body: Any,
                                      expected: list[tuple[str, str, str]]) -> None:
    assert sorted(kinds(out(STR, **shapes), body)) == sorted(expected)


def test_required_and_unknown_members_at_any_depth() -> None:
    operation = out({"Inner": {"shape": "In"}}, ["Inner"],
                    In={"type": "structure", "members": {"A": {"shape": "S"}}, "required": ["A"]},
                    S={"type": "string"})
    assert kinds(operation, {"Inner": {"B": 1}, "Extra": {"deep": 1}}) == [
        ("unknown-member", "additive", "$.Inner.B"),
        ("missing-required", "breaking", "$.Inner.A"),
        ("unknown-member", "additive", "$.Extra"),
    ]
    assert kinds(operation, {}) == [("missing-required", "breaking", "$.Inner")]


def test_null_member_counts_as_absent() -> None:
    operation = out({"A": {"shape": "S"}}, ["A"], S={"type": "string"})
    assert kinds(operation, {"A": None}) == [("missing-required", "breaking", "$.A")]


def test_recursive_shapes_compile_and_check_deeply() -> None:
    operation = out({"Node": {"shape": "N"}},
                    N={"type": "structure",
                       "members": {"Child": {"shape": "N"}, "V": {"shape": "I"}}},
                    I={"type": "integer"})
    body = {"Node": {"Child": {"Child": {"V": "x"}}}}
    assert kinds(operation, body) == [("type", "breaking", "$.Node.Child.Child.V")]


def test_unsupported_pattern_is_reported_once_and_never_crashes() -> None:
    operation = out({"A": {"shape": "P"}, "B": {"shape": "L"}},
                    P={"type": "string", "pattern": r"[\p{L}]+"},
                    L={"type": "list", "member": {"shape": "P"}})
    findings = check_body(operation, json.dumps({"A": "x", "B": ["y", "z"]}))
    assert [(f.kind, f.severity, f.path) for f in findings] == [
        ("unsupported-pattern", Severity.INFO, "$.A")]
    assert "cannot be compiled by Python's re" in findings[0].message


def test_every_finding_is_reported_not_just_the_first() -> None:
    operation = out({"A": {"shape": "E"}, "B": {"shape": "E"}, "C": {"shape": "E"}},
                    E={"type": "string", "enum": ["ok"]})
    assert len(check_body(operation, json.dumps({"A": "x", "B": "y", "C": "z"}))) == 3


def test_checker_is_compiled_once_per_operation() -> None:
    operation = operation_ref("sagemaker", "DescribeAutoMLJob").model
    assert checker_for(operation) is checker_for(operation)


# ------------------------------------------------------------------- DescribeAutoMLJob

DESCRIBE = operation_ref("sagemaker", "DescribeAutoMLJob").model


def test_full_body_is_clean_and_botocore_parses_it(full_body: dict[str, Any]) -> None:
    raw = json.dumps(full_body).encode()
    assert check_body(DESCRIBE, raw) == []
    parsed = create_parser("json").parse(
        {"body": raw, "headers": {}, "status_code": 200},
        botocore_output("sagemaker", "DescribeAutoMLJob"))
    assert parsed["BestCandidate"]["CandidateName"] == full_body["BestCandidate"]["CandidateName"]


def test_drift_seen_in_public_notebooks_is_found(full_body: dict[str, Any]) -> None:
    body = copy.deepcopy(full_body)
    body["AutoMLJobSecondaryStatus"] = "MergingAutoMLTaskReports"
    body["AutoMLJobObjective"]["MetricName"] = "validation:accuracy"
    body["BestCandidate"]["CandidateSteps"][2]["CandidateStepType"] = "AWS::SageMaker::Pipeline"
    findings = check_body(DESCRIBE, json.dumps(body))
    assert [(f.kind, f.path, f.actual) for f in findings] == [
        ("enum", "$.AutoMLJobObjective.MetricName", "validation:accuracy"),
        ("enum", "$.BestCandidate.CandidateSteps[2].CandidateStepType",
         "AWS::SageMaker::Pipeline"),
        ("enum", "$.AutoMLJobSecondaryStatus", "MergingAutoMLTaskReports"),
    ]
    # the message says which botocore releases were searched, and that these values are real
    # (replay/data/observed_values.json); the made-up step type gets no such note
    assert findings[2].message.startswith(
        "'MergingAutoMLTaskReports' is not a value of enum AutoMLJobSecondaryStatus in the "
        "model; no botocore release from 1.20.0 to ")
    assert findings[2].message.endswith(
        "ever had it; seen in real SageMaker output since 2020; no botocore model lists it: code "
        "written against the enum must handle it")
    assert findings[2].known_since is None
    assert "seen in real" in findings[0].message
    assert "seen in real" not in findings[1].message
    assert {f.severity for f in findings} == {Severity.BREAKING}
    assert "Completed" in findings[2].expected


@pytest.mark.parametrize("body", ["<html>oops</html>", '{"AutoMLJobName": ', b"\xff\xfe"])
def test_a_2xx_body_that_is_not_json(body: str | bytes) -> None:
    findings = check_body(DESCRIBE, body)
    assert [(f.kind, f.severity) for f in findings] == [("invalid-json", Severity.BREAKING)]


def test_modelled_error_is_checked_against_its_shape() -> None:
    body: dict[str, Any] = {"__type": "com.amazon.coral.service#ResourceNotFound",
                            "Message": "no such job"}
    assert check_body(DESCRIBE, json.dumps(body), 400) == []
    body["Extra"] = 1
    assert kinds(DESCRIBE, body, 400) == [("unknown-member", "additive", "$.Extra")]


def test_lowercase_message_is_accepted_in_errors() -> None:
    assert check_body(DESCRIBE, json.dumps({"__type": "ResourceNotFound", "message": "x"}),
                      400) == []


@pytest.mark.parametrize(("code", "severity"), [
    ("ThrottlingException", Severity.INFO),
    ("ValidationException", Severity.INFO),
    ("AccessDeniedException", Severity.INFO),
    ("ResourceInUse", Severity.BREAKING),
])
def test_unmodelled_errors(code: str, severity: Severity) -> None:
    findings = check_body(DESCRIBE, json.dumps({"__type": code, "message": "m"}), 400)
    assert [(f.kind, f.severity, f.actual) for f in findings] == [
        ("unknown-error", severity, code)]


def test_error_type_from_header_when_body_has_none() -> None:
    findings = check_body(DESCRIBE, "{}", 400, {"X-Amzn-ErrorType": ["ResourceNotFound:http://x"]})
    assert findings == []


def test_error_without_any_type_is_breaking() -> None:
    findings = check_body(DESCRIBE, '{"message": "?"}', 500)
    assert [(f.kind, f.severity) for f in findings] == [("unknown-error", Severity.BREAKING)]


@pytest.mark.parametrize(("raw", "expected"), [
    ({"__type": "com.amazon.coral.service#ThrottlingException"}, "ThrottlingException"),
    ({"__type": "ResourceNotFound:http://internal.amazon.com/"}, "ResourceNotFound"),
    ({"__type": "aws.protocols#Ns#Deep"}, "Deep"),
    ({}, None),
])
def test_error_code_strips_namespace_and_suffix(raw: dict[str, Any], expected: str | None) -> None:
    assert error_code_of(raw, None) == expected


def test_redirect_status_is_unexpected() -> None:
    findings = check_body(DESCRIBE, "", 302)
    assert [(f.kind, f.actual) for f in findings] == [("unexpected-status", 302)]


# ---------------------------------------------------------------- property: mutations

assert DESCRIBE.output_shape is not None
REQUIRED = list(DESCRIBE.output_shape.required_members)


def _paths(value: Any, path: str = "$") -> list[tuple[str, Any]]:
    found = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, path + member_segment(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, f"{path}[{index}]"))
    return found


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    steps = re.findall(r"\.(\w+)|\[(\d+)\]|\['([^']*)'\]", path)
    target: Any = body
    keys: list[Any] = [a or (int(b) if b else c) for a, b, c in steps]
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_mutation_gives_exactly_one_finding_at_its_path(
        full_body: dict[str, Any], data: st.DataObject) -> None:
    body = copy.deepcopy(full_body)
    leaves = [(p, v) for p, v in _paths(body) if isinstance(v, str | bool | int | float)]
    mutation = data.draw(st.sampled_from(["drop-required", "add-unknown", "type", "enum",
                                          "length", "pattern", "range"]))
    if mutation == "drop-required":
        name = data.draw(st.sampled_from(REQUIRED))
        del body[name]
        expected = ("missing-required", f"$.{name}")
    elif mutation == "add-unknown":
        parents = [p for p, v in _paths(body) if isinstance(v, dict)
                   and not p.endswith(("Environment", "InferenceContainerDefinitions"))]
        parent = data.draw(st.sampled_from(parents))
        name = data.draw(st.from_regex(r"\AZz[A-Za-z]{1,8}\Z"))
        _set(body, f"{parent}.{name}", data.draw(st.integers()))
        expected = ("unknown-member", f"{parent}.{name}")
    elif mutation == "type":
        path, value = data.draw(st.sampled_from([(p, v) for p, v in leaves
                                                 if "Environment" not in p]))
        _set(body, path, [value])
        expected = ("type", path)
    elif mutation == "enum":
        path = data.draw(st.sampled_from(["$.AutoMLJobStatus", "$.ProblemType",
                                          "$.BestCandidate.ObjectiveStatus",
                                          "$.InputDataConfig[0].ChannelType"]))
        _set(body, path, data.draw(st.from_regex(r"\AUnheardOf[A-Z]{1,5}\Z")))
        expected = ("enum", path)
    elif mutation == "length":
        path = data.draw(st.sampled_from(["$.BestCandidate.CandidateName",
                                          "$.BestCandidate.CandidateSteps[0].CandidateStepName"]))
        _set(body, path, "x" * data.draw(st.integers(65, 200)))
        expected = ("length", path)
    elif mutation == "pattern":
        path = data.draw(st.sampled_from(["$.AutoMLJobArn", "$.RoleArn",
                                          "$.BestCandidate.CandidateSteps[1].CandidateStepArn"]))
        _set(body, path, "not-an-arn-" + "x" * data.draw(st.integers(10, 40)))
        expected = ("pattern", path)
    else:
        path = "$.AutoMLJobConfig.CompletionCriteria.MaxCandidates"
        _set(body, path, data.draw(st.integers(751, 10**6) | st.integers(-10**6, 0)))
        expected = ("range", path)
    findings = check_body(DESCRIBE, json.dumps(body))
    assert [(f.kind, f.path) for f in findings] == [expected]


def test_a_substitute_model_without_the_operation_is_a_clear_error(
        full_body: dict[str, Any]) -> None:
    from replay.cassette.model import Interaction, RecordedRequest, RecordedResponse
    from replay.core.errors import UnknownOperationError
    from replay.spec.check import check_interaction

    interaction = Interaction(
        RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                        {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]}, "{}"),
        RecordedResponse(200, "OK", {}, json.dumps(full_body).encode()))
    other = inline_operation({"Out": {"type": "structure", "members": {}}}).service_model
    with pytest.raises(UnknownOperationError, match="has no operation DescribeAutoMLJob; lock it"):
        check_interaction(interaction, {"sagemaker": other})
    assert check_interaction(interaction, {"sagemaker": DESCRIBE.service_model}) == []


# ------------------------------------------------------------ member traits per reference

def _thing_operation(model_class: Any, members: dict[str, Any], shapes: dict[str, Any],
                     protocol: str = "json") -> Any:
    document = thing_service({"DescribeThingResponse": {"type": "structure",
                                                        "members": members}, **shapes})
    document["metadata"]["protocol"] = protocol
    return model_class(document, "things").operation_model("DescribeThing")


@pytest.mark.parametrize("model_class", [ServiceModel, OurServiceModel],
                         ids=["botocore-model", "aws-replay-model"])
def test_a_member_trait_applies_to_that_member_not_to_every_use_of_its_shape(
        model_class: Any) -> None:
    operation = _thing_operation(model_class, {
        "Iso": {"shape": "When", "timestampFormat": "iso8601"}, "Plain": {"shape": "When"},
        "Narrow": {"shape": "Name", "enum": ["x"]}, "Wide": {"shape": "Name"}},
        {"When": {"type": "timestamp"}, "Name": {"type": "string"}})
    body = {"Iso": "2026-01-01T00:00:00Z", "Plain": 1767225600, "Narrow": "x", "Wide": "any"}
    assert check_body(operation, json.dumps(body)) == []
    wrong = check_body(operation, json.dumps({**body, "Iso": 1767225600, "Narrow": "y"}))
    assert sorted((f.kind, f.path) for f in wrong) == [("enum", "$.Narrow"),
                                                       ("timestamp-format", "$.Iso")]


_LIST_MEMBERS = {"Flat": {"shape": "Items", "flattened": True}, "Wrapped": {"shape": "Items"}}
_LIST_SHAPES = {"Items": {"type": "list", "member": {"shape": "Name", "locationName": "item"}},
                "Name": {"type": "string"}}


@pytest.mark.parametrize("model_class", [ServiceModel, OurServiceModel],
                         ids=["botocore-model", "aws-replay-model"])
def test_one_list_shape_flattened_in_one_member_and_wrapped_in_another(model_class: Any) -> None:
    operation = _thing_operation(model_class, _LIST_MEMBERS, _LIST_SHAPES, protocol="rest-xml")
    body = ("<DescribeThingResponse><item>a</item><item>b</item>"
            "<Wrapped><item>c</item></Wrapped></DescribeThingResponse>")
    judge = _thing_operation(ServiceModel, _LIST_MEMBERS, _LIST_SHAPES, protocol="rest-xml")
    botocore_reads = create_parser("rest-xml").parse(
        {"body": body.encode(), "headers": {}, "status_code": 200}, judge.output_shape)
    assert (botocore_reads["Flat"], botocore_reads["Wrapped"]) == (["a", "b"], ["c"])
    assert check_body(operation, body) == []
    wrong = body.replace("<Wrapped><item>c</item></Wrapped>", "<Wrapped><oops>c</oops></Wrapped>")
    assert [(f.kind, f.path) for f in check_body(operation, wrong)] == [
        ("unknown-member", "$.Wrapped.oops")]
