"""Credential traffic is told apart the same way by target prefix and by service name."""

from __future__ import annotations

from replay.cassette.model import RecordedRequest
from replay.core.errors import UnknownOperationError
from replay.protocols.credentials import (
    CREDENTIAL_TARGET_PREFIXES,
    is_credential_operation,
    is_credential_target,
    is_metadata_url,
)
from replay.record.capture import wanted
from replay.spec.operations import service_for_target_prefix


def test_every_credential_target_prefix_botocore_knows_names_its_service() -> None:
    known = []
    for prefix, service in CREDENTIAL_TARGET_PREFIXES.items():
        try:
            assert service_for_target_prefix(prefix) == service, prefix
        except UnknownOperationError:  # the service speaks another protocol in botocore
            continue
        known.append(service)
    assert {"cognito-identity", "identitystore"} <= set(known)


def _json_call(target: str) -> RecordedRequest:
    return RecordedRequest("POST", "https://example.amazonaws.com/",
                           {"X-Amz-Target": [target],
                            "Content-Type": ["application/x-amz-json-1.0"]}, "{}")


def test_over_json_sts_is_told_apart_by_operation_and_identity_pools_are_never_kept() -> None:
    # STS speaks query in botocore today; a JSON STS call must still keep GetCallerIdentity
    assert is_credential_target("AWSSecurityTokenServiceV20110615.AssumeRole")
    assert not is_credential_target("AWSSecurityTokenServiceV20110615.GetCallerIdentity")
    assert not wanted(_json_call("AWSSecurityTokenServiceV20110615.GetSessionToken"))
    assert wanted(_json_call("AWSSecurityTokenServiceV20110615.GetCallerIdentity"))
    assert not wanted(_json_call("AWSCognitoIdentityService.ListIdentityPools"))
    assert wanted(_json_call("SageMaker.DescribeAutoMLJob"))


def test_sts_calls_that_return_credentials_are_credential_traffic_and_the_others_not() -> None:
    assert is_credential_operation("sts", "AssumeRole")
    assert is_credential_operation("sts", "GetSessionToken")
    assert not is_credential_operation("sts", "GetCallerIdentity")
    assert not is_credential_operation("s3", "GetObject")


def test_the_metadata_service_is_credential_traffic() -> None:
    assert is_metadata_url("http://169.254.169.254/latest/api/token")
    assert is_metadata_url("http://[fd00:ec2::254]/latest/meta-data/")
    assert not is_metadata_url("http://127.0.0.1:9/")
