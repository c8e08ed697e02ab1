"""The release pipeline of :mod:`tests.downstream.model_pipeline` with aiobotocore clients.

The same steps awaited: the decisions (:func:`best_candidate`, :func:`artefact_location`,
:func:`is_missing_object`) are reused as they are; only the I/O is async. A team on aioboto3
writes exactly this (aioboto3 clients are aiobotocore clients).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from tests.downstream.automl_watch import TERMINAL
from tests.downstream.model_pipeline import (
    DEPLOYER,
    Artefact,
    ArtefactMissing,
    Clients,
    Release,
    artefact_location,
    best_candidate,
    is_missing_object,
)


@contextlib.asynccontextmanager
async def aio_clients(region: str = "us-east-1") -> AsyncIterator[Clients]:
    """aiobotocore clients for the four services, closed when the block ends."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    session = get_session()
    config = AioConfig(retries={"max_attempts": 2, "mode": "standard"})
    async with contextlib.AsyncExitStack() as stack:
        made = [await stack.enter_async_context(
            session.create_client(service, region_name=region, config=config))
            for service in ("sagemaker", "s3", "sts", "lambda")]
        yield Clients(sagemaker=made[0], s3=made[1], sts=made[2], lambda_=made[3])


async def wait_for_job(sagemaker: Any, name: str, *, poll_seconds: float,
                       sleep: Callable[[float], Awaitable[None] | None]) -> dict[str, Any]:
    while True:
        job: dict[str, Any] = await sagemaker.describe_auto_ml_job(AutoMLJobName=name)
        if job["AutoMLJobStatus"] in TERMINAL:
            return job
        waited = sleep(poll_seconds)
        if waited is not None:
            await waited


async def fetch_artefact(s3: Any, bucket: str, key: str) -> Artefact:
    """HEAD the object, then stream it down; :class:`ArtefactMissing` when it is not there."""
    from botocore.exceptions import ClientError

    try:
        head = await s3.head_object(Bucket=bucket, Key=key)
        answer = await s3.get_object(Bucket=bucket, Key=key, IfMatch=head["ETag"])
        async with answer["Body"] as stream:
            body = await stream.read()
    except ClientError as error:
        if is_missing_object(error):
            raise ArtefactMissing(bucket, key) from error
        raise
    return Artefact(bucket=bucket, key=key, body=body, etag=head["ETag"],
                    content_length=int(head["ContentLength"]))


async def release(clients: Clients, job_name: str, *,
                  sleep: Callable[[float], Awaitable[None] | None] = asyncio.sleep,
                  poll_seconds: float = 60.0) -> Release:
    """Wait for the job, then gather everything a release needs (the account and the
    deployer are looked up while the artefact downloads)."""
    job = await wait_for_job(clients.sagemaker, job_name, poll_seconds=poll_seconds,
                             sleep=sleep)
    candidate = best_candidate(job)
    bucket, key = artefact_location(candidate)
    identity, artefact, function = await asyncio.gather(
        clients.sts.get_caller_identity(), fetch_artefact(clients.s3, bucket, key),
        clients.lambda_.get_function(FunctionName=DEPLOYER))
    return Release(job=job_name, candidate=candidate["CandidateName"],
                   account=str(identity["Account"]), artefact=artefact,
                   function_arn=function["Configuration"]["FunctionArn"])
