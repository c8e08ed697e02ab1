"""Credential traffic: the calls that hand out credentials never belong in a cassette.

botocore's credential providers (assume-role, web identity, SSO, container and instance
metadata) make these calls on their own, and their answers are secrets. An STS call the code
under test makes for its own sake (``GetCallerIdentity``, ``DecodeAuthorizationMessage``) is
recorded like any other; one that returns credentials is not, whoever made it.

Example::

    is_credential_operation("sts", "AssumeRole")          # True
    is_credential_operation("sts", "GetCallerIdentity")   # False
    is_credential_target("AWSSecurityTokenServiceV20110615.AssumeRole")  # True (STS over JSON)
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

CREDENTIAL_SERVICES = frozenset({"sso", "sso-oidc", "cognito-identity", "identitystore"})
"""Services none of whose calls are recorded: the SSO portal and its OIDC tokens, Cognito
identity pools, and the Identity Store behind them (user names and e-mail addresses)."""

CREDENTIAL_TARGET_PREFIXES: dict[str, str] = {
    "AWSCognitoIdentityService": "cognito-identity", "AWSSecurityTokenServiceV20110615": "sts",
    "AWSSSOOIDCService": "sso-oidc", "SWBPortalService": "sso",
    "AWSIdentityStore": "identitystore",
}
"""JSON-protocol target prefixes of the same services (a request names its target, not its
service) -> the botocore service name (tests hold it equal to botocore's)."""

# The instance metadata service and the container credential endpoints.
METADATA_HOSTS = frozenset({"169.254.169.254", "169.254.170.2", "169.254.170.23",
                            "fd00:ec2::254", "fd00:ec2::23"})


def is_credential_operation(service: str, operation: str) -> bool:
    """``operation`` of botocore service ``service`` is credential traffic, never recorded."""
    return service in CREDENTIAL_SERVICES or \
        operation in CREDENTIAL_OPERATIONS.get(service, frozenset())


def is_credential_target(target: str) -> bool:
    """A JSON-protocol call (``X-Amz-Target: Prefix.Operation``) is credential traffic: an STS
    ``AssumeRole`` over JSON is, its ``GetCallerIdentity`` is not."""
    prefix, _, operation = target.partition(".")
    service = CREDENTIAL_TARGET_PREFIXES.get(prefix)
    return service is not None and is_credential_operation(service, operation)


def is_metadata_url(url: str) -> bool:
    """``url`` goes to the instance metadata service or a container credential endpoint."""
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    return host in METADATA_HOSTS
