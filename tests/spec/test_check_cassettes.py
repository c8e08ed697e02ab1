"""Checking whole cassettes of mixed protocols: every interaction is checked, or is one
``unchecked`` finding, and one that cannot be read never stops the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from replay.cli.app import main
from replay.core.errors import UnknownOperationError
from replay.spec.check import check_cassette
from replay.spec.operations import identify_operation
from tests.support.cassettes import list_jobs_interaction

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/{service}/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
XML = {"Content-Type": ["application/xml"]}


def s3(method: str, path: str, status: int, body: bytes,
       headers: dict[str, list[str]] | None = None) -> Interaction:
    return Interaction(
        RecordedRequest(method, f"https://my-bucket.s3.us-east-1.amazonaws.com{path}",
                        {"Authorization": [AUTH.format(service="s3")]}, ""),
        RecordedResponse(status, "OK" if status == 200 else "Not Found", headers or XML, body))


LIST = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult '
        b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>my-bucket</Name>'
        b"<Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
        b"<IsTruncated>false</IsTruncated><Contents><Key>a.csv</Key>"
        b"<LastModified>2024-05-01T10:11:12.000Z</LastModified><ETag>&quot;x&quot;</ETag>"
        b"<Size>4</Size><StorageClass>STANDARD</StorageClass>%s</Contents>"
        b"</ListBucketResult>")
CALLER = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
          b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice</Arn>"
          b"<UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Account>123456789012</Account>"
          b"</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId>"
          b"</ResponseMetadata></GetCallerIdentityResponse>")


def mixed(extra: bytes = b"") -> Cassette:
    sts = Interaction(
        RecordedRequest("POST", "https://sts.us-east-1.amazonaws.com/",
                        {"Authorization": [AUTH.format(service="sts")],
                         "Content-Type": ["application/x-www-form-urlencoded"]},
                        "Action=GetCallerIdentity&Version=2011-06-15"),
        RecordedResponse(200, "OK", {"Content-Type": ["text/xml"]}, CALLER))
    return Cassette((
        list_jobs_interaction({"AutoMLJobSummaries": []}),
        s3("GET", "/?list-type=2", 200, LIST % extra),
        s3("GET", "/a.csv", 200, b"\x00\x01\xffbinary",
           {"Content-Type": ["application/octet-stream"], "Content-Length": ["9"]}),
        s3("GET", "/missing.csv", 404,
           b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist."
           b"</Message><Key>missing.csv</Key></Error>"),
        sts,
    ))


def _identifies_s3() -> bool:
    try:
        identify_operation(mixed().interactions[1].request)
    except UnknownOperationError:
        return False
    return True


needs_identification = pytest.mark.skipif(
    not _identifies_s3(), reason="waits on identify_operation for every protocol (main)")


def test_an_unidentified_request_is_one_unchecked_finding_and_the_rest_are_checked() -> None:
    stranger = Interaction(RecordedRequest("GET", "https://example.com/status", {}, ""),
                           RecordedResponse(200, "OK", {}, b"<ok/>"))
    cassette = Cassette((list_jobs_interaction({"AutoMLJobSummaries": [], "Surprise": 1}), stranger,
                         list_jobs_interaction({"AutoMLJobSummaries": []})))
    findings = check_cassette(cassette)
    assert [(f.interaction, f.kind, f.severity.value) for f in findings] == [
        (0, "unknown-member", "additive"), (1, "unchecked", "info")]
    assert "not identified" in findings[1].message


@needs_identification
def test_a_mixed_cassette_is_checked_clean() -> None:
    assert check_cassette(mixed()) == []


@needs_identification
def test_one_unknown_element_in_the_s3_xml_is_exactly_one_finding(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    write_cassette(path, mixed(b"<Tier>hot</Tier>"))
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json"])
    report = json.loads(result.output)
    assert [(f["interaction"], f["operation"], f["kind"], f["path"])
            for f in report["findings"]] == [
        (1, "s3:ListObjectsV2", "unknown-member", "$.Contents[0].Tier")]
    assert report["summary"]["interactions"] == 5
    assert result.exit_code == 0  # additive is below the default --fail-on
