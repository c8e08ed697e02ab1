"""Real AWS clients we did not write against `aws-replay serve`: boto3, the AWS CLI, the JS SDK v3.

Each talks to the server on 127.0.0.1 with dummy credentials, exactly as a user points their
own code at it (``endpoint_url``, ``--endpoint-url``, ``endpoint``). The JavaScript SDK is
installed from npm into tests/js/node_modules on first use (``npm install --prefix tests/js``);
only a machine without node/npm skips those tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from replay.serve.server import RunningServer, start_server
from tests.conftest import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY

DESCRIBE = "SageMaker.DescribeAutoMLJob"
GONE = "gone-job"
NOT_FOUND_MESSAGE = f"Could not find AutoML job with name {GONE}."


def recorded(name: str, body: dict[str, Any], status: int = 200) -> Interaction:
    return Interaction(
        request=RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                                {"X-Amz-Target": [DESCRIBE]},
                                json.dumps({"AutoMLJobName": name})),
        response=RecordedResponse(
            status, "OK" if status == 200 else "Bad Request",
            {"Content-Type": ["application/x-amz-json-1.1"],
             "x-amzn-RequestId": [f"00000000-0000-4000-8000-00000000000{status // 100}"]},
            json.dumps(body, indent=2).encode()))


@pytest.fixture(scope="module")
def job() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        (Path(__file__).parents[1] / "data" / "describe_auto_ml_job_full.json").read_text())
    return body


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           job: dict[str, Any]) -> Iterator[RunningServer]:
    """The endpoint serving a cassette: the full job, a not-found job, a three-step lifecycle."""
    in_progress = {**job, "AutoMLJobName": "polled-job", "AutoMLJobStatus": "InProgress",
                   "AutoMLJobSecondaryStatus": "TrainingModels"}
    done = {**job, "AutoMLJobName": "polled-job"}
    path = tmp_path_factory.mktemp("cassettes") / "jobs.yaml"
    write_cassette(path, Cassette(interactions=(
        recorded(job["AutoMLJobName"], job),
        recorded(GONE, {"__type": "ResourceNotFound", "Message": NOT_FOUND_MESSAGE}, 400),
        recorded("polled-job", in_progress),
        recorded("polled-job", in_progress),
        recorded("polled-job", done),
    )))
    with start_server([path], log=lambda line: None) as running:
        yield running


def dummy_aws_env(tmp_path: Path) -> dict[str, str]:
    """The process environment with dummy credentials; the user's ~/.aws is never read."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=DUMMY_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=DUMMY_SECRET_KEY,
               AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=str(tmp_path / "absent-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "absent-credentials"))
    return env


# -------------------------------------------------------------------------------- boto3


def test_boto3_parses_the_served_job(server: RunningServer, job: dict[str, Any],
                                     sagemaker_client: Callable[[str], Any]) -> None:
    answer = sagemaker_client(server.url).describe_auto_ml_job(
        AutoMLJobName=job["AutoMLJobName"])

    assert answer["AutoMLJobArn"] == job["AutoMLJobArn"]
    assert answer["BestCandidate"]["CandidateName"] == job["BestCandidate"]["CandidateName"]
    assert answer["BestCandidate"]["InferenceContainers"] == \
        job["BestCandidate"]["InferenceContainers"]
    assert isinstance(answer["CreationTime"], datetime)
    assert answer["CreationTime"].timestamp() == pytest.approx(job["CreationTime"])
    assert answer["ResponseMetadata"]["RequestId"] == "00000000-0000-4000-8000-000000000002"


def test_boto3_raises_the_modelled_resource_not_found(
        server: RunningServer, sagemaker_client: Callable[[str], Any]) -> None:
    client = sagemaker_client(server.url)

    with pytest.raises(client.exceptions.ResourceNotFound) as error:
        client.describe_auto_ml_job(AutoMLJobName=GONE)

    assert error.value.response["Error"]["Message"] == NOT_FOUND_MESSAGE


def test_boto3_polling_sees_the_recorded_lifecycle(
        server: RunningServer, sagemaker_client: Callable[[str], Any]) -> None:
    client = sagemaker_client(server.url)

    statuses = [client.describe_auto_ml_job(AutoMLJobName="polled-job")["AutoMLJobStatus"]
                for _ in range(4)]

    assert statuses == ["InProgress", "InProgress", "Completed", "Completed"]


def test_boto3_gets_a_client_error_naming_the_closest_recording(
        server: RunningServer, sagemaker_client: Callable[[str], Any]) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sagemaker_client(server.url).describe_auto_ml_job(AutoMLJobName="unrecorded")

    assert error.value.response["Error"]["Code"] == "NoMatchingInteraction"
    assert error.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert str(error.value).startswith(
        "An error occurred (NoMatchingInteraction) when calling the DescribeAutoMLJob "
        'operation: no recorded interaction matches SageMaker.DescribeAutoMLJob '
        '{"AutoMLJobName":"unrecorded"}; closest recorded: ')


def test_boto3_finds_the_endpoint_through_the_environment_variable(
        server: RunningServer, job: dict[str, Any], aws_env: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", server.url)
    client = boto3.client("sagemaker", region_name="us-east-1")

    assert client.describe_auto_ml_job(
        AutoMLJobName=job["AutoMLJobName"])["AutoMLJobStatus"] == "Completed"


def raw_describe(url: str, name: str) -> tuple[int, bytes]:
    """The raw HTTP answer, as the spec checker sees a cassette body."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request("POST", "/", body=json.dumps({"AutoMLJobName": name}),
                       headers={"X-Amz-Target": DESCRIBE,
                                "Content-Type": "application/x-amz-json-1.1"})
    response = connection.getresponse()
    return response.status, response.read()


def test_boto3_against_synthetic_jobs(sagemaker_client: Callable[[str], Any]) -> None:
    from replay.spec.check import check_body
    from replay.spec.operations import operation_from_name

    with start_server(synthetic=True) as synthetic:
        client = sagemaker_client(synthetic.url)
        first = client.describe_auto_ml_job(AutoMLJobName="churn-2026")
        again = client.describe_auto_ml_job(AutoMLJobName="churn-2026")
        with pytest.raises(client.exceptions.ResourceNotFound):
            client.describe_auto_ml_job(AutoMLJobName="missing-churn")
        lifecycle = [client.describe_auto_ml_job(AutoMLJobName="lifecycle-churn")
                     ["AutoMLJobSecondaryStatus"] for _ in range(12)]
        status, body = raw_describe(synthetic.url, "churn-2026")

    first.pop("ResponseMetadata")
    again.pop("ResponseMetadata")
    assert first == again
    assert (first["AutoMLJobName"], first["AutoMLJobStatus"]) == ("churn-2026", "Completed")
    assert (lifecycle[0], lifecycle[-1]) == ("Starting", "Completed")
    assert status == 200
    assert check_body(operation_from_name("DescribeAutoMLJob").model, body) == []


def test_synthetic_jobs_are_generated_for_the_client_region(
        sagemaker_client: Callable[[str], Any]) -> None:
    import boto3

    with start_server(synthetic=True) as synthetic:
        east = sagemaker_client(synthetic.url).describe_auto_ml_job(AutoMLJobName="churn")
        west = boto3.client("sagemaker", region_name="eu-west-1", endpoint_url=synthetic.url,
                            aws_access_key_id=DUMMY_ACCESS_KEY,
                            aws_secret_access_key=DUMMY_SECRET_KEY,
                            ).describe_auto_ml_job(AutoMLJobName="churn")

    assert ":us-east-1:" in east["AutoMLJobArn"]
    assert ":eu-west-1:" in west["AutoMLJobArn"]


# ------------------------------------------------------------------------------ AWS CLI


def aws_cli(tmp_path: Path, url: str, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "awscli", "sagemaker", "describe-auto-ml-job",
         "--auto-ml-job-name", name, "--endpoint-url", url, "--output", "json"],
        capture_output=True, text=True, env=dummy_aws_env(tmp_path), timeout=120, check=False)


def test_aws_cli_prints_the_served_job(server: RunningServer, job: dict[str, Any],
                                       tmp_path: Path) -> None:
    result = aws_cli(tmp_path, server.url, job["AutoMLJobName"])

    assert (result.returncode, result.stderr) == (0, "")
    printed = json.loads(result.stdout)
    assert printed["AutoMLJobName"] == job["AutoMLJobName"]
    assert printed["BestCandidate"]["CandidateName"] == job["BestCandidate"]["CandidateName"]
    assert printed["AutoMLJobStatus"] == "Completed"


def test_aws_cli_shows_resource_not_found_as_it_does_for_aws(server: RunningServer,
                                                             tmp_path: Path) -> None:
    result = aws_cli(tmp_path, server.url, GONE)

    # awscli v1 (PyPI) exits 255 on a service error, v2 254.
    assert result.returncode in (254, 255)
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "An error occurred (ResourceNotFound) when calling the DescribeAutoMLJob operation: "
        f"{NOT_FOUND_MESSAGE}")


# ------------------------------------------------------------------ JavaScript SDK v3


def iso_milliseconds(epoch_seconds: float) -> str:
    """How JavaScript's Date.toISOString shows an epoch-seconds timestamp."""
    moment = datetime.fromtimestamp(round(epoch_seconds * 1000) / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_js(js_dir: Path, url: str, *names: str) -> list[dict[str, Any]]:
    result = subprocess.run(["node", str(js_dir / "describe.mjs"), url, *names],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={key: value for key, value in os.environ.items()
                                 if not key.startswith("AWS_")})
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_javascript_sdk_v3_parses_jobs_and_errors(server: RunningServer, job: dict[str, Any],
                                                  js_sdk: Path) -> None:
    found, gone, unmatched = run_js(js_sdk, server.url, job["AutoMLJobName"], GONE,
                                    "unrecorded")

    assert found == {
        "ok": True,
        "name": job["AutoMLJobName"],
        "status": "Completed",
        "secondaryStatus": job["AutoMLJobSecondaryStatus"],
        "creationTime": iso_milliseconds(job["CreationTime"]),
        "bestCandidate": job["BestCandidate"]["CandidateName"],
        "httpStatusCode": 200,
        "requestId": "00000000-0000-4000-8000-000000000002",
    }
    assert gone == {"ok": False, "error": "ResourceNotFound", "message": NOT_FOUND_MESSAGE,
                    "fault": "client", "httpStatusCode": 400}
    assert unmatched["error"] == "NoMatchingInteraction"
    assert unmatched["message"].startswith(
        'no recorded interaction matches SageMaker.DescribeAutoMLJob '
        '{"AutoMLJobName":"unrecorded"}; closest recorded: ')


# ---------------------------------------------- the AutoML family against serve --synthetic


FAMILY_JOB = "churn-family"


@pytest.fixture(scope="module")
def synthetic() -> Iterator[RunningServer]:
    with start_server(synthetic=True, log=lambda line: None) as running:
        yield running


def aws_cli_json(tmp_path: Path, url: str, *args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "sagemaker", *args, "--endpoint-url", url,
         "--output", "json"],
        capture_output=True, text=True, env=dummy_aws_env(tmp_path), timeout=120, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    return json.loads(result.stdout)


def test_aws_cli_reads_v2_and_pages_candidates_consistently_with_describe(
        synthetic: RunningServer, tmp_path: Path) -> None:
    v1 = aws_cli_json(tmp_path, synthetic.url, "describe-auto-ml-job",
                      "--auto-ml-job-name", FAMILY_JOB)
    v2 = aws_cli_json(tmp_path, synthetic.url, "describe-auto-ml-job-v2",
                      "--auto-ml-job-name", FAMILY_JOB)
    # --page-size 1: the CLI's own paginator follows NextToken, one candidate a request
    listed = aws_cli_json(tmp_path, synthetic.url, "list-candidates-for-auto-ml-job",
                          "--auto-ml-job-name", FAMILY_JOB, "--page-size", "1")
    whole = aws_cli_json(tmp_path, synthetic.url, "list-candidates-for-auto-ml-job",
                         "--auto-ml-job-name", FAMILY_JOB, "--no-paginate",
                         "--max-results", "100")

    assert v2["AutoMLJobArn"] == v1["AutoMLJobArn"]
    assert v2["BestCandidate"] == v1["BestCandidate"]
    assert v2["AutoMLProblemTypeConfigName"] == "Tabular"
    names = [c["CandidateName"] for c in listed["Candidates"]]
    assert names == [c["CandidateName"] for c in whole["Candidates"]] and len(names) > 1
    assert v1["BestCandidate"]["CandidateName"] in names


def test_aws_cli_gets_the_validation_exception_for_what_the_model_refuses(
        synthetic: RunningServer, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "sagemaker", "list-candidates-for-auto-ml-job",
         "--auto-ml-job-name", FAMILY_JOB, "--sort-by", "Size", "--endpoint-url",
         synthetic.url],
        capture_output=True, text=True, env=dummy_aws_env(tmp_path), timeout=120, check=False)

    assert result.returncode in (254, 255)
    assert "(ValidationException)" in result.stderr
    assert "'Size' is not a value of enum CandidateSortBy" in result.stderr


def test_javascript_sdk_v3_paginates_candidates_and_reads_v2(synthetic: RunningServer,
                                                            js_sdk: Path) -> None:
    result = subprocess.run(["node", str(js_sdk / "family.mjs"), synthetic.url, FAMILY_JOB, "2"],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={key: value for key, value in os.environ.items()
                                 if not key.startswith("AWS_")})
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)

    assert seen["v2Arn"] == seen["arn"] and seen["v2Best"] == seen["best"]
    assert seen["problemTypeConfigName"] == "Tabular"
    assert seen["v2Created"] is not None
    assert len(seen["pages"]) > 1 and all(len(page) <= 2 for page in seen["pages"])
    names = [name for page in seen["pages"] for name in page]
    assert seen["best"] in names and len(set(names)) == len(names)
