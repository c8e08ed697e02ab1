"""Runs of a character class found without ``re`` (core.runs) are what the patterns find: in
the detectors (a 12-digit account, a base64 secret) and the decoders (base64 and hex runs)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.core import detectors
from replay.core.detectors import LEAK_KINDS, TEXT_RULES, _pattern_spans, spans
from replay.core.runs import RunScan, run_spans
from replay.sanitize import decoders

RUN_RULES = [rule for rule in TEXT_RULES if rule.runs is not None]
# each scanner and the pattern it stands for (a rule's value group, a decoder's whole match)
SCANNERS: list[tuple[str, RunScan, object]] = [
    *[(rule.name, rule.runs, rule) for rule in RUN_RULES if rule.runs is not None],
    ("base64 segments", decoders._BASE64_SCAN, decoders._BASE64_RUN),
    ("hex segments", decoders._HEX_SCAN, decoders._HEX_RUN),
]
# what the patterns turn on: digits, hex and base64 letters, "=", a decimal point, the
# characters around accounts and UUIDs, a line break, and runs just short of each length
_PIECES = st.sampled_from(["0", "1", "7", "9", "a", "f", "F", "Z", "/", "+", "=", ".", "-", " ",
                           '"', "\n", "x", "000000000001", "123456789012", "9" * 11, "A" * 39,
                           "Ab9/" * 10, "==", ".5", "f" * 8 + "-", "ab12" * 6, "0" * 23])


def pattern_spans(pattern: object, text: str) -> list[tuple[int, int]]:
    if isinstance(pattern, re.Pattern):
        return [match.span() for match in pattern.finditer(text)]
    return list(_pattern_spans(pattern, text))  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "scan", "pattern"), SCANNERS, ids=[s[0] for s in SCANNERS])
@given(st.lists(_PIECES, max_size=40).map("".join))
@settings(max_examples=400, deadline=None)
def test_the_run_scanner_finds_what_the_pattern_finds(name: str, scan: RunScan,
                                                      pattern: object, text: str) -> None:
    assert list(run_spans(scan, text)) == pattern_spans(pattern, text)


@pytest.mark.parametrize(("text", "found"), [
    ("acct 123456789012 and 0.123456789012 and 1234567890123", ["123456789012"]),
    ("id 123456789012.5 or 123456789012. end", ["123456789012"]),
    ("key " + "Ab9/" * 10 + "=== then " + "x" * 39, ["Ab9/" * 10 + "=="]),
])
def test_the_rules_with_a_run_scanner_still_find_their_values(text: str,
                                                             found: list[str]) -> None:
    values = [text[start:end] for rule in RUN_RULES for start, end in spans(rule, text)]
    assert values == found
    non_ascii = "é " + text  # the pattern itself reads non-ASCII text
    assert [non_ascii[start:end] for rule in RUN_RULES
            for start, end in spans(rule, non_ascii)] == found


def test_a_base64_secret_inside_base64_is_still_decoded_and_found() -> None:
    import base64

    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz"
    wrapped = base64.b64encode(f'{{"SecretAccessKey": "{secret}"}}'.encode()).decode()
    for text in (f"body: {wrapped}\n", f"body é: {wrapped}\n"):  # ASCII, and not
        views = [view.text for view in decoders.views(text)]
        assert any(secret in view for view in views)


# what the account rules turn on: their contexts (ARNs, buckets, ECR hosts, keywords, paths,
# quotes), placeholder, allowlisted and real ids, longer runs, and a non-ASCII digit
_ACCOUNT_PIECES = st.sampled_from([
    "arn:aws:iam::", ":role/x", "s3://bucket-", "sagemaker-us-east-1-", ".dkr.ecr.", "account: ",
    "/", '"', '\\"', " ", "-", ".", "0", "5", "\n", "000000000000", "000000000007",
    "123456789012", "763104351884", "0000000000012", "9876543210987", "\u0663", "é"])


@given(st.lists(_ACCOUNT_PIECES, max_size=30).map("".join))
@settings(max_examples=600, deadline=None)
def test_skipping_the_account_rules_when_every_id_is_harmless_finds_the_same_leaks(
        text: str) -> None:
    # the one scan that rules out every account leak must never hide one the rules find
    allowed = detectors.aws_owned_account_ids()
    assert "763104351884" in allowed
    every_rule = [(rule.name, text[start:end]) for rule in TEXT_RULES
                  if rule.handler == "account" for start, end in spans(rule, text)
                  if detectors.leak_name(rule, text[start:end], allowed) is not None]
    found = [(leak.name, leak.value) for leak in detectors.detect(text)
             if LEAK_KINDS.get(leak.name) == "account-id"]
    assert sorted(found) == sorted(every_rule)


def test_a_real_account_among_placeholders_is_still_found() -> None:
    text = ("arn:aws:iam::000000000000:role/a arn:aws:iam::123456789012:role/b "
            "s3://sagemaker-us-east-1-000000000001/x")
    assert [(leak.name, leak.value) for leak in detectors.detect(text)] == [
        ("arn_account", "123456789012"), ("digit_run_account", "123456789012")]
    assert list(detectors.detect(text.replace("123456789012", "000000000002"))) == []
