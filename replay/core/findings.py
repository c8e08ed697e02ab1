"""The findings model shared by every checking command: what was found, where, how bad.

A :class:`Finding` is one observation about one cassette interaction (or one model path): its
``kind`` (``enum``, ``missing-required``, ``member-added``, ...), a JSONPath into the body, and a
:class:`Severity`. An interaction the spec check cannot read at all (a request no model names,
a protocol it does not read) is one ``unchecked`` finding at ``info``, saying why; XML that is
not well-formed or is refused for safety is ``invalid-xml``, as JSON's is ``invalid-json``.
What fails a build is the user's policy (``--fail-on``), not the finding.
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
    accepted: bool = False
    """In the baseline (``aws-replay accept``): reported, but judged as ``info``."""
    accepted_reason: str | None = None

    def as_accepted(self, reason: str) -> Finding:
        """A copy of this finding, accepted with ``reason``.

        Copies the fields instead of running ``dataclasses.replace`` (8x slower): a baseline
        marks every finding of a large check.
        """
        accepted = object.__new__(type(self))
        accepted.__dict__.update(self.__dict__, accepted=True, accepted_reason=reason)
        return accepted

    @property
    def effective_severity(self) -> Severity:
        """What ``--fail-on`` judges: ``info`` for an accepted finding, else its severity."""
        return Severity.INFO if self.accepted else self.severity
    known_since: str | None = None
    """The first botocore release that knows the value or member (``None``: none, or not asked)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        shaped = {key: data[key] for key in FINDING_FIELDS}
        if self.accepted:  # only then: reports made without a baseline keep their shape
            shaped["accepted"] = True
            shaped["accepted_reason"] = self.accepted_reason
        return shaped

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(kind=data["kind"], severity=Severity(data["severity"]), path=data["path"],
                   message=data["message"], expected=data.get("expected"),
                   actual=data.get("actual"), cassette=data.get("cassette"),
                   interaction=data.get("interaction"), operation=data.get("operation"),
                   accepted=data.get("accepted") is True,
                   accepted_reason=data.get("accepted_reason"),
                   known_since=data.get("known_since"))


FINDING_FIELDS = ("cassette", "interaction", "operation", "path", "kind", "severity", "message",
                  "expected", "actual", "known_since")
"""The stable field order of a finding in JSON reports (then ``accepted`` and
``accepted_reason``, present only on an accepted finding)."""

ACCEPTED_FIELDS = ("accepted", "accepted_reason")


def at_or_above(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    """The findings whose severity is ``threshold`` or worse (an accepted one counts as info)."""
    return [f for f in findings if f.effective_severity.rank >= threshold.rank]


def summarize(findings: Iterable[Finding], *, cassettes: int | None = None,
              interactions: int | None = None) -> dict[str, Any]:
    """Counts by severity and kind, plus how much was looked at (for reports).

    Accepted findings count in ``total`` and ``by_kind`` and, instead of under their
    severity, in ``accepted`` (present only when there are some).
    """
    listed = list(findings)
    by_severity = Counter(f.severity.value for f in listed if not f.accepted)
    summary: dict[str, Any] = {
        "total": len(listed),
        "by_severity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "by_kind": dict(sorted(Counter(f.kind for f in listed).items())),
    }
    accepted = sum(1 for f in listed if f.accepted)
    if accepted:
        summary["accepted"] = accepted
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


def recount(summary: dict[str, Any], findings: Iterable[Finding]) -> dict[str, Any]:
    """``summary`` with its counts made again from ``findings`` (after a baseline marked some
    accepted); what was looked at, and anything else in it, is kept."""
    kept = {key: value for key, value in summary.items() if key != "accepted"}
    kept.update(summarize(findings))
    return kept
