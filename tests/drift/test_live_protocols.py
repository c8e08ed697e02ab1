"""Live drift beyond JSON: S3 (rest-xml) and STS (query) calls recorded from moto's server are
sent again as recorded, signed afresh, and their answers compared with the recording."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from click.testing import CliRunner, Result

from replay.cli.app import main
from replay.record.capture import capture_exchanges, save_recording
from replay.sanitize.sanitizer import Sanitizer
from tests.support.moto import moto_server

BUCKET = "churn-models"


@pytest.fixture
def moto_url(aws_env: None) -> Iterator[str]:
    with moto_server() as url:
        yield url


def _client(service: str, url: str) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=url,
                        config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def recorded(tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """cassettes/pipeline.yaml: ListObjectsV2, GetObject, HeadObject (S3) and
    GetCallerIdentity (STS), recorded through boto3 from moto."""
    monkeypatch.chdir(tmp_path)
    s3 = _client("s3", moto_url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="churn/v1/model.json", Body=b'{"auc": 0.91}')
    sanitizer = Sanitizer.default()
    with capture_exchanges(sanitizer) as exchanges:
        s3.list_objects_v2(Bucket=BUCKET, Prefix="churn/")
        assert s3.get_object(Bucket=BUCKET, Key="churn/v1/model.json")["Body"].read() == \
            b'{"auc": 0.91}'
        s3.head_object(Bucket=BUCKET, Key="churn/v1/model.json")
        _client("sts", moto_url).get_caller_identity()
    path = tmp_path / "cassettes" / "pipeline.yaml"
    save_recording(path, exchanges, source="local-endpoint", sanitizer=sanitizer)
    return path


def _drift(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["drift", "cassettes", "--endpoint-url", url,
                                     "--format", "json", *args])


def test_unchanged_answers_of_every_protocol_are_compared_and_clean(recorded: Path,
                                                                     moto_url: str) -> None:
    result = _drift(moto_url)
    report = json.loads(result.output)
    assert report["findings"] == [], result.output
    assert report["summary"]["interactions"] == 4
    assert report["summary"]["not_compared"] == 0
    assert result.exit_code == 0


def test_a_changed_listing_is_drift_at_its_member(recorded: Path, moto_url: str) -> None:
    _client("s3", moto_url).put_object(Bucket=BUCKET, Key="churn/v2/model.json", Body=b"{}")
    result = _drift(moto_url)
    findings = json.loads(result.output)["findings"]
    assert {(f["interaction"], f["operation"]) for f in findings} == {(0, "s3:ListObjectsV2")}
    assert sorted((f["path"], f["kind"], f["message"]) for f in findings) == [
        ("$.Contents[1]", "value-changed", "a list item was added"),
        ("$.KeyCount", "value-changed", "value changed")]


def test_an_upload_stored_as_its_digest_is_not_compared_and_says_why(
        tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s3 = _client("s3", moto_url)
    s3.create_bucket(Bucket=BUCKET)
    sanitizer = Sanitizer.default()
    with capture_exchanges(sanitizer) as exchanges:
        s3.put_object(Bucket=BUCKET, Key="big.bin", Body=bytes(range(256)) * 1024)
    save_recording(tmp_path / "cassettes" / "upload.yaml", exchanges,
                   source="local-endpoint", sanitizer=sanitizer)
    result = _drift(moto_url)
    report = json.loads(result.output)
    assert [(f["kind"], f["operation"]) for f in report["findings"]] == [
        ("not-compared", "s3:PutObject")]
    assert "stored as a digest" in report["findings"][0]["message"]
    assert report["summary"]["not_compared"] == 1


def test_an_unreachable_endpoint_is_tried_again_then_one_line_exit_2(recorded: Path) -> None:
    result = _drift("http://127.0.0.1:9", "--max-attempts", "2")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "aws-replay: error: cannot reach http://127.0.0.1:9 after 2 attempt(s); check "
        "--endpoint-url, --region and the network, or try again later")
