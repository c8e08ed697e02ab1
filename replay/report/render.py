"""Findings to reports: text (default, for people), JSON (the stable shape tools read), JUnit
XML, Markdown (a GitHub job summary) and SARIF 2.1.0 (code-scanning annotations); and merging the
JSON reports of a CI matrix into one.

``render(findings, summary, fmt)`` is the one entry point; every checking command calls it.
Text groups findings per cassette and interaction, one line each: severity, path, expected,
found. Colour only on a terminal, and never when ``NO_COLOR`` is set. The machine formats live
in :mod:`replay.report.formats`.

Example::

    findings, summary = merge_reports([Path("us-east-1.json"), Path("eu-west-1.json")])
    print(render(findings, summary, "markdown"))
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from replay.core.errors import ReplayError
from replay.core.findings import FINDING_FIELDS, Finding, Severity, sort_key, summarize
from replay.report import formats as report_formats
from replay.report.formats import Subject

FORMATS = ("text", "json", "junit", "markdown", "sarif")

__all__ = ["FORMATS", "Subject", "checked_subjects", "merge_reports", "render", "render_json",
           "render_text", "short_value", "summary_line", "use_colour"]


_COLOURS = {Severity.BREAKING: "\x1b[31m", Severity.ADDITIVE: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_RESET = "\x1b[0m"


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
    extra = ""
    if summary.get("not_compared"):
        extra += f"; {summary['not_compared']} interaction(s) not compared"
    if summary.get("updated"):
        extra += f"; {len(summary['updated'])} cassette(s) updated"
    if summary.get("reports"):
        extra += f"; merged from {summary['reports']} report(s)"
    return f"{summary['total']} {noun}(s){scope}: {parts}{extra}"


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
            severity = f"{finding.severity.value:<9}"
            if colour:
                severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
            detail = f"  {severity} {finding.path}  {finding.kind}: {finding.message}"
            lines.append(detail + _expectation(finding))
    lines.append(summary_line(summary))
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


def render_json(findings: Iterable[Finding], summary: dict[str, Any]) -> str:
    document = {"findings": [f.to_dict() for f in sorted(findings, key=sort_key)],
                "summary": summary}
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def render(findings: Sequence[Finding], summary: dict[str, Any], fmt: str, *,
           colour: bool = False, fail_on: Severity = Severity.BREAKING,
           subjects: Sequence[Subject] | None = None, title: str = "aws-replay") -> str:
    """The report of ``findings`` in format ``fmt`` (one of :data:`FORMATS`).

    ``fail_on`` decides which findings are JUnit failures and which Markdown rows are marked as
    failing; ``subjects`` (what was looked at) gives JUnit a passing test case for every clean
    interaction; ``title`` heads the Markdown and names the JUnit suite.
    """
    if fmt == "json":
        return render_json(findings, summary)
    if fmt == "text":
        return render_text(findings, summary, colour=colour)
    if fmt == "junit":
        return report_formats.render_junit(findings, summary, fail_on=fail_on,
                                           subjects=subjects, title=title)
    if fmt == "markdown":
        return report_formats.render_markdown(findings, summary, fail_on=fail_on, title=title)
    if fmt == "sarif":
        return report_formats.render_sarif(findings)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------------------------- merging


def _load_report(path: Path) -> tuple[list[Finding], dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReplayError(f"{path}: no such report; pass JSON reports written with "
                          "--format json") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayError(f"{path}: cannot be read ({exc})") from None
    except ValueError as exc:
        raise ReplayError(f"{path}: is not JSON ({exc}); merge reads reports written with "
                          "--format json") from None
    if (not isinstance(document, dict) or not isinstance(document.get("findings"), list)
            or not isinstance(document.get("summary"), dict)):
        raise ReplayError(f"{path}: is not an aws-replay JSON report (it needs 'findings' and "
                          "'summary'); write reports with --format json")
    findings: list[Finding] = []
    for index, raw in enumerate(document["findings"]):
        if not isinstance(raw, dict) or not {"kind", "severity", "path", "message"} <= set(raw):
            raise ReplayError(f"{path}: finding {index} lacks kind, severity, path or message")
        try:
            findings.append(Finding.from_dict({k: raw.get(k) for k in FINDING_FIELDS}))
        except (ValueError, TypeError):
            raise ReplayError(f"{path}: finding {index} has severity {raw.get('severity')!r}; "
                              f"expected one of {', '.join(s.value for s in Severity)}") from None
    return findings, document["summary"]


def merge_reports(paths: Sequence[Path]) -> tuple[list[Finding], dict[str, Any]]:
    """The findings of several JSON reports (a CI matrix) and one summary over all of them.

    Findings are kept as they are, duplicates included: two matrix cells (two regions) that
    find the same drift each count. Cassette and interaction totals are added up when every
    report has them; ``reports`` says how many were merged.
    """
    if not paths:
        raise ReplayError("no reports to merge; pass one or more JSON reports")
    findings: list[Finding] = []
    totals: dict[str, int] = {"cassettes": 0, "interactions": 0}
    present = {"cassettes": True, "interactions": True}
    for path in paths:
        found, summary = _load_report(path)
        findings.extend(found)
        for key in totals:
            value = summary.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                totals[key] += value
            else:
                present[key] = False
    summary = summarize(
        findings,
        cassettes=totals["cassettes"] if present["cassettes"] else None,
        interactions=totals["interactions"] if present["interactions"] else None,
    )
    summary["reports"] = len(paths)
    return findings, summary


def checked_subjects(paths: Iterable[Path]) -> list[Subject]:
    """Every (cassette, interaction) under ``paths``, so JUnit lists the clean ones too."""
    from replay.cassette.file import find_cassettes, load_cassette

    subjects: list[Subject] = []
    for path in find_cassettes(paths):
        cassette = load_cassette(path)
        subjects.extend((cassette.name, index, None)
                        for index in range(len(cassette.interactions)))
    return subjects
