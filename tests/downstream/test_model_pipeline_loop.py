"""The whole loop, as a team meets it: record the pipeline suite against local endpoints, replay
it offline on two workers, check and scan what was recorded, and see a changed request fail.

moto's server plays S3, STS and Lambda (rest-xml, query, rest-json); the SageMaker stub plays
``DescribeAutoMLJob`` (json). The suite under test is ``test_model_pipeline.py`` with its
pipeline module, copied into a fresh project and run by pytest in a subprocess, as a user's CI
would run it.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replay.cassette.read import read_cassette
from replay.cli.app import main
from replay.spec.operations import identify_operation
from tests.downstream.model_pipeline import (
    DEPLOYER,
    artefact_location,
    best_candidate,
    example_artefact,
)
from tests.support.cassettes import JOB, lifecycle
from tests.support.moto import moto_server
from tests.support.stub_sagemaker import StubSageMaker

HERE = Path(__file__).parent
SUITE_FILES = ("__init__.py", "conftest.py", "automl_watch.py", "model_pipeline.py",
               "test_model_pipeline.py", "model_pipeline_aio.py", "test_model_pipeline_aio.py")
BOTO3_SUITE = "tests/downstream/test_model_pipeline.py"
ENDPOINTS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS",
             "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_IAM")
DUMMY_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
              "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
INNER = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-q")


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project holding the pipeline suite (no cassettes), with dummy AWS settings."""
    suite = pytester.path / "tests" / "downstream"
    suite.mkdir(parents=True)
    (pytester.path / "tests" / "__init__.py").write_text("")
    for name in SUITE_FILES:
        shutil.copyfile(HERE / name, suite / name)
    pytester.makeini("[pytest]\n")
    for name in (*ENDPOINTS, "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in DUMMY_KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return suite


def _deployer_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return event\n")
    return buffer.getvalue()


class Endpoints:
    """moto (S3, STS, Lambda, IAM) and the SageMaker stub on 127.0.0.1, named by the
    ``AWS_ENDPOINT_URL_*`` settings while they run."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self._stack = contextlib.ExitStack()
        moto_url = self._stack.enter_context(moto_server())
        stub = self._stack.enter_context(StubSageMaker({JOB: lifecycle()}))
        self.urls = {"AWS_ENDPOINT_URL_S3": moto_url, "AWS_ENDPOINT_URL_STS": moto_url,
                     "AWS_ENDPOINT_URL_LAMBDA": moto_url, "AWS_ENDPOINT_URL_IAM": moto_url,
                     "AWS_ENDPOINT_URL_SAGEMAKER": stub.url}
        for name, value in self.urls.items():
            monkeypatch.setenv(name, value)

    def stop(self) -> None:
        """Both servers gone, and no setting names them: replay must not need them."""
        self._stack.close()
        for name in self.urls:
            self._monkeypatch.delenv(name, raising=False)


def populate() -> None:
    """The job's 1 MB artefact where its best candidate points, and the deployer function
    (IAM role first: moto's Lambda wants one), in the running moto."""
    import boto3

    bucket, key = artefact_location(best_candidate(lifecycle()[-1]))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=example_artefact())
    role = boto3.client("iam", region_name="us-east-1").create_role(
        RoleName="deployer", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    boto3.client("lambda", region_name="us-east-1").create_function(
        FunctionName=DEPLOYER, Runtime="python3.12", Role=role,
        Handler="handler.handle", Code={"ZipFile": _deployer_zip()})


@pytest.fixture
def endpoints(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Endpoints]:
    running = Endpoints(monkeypatch)
    try:
        populate()
        yield running
    finally:
        running.stop()


def protocols_in(cassette: Path) -> set[str]:
    return {identify_operation(i.request).protocol for i in read_cassette(cassette).interactions}


def test_record_against_local_endpoints_then_replay_offline_check_and_scan(
        pytester: pytest.Pytester, project: Path, endpoints: Endpoints) -> None:
    # (a) record: the cassettes do not exist, so mode once records every test
    recorded = pytester.runpytest_subprocess(*INNER, BOTO3_SUITE, "--aws-replay-mode=once")
    recorded.assert_outcomes(passed=4)
    folder = project / "cassettes" / "test_model_pipeline"
    cassettes = sorted(folder.glob("*.yaml"))
    assert [c.stem for c in cassettes] == sorted([
        "test_the_best_model_of_a_finished_job_is_released",
        "test_a_missing_artefact_is_a_clear_error",
        "test_a_missing_object_arrives_as_no_such_key", "test_the_deployer_is_listed"])
    release = folder / "test_the_best_model_of_a_finished_job_is_released.yaml"
    assert protocols_in(release) == {"json", "query", "rest-xml", "rest-json"}
    assert all(read_cassette(c).meta["source"] == "local-endpoint" for c in cassettes)
    downloads = [i.response.body for i in read_cassette(release).interactions
                 if i.request.method == "GET" and i.request.uri.endswith("/model.tar.gz")]
    assert downloads == [example_artefact()]  # stored byte for byte
    text = release.read_text()
    assert "123456789012" not in text  # moto's account id, replaced by a placeholder
    assert DUMMY_KEYS["AWS_SECRET_ACCESS_KEY"] not in text
    scanned = cli("scan", str(folder))
    assert scanned.exit_code == 0, scanned.output

    # (b) the servers are gone: replay offline, on two workers, in the default mode; the
    # aiobotocore suite replays the cassettes the boto3 suite recorded
    endpoints.stop()
    replayed = pytester.runpytest_subprocess(*INNER, "-n", "2")
    replayed.assert_outcomes(passed=8)

    # (c) what was recorded conforms to the botocore model, S3 and STS included
    checked = cli("check", str(folder), "--fail-on", "info", "--format", "json")
    assert checked.exit_code == 0, checked.output
    summary = json.loads(checked.output)["summary"]
    assert summary["interactions"] >= 10, summary


def test_a_changed_s3_key_fails_replay_naming_the_field(pytester: pytest.Pytester,
                                                        project: Path) -> None:
    shutil.copytree(HERE / "cassettes" / "test_model_pipeline",
                    project / "cassettes" / "test_model_pipeline")
    module = project / "test_model_pipeline.py"
    source = module.read_text()
    assert source.count('"churn-automl-2026/tuning/never-trained/') == 1
    module.write_text(source.replace('"churn-automl-2026/tuning/never-trained/',
                                     '"churn-automl-2026/tuning/never-trained-either/'))
    result = pytester.runpytest_subprocess(
        *INNER, "tests/downstream/test_model_pipeline.py::"
        "test_a_missing_object_arrives_as_no_such_key")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "no recorded interaction in" in output and "s3.GetObject" in output
    assert ("$.Key: recorded \"churn-automl-2026/tuning/never-trained/output/model.tar.gz\", "
            "request has \"churn-automl-2026/tuning/never-trained-either/output/model.tar.gz\""
            ) in output
