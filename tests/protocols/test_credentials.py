"""Credential traffic is told apart the same way by target prefix and by service name."""

from __future__ import annotations

from replay.core.errors import UnknownOperationError
from replay.protocols.credentials import (
    CREDENTIAL_TARGET_PREFIXES,
    is_credential_operation,
    is_metadata_url,
)
from replay.spec.operations import service_for_target_prefix


def test_every_credential_target_prefix_botocore_knows_is_a_credential_service() -> None:
    known = []
    for prefix in CREDENTIAL_TARGET_PREFIXES:
        try:
            service = service_for_target_prefix(prefix)
        except UnknownOperationError:  # the service speaks another protocol in botocore
            continue
        known.append(service)
        assert is_credential_operation(service, "AnyOperation"), prefix
    assert {"cognito-identity", "identitystore"} <= set(known)


def test_sts_calls_that_return_credentials_are_credential_traffic_and_the_others_not() -> None:
    assert is_credential_operation("sts", "AssumeRole")
    assert is_credential_operation("sts", "GetSessionToken")
    assert not is_credential_operation("sts", "GetCallerIdentity")
    assert not is_credential_operation("s3", "GetObject")


def test_the_metadata_service_is_credential_traffic() -> None:
    assert is_metadata_url("http://169.254.169.254/latest/api/token")
    assert is_metadata_url("http://[fd00:ec2::254]/latest/meta-data/")
    assert not is_metadata_url("http://127.0.0.1:9/")
