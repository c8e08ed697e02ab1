"""Volatile paths: their settings, normalising, and the fast equality of two bodies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.core.errors import ConfigError
from replay.core.findings import Severity
from replay.core.jsonpath import compile_path
from replay.drift.volatile import (
    DEFAULT_VOLATILE_PATHS,
    DriftSettings,
    drift_settings,
    load_drift_settings,
    normalise,
    output_prefixes,
    same_modulo_volatile,
)
from tests.support.drift import changes, rerecorded

# ---------------------------------------------------------------- what a diff ignores


def test_removed_volatile_member_is_still_drift(full_body: dict[str, Any]) -> None:
    new = copy.deepcopy(full_body)
    del new["EndTime"]
    assert changes(full_body, new) == [("member-removed", Severity.BREAKING, "$.EndTime")]


def test_integer_and_float_spellings_of_a_number_are_equal(full_body: dict[str, Any]) -> None:
    new = copy.deepcopy(full_body)
    new["AutoMLJobConfig"]["CompletionCriteria"]["MaxCandidates"] = 10.0
    old = copy.deepcopy(full_body)
    old["AutoMLJobConfig"]["CompletionCriteria"]["MaxCandidates"] = 10
    assert changes(old, new) == []


def test_volatile_paths_are_configurable(full_body: dict[str, Any]) -> None:
    new = dict(full_body, FailureReason="another reason")
    assert changes(full_body, new) == [("value-changed", Severity.INFO, "$.FailureReason")]
    quiet = drift_settings({"extra_volatile_paths": ["$.FailureReason"]})
    assert changes(full_body, new, settings=quiet) == []
    strict = drift_settings({"volatile_paths": ["$.Nothing"], "output_prefix_paths": []})
    assert ("value-changed", Severity.INFO, "$.CreationTime") in changes(
        full_body, rerecorded(full_body), settings=strict)


# --------------------------------------------------------------------------- normalising


def test_default_volatile_paths_all_compile() -> None:
    for pattern in DEFAULT_VOLATILE_PATHS:
        assert compile_path(pattern)


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.integers() | st.text(max_size=4) | st.none(),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["CreationTime", "A", "B"]), inner,
                                      max_size=3), max_leaves=15))
def test_normalising_twice_changes_nothing_more(value: Any) -> None:
    drift = DriftSettings()
    once = normalise(value, drift)
    assert normalise(once, drift) == once


def test_normalise_keeps_presence_and_type(full_body: dict[str, Any]) -> None:
    normal = normalise(full_body, DriftSettings())
    assert normal["CreationTime"] == "<volatile number>"
    assert normal["BestCandidate"]["CreationTime"] == "<volatile number>"
    assert normal["AutoMLJobName"] == full_body["AutoMLJobName"]


_keys = st.sampled_from(["CreationTime", "Name", "Steps", "Value", "Flag"])


_json = st.recursive(st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["a", "b"]),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_keys, inner, max_size=3), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_json, _json, st.booleans())
def test_fast_equality_agrees_with_comparing_normalised_bodies(old: Any, other: Any,
                                                               copy_it: bool) -> None:
    from replay.drift.volatile import same_modulo_volatile

    drift = drift_settings({"volatile_paths": ["$..CreationTime", "$.Steps[*].Name"]})
    new = copy.deepcopy(old) if copy_it else other
    slow = json.dumps(normalise(old, drift), sort_keys=True) == json.dumps(
        normalise(new, drift), sort_keys=True)
    assert same_modulo_volatile(old, new, drift) is slow


# ------------------------------------------------------------------------------ settings


def test_an_empty_volatile_list_turns_the_defaults_off() -> None:
    assert drift_settings({"volatile_paths": []}).volatile_paths == ()


def test_settings_come_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.aws-replay.drift]\nextra_volatile_paths = ["$.FailureReason"]\n')
    loaded = load_drift_settings(tmp_path)
    assert loaded.volatile_paths == (*DEFAULT_VOLATILE_PATHS, "$.FailureReason")


@pytest.mark.parametrize(("table", "message"), [
    ({"volatile": ["$.A"]}, "does not know volatile; use extra_volatile_paths"),
    ({"volatile_paths": "$.A"}, "volatile_paths must be a list of JSONPath strings"),
    ({"extra_volatile_paths": ["A"]}, "volatile path 'A' is not a JSONPath"),
])
def test_bad_settings_are_config_errors(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        drift_settings(table)


# ------------------------------------------------------------------------ output prefixes


@pytest.mark.parametrize(("body", "table", "expected"), [
    ({"OutputDataConfig": {"S3OutputPath": "s3://bucket/out/"}}, {}, ("s3://bucket/out/",)),
    ({"OutputDataConfig": {"S3OutputPath": "s3://bucket/out"}}, {}, ("s3://bucket/out/",)),
    ({"OutputDataConfig": {"S3OutputPath": ""}}, {}, ()),
    ({"OutputDataConfig": {"S3OutputPath": 7}}, {}, ()),
    ({"OutputDataConfig": {}}, {}, ()),
    ({"OutputDataConfig": {"S3OutputPath": "s3://bucket/out"}}, {"output_prefix_paths": []}, ()),
    ([{"Path": "s3://a"}, {"Path": "s3://b/"}], {"output_prefix_paths": ["$[*].Path"]},
     ("s3://a/", "s3://b/")),
])
def test_output_prefixes(body: Any, table: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert output_prefixes(body, drift_settings(table)) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("s3://bucket/out/run-1/model.tar.gz", "<volatile string>"),
    ("s3://bucket/out/", "<volatile string>"),
    ("s3://bucket/outside/model.tar.gz", "s3://bucket/outside/model.tar.gz"),
    ("s3://bucket/out", "s3://bucket/out"),
    (7, 7),
])
def test_strings_under_an_output_prefix_are_volatile(value: Any, expected: Any) -> None:
    body = {"Deep": [{"Url": value}]}
    assert normalise(body, DriftSettings(), ("s3://bucket/out/",)) == {"Deep": [{"Url": expected}]}
    assert same_modulo_volatile(body, {"Deep": [{"Url": "s3://bucket/out/other"}]},
                                DriftSettings(), ("s3://bucket/out/",)) is (
        expected == "<volatile string>")
