"""Which operation a recorded request calls, for every protocol, from the wire alone."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from replay.cassette.model import Interaction, RecordedRequest, RecordedResponse
from replay.core.errors import UnknownOperationError
from replay.protocols.requests import request_params
from replay.spec.check import check_interaction
from replay.spec.operations import identify_operation
from tests.protocols.conftest import SendFn

CASES = [
    ("s3", "GetObject", {"Bucket": "models", "Key": "churn/v1/model.tar.gz"}),
    ("s3", "HeadObject", {"Bucket": "models", "Key": "a b/ü.txt"}),
    ("s3", "ListObjectsV2", {"Bucket": "models", "Prefix": "churn/"}),
    ("s3", "ListObjects", {"Bucket": "models"}),
    ("s3", "ListParts", {"Bucket": "models", "Key": "k", "UploadId": "u-1"}),
    ("s3", "PutObject", {"Bucket": "models", "Key": "k", "Body": b"\x00\xff" * 40_000}),
    ("s3", "CopyObject", {"Bucket": "models", "Key": "k", "CopySource": "other/k"}),
    ("s3", "CreateBucket", {"Bucket": "models"}),
    ("s3", "PutBucketTagging", {"Bucket": "models",
                                "Tagging": {"TagSet": [{"Key": "team", "Value": "ml"}]}}),
    ("s3", "DeleteObjects", {"Bucket": "models",
                             "Delete": {"Objects": [{"Key": "a"}, {"Key": "b"}]}}),
    ("sts", "GetCallerIdentity", {}),
    ("iam", "ListRoles", {"PathPrefix": "/service-role/"}),
    ("ec2", "DescribeInstances", {"InstanceIds": ["i-0abc"]}),
    ("lambda", "ListFunctions", {"MaxItems": 5}),
    ("lambda", "Invoke", {"FunctionName": "score", "Payload": b'{"x": 1}'}),
    ("sagemaker", "DescribeAutoMLJob", {"AutoMLJobName": "churn"}),
    ("sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "churn", "Body": b"1,2,3"}),
    ("cloudwatch", "ListMetrics", {"Namespace": "ML/churn"}),
    # signed as iotdata and served from data-ats.iot...: found by a scan, after iot fits nothing
    ("iot-data", "Publish", {"topic": "ml/churn/released", "payload": b"{}"}),
    ("cloudwatch", "PutMetricData", {"Namespace": "ML/churn",
                                     "MetricData": [{"MetricName": "auc", "Value": 0.91}]}),
]


@pytest.mark.parametrize("endpoint_url", ["http://127.0.0.1:9", None],
                         ids=["local-endpoint", "aws-host"])
@pytest.mark.parametrize(("service", "operation", "params"), CASES,
                         ids=[f"{s}.{o}" for s, o, _ in CASES])
def test_every_protocol_is_identified_from_a_recorded_request(
        send: SendFn, service: str, operation: str, params: dict[str, object],
        endpoint_url: str | None) -> None:
    sent = send(service, operation, endpoint_url=endpoint_url, **params)
    ref = identify_operation(sent.recorded)
    assert (ref.service, ref.operation) == (service, operation)
    assert ref.region == "us-east-1"


def test_uri_labels_query_and_headers_are_read_as_members(send: SendFn) -> None:
    sent = send("s3", "GetObject", endpoint_url=None, Bucket="models", Key="a b/ü.txt",
                Range="bytes=0-9", VersionId="v2")
    params = request_params(sent.operation, sent.wire)
    assert params["Bucket"] == "models"  # from the virtual host
    assert params["Key"] == "a b/ü.txt"  # percent-decoded from the path
    assert params["Range"] == "bytes=0-9"  # a header
    assert params["VersionId"] == "v2"  # the query string


def test_a_large_upload_is_stored_as_its_digest_and_still_matches(send: SendFn) -> None:
    body = bytes(range(256)) * 4096
    sent = send("s3", "PutObject", Bucket="models", Key="k", Body=body)
    assert sent.recorded.body.startswith("aws-replay-body-digest:sha256=")
    assert len(sent.recorded.body) < 200
    from_cassette = request_params(sent.operation, sent.wire.__class__.from_recorded(
        sent.recorded))
    assert from_cassette["Body"] == request_params(sent.operation, sent.wire)["Body"]
    assert from_cassette["Body"]["length"] == len(body)


def test_an_unknown_request_names_what_is_missing() -> None:
    with pytest.raises(UnknownOperationError, match="names no AWS service"):
        identify_operation(RecordedRequest("GET", "http://127.0.0.1:9/health"))
    auth = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/s3/"
            "aws4_request, SignedHeaders=host, Signature=" + "0" * 64)
    with pytest.raises(UnknownOperationError, match="fits no operation of s3"):
        identify_operation(RecordedRequest("PATCH", "http://127.0.0.1:9/b/k",
                                           {"Authorization": [auth]}))


def test_a_digest_never_looks_like_an_account_id_to_sanitize_or_scan() -> None:
    import hashlib
    import itertools
    import re
    from pathlib import Path

    from replay.protocols.wire import WireRequest, body_digest, digest_text
    from replay.sanitize.sanitizer import Sanitizer
    from replay.sanitize.scan import scan_text

    twelve_digits = re.compile(r"(?<!\d)\d{12}(?!\d)")
    body = next(candidate for n in itertools.count()
                if twelve_digits.search(hashlib.sha256(
                    candidate := n.to_bytes(8, "big") * 9000).hexdigest()))
    stored = digest_text(body)
    assert not twelve_digits.search(stored)
    request = RecordedRequest("PUT", "http://127.0.0.1:9/models/big.bin", {}, stored)
    assert Sanitizer.default().sanitize_request(request).body == stored
    assert scan_text(f"body: '{stored}'\n", Path("c.yaml"), Sanitizer.default()) == []
    assert body_digest(WireRequest.from_recorded(request).body) == body_digest(body)


def test_cloudwatch_is_read_in_the_protocol_botocore_speaks_to_it(send: SendFn) -> None:
    """Its model lists smithy-rpc-v2-cbor first, but botocore prefers JSON: the recorded call
    is JSON and its answer is checked as JSON, not left unchecked."""
    sent = send("cloudwatch", "ListMetrics", Namespace="ML/churn")
    assert sent.recorded.header("X-Amz-Target") == "GraniteServiceVersion20100801.ListMetrics"
    ref = identify_operation(sent.recorded)
    assert (ref.service, ref.operation, ref.protocol) == ("cloudwatch", "ListMetrics", "json")
    answer = {"Metrics": [{"Namespace": "ML/churn", "MetricName": "auc"}]}
    headers = {"Content-Type": ["application/x-amz-json-1.0"]}

    def findings(body: Mapping[str, object]) -> list[tuple[str, str]]:
        response = RecordedResponse(200, "OK", headers, json.dumps(body).encode())
        return [(f.kind, f.path) for f in check_interaction(Interaction(sent.recorded,
                                                                        response))]

    assert findings(answer) == []
    assert findings({**answer, "Dimensionless": True}) == [("unknown-member", "$.Dimensionless")]
