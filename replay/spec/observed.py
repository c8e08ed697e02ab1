"""What real AWS sends that no botocore model lists: the shipped knowledge of
``replay/data/observed_values.json``, and the note it adds to a finding's message.

An ``enum`` finding about a value seen in real output (``validation:accuracy`` as a SageMaker
objective metric name) is not a recording artefact: AWS keeps sending it, so code written
against the enum must handle it. The finding's severity is unchanged; the user decides, with
``aws-replay accept``.

Example::

    findings = note_observed("sagemaker:DescribeAutoMLJob", findings)
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from replay.core.findings import Finding
from replay.core.jsonpath import generalise_indices

OBSERVED_FILE = "data/observed_values.json"
_NOTED_KINDS = frozenset({"enum", "enum-value-new"})
_SERVICE_NAMES = {"sagemaker": "SageMaker"}


@dataclass(frozen=True)
class ObservedValue:
    """A value seen in real responses at ``path`` of ``operation`` (``service:Operation``)."""

    operation: str
    path: str
    value: str
    since: int
    seen: tuple[dict[str, Any], ...]


@functools.cache
def observed_values() -> dict[tuple[str, str, str], ObservedValue]:
    """The shipped values by (operation, path with ``[*]`` for indices, value)."""
    text = resources.files("replay").joinpath(OBSERVED_FILE).read_text("utf-8")
    found: dict[tuple[str, str, str], ObservedValue] = {}
    for raw in json.loads(text)["observed"]:
        seen = tuple(raw["seen"])
        entry = ObservedValue(raw["operation"], generalise_indices(raw["path"]), raw["value"],
                              min(int(s["year"]) for s in seen), seen)
        found[(entry.operation, entry.path, entry.value)] = entry
    return found


def observed_note(observed: ObservedValue) -> str:
    service = observed.operation.partition(":")[0]
    name = _SERVICE_NAMES.get(service, service)
    return (f"seen in real {name} output since {observed.since}; no botocore model lists it: "
            "code written against the enum must handle it")


def observed_for(finding: Finding) -> ObservedValue | None:
    """The shipped knowledge about ``finding``'s value, when it is an enum value seen in real
    output at that path."""
    if finding.kind not in _NOTED_KINDS or not isinstance(finding.actual, str):
        return None
    return observed_values().get((finding.operation or "", generalise_indices(finding.path),
                                  finding.actual))


def note_observed(operation: str, findings: list[Finding]) -> list[Finding]:
    """``findings`` (of ``operation``, ``service:Operation``) with the enum ones about a value
    seen in real output saying so in their message."""
    if not findings:
        return findings
    known = observed_values()
    noted = []
    for finding in findings:
        if finding.kind in _NOTED_KINDS and isinstance(finding.actual, str):
            hit = known.get((operation, generalise_indices(finding.path), finding.actual))
            if hit is not None:
                finding = replace(finding, message=f"{finding.message}; {observed_note(hit)}")
        noted.append(finding)
    return noted
