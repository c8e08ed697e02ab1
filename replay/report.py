"""Findings to reports: text (default, for people) and JSON (the stable shape tools read).

``render(findings, summary, fmt)`` is the one entry point; every checking command calls it.
Text groups findings per cassette and interaction, one line each: severity, path, expected,
found. Colour only on a terminal, and never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Any

from replay.findings import Finding, Severity, sort_key

FORMATS = ("text", "json")

_COLOURS = {Severity.BREAKING: "\x1b[31m", Severity.ADDITIVE: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_RESET = "\x1b[0m"


def use_colour(stream: Any) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
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
    parts = ", ".join(f"{counts[s.value]} {s.value}" for s in Severity)
    return f"{summary['total']} {noun}(s){scope}: {parts}"


def render_text(findings: Sequence[Finding], summary: dict[str, Any], *,
                colour: bool = False) -> str:
    lines: list[str] = []
    ordered = sorted(findings, key=sort_key)
    for (cassette, interaction), group in groupby(
            ordered, key=lambda f: (f.cassette, f.interaction)):
        members = list(group)
        where = cassette or "<input>"
        if interaction is not None:
            where += f" interaction {interaction}"
        operation = members[0].operation
        lines.append(f"{where}" + (f" ({operation})" if operation else ""))
        for finding in members:
            severity = finding.severity.value
            if colour:
                severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
            detail = f"  {severity:<9} {finding.path}  {finding.kind}: {finding.message}"
            if finding.expected is not None or finding.actual is not None:
                detail += (f" (expected {_short(finding.expected)}, "
                           f"found {_short(finding.actual)})")
            lines.append(detail)
    lines.append(summary_line(summary))
    return "\n".join(lines) + "\n"


def render_json(findings: Iterable[Finding], summary: dict[str, Any]) -> str:
    document = {"findings": [f.to_dict() for f in sorted(findings, key=sort_key)],
                "summary": summary}
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def render(findings: Sequence[Finding], summary: dict[str, Any], fmt: str, *,
           colour: bool = False) -> str:
    """The report of ``findings`` in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        return render_json(findings, summary)
    if fmt == "text":
        return render_text(findings, summary, colour=colour)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
