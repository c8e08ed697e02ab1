"""Recording vs recording: pair two sets of cassettes and classify every change in the bodies.

Cassettes are paired by relative path, interactions by operation + parameters (the k-th
identical request with the k-th, so recorded lifecycles pair in order). Bodies are parsed and
*normalised* first: values at volatile paths (timestamps, candidate and step names, metric
values, S3 object keys under the job's output prefix) are replaced by a marker of their JSON
type, so a re-recording of an unchanged job compares equal at the cost of a JSON comparison.
Only pairs that still differ go through deepdiff, whose changes are classified against the
operation's model: ``member-added``, ``member-removed``, ``type-changed``, ``enum-value-new``
(breaking when the model does not list the value), ``value-changed``, ``status-changed``.

Example::

    run = diff_paths(Path("cassettes-2025"), Path("cassettes"))
    for finding in run.findings:
        print(finding.severity, finding.cassette, finding.path, finding.kind)
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from botocore.model import OperationModel, Shape

from replay.cassette import Cassette, Interaction, find_cassettes, parse_cassette
from replay.config import load_settings, section
from replay.errors import CassetteError, ConfigError, ReplayError
from replay.findings import Finding, Severity, summarize
from replay.matchers import key_of_recorded
from replay.operations import identify_operation
from replay.report_formats import Subject

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

# ------------------------------------------------------------------------- JSONPath patterns

_STEP = re.compile(r"(\.\.|\.)(\*|[^.\[\]]+)|(\.\.)?\[(\*|\d+)\]|(\.\.)?\['((?:[^'\\]|\\.)*)'\]")

Token = tuple[str, str | int | None]  # ("key", name) ("anykey") ("index", n) ("anyindex") ("..")


def compile_path(pattern: str) -> tuple[Token, ...]:
    """A JSONPath with wildcards (``$..Time``, ``$.A[*].B``, ``$.Map.*``) as match tokens."""
    if not isinstance(pattern, str) or not pattern.startswith("$"):
        raise ConfigError(f"volatile path {pattern!r} is not a JSONPath; write it like "
                          "'$.BestCandidate.CandidateSteps[*].CandidateStepName'")
    tokens: list[Token] = []
    position = 1
    while position < len(pattern):
        match = _STEP.match(pattern, position)
        if match is None:
            raise ConfigError(f"volatile path {pattern!r}: cannot read it from "
                              f"{pattern[position:]!r}; use .Name, .*, [N], [*], ['odd key'] "
                              "or ..Name (any depth)")
        dots, name, descend_index, index, descend_quoted, quoted = match.groups()
        if dots == ".." or descend_index or descend_quoted:
            tokens.append(("..", None))
        if name == "*":
            tokens.append(("anykey", None))
        elif name is not None:
            tokens.append(("key", name))
        elif index == "*":
            tokens.append(("anyindex", None))
        elif index is not None:
            tokens.append(("index", int(index)))
        else:
            tokens.append(("key", re.sub(r"\\(.)", r"\1", quoted)))
        position = match.end()
    return tuple(tokens)


def _token_matches(token: Token, step: str | int) -> bool:
    kind, value = token
    if kind == "key":
        return step == value
    if kind == "anykey":
        return isinstance(step, str)
    if kind == "index":
        return step == value and isinstance(step, int)
    return isinstance(step, int)  # anyindex


NfaState = frozenset[tuple[int, int]]
State = int
"""A state of the lazily built automaton; 0 is dead (no pattern can match below)."""

DEAD: State = 0


class PathSet:
    """A set of JSONPath patterns, matched step by step while walking a body.

    The patterns form an NFA over path steps; its state sets are numbered as they are met
    (a DFA built lazily), so walking a body costs one dictionary lookup per member.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._tokens = [compile_path(p) for p in self.patterns]
        self._sets: list[NfaState] = [frozenset()]
        self._ids: dict[NfaState, State] = {frozenset(): DEAD}
        self.accepting: list[bool] = [False]
        self.moves: dict[tuple[State, str | int], State] = {}
        self.start = self._intern(frozenset((i, 0) for i in range(len(self._tokens))))

    def _intern(self, states: NfaState) -> State:
        found = self._ids.get(states)
        if found is None:
            found = self._ids[states] = len(self._sets)
            self._sets.append(states)
            self.accepting.append(any(position == len(self._tokens[pattern])
                                      for pattern, position in states))
        return found

    def step(self, state: State, step: str | int) -> State:
        """The state after one more path step (a member name or a list index)."""
        key = (state, step)
        found = self.moves.get(key)
        if found is not None:
            return found
        following: set[tuple[int, int]] = set()
        for pattern, position in self._sets[state]:
            tokens = self._tokens[pattern]
            if position >= len(tokens):
                continue
            token = tokens[position]
            if token[0] == "..":
                following.add((pattern, position))  # descend further
                if position + 1 < len(tokens) and _token_matches(tokens[position + 1], step):
                    following.add((pattern, position + 2))
            elif _token_matches(token, step):
                following.add((pattern, position + 1))
        result = self._intern(frozenset(following))
        if len(self.moves) < 200_000:  # bodies with endless distinct map keys stay bounded
            self.moves[key] = result
        return result

    def accepts(self, state: State) -> bool:
        return self.accepting[state]

    def matches(self, steps: Sequence[str | int]) -> bool:
        state = self.start
        for step in steps:
            state = self.step(state, step)
            if state == DEAD:
                return False
        return self.accepting[state]


# -------------------------------------------------------------------------------- settings


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


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _marker(value: Any) -> str:
    if isinstance(value, str) and value.startswith("<volatile ") and value.endswith(">"):
        return value  # already normalised: normalising is idempotent
    return f"<volatile {json_type(value)}>"


def _output_prefixes(body: Any, settings: DriftSettings) -> tuple[str, ...]:
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


# -------------------------------------------------------------------------- classification

_SEVERITY = {"member-added": Severity.ADDITIVE, "member-removed": Severity.BREAKING,
             "type-changed": Severity.BREAKING, "value-changed": Severity.INFO,
             "status-changed": Severity.BREAKING}


def format_path(steps: Sequence[str | int]) -> str:
    """``('A', 2, 'odd key')`` as ``$.A[2]['odd key']`` (the spec checker's JSONPath style)."""
    from replay.spec import member_segment

    return "$" + "".join(f"[{s}]" if isinstance(s, int) else member_segment(s) for s in steps)


def shape_at(shape: Shape | None, steps: Sequence[str | int]) -> Shape | None:
    """The model shape of the body value at ``steps`` (``None`` where the model has none)."""
    for step in steps:
        if shape is None:
            return None
        kind = shape.type_name
        if kind == "structure" and isinstance(step, str):
            shape = shape.members.get(step)
        elif kind == "list" and isinstance(step, int):
            shape = shape.member
        elif kind == "map" and isinstance(step, str):
            shape = shape.value
        else:
            return None
    return shape


def _member_key(shape: Shape | None, steps: Sequence[str | int]) -> tuple[str | int, ...]:
    """Steps with list indices and map keys generalised, so every element shares one key."""
    key: list[str | int] = []
    for step in steps:
        kind = shape.type_name if shape is not None else None
        key.append("*" if isinstance(step, int) or kind == "map" else step)
        shape = shape_at(shape, [step]) if shape is not None else None
    return tuple(key)


def _values_by_member(body: Any, shape: Shape | None) -> dict[tuple[str | int, ...], set[Any]]:
    """Every scalar of ``body`` grouped by member key (what values each member has had)."""
    seen: dict[tuple[str | int, ...], set[Any]] = defaultdict(set)

    def walk(value: Any, steps: list[str | int]) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, [*steps, key])
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, [*steps, index])
        elif isinstance(value, str):
            seen[_member_key(shape, steps)].add(value)

    walk(body, [])
    return seen


def _enum_of(shape: Shape | None) -> list[str] | None:
    enum = getattr(shape, "enum", None) if shape is not None else None
    return list(enum) if enum else None


def _identical(a: Any, b: Any) -> bool:
    """JSON equality of two normalised values (``==`` would take ``true`` for ``1``)."""
    if a != b:
        return False
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or (
        type(a) in _NUMBERS and type(b) in _NUMBERS)


def prune_equal(old: Any, new: Any) -> tuple[Any, Any]:
    """Both values without the object members they share unchanged (recursively), so deepdiff
    only walks what differs: its cost grows with what it is given, not with what changed."""
    if type(old) is not dict or type(new) is not dict:
        return old, new
    kept_old: dict[str, Any] = {}
    kept_new: dict[str, Any] = {}
    for key, value in old.items():
        if key not in new:
            kept_old[key] = value
        elif not _identical(value, new[key]):
            kept_old[key], kept_new[key] = prune_equal(value, new[key])
    for key, value in new.items():
        if key not in old:
            kept_new[key] = value
    return kept_old, kept_new


class _Classifier:
    def __init__(self, old: Any, new: Any, shape: Shape | None) -> None:
        self.whole_old = old
        self.old, self.new = prune_equal(old, new)
        self.shape = shape
        self._old_values: dict[tuple[str | int, ...], set[Any]] | None = None
        self.findings: list[Finding] = []

    def old_values(self, steps: Sequence[str | int]) -> set[Any]:
        if self._old_values is None:
            self._old_values = _values_by_member(self.whole_old, self.shape)
        return self._old_values.get(_member_key(self.shape, steps), set())

    def add(self, kind: str, steps: Sequence[str | int], message: str, expected: Any,
            actual: Any, severity: Severity | None = None) -> None:
        self.findings.append(Finding(kind, severity or _SEVERITY[kind], format_path(steps),
                                     message, expected, actual))

    def value(self, steps: list[str | int], before: Any, after: Any, added: bool) -> None:
        """A scalar that changed (or a list item that appeared when ``added``)."""
        if isinstance(after, str) and after.startswith("<volatile "):
            if isinstance(before, str) and before.startswith("<volatile "):
                self.add("type-changed", steps, f"volatile member changed type from "
                         f"{before[10:-1]} to {after[10:-1]}", before[10:-1], after[10:-1])
            return
        shape = shape_at(self.shape, steps)
        enum = _enum_of(shape)
        if enum is not None and isinstance(after, str) and after not in self.old_values(steps):
            listed = after in enum
            enum_name = shape.name if shape is not None else "?"
            self.add("enum-value-new", steps,
                     f"value {after!r} is new here; "
                     + (f"enum {enum_name} lists it" if listed
                        else f"enum {enum_name} does not list it"),
                     sorted(self.old_values(steps)) if listed else enum, after,
                     Severity.ADDITIVE if listed else Severity.BREAKING)
        elif added:
            self.add("value-changed", steps, "a list item was added", None, after)
        else:
            self.add("value-changed", steps, "value changed", before, after)

    def run(self) -> list[Finding]:
        from deepdiff import DeepDiff

        # numeric type changes are handled below: deepdiff's own option also equates bools
        diff = DeepDiff(self.old, self.new, view="tree")
        for change, levels in diff.items():
            for level in levels:
                steps: list[str | int] = list(level.path(output_format="list"))
                before, after = level.t1, level.t2
                if change == "dictionary_item_added":
                    known = shape_at(self.shape, steps) is not None
                    self.add("member-added", steps,
                             "new member" + ("" if known or self.shape is None
                                             else ", not in the model"), None, after)
                elif change == "dictionary_item_removed":
                    self.add("member-removed", steps, "member is gone", before, None)
                elif change == "type_changes" and type(before) in _NUMBERS \
                        and type(after) in _NUMBERS:
                    if before != after:  # 1 and 1.0 are one JSON number
                        self.value(steps, before, after, added=False)
                elif change == "type_changes":
                    self.add("type-changed", steps,
                             f"was a JSON {json_type(before)}, is a JSON {json_type(after)}",
                             json_type(before), json_type(after))
                elif change == "values_changed":
                    self.value(steps, before, after, added=False)
                elif change == "iterable_item_added":
                    self.value(steps, None, after, added=True)
                elif change == "iterable_item_removed":
                    self.add("value-changed", steps, "a list item was removed", before, None)
                else:
                    self.add("value-changed", steps, change.replace("_", " "), before, after)
        return self.findings


def _parse(body: bytes) -> tuple[bool, Any]:
    if not body.strip():
        return True, {}
    try:
        return True, json.loads(body)
    except ValueError:
        return False, None


def _operation_model(interaction: Interaction) -> tuple[str | None, OperationModel | None]:
    try:
        ref = identify_operation(interaction.request)
        return f"{ref.service}:{ref.operation}", ref.model
    except ReplayError:
        return None, None


def diff_interactions(old: Interaction, new: Interaction,
                      settings: DriftSettings | None = None,
                      operation: OperationModel | None = None) -> list[Finding]:
    """The classified changes from ``old`` to ``new`` (the same request, answered twice)."""
    settings = settings or DriftSettings()
    if operation is None:
        name, model = _operation_model(old)
    else:
        name, model = f"{operation.service_model.service_name}:{operation.name}", operation
    findings = _diff_responses(old, new, settings, model)
    return [replace(f, operation=name) for f in findings]


def _diff_responses(old: Interaction, new: Interaction, settings: DriftSettings,
                    model: OperationModel | None) -> list[Finding]:
    before, after = old.response, new.response
    if before.status != after.status:
        code = ""
        ok, parsed = _parse(after.body)
        if ok and isinstance(parsed, dict) and after.status >= 400:
            from replay.spec import error_code_of

            error = error_code_of(parsed, after.headers)
            code = f" ({error})" if error else ""
        return [Finding("status-changed", Severity.BREAKING, "$",
                        f"HTTP status changed from {before.status} to {after.status}{code}",
                        before.status, after.status)]
    if before.body == after.body:
        return []
    old_ok, old_body = _parse(before.body)
    new_ok, new_body = _parse(after.body)
    if not (old_ok and new_ok):
        if old_ok == new_ok:
            return [Finding("value-changed", Severity.INFO, "$", "non-JSON body changed")]
        return [Finding("type-changed", Severity.BREAKING, "$",
                        "body is no longer JSON" if old_ok else "body became JSON",
                        "JSON" if old_ok else "not JSON", "not JSON" if old_ok else "JSON")]
    prefixes = _output_prefixes(old_body, settings) + _output_prefixes(new_body, settings)
    # the common case, a re-recording with only volatile changes, ends here: no deepdiff
    if same_modulo_volatile(old_body, new_body, settings, prefixes):
        return []
    old_norm = normalise(old_body, settings, prefixes)
    new_norm = normalise(new_body, settings, prefixes)
    shape = None
    if model is not None:
        shape = model.output_shape if before.status < 400 else None
    return _Classifier(old_norm, new_norm, shape).run()


# ------------------------------------------------------------------------------- pairing


def pair_interactions(old: Cassette, new: Cassette) -> tuple[
        list[tuple[int, int]], list[int], list[int]]:
    """Pairs of (old index, new index) by operation + parameters, k-th with k-th; then the
    unpaired old and new indexes."""
    waiting: dict[Any, list[int]] = defaultdict(list)
    for index, interaction in enumerate(new.interactions):
        waiting[key_of_recorded(interaction.request)].append(index)
    pairs: list[tuple[int, int]] = []
    unpaired_old: list[int] = []
    for index, interaction in enumerate(old.interactions):
        queue = waiting.get(key_of_recorded(interaction.request))
        if queue:
            pairs.append((index, queue.pop(0)))
        else:
            unpaired_old.append(index)
    unpaired_new = sorted(i for queue in waiting.values() for i in queue)
    return pairs, unpaired_old, unpaired_new


def diff_cassettes(old: Cassette, new: Cassette, settings: DriftSettings | None = None,
                   name: str | None = None) -> list[Finding]:
    """Every classified change between two recordings of the same requests."""
    settings = settings or DriftSettings()
    label = name or new.name
    findings: list[Finding] = []
    pairs, gone, extra = pair_interactions(old, new)
    models: dict[Any, tuple[str | None, OperationModel | None]] = {}
    for old_index, new_index in pairs:
        interaction = old.interactions[old_index]
        target = interaction.request.header("X-Amz-Target")
        if target not in models:
            models[target] = _operation_model(interaction)
        operation, model = models[target]
        for finding in _diff_responses(interaction, new.interactions[new_index], settings, model):
            findings.append(replace(finding, cassette=label, interaction=new_index,
                                    operation=operation))
    for index in gone:
        request = old.interactions[index].request
        findings.append(Finding(
            "interaction-removed", Severity.INFO, "$",
            f"old interaction {index} ({key_of_recorded(request).describe()}) has no "
            "counterpart in the new recording", None, None, label, None,
            _operation_model(old.interactions[index])[0]))
    for index in extra:
        request = new.interactions[index].request
        findings.append(Finding(
            "interaction-added", Severity.INFO, "$",
            f"{key_of_recorded(request).describe()} was not in the old recording",
            None, None, label, index, _operation_model(new.interactions[index])[0]))
    return findings


@dataclass(frozen=True)
class DiffRun:
    """The outcome of a recording-vs-recording diff."""

    findings: list[Finding]
    cassettes: int
    interactions: int
    subjects: list[Subject] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, Any]:
        return summarize(self.findings, cassettes=self.cassettes,
                         interactions=self.interactions)


def _pair_files(old: Path, new: Path) -> list[tuple[Path | None, Path | None, str]]:
    if not old.exists():
        raise ReplayError(f"{old}: no such file or folder (OLD)")
    if not new.exists():
        raise ReplayError(f"{new}: no such file or folder (NEW)")
    if old.is_dir() != new.is_dir():
        raise ReplayError(f"OLD ({old}) and NEW ({new}) must both be cassette files or both "
                          "be folders of cassettes")
    if not old.is_dir():
        return [(old, new, str(new))]
    old_files = {p.relative_to(old).as_posix(): p for p in find_cassettes([old])}
    new_files = {p.relative_to(new).as_posix(): p for p in find_cassettes([new])}
    names = sorted(set(old_files) | set(new_files))
    return [(old_files.get(n), new_files.get(n), str(new_files.get(n) or old_files[n]))
            for n in names]


Triple = tuple[Path | None, Path | None, str]
_Part = tuple[list[Finding], list[Subject], int, int]

PARALLEL_MIN_PAIRS = 400
"""From this many cassette pairs on, the diff is spread over processes (parsing YAML is the
cost that remains once equal bodies skip deepdiff)."""


def _diff_pairs(triples: Sequence[Triple], settings: DriftSettings) -> _Part:
    findings: list[Finding] = []
    subjects: list[Subject] = []
    interactions = compared = 0
    for old_file, new_file, label in triples:
        if old_file is None or new_file is None:
            findings.append(Finding(
                "cassette-added" if old_file is None else "cassette-removed", Severity.INFO, "$",
                "cassette only in NEW" if old_file is None else "cassette only in OLD (no "
                "counterpart in NEW)", None, None, label))
            subjects.append((label, None, None))
            continue
        new_raw = _read(new_file)
        cassette = parse_cassette(new_raw, new_file)
        old_raw = _read(old_file)
        if old_raw != new_raw:  # byte-identical recordings cost one parse, no comparison
            findings.extend(diff_cassettes(parse_cassette(old_raw, old_file), cassette,
                                           settings, label))
        compared += 1
        interactions += len(cassette.interactions)
        subjects.extend((label, i, None) for i in range(len(cassette.interactions)))
    return findings, subjects, compared, interactions


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteError(f"{path}: is not UTF-8 text; cassettes are YAML or JSON text") \
            from None
    except OSError as exc:
        raise CassetteError(f"{path}: cannot be read ({exc.strerror})") from None


def _available_cpus() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def diff_paths(old: Path, new: Path, settings: DriftSettings | None = None, *,
               workers: int | None = None) -> DiffRun:
    """Diff OLD and NEW: two cassettes, or two folders paired by relative path.

    Large folders are diffed by ``workers`` processes (default: one per available CPU).
    """
    settings = settings or load_drift_settings()
    triples = _pair_files(old, new)
    workers = _available_cpus() if workers is None else workers
    # the first pair runs here: it loads the model and warms the caches the workers inherit
    parts = [_diff_pairs(triples[:1], settings)]
    rest = triples[1:]
    if workers > 1 and len(rest) >= PARALLEL_MIN_PAIRS:
        from concurrent.futures import ProcessPoolExecutor

        size = max(50, len(rest) // (workers * 4))
        chunks = [rest[i:i + size] for i in range(0, len(rest), size)]
        with ProcessPoolExecutor(max_workers=min(workers, 8)) as pool:
            parts.extend(pool.map(_diff_pairs, chunks, [settings] * len(chunks)))
    elif rest:
        parts.append(_diff_pairs(rest, settings))
    findings = [f for part in parts for f in part[0]]
    subjects = [s for part in parts for s in part[1]]
    return DiffRun(findings, sum(p[2] for p in parts), sum(p[3] for p in parts), subjects)
