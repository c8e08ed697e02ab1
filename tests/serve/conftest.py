"""A local "AWS" for the protocol tests: moto's server, and a cassette recorded against it.

The cassette is made the way a user makes one: boto3 calls S3 and STS on moto's server while
``capture_exchanges`` records them, sanitized, and ``save_recording`` writes the file. Nothing
in it is written by hand, so what ``serve`` answers from it is what real clients recorded.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from filelock import FileLock

from tests.conftest import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY
from tests.support.moto import moto_server

BUCKET = "replay-bucket"
KEY = "models/model.bin"
MISSING_KEY = "models/missing.bin"
OBJECT = random.Random(12).randbytes(1 << 20)  # 1 MiB of bytes no text codec survives


@dataclass(frozen=True)
class Recorded:
    """The cassette recorded against moto, and what moto itself answered while recording."""

    path: Path
    moto_account: str
    recorded_account: str


def aws_client(service: str, url: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=DUMMY_ACCESS_KEY,
                        aws_secret_access_key=DUMMY_SECRET_KEY,
                        config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's server (S3, STS, ...) on a free loopback port."""
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def recorded(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """S3 (create a bucket, put 1 MiB, get it, head it, a NoSuchKey) and STS
    GetCallerIdentity, recorded against moto into ``s3-sts.yaml``."""
    from replay.record.capture import capture_exchanges, save_recording
    from replay.sanitize.sanitizer import Sanitizer

    previous = {name: os.environ.get(name) for name in ("AWS_CONFIG_FILE",
                                                        "AWS_SHARED_CREDENTIALS_FILE")}
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    try:
        s3, sts = aws_client("s3", moto_url), aws_client("sts", moto_url)
        sanitizer = Sanitizer.default()
        with capture_exchanges(sanitizer) as exchanges:
            s3.create_bucket(Bucket=BUCKET)
            s3.put_object(Bucket=BUCKET, Key=KEY, Body=OBJECT)
            assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == OBJECT
            s3.head_object(Bucket=BUCKET, Key=KEY)
            with pytest.raises(ClientError):
                s3.get_object(Bucket=BUCKET, Key=MISSING_KEY)
            moto_account = sts.get_caller_identity()["Account"]
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    path = tmp_path_factory.mktemp("recorded") / "s3-sts.yaml"
    save_recording(path, exchanges, source="local-endpoint", sanitizer=sanitizer)
    from replay.cassette.read import read_cassette

    identity = read_cassette(path).interactions[-1].response.text()
    recorded_account = identity.split("<Account>")[1].split("</Account>")[0]
    return Recorded(path, moto_account, recorded_account)


# ------------------------------------------------------------------ JavaScript SDK v3

JS_DIR = Path(__file__).resolve().parents[1] / "js"
JS_CLIENTS = ("client-sagemaker", "client-s3", "client-sts")


@pytest.fixture(scope="session")
def js_sdk() -> Path:
    """tests/js with the AWS SDK for JavaScript v3 clients (SageMaker, S3, STS) installed from
    npm (once; safe under xdist)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the AWS SDK for JavaScript v3 client "
                    "tests need them (apt-get install nodejs npm)")
    packages = JS_DIR / "node_modules" / "@aws-sdk"
    with FileLock(str(JS_DIR / ".install.lock")):
        if not all((packages / client / "package.json").exists() for client in JS_CLIENTS):
            result = subprocess.run(
                [npm, "install", "--prefix", str(JS_DIR), "--no-audit", "--no-fund"],
                capture_output=True, text=True, timeout=300, check=False)
            if result.returncode != 0:
                pytest.fail(f"npm install --prefix {JS_DIR} failed:\n{result.stderr[-2000:]}")
    return JS_DIR
