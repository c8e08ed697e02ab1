"""The release pipeline replayed offline: SageMaker (json), STS (query), S3 (rest-xml, a 1 MB
binary artefact and a 404) and Lambda (rest-json) from one cassette per test.

The cassettes beside this module (``cassettes/test_model_pipeline/``) were recorded with
``pytest --aws-replay-mode=once`` against moto's server and a local SageMaker stub, as
``test_model_pipeline_loop.py`` does on every run.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.downstream.conftest import Sleeps
from tests.downstream.model_pipeline import (
    DEPLOYER,
    ArtefactMissing,
    Clients,
    boto3_factory,
    example_artefact,
    fetch_artefact,
    release,
)

JOB = "churn-automl-2026"
BUCKET = "sagemaker-us-east-1-000000000001"
MISSING_KEY = "churn-automl-2026/tuning/never-trained/output/model.tar.gz"


@pytest.fixture
def aws_replay_config() -> dict[str, Any]:
    # This module's cassettes live beside it (the folder's conftest names another folder).
    return {}


@pytest.fixture
def clients() -> Clients:
    # made inside the test: a replayed test gets dummy credentials and a region
    return Clients.from_factory(boto3_factory())


@pytest.mark.aws_replay
def test_the_best_model_of_a_finished_job_is_released(clients: Clients, sleeps: Sleeps) -> None:
    released = release(clients, JOB, sleep=sleeps, poll_seconds=30)

    assert sleeps == [30, 30]  # two polls while the job ran, then Completed
    assert released.candidate == "churn-automl-2026-tr-003-1a2b3c4d"
    artefact = released.artefact
    assert artefact.bucket == BUCKET and artefact.key.endswith("/output/model.tar.gz")
    assert artefact.body == example_artefact()  # 1 MB of binary, byte for byte
    assert artefact.intact
    assert released.account.isdigit() and len(released.account) == 12
    assert released.function_arn.split(":")[4] == released.account
    assert released.function_arn.endswith(f":function:{DEPLOYER}")


@pytest.mark.aws_replay
def test_a_missing_artefact_is_a_clear_error(clients: Clients) -> None:
    with pytest.raises(ArtefactMissing, match="does not exist") as raised:
        fetch_artefact(clients.s3, BUCKET, MISSING_KEY)
    assert raised.value.key == MISSING_KEY
    cause = raised.value.__cause__
    assert isinstance(cause, clients.s3.exceptions.ClientError)
    assert cause.response["Error"]["Code"] in ("404", "NoSuchKey")  # HEAD has no body to name it


@pytest.mark.aws_replay
def test_a_missing_object_arrives_as_no_such_key(clients: Clients) -> None:
    with pytest.raises(clients.s3.exceptions.NoSuchKey) as raised:
        clients.s3.get_object(Bucket=BUCKET, Key=MISSING_KEY)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.aws_replay
def test_the_deployer_is_listed(clients: Clients) -> None:
    names = [f["FunctionName"] for f in clients.lambda_.list_functions()["Functions"]]
    assert DEPLOYER in names
