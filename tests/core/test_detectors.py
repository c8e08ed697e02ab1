"""Runs of a character class found without ``re`` (core.runs) are what the patterns find: in
the detectors (a 12-digit account, a base64 secret) and the decoders (base64 and hex runs)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.core.detectors import TEXT_RULES, _pattern_spans, spans
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
