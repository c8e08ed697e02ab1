"""From a recorded request to the botocore operation it calls."""

from __future__ import annotations

import re

import pytest

from replay.cassette.model import RecordedRequest
from replay.core.errors import UnknownOperationError
from replay.spec.operations import identify_operation, operation_from_name, region_of


def request(target: str | None, uri: str = "https://api.sagemaker.eu-west-1.amazonaws.com/",
            authorization: str | None = None) -> RecordedRequest:
    headers = {}
    if target is not None:
        headers["X-Amz-Target"] = [target]
    if authorization is not None:
        headers["Authorization"] = [authorization]
    return RecordedRequest("POST", uri, headers, "{}")


def test_sagemaker_describe_automl_job() -> None:
    ref = identify_operation(request("SageMaker.DescribeAutoMLJob"))
    assert (ref.service, ref.operation, ref.region, ref.protocol) == (
        "sagemaker", "DescribeAutoMLJob", "eu-west-1", "json")
    output = ref.model.output_shape
    assert output is not None and output.name == "DescribeAutoMLJobResponse"
    assert ref.target == "SageMaker.DescribeAutoMLJob"


def test_other_json_services_by_target_prefix() -> None:
    ref = identify_operation(request("DynamoDB_20120810.DescribeTable",
                                     "https://dynamodb.us-west-2.amazonaws.com/"))
    assert (ref.service, ref.operation, ref.region) == ("dynamodb", "DescribeTable", "us-west-2")


def test_region_from_the_credential_scope_of_a_local_endpoint() -> None:
    auth = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261129/ap-south-1/sagemaker/"
            "aws4_request, SignedHeaders=host, Signature=" + "0" * 64)
    assert region_of("http://127.0.0.1:8080/", auth) == "ap-south-1"
    assert region_of("http://127.0.0.1:8080/", None) is None


@pytest.mark.parametrize(("target", "message"), [
    ("SageMaker.DescribeAutoMLJobV9", "operation 'DescribeAutoMLJobV9' is not in botocore"),
    ("NoSuchService_2020.Describe", "X-Amz-Target prefix 'NoSuchService_2020' matches no service"),
    ("DescribeAutoMLJob", "X-Amz-Target 'DescribeAutoMLJob' is not '<Prefix>.<Operation>'"),
    (None, "fits no operation of sagemaker, sagemaker-runtime"),
])
def test_unknown_operations_give_a_clear_error(target: str | None, message: str) -> None:
    with pytest.raises(UnknownOperationError, match=re.escape(message)):
        identify_operation(request(target))


def test_operation_named_on_the_command_line() -> None:
    assert operation_from_name("DescribeAutoMLJob").service == "sagemaker"
    assert operation_from_name("sagemaker:ListAutoMLJobs").operation == "ListAutoMLJobs"
