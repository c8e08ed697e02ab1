"""What a secret looks like: the detectors the sanitizer, the leak scanner and the output gate
share.

Each :class:`TextRule` finds candidate values in raw text (access key ids, SigV4 signatures,
session tokens, secret-key-like base64 runs, account ids by context and as a bare 12-digit run);
:func:`leak_kind` says whether a candidate is a real leak (not a placeholder, not an AWS-owned
account). :func:`detect` runs both. The rules live here, below ``cassette``, because every layer
that writes output (``report``, ``serve``, ``plugin``, ``cli``) masks with them
(:mod:`replay.core.redaction`); :mod:`replay.sanitize.rules` adds the placeholders that replace
them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

from replay.core.runs import BASE64, RunScan, marks, run_spans
from replay.core.runs import DIGITS as DIGIT_CLASS

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
    runs: RunScan | None = None  # the same matches, found faster in ASCII text (core.runs)


def _rule(name: str, handler: str, pattern: str, needles: tuple[str, ...] = (),
          not_after: str | None = None, lookback: int = 0,
          runs: RunScan | None = None) -> TextRule:
    return TextRule(name, handler, re.compile(pattern), needles,
                    re.compile(not_after) if not_after else None, lookback, runs)


TEXT_RULES: tuple[TextRule, ...] = (
    # Presigned-URL credentials come first: their context starts before the value does.
    # Not a star: a value masked once (``IQoJ****...``) is not masked again.
    _rule("url_token", "redact", r"(?P<c>X-Amz-Security-Token=)(?P<v>[^&\s\"'\\*]+)",
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
    _rule("base64_run", "base64_run", r"(?<![A-Za-z0-9/+])(?P<v>[A-Za-z0-9/+]{40,}={0,2})",
          runs=RunScan(marks(BASE64), 40, padding=2)),
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
    # Any other run of exactly 12 digits with no digit on either side (``acct987654321005``,
    # ``id-987654321005-x``), except the fraction or integer part of a decimal number (a metric
    # value ``0.912345678901``) and the last group of a UUID. ``build-9876543210045`` is 13
    # digits: not an account.
    _rule("digit_run_account", "account", r"(?P<v>\d{12})(?!\d)(?!\.\d)",
          not_after=r"\d|(?<=\d)\.|-(?<=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                    r"[0-9a-fA-F]{4}-)",
          runs=RunScan(marks(DIGIT_CLASS), 12, last=12, not_before=".")),
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
    "digit_run_account": "account-id-as-12-digit-run",
    "kms_key": "kms-key-id-in-arn",
    "kms_key_field": "kms-key-id-field",
    "kms_mrk": "kms-multi-region-key-id",
    "ec2_id": "security-group-subnet-vpc-id",
}

LEAK_KINDS: dict[str, str] = {
    "url_token": "session-token",
    "session_token": "session-token",
    "long_token": "session-token",
    "signature": "sigv4-signature",
    "access_key": "access-key-id",
    "secret_key": "secret-access-key",
    "arn_account": "account-id",
    "ecr_account": "account-id",
    "bucket_account": "account-id",
    "sagemaker_bucket_account": "account-id",
    "keyword_account": "account-id",
    "path_account": "account-id",
    "string_account": "account-id",
    "escaped_account": "account-id",
    "digit_run_account": "account-id",
    "user_pattern": "user-pattern",
}
"""Detector -> leak kind. KMS and EC2 resource ids are rewritten by ``sanitize`` but are not
credentials, so neither the scanner nor the output gate treats them as leaks."""

DIGITS = re.compile(r"\d+")

# What every text rule needs somewhere in the text to match at all.
MAYBE_SECRET = re.compile(
    rf"Token=|Signature=|{ACCESS_KEY_PREFIXES}|IQoJb3JpZ2luX2Vj|ZXIvYXdzE|AQoDYXdzE"
    r"|[A-Za-z0-9/+]{40}|\d{12}|[0-9a-f]{8}-[0-9a-f]{4}-|mrk-|sg-|subnet-|vpc-")
_MAYBE_LEAK = re.compile(
    rf"Token=|Signature=|{ACCESS_KEY_PREFIXES}|IQoJb3JpZ2luX2Vj|ZXIvYXdzE|AQoDYXdzE"
    r"|[A-Za-z0-9/+]{40}|\d{12}")
_ZERO_SIGNATURE = "0" * 64


def maybe_leak(text: str) -> bool:
    """False when no detector can match anywhere in ``text`` (one search, for a quick skip of
    short texts; a long one goes to the rules, which start with literals and are faster)."""
    return len(text) >= 12 and (len(text) > 4096 or _MAYBE_LEAK.search(text) is not None)


def spans(rule: TextRule, text: str) -> Iterator[tuple[int, int]]:
    """Where ``rule``'s candidate values are in ``text`` (start, end), left to right."""
    if rule.needles and not any(needle in text for needle in rule.needles):
        return
    not_after = rule.not_after
    found = (run_spans(rule.runs, text) if rule.runs is not None and text.isascii()
             else _pattern_spans(rule, text))
    for start, end in found:
        if not_after is not None and start > 0 and not_after.match(text, start - 1):
            continue
        yield start, end


def _pattern_spans(rule: TextRule, text: str) -> Iterator[tuple[int, int]]:
    for match in rule.pattern.finditer(text):
        if rule.lookback:
            end = match.start()
            start = end - rule.lookback
            if start < 0 or not DIGITS.fullmatch(text, start, end):
                continue
            yield start, end
        else:
            yield match.span("v")


def leak_name(rule: TextRule, value: str, allowed_accounts: frozenset[str]) -> str | None:
    """The detector name (a key of :data:`LEAK_KINDS`) when ``value`` found by ``rule`` is a
    real leak; None for placeholders, allowlisted accounts and resource ids."""
    handler = rule.handler
    if handler == "account":
        if value in allowed_accounts or is_placeholder_account(value):
            return None
        return rule.name
    if handler == "redact":
        return rule.name if value != "REDACTED" else None
    if handler == "signature":
        return rule.name if value != _ZERO_SIGNATURE else None
    if handler in ("session_token", "access_key"):
        return None if is_placeholder_secret(value) else rule.name
    if handler == "base64_run":
        if not mixed(value) or is_placeholder_secret(value):
            return None
        if len(value) == 40:
            return "secret_key"
        return "long_token" if len(value) >= 200 else None
    return None


@dataclass(frozen=True)
class Detection:
    """One leak in a text: the detector's name, the value and where it is."""

    name: str
    value: str
    start: int
    end: int

    @property
    def kind(self) -> str:
        """The leak kind a report shows (``access-key-id``, ``account-id``, ...)."""
        return LEAK_KINDS.get(self.name, self.name)


_DIGIT_RUNS = RunScan(marks(DIGIT_CLASS), 12)  # every maximal run of 12 digits or more
_LONG_DIGITS = re.compile(r"\d{12,}")  # (maximal: a run is found from its first digit)


def twelve_digits(text: str) -> Iterator[str]:
    """Every run of exactly 12 digits in ``text`` (no digit on either side): a superset of the
    values the account rules find, since each rule's value is such a run (an epoch in
    milliseconds, 13 digits, is none). One scan of the text that, when every value it gives is
    harmless, stands for the nine rules (a sanitized cassette's ARNs, buckets and ids all hold
    placeholders). The tests hold every rule to it."""
    runs = (run_spans(_DIGIT_RUNS, text) if text.isascii()
            else (match.span() for match in _LONG_DIGITS.finditer(text)))
    for start, end in runs:
        if end - start == 12:
            yield text[start:end]


def _no_account_leaks(text: str, allowed: frozenset[str]) -> bool:
    """Whether every run of exactly 12 digits in ``text`` is a placeholder or an allowed
    account: then no account rule can find a leak."""
    return all(value in allowed or is_placeholder_account(value)
               for value in twelve_digits(text))


def detect(text: str, allowed_accounts: frozenset[str] | None = None) -> Iterator[Detection]:
    """Every leak in ``text``, detector by detector (a value may be found by two of them).

    ``allowed_accounts`` defaults to the AWS-owned allowlist.
    """
    if not maybe_leak(text):
        return
    allowed = aws_owned_account_ids() if allowed_accounts is None else allowed_accounts
    accounts_harmless: bool | None = None  # found out at the first account rule
    for rule in TEXT_RULES:
        if rule.name not in LEAK_KINDS and rule.handler != "base64_run":
            continue
        if rule.handler == "account":
            if accounts_harmless is None:
                accounts_harmless = _no_account_leaks(text, allowed)
            if accounts_harmless:
                continue
        for start, end in spans(rule, text):
            value = text[start:end]
            name = leak_name(rule, value, allowed)
            if name is not None:
                yield Detection(name, value, start, end)
