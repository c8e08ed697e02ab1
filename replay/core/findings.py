"""The findings model shared by every checking command: what was found, where, how bad.

A :class:`Finding` is one observation about one cassette interaction (or one model path): its
``kind`` (``enum``, ``missing-required``, ``member-added``, ...), a JSONPath into the body, and a
:class:`Severity`. What fails a build is the user's policy (``--fail-on``), not the finding.
The dictionary form (:meth:`Finding.to_dict`) is the stable JSON shape other tools read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters to a consumer written against the spec."""

    BREAKING = "breaking"
    ADDITIVE = "additive"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __str__(self) -> str:
        return self.value


_RANK = {Severity.INFO: 0, Severity.ADDITIVE: 1, Severity.BREAKING: 2}

SEVERITY_NAMES = tuple(s.value for s in Severity)


@dataclass(frozen=True)
class Finding:
    """One thing a check found. ``path`` is a JSONPath (``$.BestCandidate.CandidateSteps[2]``)."""

    kind: str
    severity: Severity
    path: str
    message: str
    expected: Any = None
    actual: Any = None
    cassette: str | None = None
    interaction: int | None = None
    operation: str | None = None
    known_since: str | None = None
    """The first botocore release that knows the value or member (``None``: none, or not asked)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return {key: data[key] for key in FINDING_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(kind=data["kind"], severity=Severity(data["severity"]), path=data["path"],
                   message=data["message"], expected=data.get("expected"),
                   actual=data.get("actual"), cassette=data.get("cassette"),
                   interaction=data.get("interaction"), operation=data.get("operation"),
                   known_since=data.get("known_since"))


FINDING_FIELDS = ("cassette", "interaction", "operation", "path", "kind", "severity", "message",
                  "expected", "actual", "known_since")
"""The stable field order of a finding in JSON reports."""


def at_or_above(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    """The findings whose severity is ``threshold`` or worse."""
    return [f for f in findings if f.severity.rank >= threshold.rank]


def summarize(findings: Iterable[Finding], *, cassettes: int | None = None,
              interactions: int | None = None) -> dict[str, Any]:
    """Counts by severity and kind, plus how much was looked at (for reports)."""
    listed = list(findings)
    by_severity = Counter(f.severity.value for f in listed)
    summary: dict[str, Any] = {
        "total": len(listed),
        "by_severity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "by_kind": dict(sorted(Counter(f.kind for f in listed).items())),
    }
    if cassettes is not None:
        summary["cassettes"] = cassettes
    if interactions is not None:
        summary["interactions"] = interactions
    return summary


@dataclass(frozen=True)
class FindingsRun:
    """What a checking command found, and how many cassettes and interactions it looked at."""

    findings: list[Finding]
    cassettes: int
    interactions: int

    @property
    def summary(self) -> dict[str, Any]:
        return summarize(self.findings, cassettes=self.cassettes,
                         interactions=self.interactions)


def sort_key(finding: Finding) -> tuple[str, int, str, str]:
    """Report order: cassette, interaction, path, kind."""
    return (finding.cassette or "", finding.interaction if finding.interaction is not None else -1,
            finding.path, finding.kind)


Subject = tuple[str | None, int | None, str | None]
"""What was looked at: (cassette, interaction, operation). JUnit makes one test case of each."""
