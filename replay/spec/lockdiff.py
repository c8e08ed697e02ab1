"""Model vs model: the classified differences between two spec locks, per member path.

Two member views (:func:`replay.spec.lock.member_view`) are compared path by path, never by shape
name, so a shape AWS renames without changing the wire is no change. Each difference is a
:class:`~replay.core.findings.Finding` classified from a consumer's side: what it may now receive
(``member-added``, ``enum-value-added``, ``constraint-loosened``: additive), what it may no longer
receive or rely on (``member-removed``, ``required-removed``, ``type-changed``: breaking), and
what only narrows the API (``required-added``, ``enum-value-removed``, ``constraint-tightened``:
info). Of a subtree added or removed, only its top is reported.

Example::

    lock = read_lock(Path("cassettes/spec.lock.json"))
    findings = diff_locks(lock)            # against the installed botocore
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from replay.core.findings import Finding, Severity
from replay.spec.lock import SpecLock, installed_lock

_SEVERITY = {
    "member-added": Severity.ADDITIVE, "member-removed": Severity.BREAKING,
    "required-added": Severity.INFO, "required-removed": Severity.BREAKING,
    "enum-value-added": Severity.ADDITIVE, "enum-value-removed": Severity.INFO,
    "constraint-tightened": Severity.INFO, "constraint-loosened": Severity.ADDITIVE,
    "type-changed": Severity.BREAKING,
}
"""From a consumer's side: what it may now receive (or no longer receive) from the API."""


def _bound(name: str, old: Any, new: Any) -> str | None:
    """Whether a bound change tightens or loosens (``min``: a raise tightens)."""
    if old == new:
        return None
    if old is None:
        return "constraint-tightened"
    if new is None:
        return "constraint-loosened"
    raised = new > old
    return "constraint-tightened" if raised == (name == "min") else "constraint-loosened"


def _compare_entry(path: str, old: Mapping[str, Any], new: Mapping[str, Any],
                   label: str) -> list[tuple[str, str, str, Any, Any]]:
    changes: list[tuple[str, str, str, Any, Any]] = []
    if bool(old.get("required")) != bool(new.get("required")):
        kind = "required-added" if new.get("required") else "required-removed"
        changes.append((kind, path, label + ("member became required" if new.get("required")
                                             else "member is no longer required"),
                        bool(old.get("required")), bool(new.get("required"))))
    if old.get("type") != new.get("type"):  # constraints of another type do not compare
        changes.append(("type-changed", path, f"{label}type {old.get('type')} became "
                        f"{new.get('type')}", old.get("type"), new.get("type")))
        return changes
    for flag in ("timestampFormat", "document", "union"):
        if old.get(flag) != new.get(flag):
            changes.append(("type-changed", path, f"{label}{flag} changed", old.get(flag),
                            new.get(flag)))
    old_enum, new_enum = set(old.get("enum") or ()), set(new.get("enum") or ())
    if old_enum or new_enum:
        if not old_enum or not new_enum:
            kind = "constraint-tightened" if new_enum else "constraint-loosened"
            changes.append((kind, path, label + ("now an enum" if new_enum
                                                 else "no longer an enum"),
                            sorted(old_enum) or None, sorted(new_enum) or None))
        else:
            for value in sorted(new_enum - old_enum):
                changes.append(("enum-value-added", path, f"{label}enum value {value!r} added",
                                None, value))
            for value in sorted(old_enum - new_enum):
                changes.append(("enum-value-removed", path,
                                f"{label}enum value {value!r} removed", value, None))
    for name in ("min", "max"):
        bound = _bound(name, old.get(name), new.get(name))
        if bound:
            changes.append((bound, path, f"{label}{name} {old.get(name)} became {new.get(name)}",
                            old.get(name), new.get(name)))
    if old.get("pattern") != new.get("pattern"):
        if old.get("pattern") is None:
            kind, what = "constraint-tightened", "pattern added"
        elif new.get("pattern") is None:
            kind, what = "constraint-loosened", "pattern removed"
        else:  # which of two regular expressions accepts more is undecidable here: say so
            kind, what = "constraint-tightened", "pattern changed (it may accept less)"
        changes.append((kind, path, label + what, old.get("pattern"), new.get("pattern")))
    if isinstance(old.get("key"), Mapping) and isinstance(new.get("key"), Mapping):
        changes.extend(_compare_entry(path, old["key"], new["key"], label + "map key "))
    return changes


_LAST_STEP = re.compile(r"(\.[^.\[\]]+|\[\*\]|\['(?:[^'\\]|\\.)*'\])$")


def _parent(path: str) -> str | None:
    """The member path one step up (``None`` for the root)."""
    match = _LAST_STEP.search(path)
    return path[:match.start()] if match and match.start() > 0 else None


def diff_views(old: Mapping[str, Any], new: Mapping[str, Any], *, label: str = "",
               operation: str | None = None, where: str | None = None) -> list[Finding]:
    """Classified differences between two member views, compared per member path."""
    findings: list[Finding] = []

    def add(kind: str, path: str, message: str, expected: Any, actual: Any) -> None:
        findings.append(Finding(kind, _SEVERITY[kind], path, message, expected, actual, where,
                                None, operation))

    for path, entry in new.items():
        if path not in old:
            parent = _parent(path)
            if parent is not None and parent not in old:
                continue  # only the top of an added subtree is news
            add("member-added", path, f"{label}new member ({entry.get('type')})"
                + (", required" if entry.get("required") else ""), None, entry.get("type"))
    for path, entry in old.items():
        if path not in new:
            parent = _parent(path)
            if parent is not None and parent not in new:
                continue
            add("member-removed", path, f"{label}member is gone from the model",
                entry.get("type"), None)
            continue
        for kind, where_path, message, expected, actual in _compare_entry(
                path, entry, new[path], label):
            add(kind, where_path, message, expected, actual)
    return findings


def diff_locks(old: SpecLock, new: SpecLock | None = None) -> list[Finding]:
    """``old`` vs ``new`` (default: the installed botocore), per operation and member path."""
    current = new or installed_lock(old.operations)
    where = str(old.path) if old.path is not None else None
    findings: list[Finding] = []
    for name in sorted(set(old.operations) | set(current.operations)):
        if name not in current.operations:
            findings.append(Finding("member-removed", Severity.BREAKING, "$",
                                    f"operation {name} is not in {current.name}", name, None,
                                    where, None, name))
            continue
        if name not in old.operations:
            findings.append(Finding("member-added", Severity.ADDITIVE, "$",
                                    f"operation {name} is new in {current.name}", None, name,
                                    where, None, name))
            continue
        before, after = old.operations[name], current.operations[name]
        findings.extend(diff_views(before["output"], after["output"], operation=name,
                                   where=where))
        old_errors, new_errors = before.get("errors", {}), after.get("errors", {})
        for code in sorted(set(old_errors) | set(new_errors)):
            label = f"error {code}: "
            if code not in new_errors:
                findings.append(Finding("member-removed", Severity.INFO, "$",
                                        f"error {code} is no longer modelled", code, None,
                                        where, None, name))
            elif code not in old_errors:
                findings.append(Finding("member-added", Severity.ADDITIVE, "$",
                                        f"error {code} is newly modelled", None, code, where,
                                        None, name))
            else:
                findings.extend(diff_views(old_errors[code], new_errors[code], label=label,
                                           operation=name, where=where))
    return findings
