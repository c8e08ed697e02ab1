"""Where the replayer meets botocore: which clients are hooked, responses, dummy AWS settings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, HTTPHeaders

from replay.cassette.model import RecordedResponse
from replay.plugin.botocore_hook import (
    aws_response,
    dummy_aws_environment,
    request_header,
    serving,
)
from tests.support.cassettes import JOB, active_for, client, full_body, write_job_cassette
from tests.support.stub_sagemaker import StubSageMaker

# ------------------------------------------------------------------------------- hooking


def test_outside_a_replayed_test_clients_reach_the_network(stub_sagemaker: StubSageMaker,
                                                           aws: None) -> None:
    job = client(endpoint_url=stub_sagemaker.url).describe_auto_ml_job(AutoMLJobName=JOB)
    assert job["AutoMLJobStatus"] == "Completed"
    assert len(stub_sagemaker.requests) == 1


def test_a_client_created_before_the_cassette_is_served(tmp_path: Path, aws: None,
                                                        stub_sagemaker: StubSageMaker) -> None:
    early = client(endpoint_url=stub_sagemaker.url)
    write_job_cassette(tmp_path / "job.yaml", [dict(full_body(), AutoMLJobName="replayed")])
    with active_for(tmp_path, ["job"]).activate():
        job = early.describe_auto_ml_job(AutoMLJobName=JOB)
    assert job["AutoMLJobName"] == "replayed"
    assert stub_sagemaker.requests == []


# --------------------------------------------------------------------------- credentials


def test_credentials_already_set_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s" * 40)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "sa-east-1")
    before = os.environ.get("AWS_SHARED_CREDENTIALS_FILE")
    with dummy_aws_environment("us-east-1"):
        assert os.environ["AWS_SECRET_ACCESS_KEY"] == "s" * 40
        assert os.environ["AWS_DEFAULT_REGION"] == "sa-east-1"
        assert os.environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert os.environ.get("AWS_SHARED_CREDENTIALS_FILE") == before


def test_a_default_session_made_with_dummy_credentials_is_dropped(no_aws_env: Path) -> None:
    before = boto3.DEFAULT_SESSION
    with dummy_aws_environment("us-east-1"):
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is before


# ---------------------------------------------------------------------- requests, responses


def _prepared(headers: dict[str, str | bytes]) -> AWSPreparedRequest:
    request = AWSPreparedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                                 HTTPHeaders(), b"{}", False)
    for name, value in headers.items():
        request.headers[name] = value
    return request


@pytest.mark.parametrize(("headers", "name", "expected"), [
    ({"X-Amz-Target": b"SageMaker.DescribeAutoMLJob"}, "X-Amz-Target",
     "SageMaker.DescribeAutoMLJob"),
    ({"X-Amz-Target": "SageMaker.ListAutoMLJobs"}, "x-amz-target", "SageMaker.ListAutoMLJobs"),
    ({"X-Amz-Target": b"Bad\xffByte"}, "X-Amz-Target", "Bad\ufffdByte"),
    ({}, "X-Amz-Target", None),
])
def test_request_header_is_text(headers: dict[str, str | bytes], name: str,
                                expected: str | None) -> None:
    assert request_header(_prepared(headers), name) == expected


def test_aws_response_is_what_botocore_would_have_read() -> None:
    recorded = RecordedResponse(400, "Bad Request",
                                {"X-Amzn-ErrorType": ["ResourceNotFound"],
                                 "Vary": ["Origin", "Accept"]},
                                b'{"__type": "ResourceNotFound"}')
    response = aws_response("https://example.invalid/", recorded)
    assert (response.url, response.status_code) == ("https://example.invalid/", 400)
    assert response.headers["x-amzn-errortype"] == "ResourceNotFound"
    assert response.headers["Vary"] == "Origin, Accept"
    assert b"".join(response.raw.stream(amt=4)) == recorded.body


class _Answer:
    """A responder that answers every call with one recorded body and remembers the calls."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.calls: list[tuple[str, str]] = []

    def respond(self, request: Any, event_name: str, service_model: Any) -> Any:
        self.calls.append((str(request_header(request, "X-Amz-Target")),
                           service_model.service_name))
        return aws_response(request.url, RecordedResponse(
            200, "OK", {"Content-Type": ["application/x-amz-json-1.1"]},
            json.dumps(self.body).encode()))


def test_serving_answers_only_inside_the_block(aws: None, stub_sagemaker: StubSageMaker) -> None:
    sm = client(endpoint_url=stub_sagemaker.url)
    responder = _Answer(dict(full_body(), AutoMLJobName="served"))
    with pytest.raises(RuntimeError), serving(responder):
        assert sm.describe_auto_ml_job(AutoMLJobName=JOB)["AutoMLJobName"] == "served"
        raise RuntimeError("the test failed")
    assert responder.calls == [("SageMaker.DescribeAutoMLJob", "sagemaker")]
    assert stub_sagemaker.requests == []
    assert sm.describe_auto_ml_job(AutoMLJobName=JOB)["AutoMLJobName"] == JOB
    assert len(stub_sagemaker.requests) == 1
