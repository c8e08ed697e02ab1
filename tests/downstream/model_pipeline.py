"""The "user code" of the pipeline suite: release the best model of a SageMaker AutoML job.

A team's release step, across four AWS protocols: poll ``DescribeAutoMLJob`` until the job ends
(SageMaker, ``json``), read its best candidate and where the candidate's model artefact lives,
learn the account it runs in (STS ``GetCallerIdentity``, ``query``), check and download the
artefact (S3 ``HeadObject`` + ``GetObject``, ``rest-xml``; a missing object is a
:class:`ArtefactMissing`, not a bare botocore error) and look up the Lambda function that will
serve it (``GetFunction``, ``rest-json``). Nothing here knows about aws-replay.

The clients come from a :data:`ClientFactory` (service name -> client), so the same steps can
be driven by another client library: the I/O is in a few thin functions (:func:`wait_for_job`,
:func:`account_of`, :func:`fetch_artefact`, :func:`deployer`), and everything they decide is in
pure functions over the responses (:func:`best_candidate`, :func:`artefact_location`,
:func:`is_missing_object`), which an async twin of the thin functions can reuse as they are.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.downstream.automl_watch import wait_for_job

ClientFactory = Callable[[str], Any]
"""Makes a client for a botocore service name (``"s3"``, ``"sts"``, ``"sagemaker"``, ...)."""

ARTEFACT_SIZE = 1024 * 1024
DEPLOYER = "churn-model-deployer"


class ArtefactMissing(LookupError):
    """The model artefact the job points at is not in S3 (S3's ``NoSuchKey`` / a 404)."""

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(f"model artefact s3://{bucket}/{key} does not exist")
        self.bucket = bucket
        self.key = key


class NoBestCandidate(LookupError):
    """The job ended without a best candidate (failed or stopped early)."""


def boto3_factory(region: str = "us-east-1") -> ClientFactory:
    """boto3 clients from one session; endpoints from the usual settings
    (``AWS_ENDPOINT_URL_S3`` and friends)."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(region_name=region)
    config = Config(retries={"max_attempts": 2, "mode": "standard"})
    return lambda service: session.client(service, config=config)


@dataclass(frozen=True)
class Clients:
    sagemaker: Any
    s3: Any
    sts: Any
    lambda_: Any

    @classmethod
    def from_factory(cls, factory: ClientFactory) -> Clients:
        return cls(sagemaker=factory("sagemaker"), s3=factory("s3"), sts=factory("sts"),
                   lambda_=factory("lambda"))


@dataclass(frozen=True)
class Artefact:
    bucket: str
    key: str
    body: bytes
    etag: str
    content_length: int

    @property
    def intact(self) -> bool:
        """What was downloaded is what S3 says it holds (single-part ETag = MD5 of the bytes)."""
        md5 = hashlib.md5(self.body, usedforsecurity=False).hexdigest()
        return len(self.body) == self.content_length and self.etag.strip('"') == md5


@dataclass(frozen=True)
class Release:
    job: str
    candidate: str
    account: str
    artefact: Artefact
    function_arn: str


# ----------------------------------------------------------------------------- pure decisions


def best_candidate(job: dict[str, Any]) -> dict[str, Any]:
    """The job's best candidate; :class:`NoBestCandidate` when it has none."""
    best = job.get("BestCandidate")
    if not best:
        raise NoBestCandidate(f"{job['AutoMLJobName']} ended {job['AutoMLJobStatus']} "
                              "without a best candidate")
    return best  # type: ignore[no-any-return]


def artefact_location(candidate: dict[str, Any]) -> tuple[str, str]:
    """``(bucket, key)`` of the candidate's trained model: the inference container whose
    ``ModelDataUrl`` names the candidate (the others are data processing), else the last."""
    containers = candidate["InferenceContainers"]
    urls = [c["ModelDataUrl"] for c in containers if candidate["CandidateName"] in
            c.get("ModelDataUrl", "")] or [containers[-1]["ModelDataUrl"]]
    parts = urlsplit(urls[0])
    return parts.netloc, parts.path.lstrip("/")


def is_missing_object(error: Exception) -> bool:
    """A botocore ``ClientError`` saying the object is not there (``NoSuchKey``; a HEAD's 404)."""
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return code in ("NoSuchKey", "404", "NotFound")


def example_artefact(size: int = ARTEFACT_SIZE, seed: int = 2026) -> bytes:
    """The bytes the pipeline suite's model artefact holds: random, the same every time."""
    return random.Random(seed).randbytes(size)


# ----------------------------------------------------------------------------------- the I/O


def account_of(sts: Any) -> str:
    return str(sts.get_caller_identity()["Account"])


def fetch_artefact(s3: Any, bucket: str, key: str) -> Artefact:
    """HEAD the object, then download it; :class:`ArtefactMissing` when it does not exist."""
    from botocore.exceptions import ClientError

    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        body = s3.get_object(Bucket=bucket, Key=key, IfMatch=head["ETag"])["Body"].read()
    except ClientError as error:
        if is_missing_object(error):
            raise ArtefactMissing(bucket, key) from error
        raise
    return Artefact(bucket=bucket, key=key, body=body, etag=head["ETag"],
                    content_length=int(head["ContentLength"]))


def deployer(lambda_: Any, name: str = DEPLOYER) -> dict[str, Any]:
    """The configuration of the Lambda function that serves released models."""
    return lambda_.get_function(FunctionName=name)["Configuration"]  # type: ignore[no-any-return]


def release(clients: Clients, job_name: str, *, sleep: Callable[[float], None] = time.sleep,
            poll_seconds: float = 60.0) -> Release:
    """Wait for the job, then gather everything a release needs."""
    job = wait_for_job(clients.sagemaker, job_name, poll_seconds=poll_seconds, sleep=sleep)
    candidate = best_candidate(job)
    bucket, key = artefact_location(candidate)
    account = account_of(clients.sts)
    artefact = fetch_artefact(clients.s3, bucket, key)
    function = deployer(clients.lambda_)
    return Release(job=job_name, candidate=candidate["CandidateName"], account=account,
                   artefact=artefact, function_arn=function["FunctionArn"])
