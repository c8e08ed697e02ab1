"""The release pipeline with aiobotocore clients, replayed from the very cassettes the boto3
suite (``test_model_pipeline.py``) recorded: one cassette serves both client libraries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.downstream.model_pipeline import ArtefactMissing, example_artefact
from tests.downstream.model_pipeline_aio import aio_clients, fetch_artefact, release
from tests.downstream.test_model_pipeline import BUCKET, JOB, MISSING_KEY

CASSETTES = "test_model_pipeline"


@pytest.fixture
def aws_replay_config() -> dict[str, Any]:
    return {}  # cassettes beside this module, as the boto3 suite has them


@pytest.mark.aws_replay(f"{CASSETTES}/test_the_best_model_of_a_finished_job_is_released")
def test_the_best_model_is_released_by_an_async_pipeline() -> None:
    waits: list[float] = []

    async def run() -> Any:
        async with aio_clients() as clients:
            return await release(clients, JOB, sleep=waits.append, poll_seconds=30)

    released = asyncio.run(run())
    assert waits == [30, 30]
    assert released.candidate == "churn-automl-2026-tr-003-1a2b3c4d"
    assert released.artefact.body == example_artefact()  # 1 MB streamed, byte for byte
    assert released.artefact.intact
    assert released.function_arn.split(":")[4] == released.account


@pytest.mark.aws_replay(f"{CASSETTES}/test_a_missing_artefact_is_a_clear_error")
def test_a_missing_artefact_is_a_clear_error_to_an_async_pipeline() -> None:
    async def run() -> None:
        async with aio_clients() as clients:
            await fetch_artefact(clients.s3, BUCKET, MISSING_KEY)

    with pytest.raises(ArtefactMissing, match="does not exist"):
        asyncio.run(run())


@pytest.mark.aws_replay(f"{CASSETTES}/test_a_missing_object_arrives_as_no_such_key")
def test_a_missing_object_arrives_as_no_such_key_to_aiobotocore() -> None:
    async def run() -> int:
        async with aio_clients() as clients:
            try:
                await clients.s3.get_object(Bucket=BUCKET, Key=MISSING_KEY)
            except clients.s3.exceptions.NoSuchKey as missing:
                return int(missing.response["ResponseMetadata"]["HTTPStatusCode"])
        return 0

    assert asyncio.run(run()) == 404


@pytest.mark.aws_replay(f"{CASSETTES}/test_the_deployer_is_listed")
def test_the_deployer_is_listed_to_aiobotocore() -> None:
    async def run() -> list[str]:
        async with aio_clients() as clients:
            listed = await clients.lambda_.list_functions()
            return [f["FunctionName"] for f in listed["Functions"]]

    assert "churn-model-deployer" in asyncio.run(run())
