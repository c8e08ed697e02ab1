"""`aws-replay serve` answering S3 (rest-xml) and STS (query) from a cassette recorded against
moto, to clients we did not write: boto3, the AWS CLI and the AWS SDK for JavaScript v3.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from defusedxml import ElementTree

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.read import read_cassette
from replay.serve.limits import ServeLimits
from replay.serve.server import RunningServer, start_server
from tests.conftest import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY
from tests.serve.conftest import BUCKET, KEY, MISSING_KEY, OBJECT, Recorded, aws_client

SIGNED_S3 = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/us-east-1/s3/"
             "aws4_request, SignedHeaders=host, Signature=" + "0" * 64)


GET_OBJECT = {"Authorization": SIGNED_S3, "x-amz-checksum-mode": "ENABLED"}  # as boto3 sends it


def _signed(service: str) -> str:
    return SIGNED_S3.replace("/s3/", f"/{service}/")


@pytest.fixture(scope="module")
def server(recorded: Recorded) -> Iterator[RunningServer]:
    with start_server([recorded.path], log=lambda line: None) as running:
        yield running


@pytest.fixture
def serve() -> Iterator[Callable[..., RunningServer]]:
    running: list[RunningServer] = []

    def start(*sources: Cassette | Path, **options: Any) -> RunningServer:
        started = start_server(list(sources), log=lambda line: None, **options)
        running.append(started)
        return started

    yield start
    for each in running:
        each.stop()


class Reply:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read()

    def xml(self) -> dict[str, str]:
        """Every leaf of the XML body by its tag (namespaces dropped)."""
        root = ElementTree.fromstring(self.body)
        return {element.tag.rpartition("}")[2]: (element.text or "") for element in root.iter()
                if not list(element)}


def send(server: RunningServer, method: str, path: str, body: bytes = b"",
         headers: dict[str, str] | None = None,
         connection: http.client.HTTPConnection | None = None) -> Reply:
    connection = connection or http.client.HTTPConnection(server.host, server.port, timeout=10)
    connection.request(method, path, body=body or None, headers=headers or {})
    return Reply(connection.getresponse())


# ----------------------------------------------------------------------------------- boto3


def test_boto3_gets_the_recorded_megabyte_byte_for_byte(server: RunningServer) -> None:
    got = aws_client("s3", server.url).get_object(Bucket=BUCKET, Key=KEY)

    assert got["Body"].read() == OBJECT
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ContentLength"] == len(OBJECT)


def test_boto3_heads_the_object_with_the_recorded_headers(server: RunningServer,
                                                          recorded: Recorded) -> None:
    head = aws_client("s3", server.url).head_object(Bucket=BUCKET, Key=KEY)

    recorded_head = next(i for i in read_cassette(recorded.path).interactions
                         if i.request.method == "HEAD")
    assert head["ETag"] == recorded_head.response.header("ETag")
    assert head["ContentType"] == "binary/octet-stream"


def test_the_recorded_no_such_key_arrives_as_botocores_no_such_key(server: RunningServer) -> None:
    s3 = aws_client("s3", server.url)

    with pytest.raises(s3.exceptions.NoSuchKey) as raised:
        s3.get_object(Bucket=BUCKET, Key=MISSING_KEY)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_sts_get_caller_identity_returns_the_recorded_placeholder_account(
        server: RunningServer, recorded: Recorded) -> None:
    identity = aws_client("sts", server.url).get_caller_identity()

    assert identity["Account"] == recorded.recorded_account
    assert recorded.recorded_account != recorded.moto_account  # the sanitizer's placeholder


def test_an_unmatched_s3_key_is_a_no_match_error_naming_the_closest_request_and_key(
        server: RunningServer, recorded: Recorded) -> None:
    s3 = aws_client("s3", server.url)

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        s3.get_object(Bucket=BUCKET, Key="models/other.bin")

    error = raised.value.response["Error"]
    assert error["Code"] == "NoMatchingInteraction"
    assert error["Message"].startswith(
        'no recorded interaction matches s3.GetObject {"Bucket":"replay-bucket",'
        f'"Key":"models/other.bin"}}; closest recorded: {recorded.path} '
        "interaction 2 s3.GetObject ")
    assert '($.Key: recorded "models/model.bin", request has "models/other.bin")' \
        in error["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_unmatched_sts_call_is_a_query_shaped_no_match_error(server: RunningServer,
                                                                recorded: Recorded) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        aws_client("sts", server.url).get_access_key_info(AccessKeyId=DUMMY_ACCESS_KEY)

    error = raised.value.response["Error"]
    assert (error["Code"], error["Type"]) == ("NoMatchingInteraction", "Sender")
    assert f"closest recorded: {recorded.path} interaction 5 sts.GetCallerIdentity {{}}" \
        in error["Message"]
    assert "$.AccessKeyId: request has" in error["Message"]


def _head_cassette(length: int) -> Cassette:
    return Cassette(interactions=(Interaction(
        request=RecordedRequest("HEAD", f"https://{BUCKET}.s3.us-east-1.amazonaws.com/{KEY}",
                                {"Authorization": [SIGNED_S3]}),
        response=RecordedResponse(200, "OK", {"Content-Length": [str(length)],
                                              "ETag": ['"abc"'],
                                              "Content-Type": ["binary/octet-stream"]})),))


def test_a_head_answer_carries_the_recorded_content_length_and_no_body(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(_head_cassette(len(OBJECT)))
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)

    reply = send(server, "HEAD", f"/{BUCKET}/{KEY}", headers={"Authorization": SIGNED_S3},
                 connection=connection)
    head = aws_client("s3", server.url).head_object(Bucket=BUCKET, Key=KEY)

    assert (reply.status, reply.headers["content-length"], reply.body) == (200, "1048576", b"")
    assert head["ContentLength"] == len(OBJECT)  # recorded virtual-hosted, asked path-style
    assert send(server, "HEAD", f"/{BUCKET}/{KEY}", headers={"Authorization": SIGNED_S3},
                connection=connection).status == 200  # the connection is still in step


def test_a_head_recorded_to_a_file_keeps_its_content_length(server: RunningServer) -> None:
    head = aws_client("s3", server.url).head_object(Bucket=BUCKET, Key=KEY)

    assert head["ContentLength"] == len(OBJECT)


def test_identical_s3_requests_play_in_recorded_order_then_stay_on_the_last(
        serve: Callable[..., RunningServer]) -> None:
    def version(body: bytes) -> Interaction:
        return Interaction(
            request=RecordedRequest("GET", f"http://127.0.0.1:1/{BUCKET}/{KEY}",
                                    {name: [value] for name, value in GET_OBJECT.items()}),
            response=RecordedResponse(200, "OK", {"Content-Type": ["text/plain"]}, body))

    server = serve(Cassette(interactions=(version(b"first"), version(b"second"))))
    s3 = aws_client("s3", server.url)

    bodies = [s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() for _ in range(3)]

    assert bodies == [b"first", b"second", b"second"]


# ------------------------------------------------------------------ JavaScript SDK v3


def test_the_javascript_sdk_reads_s3_and_sts_from_a_boto3_recording(
        server: RunningServer, recorded: Recorded, js_sdk: Path) -> None:
    result = subprocess.run(
        ["node", str(js_sdk / "protocols.mjs"), server.url, BUCKET, KEY, MISSING_KEY],
        capture_output=True, text=True, timeout=120, check=False,
        env={key: value for key, value in os.environ.items() if not key.startswith("AWS_")})
    assert result.returncode == 0, result.stderr
    answers = {line["call"]: line for line in map(json.loads, result.stdout.splitlines())}

    assert answers["GetObject"] == {"call": "GetObject", "ok": True, "length": len(OBJECT),
                                    "sha256": hashlib.sha256(OBJECT).hexdigest()}
    assert answers["HeadObject"]["contentLength"] == len(OBJECT)
    missing = answers["GetObjectMissing"]
    assert (missing["ok"], missing["error"], missing["httpStatusCode"]) == (
        False, "NoSuchKey", 404)
    identity = answers["GetCallerIdentity"]
    assert identity["ok"] and identity["account"] == recorded_account(recorded)


def recorded_account(recorded: Recorded) -> str:
    """The (placeholder) account the recorded GetCallerIdentity answer holds."""
    sts = next(i for i in read_cassette(recorded.path).interactions
               if "GetCallerIdentity" in i.request.body)
    text = sts.response.body.decode()
    return text.split("<Account>")[1].split("</Account>")[0]


# --------------------------------------------------------------------------------- AWS CLI


def aws_cli(server: RunningServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
           "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_PAGER": "",
           "AWS_MAX_ATTEMPTS": "1"}
    return subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", server.url, *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_aws_cli_gets_the_object_and_the_caller_identity(server: RunningServer,
                                                             recorded: Recorded,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out.bin"

    fetched = aws_cli(server, "s3api", "get-object", "--bucket", BUCKET, "--key", KEY, str(out))
    identity = aws_cli(server, "sts", "get-caller-identity")

    assert fetched.returncode == 0, fetched.stderr
    assert out.read_bytes() == OBJECT
    assert json.loads(fetched.stdout)["ContentLength"] == len(OBJECT)
    assert identity.returncode == 0, identity.stderr
    assert json.loads(identity.stdout)["Account"] == recorded.recorded_account


def test_the_aws_cli_prints_why_an_s3_key_and_an_sts_call_were_not_matched(
        server: RunningServer, recorded: Recorded, tmp_path: Path) -> None:
    fetched = aws_cli(server, "s3api", "get-object", "--bucket", BUCKET, "--key",
                      "models/other.bin", str(tmp_path / "out.bin"))
    info = aws_cli(server, "sts", "get-access-key-info", "--access-key-id", DUMMY_ACCESS_KEY)

    assert fetched.returncode != 0
    assert "An error occurred (NoMatchingInteraction) when calling the GetObject operation: " \
           "no recorded interaction matches s3.GetObject" in fetched.stderr
    assert f"closest recorded: {recorded.path} interaction 2 s3.GetObject" in fetched.stderr
    assert '$.Key: recorded "models/model.bin", request has "models/other.bin"' in fetched.stderr
    assert not (tmp_path / "out.bin").exists()
    assert info.returncode != 0
    assert "An error occurred (NoMatchingInteraction) when calling the GetAccessKeyInfo " \
           "operation: no recorded interaction matches sts.GetAccessKeyInfo" in info.stderr
    assert f"closest recorded: {recorded.path} interaction 5 sts.GetCallerIdentity" \
        in info.stderr


# ------------------------------------------------------------------------------- bad input

BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<Tagging><TagSet><Tag><Key>&lol3;</Key><Value>v</Value></Tag></TagSet></Tagging>")


@pytest.mark.parametrize(("body", "reason"), [
    (b"<Tagging><TagSet><Tag><Key>a</Key><Val", "not well-formed XML"),
    (BOMB, "refused unsafe XML"),
])
def test_an_xml_body_that_is_cut_short_or_a_bomb_is_a_malformed_xml_error(
        server: RunningServer, body: bytes, reason: str) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)

    reply = send(server, "PUT", f"/{BUCKET}?tagging", body,
                 {"Authorization": SIGNED_S3, "Content-Type": "application/xml"}, connection)

    assert reply.status == 400
    assert reply.headers["content-type"] == "text/xml"
    error = reply.xml()
    assert error["Code"] == "MalformedXML"
    assert error["Message"].startswith("the request body does not fit s3.PutBucketTagging "
                                       f"(rest-xml protocol): {reason}")
    assert send(server, "GET", f"/{BUCKET}/{KEY}", headers=GET_OBJECT,
                connection=connection).body == OBJECT  # the same connection, still in step


def test_a_rest_json_body_that_is_not_json_is_a_serialization_error(
        server: RunningServer) -> None:
    reply = send(server, "POST", "/2015-03-31/functions", b"{not json",
                 {"Authorization": _signed("lambda"), "Content-Type": "application/json"})

    assert reply.status == 400
    assert reply.headers["x-amzn-errortype"] == "SerializationException"
    message = json.loads(reply.body)["message"]
    assert message.startswith("the request body does not fit lambda.CreateFunction (rest-json "
                              "protocol): body is not JSON")
    assert send(server, "GET", f"/{BUCKET}/{KEY}", headers=GET_OBJECT).status == 200


@pytest.mark.parametrize(("service", "shape"), [("sts", "ErrorResponse"), ("ec2", "Response")])
def test_an_unknown_action_is_invalid_action_in_the_services_shape(
        server: RunningServer, service: str, shape: str) -> None:
    reply = send(server, "POST", "/", b"Action=NoSuchAction&Version=2011-06-15",
                 {"Authorization": _signed(service),
                  "Content-Type": "application/x-www-form-urlencoded"})

    assert reply.status == 400
    root = ElementTree.fromstring(reply.body)
    assert root.tag == shape
    error = reply.xml()
    assert error["Code"] == "InvalidAction"
    assert error["Message"].startswith(f"request POST / fits no operation of {service}")


@pytest.mark.parametrize(("body", "headers", "shape"), [
    (b"", {}, "json"),
    (b"Action=GetCallerIdentity&Version=2011-06-15",
     {"Content-Type": "application/x-www-form-urlencoded"}, "query"),
])
def test_an_unsigned_request_is_told_to_sign_in_the_shape_it_looks_like(
        server: RunningServer, body: bytes, headers: dict[str, str], shape: str) -> None:
    reply = send(server, "POST" if body else "GET", f"/{BUCKET}/{KEY}" if not body else "/",
                 body, headers)

    assert reply.status == 400
    if shape == "json":
        document = json.loads(reply.body)
        assert document["__type"] == "UnknownOperationException"
        message = document["message"]
    else:
        assert reply.xml()["Code"] == "InvalidAction"
        message = reply.xml()["Message"]
    assert "names no AWS service" in message
    assert "sign the request with SigV4" in message


def test_an_oversized_upload_is_refused_in_the_s3_shape(server: RunningServer) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    connection.putrequest("PUT", f"/{BUCKET}/big")
    connection.putheader("Authorization", SIGNED_S3)
    connection.putheader("Content-Length", str(64 << 20))
    connection.endheaders()

    reply = Reply(connection.getresponse())

    assert reply.status == 400
    assert reply.xml()["Message"] == "the request body of 67108864 bytes is over the " \
                                     "33554432-byte limit (serve --max-upload-bytes raises it)"
    assert send(server, "GET", f"/{BUCKET}/{KEY}", headers=GET_OBJECT).status == 200


def test_the_upload_limit_is_the_one_serve_was_given(serve: Callable[..., RunningServer],
                                                     recorded: Recorded) -> None:
    small = serve(recorded.path, limits=ServeLimits(max_upload_bytes=1024))
    headers = {"Authorization": SIGNED_S3}

    refused = send(small, "PUT", f"/{BUCKET}/notes.txt", b"x" * 1025, headers=headers)
    allowed = send(small, "PUT", f"/{BUCKET}/notes.txt", b"x" * 1024, headers=headers)

    assert refused.status == 400 and refused.xml()["Message"] == (
        "the request body of 1025 bytes is over the 1024-byte limit (serve --max-upload-bytes "
        "raises it)")
    assert allowed.xml()["Code"] == "NoMatchingInteraction"  # read, then matched: not recorded


# ------------------------------------------------------------------------------- synthetic


@pytest.mark.parametrize(("service", "call"), [
    ("s3", lambda client: client.get_object(Bucket=BUCKET, Key=KEY)),
    ("sts", lambda client: client.get_caller_identity()),
])
def test_synthetic_mode_refuses_other_services_in_their_own_shape(
        serve: Callable[..., RunningServer], service: str,
        call: Callable[[Any], Any]) -> None:
    server = serve(synthetic=True)

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(aws_client(service, server.url))

    error = raised.value.response["Error"]
    assert error["Code"] == "UnknownOperationException"
    assert error["Message"].startswith("synthetic mode answers SageMaker's AutoML operations "
                                       "only, not ")
    assert aws_client("sagemaker", server.url).describe_auto_ml_job(
        AutoMLJobName="churn-a")["AutoMLJobName"] == "churn-a"
