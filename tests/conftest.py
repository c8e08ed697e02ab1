"""Shared fixtures: a full DescribeAutoMLJob body, dummy AWS settings, a local SageMaker stub."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.stub_sagemaker import StubSageMaker

pytest_plugins = ["pytester"]

DATA = Path(__file__).parent / "data"

# The AWS documentation's example key pair: obviously not a credential, accepted by botocore.
DUMMY_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
DUMMY_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester, printing the same text on a laptop and on CI: under ``CI`` or ``BUILD_NUMBER``
    pytest repeats a failure's whole message in its short summary.

    The inner runs happen in this process, where ``replay`` is already imported: pytest >= 9.2
    marks an editable install's plugin package for assertion rewriting and warns that it cannot,
    a warning no user run shows, so the inner runs ignore it."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    monkeypatch.setenv("PYTEST_ADDOPTS", "-W ignore::pytest.PytestAssertRewriteWarning")
    return pytester


@pytest.fixture
def full_body() -> dict[str, Any]:
    """A DescribeAutoMLJob response with every member present (spec-valid)."""
    body: dict[str, Any] = json.loads((DATA / "describe_auto_ml_job_full.json").read_text())
    return body


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and region; the user's real ~/.aws files are never read."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config-absent"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials-absent"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def stub_sagemaker(full_body: dict[str, Any]) -> Iterator[StubSageMaker]:
    """A running local SageMaker endpoint that knows one completed job (``full_body``)."""
    with StubSageMaker({full_body["AutoMLJobName"]: full_body}) as stub:
        yield stub


@pytest.fixture
def sagemaker_client(aws_env: None) -> Callable[[str], Any]:
    """Make a boto3 SageMaker client for an endpoint URL, with dummy credentials."""
    import boto3
    from botocore.config import Config

    def make(endpoint_url: str) -> Any:
        return boto3.client("sagemaker", region_name="us-east-1", endpoint_url=endpoint_url,
                            config=Config(retries={"max_attempts": 1, "mode": "standard"}))

    return make


@pytest.fixture
def aws(aws_env: None) -> None:
    """Dummy AWS settings, and every botocore client created from now on hooked for replay."""
    from replay.plugin import botocore_hook

    botocore_hook.install()


@pytest.fixture
def no_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS credentials or region, a broken ~/.aws/config and an absent profile: a machine
    where reading the user's AWS files or needing credentials would fail."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("this is [not an ini file\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_PROFILE", "production")
    return home


@pytest.fixture(autouse=True)
def _fresh_gate_allowlist() -> None:
    """The output gate reads the project's allowlist once per process (from the working
    folder's pyproject.toml); each test starts without the last one's."""
    from replay.core.redaction import allowed_accounts

    allowed_accounts.cache_clear()
