"""aiobotocore (and so aioboto3) clients in the pytest plugin: the same cassettes as boto3, both
ways; streaming bodies; and the error a client aws-replay cannot serve gets."""

from __future__ import annotations

import asyncio
import json
import textwrap
from typing import Any

# Imported here so in-process pytester runs share them (see test_pytest_plugin.py).
import aiobotocore.session
import aiohttp  # noqa: F401
import boto3  # noqa: F401
import pytest
import requests  # noqa: F401
import urllib3  # noqa: F401
from botocore.exceptions import ClientError

from replay.cassette.model import RecordedResponse
from replay.plugin.aio_hook import aio_response
from replay.plugin.botocore_hook import aws_response, install, serving
from tests.support.cassettes import JOB, lifecycle, recorded_names, write_job_cassette
from tests.support.stub_sagemaker import StubSageMaker

# The head of an inner test module: DescribeAutoMLJob through an aiobotocore client.
AIO_MODULE = """
import asyncio

import pytest
from aiobotocore.session import get_session


def describe(*names):
    async def calls():
        async with get_session().create_client("sagemaker", region_name="us-east-1") as sm:
            return [await sm.describe_auto_ml_job(AutoMLJobName=name) for name in names]
    return asyncio.run(calls())
"""

BOTO3_MODULE = """
import boto3
import pytest


def describe(*names):
    sm = boto3.client("sagemaker", region_name="us-east-1")
    return [sm.describe_auto_ml_job(AutoMLJobName=name) for name in names]
"""

TWO_JOBS = """

@pytest.mark.aws_replay("recorded/jobs")
def test_two_jobs():
    first, second = describe("churn-automl-2026", "second-job")
    assert first["AutoMLJobName"] == "churn-automl-2026"
    assert second["AutoMLJobStatus"] == "Completed"
"""


@pytest.fixture
def project(stub_project: pytest.Pytester) -> pytest.Pytester:
    stub_project.makepyfile(test_aio=AIO_MODULE + TWO_JOBS, test_boto3=BOTO3_MODULE + TWO_JOBS)
    return stub_project


def test_aiobotocore_replays_what_boto3_recorded(project: pytest.Pytester,
                                                  stub_sagemaker: StubSageMaker) -> None:
    project.runpytest("test_boto3.py", "--aws-replay-mode=once").assert_outcomes(passed=1)
    assert len(stub_sagemaker.requests) == 2
    project.runpytest("test_aio.py").assert_outcomes(passed=1)
    assert len(stub_sagemaker.requests) == 2  # served from the cassette


def test_aiobotocore_records_in_once_and_the_cassette_replays_offline(
        project: pytest.Pytester, stub_sagemaker: StubSageMaker) -> None:
    cassette = project.path / "cassettes" / "recorded" / "jobs.yaml"
    project.runpytest("test_aio.py", "--aws-replay-mode=once").assert_outcomes(passed=1)
    assert recorded_names(cassette) == [JOB, "second-job"]
    assert len(stub_sagemaker.requests) == 2
    for module in ("test_aio.py", "test_boto3.py"):  # and boto3 replays what aiobotocore recorded
        project.runpytest(module).assert_outcomes(passed=1)
    assert len(stub_sagemaker.requests) == 2


def test_an_aiobotocore_miss_says_how_to_record_it(project: pytest.Pytester) -> None:
    write_job_cassette(project.path / "cassettes" / "recorded" / "jobs.yaml", lifecycle())
    result = project.runpytest("test_aio.py")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert '{"AutoMLJobName":"second-job"}' in output
    assert "to record it: pytest --aws-replay-mode=new_episodes test_aio.py::test_two_jobs" \
        in output


def test_an_aiobotocore_error_response_replays_as_client_error(project: pytest.Pytester) -> None:
    project.makepyfile(test_missing=AIO_MODULE + textwrap.dedent("""
        from botocore.exceptions import ClientError


        @pytest.mark.aws_replay("recorded/missing")
        def test_missing_job():
            with pytest.raises(ClientError) as caught:
                describe("no-such-job")
            assert caught.value.response["Error"]["Code"] == "ResourceNotFound"
    """))
    project.runpytest("test_missing.py", "--aws-replay-mode=once").assert_outcomes(passed=1)
    project.runpytest("test_missing.py").assert_outcomes(passed=1)


# ------------------------------------------------------------------------------ streaming


class _Answer:
    """Answers every call with one body, whatever the operation."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.response = RecordedResponse(status, "OK", {k: [v] for k, v in headers.items()},
                                         body)

    def respond(self, request: Any, event_name: str, service_model: Any) -> Any:
        return aws_response(request.url, self.response)


async def _get_object(chunked: bool) -> bytes:
    session = aiobotocore.session.get_session()
    async with session.create_client("s3", region_name="us-east-1") as s3:
        got = await s3.get_object(Bucket="bucket", Key="model.tar.gz")
        if not chunked:
            return bytes(await got["Body"].read())
        return b"".join([chunk async for chunk in got["Body"].iter_chunks(3)])


@pytest.mark.parametrize("chunked", [False, True], ids=["read", "iter_chunks"])
def test_a_streaming_body_reads_through_aiobotocore(aws: None, chunked: bool) -> None:
    body = b"model weights \x00\x01\x02" * 100
    install()
    answer = _Answer(200, {"Content-Length": str(len(body)), "ETag": '"abc"'}, body)
    with serving(answer):
        assert asyncio.run(_get_object(chunked)) == body


def test_the_aio_response_reads_like_aiohttp() -> None:
    recorded = RecordedResponse(200, "OK", {"Content-Type": ["text/plain"]}, b"abcdef")
    response = aio_response(aws_response("https://example.com/", recorded))

    async def read() -> tuple[bytes, bytes, list[tuple[bytes, bool]], bool]:
        first = await response.raw.content.read(2)
        chunks = [pair async for pair in response.raw.content.iter_chunks()]
        fresh = aio_response(aws_response("https://example.com/", recorded))
        return first, await fresh.content, chunks, response.raw.content.at_eof()

    first, whole, chunks, at_eof = asyncio.run(read())
    assert (first, whole, chunks, at_eof) == (b"ab", b"abcdef", [(b"cdef", True)], True)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"


def test_an_aio_error_body_is_parsed(aws: None) -> None:
    install()
    error = json.dumps({"__type": "ResourceNotFound", "Message": "no job"}).encode()
    answer = _Answer(400, {"Content-Type": "application/x-amz-json-1.1"}, error)

    async def call() -> None:
        session = aiobotocore.session.get_session()
        async with session.create_client("sagemaker", region_name="us-east-1") as sm:
            await sm.describe_auto_ml_job(AutoMLJobName=JOB)

    with serving(answer), pytest.raises(ClientError, match="no job"):
        asyncio.run(call())


# ------------------------------------------------------------------ clients it cannot serve


@pytest.mark.parametrize(("client", "call"), [
    ("urllib3", 'urllib3.PoolManager().request("GET", URL, retries=False)'),
    ("aiohttp", "asyncio.run(aiohttp_get())"),
    ("requests", "requests.get(URL, timeout=5)"),
])
def test_a_client_it_cannot_serve_is_named(pytester: pytest.Pytester, client: str,
                                           call: str) -> None:
    write_job_cassette(pytester.path / "cassettes" / "jobs.yaml", lifecycle())
    pytester.makepyfile(test_raw=textwrap.dedent(f"""
        import asyncio

        import aiohttp
        import pytest
        import requests
        import urllib3

        URL = "https://api.sagemaker.us-east-1.amazonaws.com/"


        async def aiohttp_get():
            async with aiohttp.ClientSession() as session:
                async with session.get(URL) as response:
                    return response.status


        @pytest.mark.aws_replay("jobs")
        def test_raw_call():
            {call}
    """))
    result = pytester.runpytest("test_raw.py")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "network access blocked in replayed test test_raw.py::test_raw_call: " \
           "api.sagemaker.us-east-1.amazonaws.com:443" in output
    assert (f"the call was made with {client}, which aws-replay cannot serve: it serves "
            "botocore and aiobotocore clients (boto3, aioboto3); make the call through one of "
            "them, or mock it") in output
