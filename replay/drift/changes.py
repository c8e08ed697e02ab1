"""Classified changes between two normalised response bodies, judged against the model.

deepdiff finds what changed between two JSON bodies (after :func:`prune_equal` drops the
members they share, so it only walks what differs); each change becomes a
:class:`~replay.core.findings.Finding` with a JSONPath and a severity from the operation's output
shape: ``member-added`` (additive), ``member-removed`` and ``type-changed`` (breaking),
``enum-value-new`` (breaking when the model does not list the value, additive when it does),
``value-changed`` (info). Values at volatile paths arrive as ``"<volatile TYPE>"`` markers
(:func:`replay.drift.volatile.normalise`): only a change of their type counts.

Example::

    findings = classify_changes(normalise(old, settings), normalise(new, settings),
                                operation_model.output_shape)
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from replay.core.findings import Finding, Severity
from replay.core.jsonpath import format_path, json_type
from replay.spec.servicemodel import Shape

_NUMBERS = (int, float)

_SEVERITY = {"member-added": Severity.ADDITIVE, "member-removed": Severity.BREAKING,
             "type-changed": Severity.BREAKING, "value-changed": Severity.INFO,
             "status-changed": Severity.BREAKING}


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


def classify_changes(old: Any, new: Any, shape: Shape | None) -> list[Finding]:
    """Every change from ``old`` to ``new`` (normalised bodies that differ), classified against
    ``shape``, the operation's output shape (``None``: no model, so no enum or member checks)."""
    return _Classifier(old, new, shape).run()
