"""The spec checker on rest-json: members bound to headers and the status code, payloads,
errors named by x-amzn-ErrorType or the body."""

from __future__ import annotations

import base64
import json
from typing import Any

from botocore.model import OperationModel, ServiceModel

from replay.spec.check import check_body
from replay.spec.operations import operation_ref


def rest_json(members: dict[str, Any], payload: str | None = None,
              **shapes: Any) -> OperationModel:
    out: dict[str, Any] = {"type": "structure", "members": members}
    if payload:
        out["payload"] = payload
    model = {
        "metadata": {"protocol": "rest-json", "serviceId": "Demo", "endpointPrefix": "demo",
                     "apiVersion": "2020-01-01", "signatureVersion": "v4"},
        "operations": {"Get": {"name": "Get", "http": {"method": "GET", "requestUri": "/x"},
                               "output": {"shape": "Out"},
                               "errors": [{"shape": "Busy"}]}},
        "shapes": {"Out": out, "Busy": {"type": "structure", "members": {
            "message": {"shape": "Text"},
            "Wait": {"shape": "Int", "location": "header", "locationName": "Retry-After"}},
            "error": {"httpStatusCode": 429}, "exception": True},
            "Text": {"type": "string"}, "Int": {"type": "integer"},
            "Flag": {"type": "boolean"}, "When": {"type": "timestamp"},
            "Color": {"type": "string", "enum": ["red", "blue"]},
            "Doc": {"type": "string"}, "Blob": {"type": "blob"},
            "Colors": {"type": "list", "member": {"shape": "Color"}},
            "Meta": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Text"}},
            **shapes},
    }
    return ServiceModel(model, service_name="demo").operation_model("Get")


HEADERS = {
    "Count": {"shape": "Int", "location": "header", "locationName": "x-count"},
    "On": {"shape": "Flag", "location": "header", "locationName": "x-on"},
    "Since": {"shape": "When", "location": "header", "locationName": "x-since"},
    "Color": {"shape": "Color", "location": "header", "locationName": "x-color"},
    "Colors": {"shape": "Colors", "location": "header", "locationName": "x-colors"},
    "Policy": {"shape": "Doc", "location": "header", "locationName": "x-policy",
               "jsonvalue": True},
    "Meta": {"shape": "Meta", "location": "headers", "locationName": "x-meta-"},
    "Status": {"shape": "Int", "location": "statusCode"},
    "Name": {"shape": "Text"},
}

GOOD = {"x-count": ["3"], "X-On": ["true"], "x-since": ["Wed, 21 Oct 2015 07:28:00 GMT"],
        "x-color": ["red"], "x-colors": ["red, blue"],
        "x-policy": [base64.b64encode(b'{"a": 1}').decode()], "x-meta-owner": ["me"]}


def found(operation: OperationModel, body: bytes, status: int = 200,
          headers: dict[str, list[str]] | None = None) -> list[tuple[str, str, str]]:
    return sorted((f.kind, f.severity.value, f.path)
                  for f in check_body(operation, body, status, headers))


def test_header_members_of_every_type_check_clean() -> None:
    assert found(rest_json(HEADERS), b'{"Name": "x"}', 200, GOOD) == []


def test_each_broken_header_is_found_at_its_member_name() -> None:
    broken = dict(GOOD, **{"x-count": ["three"], "X-On": ["yes"], "x-since": ["1445412480"],
                           "x-color": ["green"], "x-colors": ["red, pink"],
                           "x-policy": ["not base64 json"]})
    assert found(rest_json(HEADERS), b'{"Name": "x"}', 200, broken) == [
        ("enum", "breaking", "$.Color"), ("enum", "breaking", "$.Colors[1]"),
        ("timestamp-format", "breaking", "$.Since"), ("type", "breaking", "$.Count"),
        ("type", "breaking", "$.On"), ("type", "breaking", "$.Policy")]


def test_header_members_are_not_body_members() -> None:
    assert found(rest_json(HEADERS), b'{"Name": "x", "Count": 3}', 200, GOOD) == [
        ("unknown-member", "additive", "$.Count")]


def test_status_code_member_takes_the_status() -> None:
    members = {"Status": {"shape": "Small", "location": "statusCode"}}
    small: dict[str, Any] = {"Small": {"type": "integer", "max": 201}}
    assert found(rest_json(members, **small), b"{}", 202) == [("range", "breaking", "$.Status")]


def test_structure_payload_is_the_whole_body() -> None:
    members = {"Thing": {"shape": "Thing"}, "Count": HEADERS["Count"]}
    thing = {"Thing": {"type": "structure", "members": {"Color": {"shape": "Color"}}}}
    operation = rest_json(members, payload="Thing", **thing)
    assert found(operation, b'{"Color": "red"}') == []
    assert found(operation, b'{"Color": "green", "Shade": 1}') == [
        ("enum", "breaking", "$.Thing.Color"), ("unknown-member", "additive", "$.Thing.Shade")]


def test_blob_payload_is_not_read() -> None:
    operation = rest_json({"Data": {"shape": "Blob"}, "Count": HEADERS["Count"]},
                          payload="Data")
    assert found(operation, b"\x00\xffnot json", 200, {"x-count": ["1"]}) == []
    assert found(operation, b"\x00", 200, {"x-count": ["x"]}) == [("type", "breaking",
                                                                    "$.Count")]


def test_lambda_invoke_status_and_function_error_headers() -> None:
    invoke = operation_ref("lambda", "Invoke").model
    headers = {"X-Amz-Function-Error": ["Unhandled"], "X-Amz-Executed-Version": ["$LATEST"],
               "X-Amz-Log-Result": [base64.b64encode(b"START RequestId").decode()]}
    assert found(invoke, b'{"errorMessage": "boom"}', 200, headers) == []


def test_lambda_list_functions_body() -> None:
    operation = operation_ref("lambda", "ListFunctions").model
    body = {"Functions": [{"FunctionName": "f", "Runtime": "python3.12",
                           "LastModified": "2024-01-01T00:00:00.000+0000"}]}
    assert found(operation, json.dumps(body).encode()) == []
    body["Functions"][0]["Runtime"] = "python9"
    assert found(operation, json.dumps(body).encode()) == [
        ("enum", "breaking", "$.Functions[0].Runtime")]


def test_errors_from_the_error_type_header_or_the_body() -> None:
    operation = rest_json({"Name": {"shape": "Text"}})
    header = {"x-amzn-ErrorType": ["Busy:http://internal.amazon.com/coral/demo/"],
              "Retry-After": ["soon"]}
    assert found(operation, b'{"message": "slow down"}', 429, header) == [
        ("type", "breaking", "$.Wait")]
    assert found(operation, b'{"code": "Busy", "message": "x"}', 429) == []
    assert found(operation, b'{"code": "Melted"}', 500) == [("unknown-error", "breaking", "$")]
    assert found(operation, b"{}", 500) == [("unknown-error", "breaking", "$")]


def test_xml_where_rest_json_is_expected_is_invalid_json() -> None:
    assert found(rest_json({"Name": {"shape": "Text"}}), b"<Name>x</Name>") == [
        ("invalid-json", "breaking", "$")]


def test_a_protocol_the_check_does_not_read_is_one_unchecked_finding() -> None:
    model = {"metadata": {"protocol": "smithy-rpc-v2-cbor", "serviceId": "Demo",
                          "endpointPrefix": "demo", "apiVersion": "2020-01-01",
                          "signatureVersion": "v4"},
             "operations": {"Get": {"name": "Get", "http": {"method": "POST", "requestUri": "/"},
                                    "output": {"shape": "Out"}}},
             "shapes": {"Out": {"type": "structure", "members": {}}}}
    operation = ServiceModel(model, service_name="demo").operation_model("Get")
    findings = check_body(operation, b"\xa0")
    assert [(f.kind, f.severity.value) for f in findings] == [("unchecked", "info")]
    assert "smithy-rpc-v2-cbor" in findings[0].message
