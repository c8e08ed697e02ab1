"""The exceptions of aws-replay.

Every error a user can cause (bad input, missing files, no credentials, an unreachable endpoint)
is a :class:`ReplayError`. Its message says what happened, where, and what to do next; the CLI
prints it as one line on stderr and exits with :attr:`ReplayError.exit_code` (2), never a
traceback. Messages never carry a secret: callers redact before they build one.
"""

from __future__ import annotations


class ReplayError(Exception):
    """Base class: a problem the user can fix; the CLI exits 2 with this message."""

    exit_code = 2


class CassetteError(ReplayError):
    """A cassette is missing, empty, truncated, not YAML/JSON, or not shaped like a cassette."""


class CassetteNotFoundError(CassetteError):
    """A cassette file (or a folder of them) does not exist."""


class UnknownOperationError(ReplayError):
    """A recorded request names a service or operation the installed botocore does not know."""


class InvalidBodyError(ReplayError):
    """A request or response body that must be JSON is not."""


class CredentialsError(ReplayError):
    """No usable AWS credentials were found, or they were rejected."""


REJECTED_CREDENTIAL_CODES = frozenset({
    "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
    "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "RequestExpired",
    "MissingAuthenticationToken", "MissingAuthenticationTokenException", "IncompleteSignature",
    "AccessDenied", "AccessDeniedException", "NotAuthorized",
})
"""AWS error codes meaning the credentials were refused (unknown, expired, unsigned, or not
allowed): a :class:`CredentialsError` for the user, never a finding about the API."""


class EndpointError(ReplayError):
    """An endpoint could not be reached (connection refused, DNS failure, timeout)."""


class ConfigError(ReplayError):
    """A setting in ``[tool.aws-replay]`` or on the command line is invalid."""


class AwsReplayWarning(UserWarning):
    """Replayed drift below the failing severity, or in drift mode ``warn`` (a pytest warning).

    Filter it as ``ignore::replay.plugin.AwsReplayWarning``.
    """
