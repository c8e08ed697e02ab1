"""Honest record modes: a call that could not be recorded fails its test with the reason, and a
failing test's recordings are not saved unless asked for."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

# Imported here so in-process pytester runs share them (see test_pytest_plugin.py).
import aiobotocore.session  # noqa: F401
import boto3  # noqa: F401
import pytest

from replay.plugin.recording import SentCalls
from tests.support.cassettes import JOB, full_body, recorded_names, write_job_cassette
from tests.support.stub_sagemaker import StubSageMaker

FAILING = """
import boto3
import pytest


@pytest.mark.aws_replay("recorded/jobs")
def test_fails_after_recording():
    sm = boto3.client("sagemaker", region_name="us-east-1")
    sm.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
    sm.describe_auto_ml_job(AutoMLJobName="second-job")
    assert False, "the code under test broke"
"""

# An aiobotocore HTTP session of the project's own (AioConfig(http_session_cls=...)) that talks
# to the server over a bare asyncio stream, which vcrpy does not patch: nothing is captured.
OWN_SESSION = """
import asyncio
from urllib.parse import urlsplit

import pytest
from aiobotocore.awsrequest import AioAWSResponse
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session


class Raw:
    def __init__(self, body):
        self.body = body

    async def read(self):
        return self.body


class StreamSession:
    def __init__(self, **kwargs):
        pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        pass

    async def close(self):
        pass

    async def send(self, request):
        url = urlsplit(request.url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        body = request.body or b""
        head = [f"{request.method} {url.path or '/'} HTTP/1.1", f"Host: {url.netloc}",
                "Connection: close", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value.decode() if isinstance(value, bytes) else value}"
                 for name, value in request.headers.items()
                 if name.lower() not in ("host", "connection", "content-length")]
        writer.write(("\\r\\n".join(head) + "\\r\\n\\r\\n").encode() + body)
        data = await reader.read()
        writer.close()
        block, _, payload = data.partition(b"\\r\\n\\r\\n")
        lines = block.decode().split("\\r\\n")
        headers = {name.strip().lower(): value.strip()
                   for name, _, value in (line.partition(":") for line in lines[1:])}
        return AioAWSResponse(request.url, int(lines[0].split()[1]), headers, Raw(payload))


@pytest.mark.aws_replay("recorded/own-session")
def test_own_session():
    async def call():
        config = AioConfig(http_session_cls=StreamSession)
        async with get_session().create_client("sagemaker", region_name="us-east-1",
                                               config=config) as sm:
            return await sm.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
    assert asyncio.run(call())["AutoMLJobName"] == "churn-automl-2026"
"""


@pytest.fixture
def project(stub_project: pytest.Pytester) -> pytest.Pytester:
    stub_project.makepyfile(test_failing=FAILING, test_own_session=OWN_SESSION)
    return stub_project


# ------------------------------------------------------------------------- failing tests


def test_a_failing_test_in_new_episodes_leaves_the_cassette_as_it_was(
        project: pytest.Pytester, stub_sagemaker: StubSageMaker) -> None:
    cassette = write_job_cassette(project.path / "cassettes" / "recorded" / "jobs.yaml",
                                  [full_body()])
    before = cassette.read_bytes()
    result = project.runpytest("test_failing.py", "--aws-replay-mode=new_episodes")
    result.assert_outcomes(failed=1)
    assert len(stub_sagemaker.requests) == 1  # second-job went out, and was recorded...
    assert cassette.read_bytes() == before     # ...but not saved
    assert ("aws-replay: test_failing.py::test_fails_after_recording failed, so the 1 "
            "exchange(s) it recorded were not saved to cassettes/recorded/jobs.yaml"
            in " ".join(result.outlines))


@pytest.mark.parametrize("how", ["option", "ini", "marker"])
def test_record_failed_keeps_a_failing_tests_recordings(project: pytest.Pytester,
                                                        how: str) -> None:
    cassette = write_job_cassette(project.path / "cassettes" / "recorded" / "jobs.yaml",
                                  [full_body()])
    args = ["test_failing.py", "--aws-replay-mode=new_episodes"]
    if how == "option":
        args.append("--aws-replay-record-failed")
    elif how == "ini":
        project.makeini("[pytest]\naws_replay_record_failed = true\n")
    else:
        project.makepyfile(test_failing=FAILING.replace(
            '@pytest.mark.aws_replay("recorded/jobs")',
            '@pytest.mark.aws_replay("recorded/jobs", record_failed=True)'))
    project.runpytest(*args).assert_outcomes(failed=1)
    assert recorded_names(cassette) == [JOB, "second-job"]


def test_a_failing_test_in_once_writes_no_cassette(project: pytest.Pytester,
                                                   stub_sagemaker: StubSageMaker) -> None:
    project.runpytest("test_failing.py", "--aws-replay-mode=once").assert_outcomes(failed=1)
    assert len(stub_sagemaker.requests) == 2
    assert not (project.path / "cassettes" / "recorded" / "jobs.yaml").exists()


# ------------------------------------------------------------------ calls not captured


def test_a_call_that_was_not_captured_fails_the_recording_test(
        project: pytest.Pytester, stub_sagemaker: StubSageMaker) -> None:
    result = project.runpytest("test_own_session.py", "--aws-replay-mode=once")
    result.assert_outcomes(failed=1)
    assert len(stub_sagemaker.requests) == 1  # it went out and was answered
    output = result.stdout.str()
    assert ("aws-replay: test test_own_session.py::test_own_session sent calls in mode 'once' "
            "that could not be recorded, so its cassette would not replay them:") in output
    assert ("sagemaker.DescribeAutoMLJob (json protocol): 1 of 1 call(s) not captured; the "
            "recorder kept no exchange of it: it went over a connection vcrpy does not patch")\
        in output
    assert not (project.path / "cassettes" / "recorded" / "own-session.yaml").exists()


def test_a_test_whose_calls_were_all_captured_passes(project: pytest.Pytester) -> None:
    project.makepyfile(test_ok=FAILING.replace('    assert False, "the code under test broke"\n',
                                               ""))
    project.runpytest("test_ok.py", "--aws-replay-mode=once").assert_outcomes(passed=1)
    assert recorded_names(project.path / "cassettes" / "recorded" / "jobs.yaml") == \
        [JOB, "second-job"]


def _model(service: str, protocol: str) -> SimpleNamespace:
    return SimpleNamespace(service_name=service, metadata={"protocol": protocol})


def test_a_call_not_captured_is_named_with_its_protocol_and_reason() -> None:
    calls = SentCalls()
    calls.note(SimpleNamespace(headers={}), "before-send.s3.GetObject", _model("s3", "rest-xml"))
    message = calls.not_recorded([], "tests/test_s3.py::test_get", "once")
    assert message is not None
    assert ("  s3.GetObject (rest-xml protocol): 1 of 1 call(s) not captured; the recorder "
            "kept no exchange of it: it went over a connection vcrpy does not patch (a custom "
            "HTTP session, or a connection the client opened before recording started), or "
            "aws-replay could not tell which operation its request calls, so could not replay "
            "it") in message.splitlines()


def test_credential_calls_are_never_expected_in_a_cassette() -> None:
    calls = SentCalls()
    calls.note(SimpleNamespace(headers={}), "before-send.sts.AssumeRole", _model("sts", "query"))
    assert calls.calls == []
    assert calls.not_recorded([], "t", "once") is None


def test_a_recording_test_that_makes_no_call_writes_nothing(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain=textwrap.dedent("""
        import pytest

        @pytest.mark.aws_replay("recorded/nothing")
        def test_no_calls():
            pass
    """))
    project.runpytest("test_plain.py", "--aws-replay-mode=once").assert_outcomes(passed=1)
    assert not (project.path / "cassettes" / "recorded" / "nothing.yaml").exists()
