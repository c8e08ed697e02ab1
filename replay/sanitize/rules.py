"""The sanitizer's rules: what counts as a secret or an account id, and what replaces it.

Text rules (:data:`TEXT_RULES`) find values in raw text; header rules say which headers are
dropped, made stable or numbered; :func:`rules_from_settings` reads the user's extra rules from
``[tool.aws-replay.sanitize]``. :class:`replay.sanitize.sanitizer.Sanitizer` applies them; the leak
scanner (:mod:`replay.sanitize.scan`) asks the same rules what would still be replaced.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from replay.core.config import section
from replay.core.errors import ConfigError
from replay.core.jsonpath import DEAD, PathSet, State, compile_path

SANITIZER_VERSION = 1

# ------------------------------------------------------------------------------ allowlist


@functools.cache
def aws_owned_account_ids() -> frozenset[str]:
    """Account ids of SageMaker's public image registries (the shipped allowlist names its
    source: the SageMaker Python SDK's ``image_uri_config`` files)."""
    text = resources.files("replay").joinpath("data/aws_owned_account_ids.json").read_text("utf-8")
    return frozenset(json.loads(text)["all_account_ids"])


def is_placeholder_account(value: str) -> bool:
    """Eight or more leading zeros: a placeholder (``000000000001``), not a real account."""
    return value.startswith("00000000")




def is_numbered(digits: str) -> bool:
    """``00000001`` / ``00000000000000012``: a placeholder number padded with zeros."""
    significant = digits.lstrip("0")
    return (len(significant) <= 4 and (not significant or significant.isdigit())
            and len(digits) - len(significant) >= 4)


def mixed(value: str) -> bool:
    """Upper and lower case letters and digits: what random key material looks like."""
    return (any(c.isupper() for c in value) and any(c.islower() for c in value)
            and any(c.isdigit() for c in value))


def is_placeholder_secret(value: str) -> bool:
    """Obviously fake: it says EXAMPLE or REDACTED (AWS's documentation keys, our placeholders).

    Runs of identical characters do not count: real session tokens are base64 of binary data
    and often hold ``AAAAAAAA``.
    """
    return "EXAMPLE" in value or "REDACTED" in value


# ------------------------------------------------------------------------------ text rules
#
# Each rule's pattern has a value group ``v`` (replaced) and may have a context group ``c``
# before it (kept). Rules start with a literal where they can and checks on the character before
# the value run in Python (``not_after``): a leading lookbehind would make ``re`` try every
# position, and cassettes are megabytes. ``needles`` skip a rule outright for text that cannot
# hold a match.

ACCESS_KEY_PREFIXES = "AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA|ABIA|ACCA|APKA"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_Q = r'\\?"'  # a JSON quote, possibly escaped inside a nested JSON string


@dataclass(frozen=True)
class TextRule:
    """One redaction rule over raw text; ``handler`` names the placeholder family."""

    name: str
    handler: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()
    not_after: re.Pattern[str] | None = None
    lookback: int = 0  # the value is this many digits right before the match (an anchor)


def _rule(name: str, handler: str, pattern: str, needles: tuple[str, ...] = (),
          not_after: str | None = None, lookback: int = 0) -> TextRule:
    return TextRule(name, handler, re.compile(pattern), needles,
                    re.compile(not_after) if not_after else None, lookback)


TEXT_RULES: tuple[TextRule, ...] = (
    # Presigned-URL credentials come first: their context starts before the value does.
    _rule("url_token", "redact", r"(?P<c>X-Amz-Security-Token=)(?P<v>[^&\s\"'\\]+)",
          ("X-Amz-Security-Token=",)),
    _rule("signature", "signature", r"(?P<c>Signature=)(?P<v>[0-9a-f]{64})(?![0-9a-f])",
          ("Signature=",)),
    _rule("session_token", "session_token",
          r"(?P<v>(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE|FQoGZXIvYXdzE|AQoDYXdzE)[A-Za-z0-9/+=%]{16,})",
          ("IQoJb3JpZ2luX2Vj", "ZXIvYXdzE", "AQoDYXdzE"), not_after=r"[A-Za-z0-9/+%]"),
    _rule("access_key", "access_key",
          rf"(?P<v>(?:{ACCESS_KEY_PREFIXES})[A-Z0-9]{{16}})(?![A-Z0-9])", not_after=r"[A-Z0-9]"),
    # Each match is a maximal run: 40 characters may be a secret access key, 200 or more a
    # session token of an unknown format.
    _rule("base64_run", "base64_run", r"(?<![A-Za-z0-9/+])(?P<v>[A-Za-z0-9/+]{40,}={0,2})"),
    _rule("arn_account", "account",
          r"(?P<c>arn:aws[a-zA-Z-]*:[a-zA-Z0-9-]*:[a-z0-9-]*:)(?P<v>\d{12})(?=:)", ("arn:aws",)),
    _rule("ecr_account", "account", r"\.dkr\.ecr[.-]", (".dkr.ecr",), not_after=r"\d",
          lookback=12),
    _rule("bucket_account", "account", r"(?P<c>s3:(?://|::)[a-z0-9.-]*?)(?<!\d)(?P<v>\d{12})(?!\d)",
          ("s3:",)),
    _rule("sagemaker_bucket_account", "account",
          r"(?P<c>sagemaker-[a-z]{2}(?:-[a-z]+)+-\d-)(?P<v>\d{12})(?!\d)", ("sagemaker-",)),
    _rule("keyword_account", "account", r"(?i:(?P<c>account[\w-]{0,12}(?:\\?[\"'])?\s*[:=]\s*"
                                        r"(?:\\?[\"'])?))(?P<v>\d{12})(?!\d)",
          ("ccount", "CCOUNT")),
    _rule("path_account", "account", r"(?P<c>/)(?P<v>\d{12})(?=/)"),
    _rule("string_account", "account", r'(?P<c>")(?P<v>\d{12})(?=")'),
    _rule("escaped_account", "account", r'(?P<c>\\")(?P<v>\d{12})(?=\\")', ('\\"',)),
    _rule("kms_key", "kms_key", rf"(?P<c>:key/)(?P<v>{_UUID})", (":key/",)),
    _rule("kms_key_field", "kms_key", rf"(?P<c>Kms\w*{_Q}\s*:\s*{_Q})(?P<v>{_UUID})", ("Kms",)),
    _rule("kms_mrk", "kms_mrk", r"(?P<v>mrk-[0-9a-f]{32})(?![\w-])", ("mrk-",),
          not_after=r"[\w-]"),
    _rule("ec2_id", "ec2_id", r"(?P<v>(?:sg|subnet|vpc)-(?:[0-9a-f]{17}|[0-9a-f]{8}))(?![\w-])",
          ("sg-", "subnet-", "vpc-"), not_after=r"[\w-]"),
)

RULE_NAMES: dict[str, str] = {
    "url_token": "presigned-url-security-token",
    "signature": "sigv4-signature",
    "session_token": "session-token",
    "access_key": "access-key-id",
    "base64_run": "secret-access-key-and-long-base64-token",
    "arn_account": "account-id-in-arn",
    "ecr_account": "account-id-in-ecr-host",
    "bucket_account": "account-id-in-s3-bucket",
    "sagemaker_bucket_account": "account-id-in-sagemaker-bucket-name",
    "keyword_account": "account-id-after-account-keyword",
    "path_account": "account-id-in-url-path",
    "string_account": "account-id-as-whole-string",
    "escaped_account": "account-id-as-whole-nested-string",
    "kms_key": "kms-key-id-in-arn",
    "kms_key_field": "kms-key-id-field",
    "kms_mrk": "kms-multi-region-key-id",
    "ec2_id": "security-group-subnet-vpc-id",
}

DIGITS = re.compile(r"\d+")

# What every text rule needs somewhere in the text to match at all.
MAYBE_SECRET = re.compile(
    rf"Token=|Signature=|{ACCESS_KEY_PREFIXES}|IQoJb3JpZ2luX2Vj|ZXIvYXdzE|AQoDYXdzE"
    r"|[A-Za-z0-9/+]{40}|\d{12}|[0-9a-f]{8}-[0-9a-f]{4}-|mrk-|sg-|subnet-|vpc-")

# The placeholders this module hands out, by the numbering family they belong to.
PLACEHOLDER_PATTERNS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    # Not the tail of a numbered UUID (00000000-0000-4000-8000-000000000001).
    (re.compile(r"(?<!\d)(?<!8000-)00000000\d{4}(?!\d)"), ("account",)),
    (re.compile(rf"(?:{ACCESS_KEY_PREFIXES})REDACTED\d{{8}}"), ("access-key",)),
    (re.compile(r"REDACTEDSECRETACCESSKEY\d{17}"), ("secret-key",)),
    (re.compile(r"REDACTEDSESSIONTOKEN\d{8}"), ("session-token",)),
    (re.compile(r"00000000-0000-4000-8000-\d{12}"), ("kms-key", "request-id")),
    (re.compile(r"mrk-0{28}\d{4}"), ("kms-mrk",)),
    (re.compile(r"(?:sg|subnet|vpc)-0{4,16}\d{1,4}(?![\w-])"), ("ec2-{prefix}",)),
)

HEADER_RULES = (
    "authorization-sigv4", "drop-security-token-and-cookies", "stable-invocation-id",
    "stable-sdk-request", "stable-amz-date", "stable-user-agent", "stable-response-date",
    "numbered-request-id",
)

DROPPED_HEADERS = frozenset({
    "x-amz-security-token", "cookie", "set-cookie", "x-amz-sso_bearer_token",
    "x-amz-server-side-encryption-customer-key", "proxy-authorization",
})
REQUEST_ID_HEADERS = frozenset({"x-amzn-requestid", "x-amz-request-id", "x-amz-id-2"})
STABLE_HEADERS = {
    "amz-sdk-invocation-id": "00000000-0000-4000-8000-000000000000",
    "amz-sdk-request": "attempt=1; max=3",
    "user-agent": "aws-replay/sanitized",
    "date": "Thu, 01 Jan 2026 00:00:00 GMT",
}
SIGV4 = re.compile(r"^(?P<alg>AWS4-[A-Z0-9-]+) Credential=(?P<key>[^/,\s]*)(?P<scope>/[^,\s]*)"
                    r"(?P<rest>.*?)(?:Signature=(?P<sig>[0-9a-fA-F]*))?$")
ACCESS_KEY_FORMAT = re.compile(rf"(?:{ACCESS_KEY_PREFIXES})[A-Z0-9]{{16}}")
AMZ_DATE = re.compile(r"^(\d{8})T\d{6}Z$")
ZERO_SIGNATURE = "0" * 64
PROBE = "\x00"  # what a would-be placeholder looks like while probing: never equal to a value


# ------------------------------------------------------------------------------ user rules


@dataclass(frozen=True)
class UserPattern:
    """A user's extra pattern: every match is replaced by ``replacement``."""

    pattern: re.Pattern[str]
    replacement: str = "REDACTED"


@dataclass(frozen=True)
class SanitizeRules:
    """The user's part of the rules, from ``[tool.aws-replay.sanitize]``."""

    patterns: tuple[UserPattern, ...] = ()
    json_paths: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    allow_account_ids: frozenset[str] = field(default_factory=frozenset)


_SETTING_KEYS = ("patterns", "json_paths", "headers", "allow_account_ids")


def _string_list(table: Mapping[str, Any], key: str) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] {key} must be a list")
    return value


def rules_from_settings(settings: Mapping[str, Any]) -> SanitizeRules:
    """Parse ``[tool.aws-replay.sanitize]`` (given the whole ``[tool.aws-replay]`` table)."""
    table = section(dict(settings), "sanitize")
    unknown = sorted(set(table) - set(_SETTING_KEYS))
    if unknown:
        raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] has unknown key(s) "
                          f"{', '.join(unknown)}; known: {', '.join(_SETTING_KEYS)}")
    patterns = []
    for index, raw in enumerate(_string_list(table, "patterns")):
        if isinstance(raw, str):
            source, replacement = raw, "REDACTED"
        elif isinstance(raw, Mapping) and isinstance(raw.get("pattern"), str):
            source, replacement = raw["pattern"], str(raw.get("replacement", "REDACTED"))
        else:
            raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] patterns[{index}] must "
                              "be a regex string or a table {pattern = ..., replacement = ...}")
        try:
            patterns.append(UserPattern(re.compile(source), replacement))
        except re.error as exc:
            raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] patterns[{index}] is "
                              f"not a valid regular expression ({exc})") from None
    json_paths = []
    for raw in _string_list(table, "json_paths"):
        if not isinstance(raw, str) or not raw.startswith("$"):
            raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] json_paths entry "
                              f"{raw!r} must be a JSONPath starting with '$' ($.A.B[*].C)")
        compile_path(raw, "pyproject.toml: [tool.aws-replay.sanitize] json_paths entry")
        json_paths.append(raw)
    headers = [str(h) for h in _string_list(table, "headers")]
    allowed = set()
    for raw in _string_list(table, "allow_account_ids"):
        text = str(raw)
        if not re.fullmatch(r"\d{12}", text):
            raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] allow_account_ids entry "
                              f"{text!r} is not a 12-digit account id (quote it as a string)")
        allowed.add(text)
    return SanitizeRules(tuple(patterns), tuple(json_paths), tuple(headers), frozenset(allowed))


def redact_paths(node: Any, paths: PathSet, state: State | None = None) -> Any:
    """Every string at a path of ``paths`` replaced by ``REDACTED`` (in place where it can)."""
    if state is None:
        state = paths.start
    if isinstance(node, str):
        return "REDACTED" if paths.accepts(state) else node
    if isinstance(node, dict):
        for key in list(node):
            below = paths.step(state, key)
            if below != DEAD:
                node[key] = redact_paths(node[key], paths, below)
    elif isinstance(node, list):
        for position, item in enumerate(node):
            below = paths.step(state, position)
            if below != DEAD:
                node[position] = redact_paths(item, paths, below)
    return node

