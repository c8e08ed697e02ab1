"""Credential traffic: the calls that hand out credentials never belong in a cassette.

botocore's credential providers (assume-role, web identity, SSO, container and instance
metadata) make these calls on their own, and their answers are secrets. An STS call the code
under test makes for its own sake (``GetCallerIdentity``, ``DecodeAuthorizationMessage``) is
recorded like any other; one that returns credentials is not, whoever made it.

Example::

    is_credential_operation("sts", "AssumeRole")          # True
    is_credential_operation("sts", "GetCallerIdentity")   # False
"""

from __future__ import annotations

from urllib.parse import urlsplit

CREDENTIAL_OPERATIONS: dict[str, frozenset[str]] = {
    "sts": frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity",
                      "AssumeRoot", "GetFederationToken", "GetSessionToken"}),
    "sso": frozenset({"GetRoleCredentials"}),
    "sso-oidc": frozenset({"CreateToken", "CreateTokenWithIAM", "RegisterClient",
                           "StartDeviceAuthorization"}),
    "cognito-identity": frozenset({"GetCredentialsForIdentity", "GetId",
                                   "GetOpenIdToken", "GetOpenIdTokenForDeveloperIdentity"}),
    "signin": frozenset({"CreateOAuth2Token"}),
}
"""botocore service name -> the operations of it that return credentials or tokens."""

# JSON-protocol target prefixes of the same services (a request names its target, not its
# service): every operation behind them is credential traffic.
CREDENTIAL_TARGET_PREFIXES = frozenset({
    "AWSCognitoIdentityService", "AWSSecurityTokenServiceV20110615", "AWSSSOOIDCService",
    "SWBPortalService", "AWSIdentityStore",
})

# The instance metadata service and the container credential endpoints.
METADATA_HOSTS = frozenset({"169.254.169.254", "169.254.170.2", "169.254.170.23",
                            "fd00:ec2::254", "fd00:ec2::23"})


def is_credential_operation(service: str, operation: str) -> bool:
    """``operation`` of botocore service ``service`` returns credentials or tokens."""
    return operation in CREDENTIAL_OPERATIONS.get(service, frozenset())


def is_metadata_url(url: str) -> bool:
    """``url`` goes to the instance metadata service or a container credential endpoint."""
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    return host in METADATA_HOSTS
