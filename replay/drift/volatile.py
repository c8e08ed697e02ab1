"""What a recording-vs-recording diff ignores: volatile paths, and where they come from.

Values at volatile paths (timestamps, candidate and step names, metric values, S3 object keys
under the job's output prefix) change on every re-recording of an unchanged job. They are set
aside by :func:`same_modulo_volatile` (the fast equality of two parsed bodies) and replaced by a
marker of their JSON type by :func:`normalise` (before a real diff), so their presence and type
still count. The paths come from ``[tool.aws-replay.drift]`` (:func:`load_drift_settings`).

Example::

    settings = drift_settings({"extra_volatile_paths": ["$.FailureReason"]})
    prefixes = output_prefixes(old, settings) + output_prefixes(new, settings)
    same_modulo_volatile(old, new, settings, prefixes)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replay.core.config import load_settings, section
from replay.core.errors import ConfigError
from replay.core.jsonpath import DEAD, PathSet, State, json_type

# ------------------------------------------------------------------------------- settings

DEFAULT_VOLATILE_PATHS = (
    "$..CreationTime",
    "$..LastModifiedTime",
    "$..EndTime",
    "$.BestCandidate.CandidateName",
    "$.BestCandidate.CandidateSteps[*].CandidateStepName",
    "$.BestCandidate.CandidateSteps[*].CandidateStepArn",
    "$.BestCandidate.FinalAutoMLJobObjectiveMetric.Value",
    "$.BestCandidate.CandidateProperties.CandidateMetrics[*].Value",
    "$.ModelDeployResult.EndpointName",
    "$.BestCandidate.InferenceContainers[*].ModelDataUrl",
    "$.BestCandidate.InferenceContainerDefinitions.*[*].ModelDataUrl",
    "$.BestCandidate.CandidateProperties.CandidateArtifactLocations.*",
    "$.AutoMLJobArtifacts.*",
)
"""Ignored by default: timestamps, candidate and step names, metric values, generated names,
and the S3 keys of a run's artifacts (model data, reports, notebooks)."""

DEFAULT_OUTPUT_PREFIX_PATHS = ("$.OutputDataConfig.S3OutputPath",)
"""Strings under the S3 prefix found at these paths (artifacts, model data) are volatile."""


@dataclass(frozen=True)
class DriftSettings:
    """What a recording-vs-recording diff ignores: ``[tool.aws-replay.drift]``."""

    volatile_paths: tuple[str, ...] = DEFAULT_VOLATILE_PATHS
    output_prefix_paths: tuple[str, ...] = DEFAULT_OUTPUT_PREFIX_PATHS
    volatile: PathSet = field(init=False, repr=False, compare=False)
    prefixes: PathSet = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "volatile", PathSet(self.volatile_paths))
        object.__setattr__(self, "prefixes", PathSet(self.output_prefix_paths))


def _path_list(table: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"pyproject.toml: [tool.aws-replay.drift] {key} must be a list of "
                          "JSONPath strings")
    return tuple(value)


def drift_settings(table: Mapping[str, Any]) -> DriftSettings:
    """Settings from a ``[tool.aws-replay.drift]`` table.

    ``volatile_paths`` replaces the defaults, ``extra_volatile_paths`` adds to them,
    ``output_prefix_paths`` names where a job's S3 output prefix is (``[]`` turns that rule off).
    """
    known = {"volatile_paths", "extra_volatile_paths", "output_prefix_paths"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"pyproject.toml: [tool.aws-replay.drift] does not know "
                          f"{', '.join(unknown)}; use {', '.join(sorted(known))}")
    replaced = _path_list(table, "volatile_paths")
    volatile = DEFAULT_VOLATILE_PATHS if replaced is None else replaced
    volatile += _path_list(table, "extra_volatile_paths") or ()
    prefixes = _path_list(table, "output_prefix_paths")
    return DriftSettings(volatile, DEFAULT_OUTPUT_PREFIX_PATHS if prefixes is None else prefixes)


def load_drift_settings(start: Path | None = None) -> DriftSettings:
    """The drift settings of the nearest ``pyproject.toml`` (defaults without one)."""
    return drift_settings(section(load_settings(start), "drift"))


# --------------------------------------------------------------------------- normalisation


def _marker(value: Any) -> str:
    if isinstance(value, str) and value.startswith("<volatile ") and value.endswith(">"):
        return value  # already normalised: normalising is idempotent
    return f"<volatile {json_type(value)}>"


def output_prefixes(body: Any, settings: DriftSettings) -> tuple[str, ...]:
    """The S3 output prefixes ``body`` names at the settings' output prefix paths, each ending
    in ``/`` (strings under them are volatile)."""
    found: list[str] = []
    paths = settings.prefixes

    def walk(value: Any, state: State) -> None:
        if paths.accepts(state) and isinstance(value, str) and value:
            found.append(value.rstrip("/") + "/")
        if isinstance(value, dict):
            for key, child in value.items():
                following = paths.step(state, key)
                if following != DEAD:
                    walk(child, following)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                following = paths.step(state, index)
                if following != DEAD:
                    walk(child, following)

    if settings.output_prefix_paths:
        walk(body, paths.start)
    return tuple(found)


def normalise(body: Any, settings: DriftSettings, prefixes: tuple[str, ...] = ()) -> Any:
    """``body`` with volatile values replaced by ``"<volatile TYPE>"`` (presence and JSON type
    stay visible, so a removed or retyped volatile member is still drift)."""
    volatile = settings.volatile
    accepting, moves, step = volatile.accepting, volatile.moves, volatile.step

    def walk(value: Any, state: State) -> Any:
        # hot loop: one dict lookup per member, no copy of subtrees no pattern can reach
        if accepting[state]:
            return _marker(value)
        kind = type(value)
        if kind is dict:
            if state == DEAD and not prefixes:
                return value
            result = {}
            for key, child in value.items():
                following = moves.get((state, key))
                if following is None:
                    following = step(state, key)
                result[key] = walk(child, following)
            return result
        if kind is list:
            if state == DEAD and not prefixes:
                return value
            return [walk(child, step(state, index)) for index, child in enumerate(value)]
        if prefixes and kind is str and value.startswith(prefixes):
            return _marker(value)
        return value

    return walk(body, volatile.start)


_NUMBERS = (int, float)


def same_modulo_volatile(old: Any, new: Any, settings: DriftSettings,
                         prefixes: tuple[str, ...] = ()) -> bool:
    """Whether two parsed bodies are equal once volatile values are set aside.

    The same answer as comparing :func:`normalise`-d bodies, in one walk over both that builds
    nothing and stops at the first difference: the cost of an equal pair is about the cost of
    a JSON comparison. JSON numbers compare by value (``1 == 1.0``); booleans never equal
    numbers.
    """
    volatile = settings.volatile
    accepting, moves, step = volatile.accepting, volatile.moves, volatile.step

    def same(a: Any, b: Any, state: State) -> bool:
        if accepting[state]:
            return json_type(a) == json_type(b)
        kind = type(a)
        if kind is dict:
            if type(b) is not dict or len(a) != len(b):
                return False
            for key, child in a.items():
                if key not in b:
                    return False
                following = moves.get((state, key))
                if following is None:
                    following = step(state, key)
                if not same(child, b[key], following):
                    return False
            return True
        if kind is list:
            if type(b) is not list or len(a) != len(b):
                return False
            for index, child in enumerate(a):
                following = moves.get((state, index))
                if following is None:
                    following = step(state, index)
                if not same(child, b[index], following):
                    return False
            return True
        if kind is str:
            if prefixes and a.startswith(prefixes):
                return type(b) is str and b.startswith(prefixes)
            return type(b) is str and a == b and not (prefixes and b.startswith(prefixes))
        if kind is not type(b):
            return kind in _NUMBERS and type(b) in _NUMBERS and a == b
        return bool(a == b)

    return same(old, new, volatile.start)
