"""The baseline: facts about the API the user has accepted, so the findings they explain stop
failing a build while everything else still does.

An entry accepts a **fact about the API**, not a cassette: ``{operation, path, kind, value}``,
with list indices in ``path`` generalised to ``[*]`` (``LogLoss`` accepted at
``CandidateMetrics[4]`` is accepted at every index, in every cassette). Value kinds (``enum``,
``pattern``, ``length``, ``range``, ...) accept exactly one value: a different value at the same
path is a new finding. Structural kinds (``unknown-member``, ``missing-required``, ...) name the
member in ``path`` and carry no value.

The file (``aws-replay-baseline.json`` beside ``pyproject.toml``, or ``baseline = "PATH"`` in
``[tool.aws-replay]``) is JSON, sorted, one entry per fact, written atomically, and read
strictly: anything malformed is a :class:`ConfigError` naming the file and the entry.

Example::

    baseline = load_baseline()                     # None when there is no baseline file
    findings = baseline.apply(findings) if baseline else findings
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from replay.core.atomic import atomic_writer
from replay.core.config import find_pyproject, load_settings
from replay.core.errors import ConfigError
from replay.core.findings import Finding
from replay.core.jsonbody import parse_json_body
from replay.core.jsonpath import generalise_indices, json_type

BASELINE_FILE = "aws-replay-baseline.json"
BASELINE_VERSION = 1

VALUE_KINDS = frozenset({
    "enum", "pattern", "length", "range", "list-length", "map-length", "type",
    "timestamp-format", "unknown-error", "unexpected-status",
    "enum-value-new", "value-changed", "type-changed", "status-changed",
})
"""Kinds whose entry accepts one value (for ``type`` kinds: the JSON type that was found)."""

STRUCTURAL_KINDS = frozenset({
    "unknown-member", "missing-required", "invalid-json", "invalid-xml", "unsupported-pattern",
    "unchecked",
    "member-added", "member-removed",
})
"""Kinds whose entry accepts the fact at ``path`` whatever the value."""

KNOWN_KINDS = VALUE_KINDS | STRUCTURAL_KINDS

_TYPE_KINDS = frozenset({"type"})  # type-changed already reports the JSON type names
_ENTRY_KEYS = ("operation", "path", "kind", "value", "reason", "accepted_at")

_SAME_FACT = {"enum-value-new": "enum"}
"""Kinds that state the same fact as another: a value the model's enum does not list is an
``enum`` finding to ``check`` and ``enum-value-new`` to ``diff``; one entry accepts both."""

ValueKey = tuple[str, Any]
FactKey = tuple[str | None, str, str, ValueKey | None]
"""(operation, generalised path, kind, the value as compared, or ``None``)."""


def _canonical(value: Any) -> ValueKey:
    """The value as JSON compares it: ``1`` equals ``1.0`` but not ``true``; objects and arrays
    by their canonical JSON text. Scalars skip ``json.dumps``: this runs once per finding."""
    kind = type(value)
    if kind is str:
        return ("s", value)
    if kind is bool or value is None:
        return ("c", value)
    if kind is int or kind is float:
        return ("n", value)
    return ("j", json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def fact_value(finding: Finding) -> Any:
    """The value an entry for ``finding`` accepts: what was found (for ``type``: its JSON type)."""
    if finding.kind in _TYPE_KINDS:
        return json_type(finding.actual)
    return finding.actual


def fact_key(finding: Finding) -> FactKey:
    """What a baseline entry must match to accept ``finding``."""
    value = _canonical(fact_value(finding)) if finding.kind in VALUE_KINDS else None
    kind = _SAME_FACT.get(finding.kind, finding.kind)
    return (finding.operation, generalise_indices(finding.path), kind, value)


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted fact; ``value`` is meaningful only for :data:`VALUE_KINDS`."""

    operation: str | None
    path: str
    kind: str
    value: Any = None
    reason: str = ""
    accepted_at: str = ""

    @property
    def key(self) -> FactKey:
        value = _canonical(self.value) if self.kind in VALUE_KINDS else None
        kind = _SAME_FACT.get(self.kind, self.kind)
        return (self.operation, generalise_indices(self.path), kind, value)

    @classmethod
    def for_finding(cls, finding: Finding, reason: str, accepted_at: str | None = None,
                    ) -> BaselineEntry:
        return cls(operation=finding.operation, path=generalise_indices(finding.path),
                   kind=finding.kind,
                   value=fact_value(finding) if finding.kind in VALUE_KINDS else None,
                   reason=reason, accepted_at=accepted_at or _now())

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"operation": self.operation, "path": self.path,
                                "kind": self.kind}
        if self.kind in VALUE_KINDS:
            data["value"] = self.value
        data["reason"] = self.reason
        data["accepted_at"] = self.accepted_at
        return data

    def describe(self) -> str:
        """One line: ``sagemaker:DescribeAutoMLJob $.X enum 'V'``."""
        value = f" {self.value!r}" if self.kind in VALUE_KINDS else ""
        return f"{self.operation or '<any operation>'} {self.path} {self.kind}{value}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sort_key(entry: BaselineEntry) -> tuple[str, str, str, str]:
    value = json.dumps(entry.value, sort_keys=True, ensure_ascii=False) \
        if entry.kind in VALUE_KINDS else ""
    return (entry.operation or "", entry.path, entry.kind, value)


class Baseline:
    """The accepted facts of one file, indexed for one dictionary lookup per finding."""

    def __init__(self, entries: Iterable[BaselineEntry] = (), path: Path | None = None) -> None:
        self.path = path
        self._entries: dict[FactKey, BaselineEntry] = {}
        for entry in entries:
            self._entries.setdefault(entry.key, entry)

    @property
    def entries(self) -> list[BaselineEntry]:
        """Sorted by operation, path, kind and value: the order of the file."""
        return sorted(self._entries.values(), key=_sort_key)

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, finding: Finding) -> BaselineEntry | None:
        """The entry that accepts ``finding``, if any."""
        return self._entries.get(fact_key(finding))

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """``findings`` with the accepted ones marked (``accepted``, ``accepted_reason``)."""
        entries = self._entries
        if not entries:
            return list(findings)
        marked = []
        for finding in findings:
            entry = entries.get(fact_key(finding))
            if entry is not None and not finding.accepted:
                finding = finding.as_accepted(entry.reason)
            marked.append(finding)
        return marked

    def add(self, entry: BaselineEntry) -> bool:
        """Add ``entry``; ``False`` when the fact was already accepted."""
        if entry.key in self._entries:
            return False
        self._entries[entry.key] = entry
        return True

    def remove(self, entries: Iterable[BaselineEntry]) -> None:
        for entry in entries:
            self._entries.pop(entry.key, None)

    def unmatched(self, findings: Iterable[Finding]) -> list[BaselineEntry]:
        """Entries that accept none of ``findings`` (stale, as far as those findings go)."""
        used = {fact_key(f) for f in findings}
        return [entry for entry in self.entries if entry.key not in used]

    def to_text(self) -> str:
        document = {"version": BASELINE_VERSION,
                    "accepted": [entry.to_dict() for entry in self.entries]}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------ reading


def _entry(raw: Any, index: int, where: Path) -> BaselineEntry:
    at = f"{where}: entry {index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at} is {json_type(raw)}, not an object "
                          "{operation, path, kind, value, reason, accepted_at}")
    unknown = sorted(set(raw) - set(_ENTRY_KEYS))
    if unknown:
        raise ConfigError(f"{at} has unknown key(s) {', '.join(unknown)}; an entry has "
                          f"{', '.join(_ENTRY_KEYS)}")
    kind, path = raw.get("kind"), raw.get("path")
    if not isinstance(kind, str) or kind not in KNOWN_KINDS:
        raise ConfigError(f"{at} has unknown kind {kind!r}; known: "
                          f"{', '.join(sorted(KNOWN_KINDS))}")
    if not isinstance(path, str) or not path.startswith("$"):
        raise ConfigError(f"{at} ({kind}) has path {path!r}; it must be a JSONPath like "
                          "'$.BestCandidate.CandidateSteps[*].CandidateStepType'")
    operation = raw.get("operation")
    if operation is not None and not isinstance(operation, str):
        raise ConfigError(f"{at} ({kind} at {path}) has operation {operation!r}; it must be "
                          "a string like 'sagemaker:DescribeAutoMLJob'")
    if kind in VALUE_KINDS and "value" not in raw:
        raise ConfigError(f"{at} ({kind} at {path}) has no value; a {kind} entry accepts "
                          "exactly one value")
    if kind in STRUCTURAL_KINDS and "value" in raw:
        raise ConfigError(f"{at} ({kind} at {path}) has a value; a {kind} entry names the "
                          "member in its path and has none")
    for name in ("reason", "accepted_at"):
        if not isinstance(raw.get(name, ""), str):
            raise ConfigError(f"{at} ({kind} at {path}) has {name} {raw[name]!r}; it must be "
                              "text")
    return BaselineEntry(operation=operation, path=generalise_indices(path), kind=kind,
                         value=raw.get("value"), reason=raw.get("reason", ""),
                         accepted_at=raw.get("accepted_at", ""))


def parse_baseline(text: str, path: Path) -> Baseline:
    """A baseline from the text of ``path``; anything malformed is a :class:`ConfigError`."""
    try:
        document = parse_json_body(text)  # bounded: a hostile file is one line, not a crash
    except ValueError as exc:
        raise ConfigError(f"{path}: is not JSON ({exc}); fix it, or delete it and run "
                          "aws-replay accept again") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: is {json_type(document)}, not a baseline; a baseline is "
                          f'an object {{"version": {BASELINE_VERSION}, "accepted": [...]}}')
    version = document.get("version")
    if version != BASELINE_VERSION or isinstance(version, bool):
        raise ConfigError(f"{path}: has version {version!r}; this aws-replay reads baseline "
                          f"version {BASELINE_VERSION}")
    unknown = sorted(set(document) - {"version", "accepted"})
    if unknown:
        raise ConfigError(f"{path}: has unknown key(s) {', '.join(unknown)}; a baseline has "
                          "version and accepted")
    raw_entries = document.get("accepted", [])
    if not isinstance(raw_entries, list):
        raise ConfigError(f"{path}: 'accepted' is {json_type(raw_entries)}, not a list of "
                          "entries")
    return Baseline((_entry(raw, index, path) for index, raw in enumerate(raw_entries)), path)


def read_baseline(path: Path) -> Baseline:
    """The baseline in ``path``; unreadable or malformed is a :class:`ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such baseline; create it with aws-replay accept "
                          f"PATH... --baseline {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{path}: the baseline cannot be read ({reason})") from None
    return parse_baseline(text, path)


def write_baseline(baseline: Baseline, path: Path) -> None:
    """Write ``baseline`` to ``path`` atomically (a reader sees the old file or the new one)."""
    text = baseline.to_text()
    with atomic_writer(path) as stream:  # an OSError comes out as one WriteError line
        stream.write(text)


# ---------------------------------------------------------------------------- finding it


def default_baseline_path(start: Path | None = None) -> Path:
    """Where the baseline is when none is named: ``baseline = "PATH"`` in ``[tool.aws-replay]``
    (relative to that ``pyproject.toml``), else ``aws-replay-baseline.json`` beside the nearest
    ``pyproject.toml`` at or above ``start``, else in ``start`` (default: the working folder)."""
    here = (start or Path.cwd()).resolve()
    pyproject = find_pyproject(here)
    if pyproject is None:
        return here / BASELINE_FILE
    setting = load_settings(pyproject=pyproject).get("baseline")
    if setting is None:
        return pyproject.parent / BASELINE_FILE
    if not isinstance(setting, str) or not setting.strip():
        raise ConfigError(f"{pyproject}: [tool.aws-replay] baseline must be a path (text), "
                          f"got {setting!r}")
    return pyproject.parent / setting


def load_baseline(explicit: Path | None = None, *, disabled: bool = False,
                  start: Path | None = None) -> Baseline | None:
    """The baseline a checking command honours, or ``None``.

    ``explicit`` (``--baseline FILE``) must exist; the default one is read when it exists.
    ``disabled`` (``--no-baseline``) ignores both.
    """
    if disabled:
        return None
    if explicit is not None:
        return read_baseline(explicit)
    path = default_baseline_path(start)
    return read_baseline(path) if path.is_file() else None


def mark_accepted(findings: Sequence[Finding], baseline: Baseline | None) -> list[Finding]:
    """``findings`` marked by ``baseline`` (unchanged without one)."""
    return baseline.apply(findings) if baseline is not None else list(findings)
