"""Shared fixtures of the plugin's pytester suites."""

from __future__ import annotations

import pytest

from tests.support.cassettes import full_body
from tests.support.stub_sagemaker import StubSageMaker


@pytest.fixture
def stub_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                 stub_sagemaker: StubSageMaker) -> pytest.Pytester:
    """A downstream project whose clients (boto3 and aiobotocore) reach a local SageMaker when
    they are let through (jobs ``churn-automl-2026`` and ``second-job``), with dummy
    credentials and none of the user's AWS settings."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", stub_sagemaker.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    stub_sagemaker.jobs["second-job"] = dict(full_body(), AutoMLJobName="second-job")
    return pytester
