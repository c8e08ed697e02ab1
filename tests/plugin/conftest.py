"""Shared fixtures of the plugin's pytester suites."""

from __future__ import annotations

import pytest

from tests.support.cassettes import full_body
from tests.support.stub_sagemaker import StubSageMaker


@pytest.fixture
def stub_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                 stub_sagemaker: StubSageMaker, aws_env: None) -> pytest.Pytester:
    """A downstream project whose clients (boto3 and aiobotocore) reach a local SageMaker when
    they are let through (jobs ``churn-automl-2026`` and ``second-job``), with dummy
    credentials and none of the user's AWS settings (``aws_env``)."""
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", stub_sagemaker.url)
    stub_sagemaker.jobs["second-job"] = dict(full_body(), AutoMLJobName="second-job")
    return pytester
