"""Findings as text, for people: grouped per cassette and interaction, one line each (severity,
path, kind, message, expected, found), and the one-line summary every command prints.

Colour (``click.style``) only on a terminal, and never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from itertools import groupby
from typing import Any

import click

from replay.core.findings import Finding, Severity, sort_key

_COLOURS = {Severity.BREAKING: "red", Severity.ADDITIVE: "yellow", Severity.INFO: "cyan"}


def use_colour(stream: Any) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def short_value(value: Any, limit: int = 80) -> str:
    """A value for one report line: JSON (strings quoted), cut at ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) \
        else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summary_line(summary: dict[str, Any], noun: str = "finding") -> str:
    """One line: how much was looked at and what was found."""
    counts = summary["by_severity"]
    looked = []
    if "cassettes" in summary:
        looked.append(f"{summary['cassettes']} cassette(s)")
    if "interactions" in summary:
        looked.append(f"{summary['interactions']} interaction(s)")
    scope = f" in {', '.join(looked)}" if looked else ""
    parts = ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in Severity)
    if summary.get("accepted"):
        parts += f", {summary['accepted']} accepted"
    extra = ""
    if summary.get("not_compared"):
        extra += f"; {summary['not_compared']} interaction(s) not compared"
    if summary.get("updated"):
        extra += f"; {len(summary['updated'])} cassette(s) updated"
    if summary.get("reports"):
        extra += f"; merged from {summary['reports']} report(s)"
    return f"{summary['total']} {noun}(s){scope}: {parts}{extra}"


def render_text(findings: Sequence[Finding], summary: dict[str, Any], *,
                colour: bool = False, show_accepted: bool = False,
                accepted_hint: str = "--show-accepted lists them") -> str:
    """One line per finding, grouped per cassette interaction, then the summary line.

    Accepted findings (in the baseline) are left out unless ``show_accepted``; the summary
    line counts them either way.
    """
    lines: list[str] = []
    shown = findings if show_accepted else [f for f in findings if not f.accepted]
    ordered = sorted(shown, key=sort_key)
    for (cassette, interaction), group in groupby(
            ordered, key=lambda f: (f.cassette, f.interaction)):
        members = list(group)
        where = cassette or "<input>"
        if interaction is not None:
            where += f" interaction {interaction}"
        operation = members[0].operation
        lines.append(f"{where}" + (f" ({operation})" if operation else ""))
        for finding in members:
            severity = f"{finding.severity.value:<9}"
            if colour:
                severity = click.style(severity, fg=_COLOURS[finding.severity])
            detail = f"  {severity} {finding.path}  {finding.kind}: {finding.message}"
            lines.append(detail + _expectation(finding) + _accepted(finding))
    hidden = len(findings) - len(shown)
    hint = f"; {accepted_hint}" if accepted_hint else ""
    lines.append(summary_line(summary)
                 + (f" ({hidden} accepted not shown{hint})" if hidden else ""))
    return "\n".join(lines) + "\n"


def _expectation(finding: Finding) -> str:
    """`` (expected X, found Y)``, leaving out what is unknown; long enums as a count."""
    parts = []
    expected = finding.expected
    if isinstance(expected, list) and len(expected) > 4:
        shown = ", ".join(str(v) for v in expected[:3])
        parts.append(f"expected one of {len(expected)} values ({shown}, ...)")
    elif expected is not None:
        parts.append(f"expected {short_value(expected)}")
    if finding.actual is not None:
        parts.append(f"found {short_value(finding.actual)}")
    return f" ({', '.join(parts)})" if parts else ""


def _accepted(finding: Finding) -> str:
    if not finding.accepted:
        return ""
    return f" [accepted: {finding.accepted_reason}]" if finding.accepted_reason \
        else " [accepted]"

