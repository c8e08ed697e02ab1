"""Recording every protocol through vcrpy, kept exactly: S3 (rest-xml) against moto's server, a
1 MB binary download, HEAD answers, S3 errors, uploads with checksums (``aws-chunked`` over
HTTPS too), STS form bodies. Each is captured, saved, read back and replayed to boto3.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import ipaddress
import os
import ssl
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from replay.cassette.model import Interaction, RecordedRequest, RecordedResponse, header_value
from replay.cassette.read import read_cassette
from replay.plugin.engine import ActiveCassette, DriftCache
from replay.plugin.settings import ReplaySettings
from replay.protocols.wire import DIGEST_PREFIX, body_bytes, digest_text
from replay.record.capture import capture_exchanges, save_recording
from replay.sanitize.sanitizer import Sanitizer
from tests.support.local_server import LocalServer
from tests.support.moto import moto_server

MB = 1024 * 1024
BUCKET = "models"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def s3(aws: None, moto_url: str) -> Any:
    import boto3

    client = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_url)
    client.create_bucket(Bucket=BUCKET)
    return client


def record(path: Path, interactions: list[Interaction]) -> list[Interaction]:
    """Save as the recorder does, and read back what is on disk."""
    save_recording(path, interactions, source="local-endpoint", sanitizer=Sanitizer.default())
    return list(read_cassette(path).interactions)


@pytest.fixture
def replaying(tmp_path: Path) -> Any:
    """Replays a cassette to every client for the block (the plugin's engine, mode none)."""
    def replay(path: Path) -> Any:
        return ActiveCassette([path], ReplaySettings(drift="off"), test_id="test",
                              rootdir=tmp_path, drift=DriftCache()).activate()
    return replay


def test_a_binary_download_and_its_head_round_trip_exactly(s3: Any, tmp_path: Path,
                                                           replaying: Any) -> None:
    data = os.urandom(MB)
    s3.put_object(Bucket=BUCKET, Key="model.tar.gz", Body=data)
    with capture_exchanges() as captured:
        head = s3.head_object(Bucket=BUCKET, Key="model.tar.gz")
        assert s3.get_object(Bucket=BUCKET, Key="model.tar.gz")["Body"].read() == data
    head_seen, get_seen = record(tmp_path / "download.yaml", captured)

    assert get_seen.response.body == data  # not decoded, sanitized or re-encoded
    assert head_seen.request.method == "HEAD" and head_seen.response.body == b""
    # A HEAD answer's length is the object's: it never described the (empty) stored body.
    assert header_value(head_seen.response.headers, "Content-Length") == str(MB)
    with replaying(tmp_path / "download.yaml"):
        replayed_head = s3.head_object(Bucket=BUCKET, Key="model.tar.gz")
        replayed = s3.get_object(Bucket=BUCKET, Key="model.tar.gz")
        assert replayed["Body"].read() == data
    assert replayed_head["ContentLength"] == head["ContentLength"] == MB
    assert replayed_head["ETag"] == head["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'


def test_a_json_object_downloads_as_stored_byte_for_byte_and_its_checksum_still_holds(
        s3: Any, tmp_path: Path, replaying: Any) -> None:
    # An S3 object that happens to be JSON is the user's bytes, not an API answer: it was
    # written pretty-printed, so it replayed other bytes than S3 holds (and than the recorded
    # x-amz-checksum-crc32, which botocore validates, covers).
    data = b'{"threshold":0.8,"labels":["a","b"]}'
    s3.put_object(Bucket=BUCKET, Key="config.json", Body=data, ChecksumAlgorithm="CRC32")
    with capture_exchanges() as captured:
        live = s3.get_object(Bucket=BUCKET, Key="config.json", ChecksumMode="ENABLED")
        assert live["Body"].read() == data
    (get,) = record(tmp_path / "json-object.yaml", captured)

    assert get.response.body == data
    assert header_value(get.response.headers, "x-amz-checksum-crc32")
    with replaying(tmp_path / "json-object.yaml"):
        replayed = s3.get_object(Bucket=BUCKET, Key="config.json", ChecksumMode="ENABLED")
        assert replayed["Body"].read() == data


def test_a_json_protocol_answer_is_stored_pretty_without_the_crc32_of_the_bytes_as_sent(
        aws: None, tmp_path: Path, replaying: Any) -> None:
    # DynamoDB signs its answers with x-amz-crc32 and botocore checks it: the pretty-printed
    # body must not carry the checksum of the compact one.
    import boto3

    answer = b'{"Item":{"pk":{"S":"model-1"},"score":{"N":"0.93"}}}'
    request = RecordedRequest(
        "POST", "https://dynamodb.us-east-1.amazonaws.com/",
        {"X-Amz-Target": ["DynamoDB_20120810.GetItem"],
         "Content-Type": ["application/x-amz-json-1.0"]},
        '{"TableName": "models", "Key": {"pk": {"S": "model-1"}}}')
    response = RecordedResponse(200, "OK", {
        "Content-Type": ["application/x-amz-json-1.0"], "Content-Length": [str(len(answer))],
        "x-amz-crc32": [str(zlib.crc32(answer))]}, answer)
    (stored,) = record(tmp_path / "dynamodb.yaml", [Interaction(request, response)])

    assert stored.response.body.startswith(b'{\n  "Item": {\n')  # pretty, to read and diff
    assert header_value(stored.response.headers, "x-amz-crc32") is None
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    with replaying(tmp_path / "dynamodb.yaml"):
        item = dynamodb.get_item(TableName="models", Key={"pk": {"S": "model-1"}})["Item"]
    assert item == {"pk": {"S": "model-1"}, "score": {"N": "0.93"}}


def test_a_json_protocol_answer_without_a_content_type_is_told_by_its_target(
        tmp_path: Path) -> None:
    request = RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                              {"X-Amz-Target": ["SageMaker.ListAutoMLJobs"]}, "{}")
    response = RecordedResponse(200, "OK", {}, b'{"AutoMLJobSummaries":[]}')
    (stored,) = record(tmp_path / "list.yaml", [Interaction(request, response)])
    assert stored.response.body == b'{\n  "AutoMLJobSummaries": []\n}'


def test_a_lambda_result_that_is_json_is_stored_as_the_function_returned_it(
        tmp_path: Path) -> None:
    result = b'{"statusCode":200,"body":"ok"}'
    request = RecordedRequest(
        "POST", "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/score/invocations",
        {"Content-Type": ["application/json"]}, '{"model": "model-1"}')
    response = RecordedResponse(200, "OK", {"Content-Type": ["application/json"],
                                            "Content-Length": [str(len(result))]}, result)
    (stored,) = record(tmp_path / "lambda.yaml", [Interaction(request, response)])
    assert stored.response.body == result


def test_s3_errors_are_stored_as_sent_and_replay_as_botocore_raises_them(
        s3: Any, tmp_path: Path, replaying: Any) -> None:
    with capture_exchanges() as captured:
        with pytest.raises(s3.exceptions.NoSuchKey):
            s3.get_object(Bucket=BUCKET, Key="absent")
        with pytest.raises(s3.exceptions.ClientError, match=r"\(404\)"):
            s3.head_object(Bucket=BUCKET, Key="absent")
    get_missing, head_missing = record(tmp_path / "errors.yaml", captured)

    assert get_missing.response.status == 404 and b"<Code>NoSuchKey</Code>" in \
        get_missing.response.body
    assert head_missing.response.status == 404 and head_missing.response.body == b""
    with replaying(tmp_path / "errors.yaml"):
        with pytest.raises(s3.exceptions.NoSuchKey) as raised:
            s3.get_object(Bucket=BUCKET, Key="absent")
        with pytest.raises(s3.exceptions.ClientError) as head_raised:
            s3.head_object(Bucket=BUCKET, Key="absent")
    assert raised.value.response["Error"]["Key"] == "absent"
    assert head_raised.value.response["Error"]["Code"] == "404"


def test_an_upload_with_a_checksum_is_stored_as_its_digest_and_its_true_length(
        s3: Any, tmp_path: Path, replaying: Any) -> None:
    data = os.urandom(200_000)
    with capture_exchanges() as captured:
        s3.put_object(Bucket=BUCKET, Key="upload.bin", Body=data, ChecksumAlgorithm="SHA256")
    (put,) = record(tmp_path / "upload.yaml", captured)

    assert put.request.body == digest_text(data)  # the upload is not stored a second time
    assert header_value(put.request.headers, "Content-Length") == str(len(data))
    assert header_value(put.request.headers, "x-amz-checksum-sha256")
    with replaying(tmp_path / "upload.yaml") as active:
        s3.put_object(Bucket=BUCKET, Key="upload.bin", Body=data, ChecksumAlgorithm="SHA256")
    assert active.play_counts == [[1]]


def test_sts_form_bodies_are_stored_as_text_and_account_ids_replaced(
        aws: None, moto_url: str, tmp_path: Path, replaying: Any) -> None:
    import boto3

    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_url)
    with capture_exchanges() as captured:
        live = sts.get_caller_identity()
    (call,) = record(tmp_path / "sts.yaml", captured)

    assert call.request.body == "Action=GetCallerIdentity&Version=2011-06-15"
    assert live["Account"].encode() not in call.response.body
    with replaying(tmp_path / "sts.yaml"):
        replayed = sts.get_caller_identity()
    assert replayed["Account"] != live["Account"] and len(replayed["Account"]) == 12
    assert replayed["Arn"].split(":")[4] == replayed["Account"]


def test_sts_calls_that_hand_out_credentials_are_never_captured_the_others_are(
        aws: None, moto_url: str) -> None:
    import boto3

    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_url)
    with capture_exchanges() as captured:
        granted = sts.assume_role(RoleArn="arn:aws:iam::000000000001:role/ci",
                                  RoleSessionName="ci")["Credentials"]
        sts.get_session_token()
        sts.get_caller_identity()

    assert [i.request.body for i in captured] == ["Action=GetCallerIdentity&Version=2011-06-15"]
    assert not any(granted["SecretAccessKey"].encode() in i.response.body for i in captured)


# ------------------------------------------------------------------ aws-chunked, over HTTPS


class TlsBucket(LocalServer):
    """An HTTPS endpoint taking S3 ``PutObject`` uploads in any framing: botocore sends
    ``Content-Encoding: aws-chunked`` with a trailing checksum only over TLS."""

    def __init__(self, folder: Path) -> None:
        self.cert = folder / "cert.pem"
        self.uploads: list[bytes] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self._self_signed(folder))
        self._serve(self._handler(), tls=context)

    def _self_signed(self, folder: Path) -> tuple[Path, Path]:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1)
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .sign(key, hashes.SHA256()))
        self.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        private = folder / "key.pem"
        private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        return self.cert, private

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        bucket = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _read_chunks(self) -> bytes:  # HTTP chunked, then aws-chunked inside it
                data = b""
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    data += self.rfile.read(size)
                    self.rfile.readline()
                while self.rfile.readline().strip():
                    pass
                return data

            def do_PUT(self) -> None:
                if self.headers.get("Transfer-Encoding") == "chunked":
                    raw = self._read_chunks()
                else:
                    raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "aws-chunked" in self.headers.get("Content-Encoding", ""):
                    raw = _aws_unchunk(raw)
                bucket.uploads.append(raw)
                self.send_response(200)
                self.send_header("ETag", f'"{hashlib.md5(raw).hexdigest()}"')
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler


def _aws_unchunk(framed: bytes) -> bytes:
    """The payload of an ``aws-chunked`` body (``<hex size>\\r\\n<data>\\r\\n`` ..., trailer)."""
    stream, payload = io.BytesIO(framed), b""
    while size := int(stream.readline().split(b";")[0], 16):
        payload += stream.read(size)
        stream.readline()
    return payload


@pytest.fixture
def tls_s3(aws: None, tmp_path: Path) -> Iterator[tuple[Any, TlsBucket]]:
    import boto3
    from botocore.config import Config

    with TlsBucket(tmp_path) as server:
        client = boto3.client("s3", region_name="us-east-1", endpoint_url=server.url,
                              verify=str(server.cert),
                              config=Config(s3={"addressing_style": "path"},
                                            retries={"max_attempts": 1}))
        yield client, server


def test_an_aws_chunked_upload_is_recorded_whole_and_replays(
        tls_s3: tuple[Any, TlsBucket], tmp_path: Path, replaying: Any) -> None:
    s3, server = tls_s3
    data = os.urandom(300_000)
    with capture_exchanges() as captured:
        s3.put_object(Bucket=BUCKET, Key="big.bin", Body=io.BytesIO(data),
                      ChecksumAlgorithm="CRC32")
    assert server.uploads == [data]  # recording sent the whole upload
    (put,) = record(tmp_path / "chunked.yaml", captured)

    assert header_value(put.request.headers, "Content-Encoding") == "aws-chunked"
    assert put.request.body.startswith(DIGEST_PREFIX)  # the framed upload, as sent
    with replaying(tmp_path / "chunked.yaml") as active:
        s3.put_object(Bucket=BUCKET, Key="big.bin", Body=io.BytesIO(data),
                      ChecksumAlgorithm="CRC32")
    assert active.play_counts == [[1]] and len(server.uploads) == 1


def test_recording_an_aws_chunked_upload_in_the_plugin_sends_all_of_it(
        tls_s3: tuple[Any, TlsBucket], tmp_path: Path) -> None:
    # In a record mode the plugin keys the request first (reading its body), then lets it
    # through: the body must be sent from its start, not from where the key left it.
    s3, server = tls_s3
    data = os.urandom(100_000)
    path = tmp_path / "cassettes" / "once.yaml"
    active = ActiveCassette([path], ReplaySettings(mode="once", drift="off"), test_id="test",
                            rootdir=tmp_path, drift=DriftCache())
    with active.activate():
        s3.put_object(Bucket=BUCKET, Key="once.bin", Body=io.BytesIO(data),
                      ChecksumAlgorithm="CRC32")
    assert server.uploads == [data]
    assert len(read_cassette(path).interactions) == 1


def test_body_bytes_puts_an_aws_chunked_body_back_at_its_start() -> None:
    from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

    wrapper = AwsChunkedWrapper(io.BytesIO(b"payload"), checksum_cls=Crc32Checksum,
                                checksum_name="x-amz-checksum-crc32")
    first = body_bytes(wrapper)
    assert _aws_unchunk(first) == b"payload"
    assert wrapper.read() == first


def test_an_object_stored_gzip_encoded_is_recorded_as_s3_sends_it(
        s3: Any, tmp_path: Path, replaying: Any) -> None:
    # boto3 hands S3 objects over as stored: a Content-Encoding: gzip object arrives
    # compressed, with its ContentEncoding. Recording must not inflate it.
    import gzip

    packed = gzip.compress(b'{"weights": [0.25, 0.5]}' * 1000)
    s3.put_object(Bucket=BUCKET, Key="weights.json.gz", Body=packed, ContentEncoding="gzip")
    with capture_exchanges() as captured:
        live = s3.get_object(Bucket=BUCKET, Key="weights.json.gz")
        assert live["Body"].read() == packed
    (get,) = record(tmp_path / "gzip.yaml", captured)

    assert get.response.body == packed
    with replaying(tmp_path / "gzip.yaml"):
        replayed = s3.get_object(Bucket=BUCKET, Key="weights.json.gz")
        assert replayed["Body"].read() == packed
    assert replayed["ContentEncoding"] == live["ContentEncoding"] == "gzip"
    assert replayed["ContentLength"] == len(packed)
