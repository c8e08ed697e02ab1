"""The one wire-body parser: strict JSON within depth, digit and size limits."""

from __future__ import annotations

import json

import pytest

from replay.core.errors import InvalidBodyError
from replay.core.jsonbody import (
    MAX_DEPTH,
    JsonBodyError,
    nests_deeper_than,
    parse_json_body,
)


@pytest.mark.parametrize(("body", "reason"), [
    (b"[" * 100_000 + b"]" * 100_000, f"nested deeper than {MAX_DEPTH} levels"),
    (b'{"a": {"b": ' * 60 + b"1" + b"}}" * 60, "nested deeper than"),
    (b'{"n": ' + b"9" * 5000 + b"}", "an integer of 5000 digits is over the 400-digit limit"),
    (b'{"n": -' + b"9" * 500 + b"}", "an integer of 500 digits"),
    (b'{"n": 1.' + b"5" * 500 + b"}", "a number of 502 characters"),
    (b'{"n": NaN}', "NaN is not a JSON number"),
    (b'{"n": Infinity}', "Infinity is not a JSON number"),
    (b'[-Infinity]', "-Infinity is not a JSON number"),
    (b"[1e999]", "the number 1e999 overflows a double"),
    (b'{"AutoMLJobName": "caf\xe9"}', "invalid UTF-8 (byte 0xe9) at char 22"),
    (b'{"a": 1, "b": {"k": 1, "k": 2}}', "duplicate key 'k' in one object"),
    (b'{"a": 1', "Expecting ',' delimiter at char 7"),
    (b"", "Expecting value at char 0"),
])
def test_hostile_bodies_are_refused_with_the_reason(body: bytes, reason: str) -> None:
    with pytest.raises(JsonBodyError) as raised:
        parse_json_body(body)
    assert reason in raised.value.reason


def test_the_error_is_a_replay_error_and_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_json_body(b"{")
    with pytest.raises(InvalidBodyError):
        parse_json_body(b"{")


@pytest.mark.parametrize("body", [
    b'{"AutoMLJobName": "my-job", "n": 12, "x": 1.5, "l": [1, {"a": null}], "t": true}',
    '{"name": "caf\u00e9 \u2603"}',
    b'{"quoted": "[[[[[[[[ \\" {{{{{{ \\\\"}',
    b"[" * MAX_DEPTH + b"]" * MAX_DEPTH,
    b'{"n": ' + b"9" * 400 + b"}",
])
def test_ordinary_json_parses_as_json_loads_does(body: bytes | str) -> None:
    assert parse_json_body(body) == json.loads(body)


def test_size_limit() -> None:
    with pytest.raises(JsonBodyError, match="a body of 12 bytes is over the 10-byte limit"):
        parse_json_body(b'{"a": "bcd"}', max_bytes=10)


@pytest.mark.parametrize(("text", "deeper"), [
    ("[[[]]]", False), ("[[[[]]]]", True), ('["[[[[[[", [[]]]', False),
    ('{"a": [{"b": []}]}', True), ('{"a": [{"b": 1}], "c": [[]]}', False), ("7", False),
])
def test_nesting_depth_counts_containers_not_brackets_in_strings(text: str,
                                                                  deeper: bool) -> None:
    assert nests_deeper_than(json.loads(text), 3) is deeper


def test_depth_just_past_the_limit_is_refused() -> None:
    body = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    with pytest.raises(JsonBodyError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_json_body(body)
