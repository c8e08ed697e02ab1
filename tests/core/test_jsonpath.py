"""JSONPath patterns with wildcards, and the JSONPath text of a body location."""

from __future__ import annotations

from typing import Any

import pytest

from replay.core.errors import ConfigError
from replay.core.jsonpath import (
    PathSet,
    compile_path,
    format_path,
    generalise_indices,
    json_type,
    member_segment,
)

# ------------------------------------------------------------------------ JSONPath patterns


@pytest.mark.parametrize(("pattern", "steps", "expected"), [
    ("$..CreationTime", ("CreationTime",), True),
    ("$..CreationTime", ("BestCandidate", "CreationTime"), True),
    ("$..CreationTime", ("BestCandidate", "Name"), False),
    ("$.A[*].B", ("A", 3, "B"), True),
    ("$.A[*].B", ("A", "x", "B"), False),
    ("$.A[1].B", ("A", 1, "B"), True),
    ("$.A[1].B", ("A", 2, "B"), False),
    ("$.Map.*", ("Map", "any key"), True),
    ("$.Map.*", ("Map", 0), False),
    ("$['odd key'].B", ("odd key", "B"), True),
    ("$..[*]", ("A", "B", 4), True),
    ("$", (), True),
])
def test_path_patterns(pattern: str, steps: tuple[Any, ...], expected: bool) -> None:
    assert PathSet([pattern]).matches(steps) is expected


@pytest.mark.parametrize("pattern", ["CreationTime", "$.A[x]", "$.A..", "$.[", 7])
def test_bad_path_patterns_are_config_errors(pattern: Any) -> None:
    with pytest.raises(ConfigError, match="volatile path"):
        compile_path(pattern)


# ---------------------------------------------------------------------------- formatting


def test_member_segment_quotes_odd_names() -> None:
    assert member_segment("Name") == ".Name"
    assert member_segment("with space") == "['with space']"
    assert member_segment("it's") == "['it\\'s']"


@pytest.mark.parametrize(("steps", "expected"), [
    ((), "$"),
    (("AutoMLJobName",), "$.AutoMLJobName"),
    (("BestCandidate", "CandidateSteps", 2, "CandidateStepType"),
     "$.BestCandidate.CandidateSteps[2].CandidateStepType"),
    ((0, 1), "$[0][1]"),
    (("Environment", "odd key"), "$.Environment['odd key']"),
    (("it's",), "$['it\\'s']"),
    (("2nd",), "$['2nd']"),
])
def test_format_path(steps: tuple[str | int, ...], expected: str) -> None:
    assert format_path(steps) == expected


@pytest.mark.parametrize("steps", [("A", 0, "B"), ("Map", "any key", 3), ("_x", "y-z")])
def test_a_formatted_path_matches_itself_as_a_pattern(steps: tuple[str | int, ...]) -> None:
    assert PathSet([format_path(steps)]).matches(steps) is True


@pytest.mark.parametrize(("value", "expected"), [
    (None, "null"), (True, "boolean"), (False, "boolean"), (0, "number"), (1.5, "number"),
    ("", "string"), ([], "array"), ({}, "object"),
])
def test_json_type(value: Any, expected: str) -> None:
    assert json_type(value) == expected


@pytest.mark.parametrize(("path", "general"), [
    ("$.BestCandidate.CandidateSteps[2].CandidateStepType",
     "$.BestCandidate.CandidateSteps[*].CandidateStepType"),
    ("$.A[1][22].B", "$.A[*][*].B"),
    ("$['odd [3] key'][4]", "$['odd [3] key'][*]"),
    ("$.AutoMLJobSecondaryStatus", "$.AutoMLJobSecondaryStatus"),
    ("$.A[*].B", "$.A[*].B"),
    ("not a path [3]", "not a path [3]"),
])
def test_generalise_indices(path: str, general: str) -> None:
    assert generalise_indices(path) == general
