"""Findings as JUnit XML: one test case per cassette interaction, one ``<failure>`` per finding at
or above ``--fail-on`` (findings below it go to the test case's ``system-out``), so a CI test tab
shows which recorded exchange drifted. Accepted findings (the baseline) never fail a case; a case
with nothing but accepted findings is ``<skipped>``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from replay.core.findings import Finding, Severity, Subject, sort_key

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (a body may carry any of them)."""
    return _NOT_XML.sub("\ufffd", text)


def _case_name(interaction: int | None, operation: str | None) -> str:
    name = f"interaction {interaction}" if interaction is not None else "whole file"
    return f"{name} ({operation})" if operation else name


def _finding_line(finding: Finding) -> str:
    line = f"{finding.severity.value} {finding.path} {finding.kind}: {finding.message}"
    if finding.expected is not None or finding.actual is not None:
        line += (f" (expected {json.dumps(finding.expected, default=str)}, "
                 f"found {json.dumps(finding.actual, default=str)})")
    return line


def render_junit(findings: Sequence[Finding], summary: dict[str, Any], *,
                 fail_on: Severity = Severity.BREAKING,
                 subjects: Sequence[Subject] | None = None, title: str = "aws-replay") -> str:
    """JUnit XML: one test case per (cassette, interaction); a failure per failing finding."""
    grouped: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    operations: dict[tuple[str, int], str | None] = {}
    for finding in sorted(findings, key=sort_key):
        key = (finding.cassette or "<input>", -1 if finding.interaction is None
               else finding.interaction)
        grouped[key].append(finding)
        operations.setdefault(key, finding.operation)
    for cassette, interaction, operation in subjects or ():
        key = (cassette or "<input>", -1 if interaction is None else interaction)
        grouped.setdefault(key, [])
        if operations.get(key) is None:
            operations[key] = operation
    suites = ET.Element("testsuites", name=title)
    suite = ET.SubElement(suites, "testsuite", name=title)
    cases = failures = skipped = 0
    for key in sorted(grouped):
        cassette, interaction = key
        members = grouped[key]
        case = ET.SubElement(suite, "testcase", classname=_xml(cassette),
                             name=_xml(_case_name(None if interaction < 0 else interaction,
                                                  operations.get(key))))
        cases += 1
        below: list[str] = []
        failed = False
        for finding in members:
            if finding.accepted:
                below.append(_xml(f"accepted ({finding.accepted_reason or 'baseline'}): "
                                  + _finding_line(finding)))
            elif finding.severity.rank >= fail_on.rank:
                failure = ET.SubElement(case, "failure", type=_xml(finding.kind),
                                        message=_xml(f"{finding.path}: {finding.message}"))
                failure.text = _xml(_finding_line(finding))
                failed = True
            else:
                below.append(_xml(_finding_line(finding)))
        failures += failed
        # a case whose every finding is accepted is skipped: seen in the CI tab, not failing
        if members and all(f.accepted for f in members):
            accepted = len(members)
            ET.SubElement(case, "skipped", message=_xml(
                f"{accepted} accepted finding(s) (aws-replay baseline): "
                + "; ".join(f"{f.path} {f.kind}" for f in members[:5])
                + ("; ..." if accepted > 5 else "")))
            skipped += 1
        if below:
            ET.SubElement(case, "system-out").text = "\n".join(below)
    for element in (suites, suite):
        element.set("tests", str(cases))
        element.set("failures", str(failures))
        element.set("errors", "0")
    suite.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


