"""``aws-replay serve --record-to``: a recording proxy in front of a local "AWS" that checks every
SigV4 signature it receives (botocore's signer on both sides), so a wrong re-signing fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import hypothesis  # noqa: F401
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from click.testing import CliRunner

from replay.cassette.read import find_cassettes, read_cassette
from replay.cli.app import main
from replay.serve.proxy import RecordingProxy
from replay.serve.server import RunningServer, start_server
from tests.conftest import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY
from tests.serve.conftest import aws_client
from tests.support.planted import rng_secret
from tests.support.sigv4_upstream import SigV4Upstream, answers_of
from tests.support.stub_sagemaker import StubSageMaker

# The user's own credentials, which only the proxy holds; the client signs with the dummy ones.
USER_KEY = rng_secret("access-key", 15)
USER_SECRET = rng_secret("secret-key", 15)
USER_TOKEN = rng_secret("session-token", 15)
AWS_CLI = Path(sys.executable).parent / "aws"
OBJECT = b"label,feature\n1,0.5\n0,0.25\n"


def _session(secret: str = USER_SECRET) -> Any:
    session = botocore.session.Session()
    session.set_credentials(USER_KEY, secret, USER_TOKEN)
    return session


@pytest.fixture
def upstream(full_body: dict[str, Any]) -> Iterator[SigV4Upstream]:
    with SigV4Upstream({USER_KEY: USER_SECRET}, StubSageMaker({full_body["AutoMLJobName"]:
                                                                full_body}),
                       objects={("training-data", "churn/train.csv"): OBJECT}) as running:
        yield running


@pytest.fixture
def proxy(tmp_path: Path, upstream: SigV4Upstream) -> Iterator[tuple[RecordingProxy,
                                                                     RunningServer]]:
    recorder = RecordingProxy(tmp_path / "recorded", "us-east-1", upstream_url=upstream.url,
                              session=_session())
    with start_server(responder=recorder) as server:
        yield recorder, server


def _client(url: str) -> Any:
    return boto3.client("sagemaker", region_name="us-east-1", endpoint_url=url,
                        aws_access_key_id=DUMMY_ACCESS_KEY, aws_secret_access_key=DUMMY_SECRET_KEY,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def _no_secret_in(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for secret in (USER_KEY, USER_SECRET, USER_TOKEN):
                assert secret not in text, path


def test_boto3_through_the_proxy_is_re_signed_and_recorded(
        proxy: tuple[RecordingProxy, RunningServer], upstream: SigV4Upstream,
        full_body: dict[str, Any], tmp_path: Path) -> None:
    recorder, server = proxy
    job = _client(server.url).describe_auto_ml_job(AutoMLJobName=full_body["AutoMLJobName"])
    assert job["AutoMLJobArn"] == full_body["AutoMLJobArn"]
    assert answers_of(upstream) == [("POST", "/", None)]
    assert f"Credential={USER_KEY}/" in upstream.seen[0].headers["Authorization"]
    [path] = recorder.recorded()
    assert path.relative_to(tmp_path / "recorded").parts[0] == "sagemaker"
    assert path.name.startswith("describe-auto-ml-job-churn-automl-2026-")
    cassette = read_cassette(path)
    assert cassette.meta["source"] == "local-endpoint"
    [interaction] = cassette.interactions
    assert interaction.request.header("X-Amz-Target") == "SageMaker.DescribeAutoMLJob"
    assert interaction.request.header("X-Amz-Security-Token") is None
    assert json.loads(interaction.response.body)["AutoMLJobName"] == full_body["AutoMLJobName"]
    _no_secret_in(tmp_path / "recorded")
    runner = CliRunner()
    scan = runner.invoke(main, ["scan", str(tmp_path / "recorded")])
    assert scan.exit_code == 0, scan.output
    check = runner.invoke(main, ["check", str(tmp_path / "recorded"), "--fail-on", "info"])
    assert check.exit_code == 0, check.output


def test_a_wrong_re_signing_is_refused_upstream_and_not_recorded(
        tmp_path: Path, upstream: SigV4Upstream, full_body: dict[str, Any]) -> None:
    wrong = RecordingProxy(tmp_path / "recorded", "us-east-1", upstream_url=upstream.url,
                           session=_session(secret=rng_secret("secret-key", 99)))
    with start_server(responder=wrong) as server, pytest.raises(ClientError) as raised:
        _client(server.url).describe_auto_ml_job(AutoMLJobName=full_body["AutoMLJobName"])
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert [problem for _, _, problem in answers_of(upstream)] == [
        "the signature does not match (signed for another host, key or body?)"]
    assert not (tmp_path / "recorded").exists()


def test_polling_the_same_request_appends_in_order(
        proxy: tuple[RecordingProxy, RunningServer], upstream: SigV4Upstream) -> None:
    recorder, server = proxy
    upstream.stub.jobs["polled"] = [{"AutoMLJobName": "polled", "AutoMLJobStatus": status}
                                    for status in ("InProgress", "Completed")]
    client = _client(server.url)
    statuses = [client.describe_auto_ml_job(AutoMLJobName="polled")["AutoMLJobStatus"]
                for _ in range(2)]
    assert statuses == ["InProgress", "Completed"]
    [path] = recorder.recorded()
    recorded = [json.loads(i.response.body)["AutoMLJobStatus"]
                for i in read_cassette(path).interactions]
    assert recorded == ["InProgress", "Completed"]


def _cli(url: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
           "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(home / "absent"),
           "AWS_SHARED_CREDENTIALS_FILE": str(home / "absent"), "AWS_PAGER": ""}
    return subprocess.run([str(AWS_CLI), *args, "--endpoint-url", url], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_aws_cli_records_describe_auto_ml_job_and_s3_get_object(
        proxy: tuple[RecordingProxy, RunningServer], upstream: SigV4Upstream,
        full_body: dict[str, Any], tmp_path: Path) -> None:
    recorder, server = proxy
    described = _cli(server.url, "sagemaker", "describe-auto-ml-job", "--auto-ml-job-name",
                     full_body["AutoMLJobName"], home=tmp_path)
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["AutoMLJobName"] == full_body["AutoMLJobName"]
    fetched = _cli(server.url, "s3api", "get-object", "--bucket", "training-data", "--key",
                   "churn/train.csv", str(tmp_path / "train.csv"), home=tmp_path)
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "train.csv").read_bytes() == OBJECT
    assert [(method, path, problem) for method, path, problem in answers_of(upstream)] == [
        ("POST", "/", None), ("GET", "/training-data/churn/train.csv", None)]
    services = sorted(p.relative_to(tmp_path / "recorded").parts[0]
                      for p in recorder.recorded())
    assert services == ["s3", "sagemaker"]
    s3 = next(p for p in recorder.recorded() if "s3" in p.parts)
    [got] = read_cassette(s3).interactions
    assert (got.request.method, got.response.status, got.response.body) == ("GET", 200, OBJECT)
    _no_secret_in(tmp_path / "recorded")
    scan = CliRunner().invoke(main, ["scan", str(tmp_path / "recorded")])
    assert scan.exit_code == 0, scan.output


def test_the_recorded_cassette_replays_in_pytest(
        proxy: tuple[RecordingProxy, RunningServer], full_body: dict[str, Any],
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, server = proxy
    _client(server.url).describe_auto_ml_job(AutoMLJobName=full_body["AutoMLJobName"])
    [path] = recorder.recorded()
    target = pytester.path / "cassettes" / "recorded.yaml"
    target.parent.mkdir()
    target.write_bytes(path.read_bytes())
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_replayed=textwrap.dedent(f"""
        import pytest

        @pytest.mark.aws_replay("recorded")
        def test_job(sagemaker):
            job = sagemaker.describe_auto_ml_job(AutoMLJobName="{full_body['AutoMLJobName']}")
            assert job["AutoMLJobStatus"] == "{full_body['AutoMLJobStatus']}"
        """))
    pytester.runpytest().assert_outcomes(passed=1)


KILLED_PROXY = """
import os, sys, time
from pathlib import Path

marker = Path(sys.argv[1])

def stuck(fd):
    # the cassette is half-way: written to its temporary file, not yet renamed into place
    marker.write_text("writing")
    time.sleep(600)

os.fsync = stuck
from replay.cli.app import main
sys.argv = ["aws-replay", "serve", "--record-to", sys.argv[2], "--upstream-region",
            "us-east-1", "--upstream-url", sys.argv[3]]
main()
"""


def test_a_proxy_killed_mid_write_leaves_the_previous_cassette_whole(
        proxy: tuple[RecordingProxy, RunningServer], upstream: SigV4Upstream,
        full_body: dict[str, Any], tmp_path: Path) -> None:
    recorder, server = proxy
    client = _client(server.url)
    client.describe_auto_ml_job(AutoMLJobName=full_body["AutoMLJobName"])
    [path] = recorder.recorded()
    before = path.read_bytes()
    upstream.stub.jobs[full_body["AutoMLJobName"]] = dict(full_body, AutoMLJobStatus="Failed")
    marker = tmp_path / "writing"
    env = dict(os.environ, AWS_ACCESS_KEY_ID=USER_KEY, AWS_SECRET_ACCESS_KEY=USER_SECRET,
               AWS_SESSION_TOKEN=USER_TOKEN, AWS_CONFIG_FILE=str(tmp_path / "absent"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "absent"))
    child = subprocess.Popen([sys.executable, "-c", KILLED_PROXY, str(marker),
                              str(tmp_path / "recorded"), upstream.url], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        url = first.split(" at ", 1)[1].split()[0]
        failures: list[BaseException] = []

        def call() -> None:
            try:
                _client(url).describe_auto_ml_job(AutoMLJobName=full_body["AutoMLJobName"])
            except Exception as exc:  # the proxy dies before it answers
                failures.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        for _ in range(600):
            if marker.exists() or child.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), child.stderr.read() if child.stderr else ""
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        caller.join(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert failures, "the client got an answer although nothing was recorded"
    assert find_cassettes([tmp_path / "recorded"]) == [path]
    assert path.read_bytes() == before


@pytest.mark.parametrize(("args", "message"), [
    (["--record-to", "out"], "--record-to needs --upstream-region"),
    (["--upstream-region", "us-east-1"], "--upstream-region, --profile and --upstream-url go "
                                         "with --record-to DIR"),
    (["cassettes", "--record-to", "out", "--upstream-region", "us-east-1"],
     "--record-to records from AWS; give no PATHS or --synthetic"),
    (["--record-to", "out", "--upstream-region", "us-east-1", "--upstream-url", "ftp://x"],
     "--upstream-url 'ftp://x' is not an http(s) URL"),
])
def test_serve_record_options_are_checked(args: list[str], message: str, aws_env: None,
                                          tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def s3_client(url: str) -> Any:
    return boto3.client("s3", region_name="us-east-1", endpoint_url=url,
                        aws_access_key_id=DUMMY_ACCESS_KEY, aws_secret_access_key=DUMMY_SECRET_KEY,
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1, "mode": "standard"}))


def test_s3_head_object_answers_the_size_of_the_object(
        proxy: tuple[RecordingProxy, RunningServer], upstream: SigV4Upstream) -> None:
    recorder, server = proxy
    s3 = s3_client(server.url)
    head = s3.head_object(Bucket="training-data", Key="churn/train.csv")
    assert head["ContentLength"] == len(OBJECT)
    assert s3.get_object(Bucket="training-data", Key="churn/train.csv")["Body"].read() == OBJECT
    assert [problem for _, _, problem in answers_of(upstream)] == [None, None]
    assert len(recorder.recorded()) == 2
    with start_server([recorder.folder], log=lambda line: None) as replayed:  # and served back
        again = s3_client(replayed.url).head_object(Bucket="training-data", Key="churn/train.csv")
    assert again["ContentLength"] == len(OBJECT)


def test_s3_and_sts_recorded_through_serve_from_moto_are_served_back(
        moto_url: str, tmp_path: Path) -> None:
    upload = os.urandom(200_000)  # binary: kept in the cassette as its digest
    folder = tmp_path / "recorded"
    recorder = RecordingProxy(folder, "us-east-1", upstream_url=moto_url, session=_session())
    with start_server(responder=recorder) as server:
        s3, sts = aws_client("s3", server.url), aws_client("sts", server.url)
        s3.create_bucket(Bucket="proxied-bucket")
        s3.put_object(Bucket="proxied-bucket", Key="blob", Body=upload)
        assert s3.get_object(Bucket="proxied-bucket", Key="blob")["Body"].read() == upload
        live_account = sts.get_caller_identity()["Account"]
    names = sorted(str(path.relative_to(folder)) for path in recorder.recorded())
    assert [name.split("-")[0] for name in names] == ["s3/create", "s3/get", "s3/put",
                                                      "sts/get"]
    put = read_cassette(next(p for p in recorder.recorded() if "put-object" in p.name))
    assert put.interactions[0].request.body.startswith("aws-replay-body-digest:sha256=")
    _no_secret_in(folder)

    with start_server([folder], log=lambda line: None) as replayed:
        s3, sts = aws_client("s3", replayed.url), aws_client("sts", replayed.url)
        assert s3.get_object(Bucket="proxied-bucket", Key="blob")["Body"].read() == upload
        account = sts.get_caller_identity()["Account"]
    assert account != live_account and len(account) == 12  # the sanitizer's placeholder


@pytest.mark.parametrize(("headers", "path", "upstream"), [
    ({"X-Amz-Target": "SageMaker.DescribeAutoMLJob"}, "/",
     "https://api.sagemaker.us-east-1.amazonaws.com"),
    # signed as sagemaker, served from runtime.sagemaker...
    ({}, "/endpoints/churn/invocations", "https://runtime.sagemaker.us-east-1.amazonaws.com"),
], ids=["sagemaker", "sagemaker-runtime"])
def test_a_request_goes_to_the_endpoint_of_the_service_it_calls(
        aws_env: None, tmp_path: Path, headers: dict[str, str], path: str,
        upstream: str) -> None:
    recorder = RecordingProxy(tmp_path / "out", "us-east-1", session=_session())
    signed = {**headers, "Authorization": f"AWS4-HMAC-SHA256 Credential={DUMMY_ACCESS_KEY}/"
              "20261201/us-east-1/sagemaker/aws4_request, SignedHeaders=host, Signature=00"}
    assert recorder.upstream_for("POST", path, signed, b"{}", "sagemaker") == upstream
