"""Findings as Markdown: a summary table and per-cassette details, fit for a GitHub job summary
(``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from replay.core.findings import Finding, Severity, sort_key
from replay.report.text import summary_line

MARKDOWN_ROW_LIMIT = 500
"""GitHub caps a job summary at 1 MiB; past this many rows the rest is only counted."""

_ICONS = {Severity.BREAKING: ":x:", Severity.ADDITIVE: ":warning:",
          Severity.INFO: ":information_source:"}


def _clip(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= 120 else text[:117] + "..."


def _cell(value: Any) -> str:
    """Table text: a pipe would end the cell, ``<`` would start an HTML tag."""
    text = _clip(value).replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(value: Any) -> str:
    """A value as a code span (nothing inside is markup; a table still needs ``\\|``)."""
    if value is None:
        return ""
    text = _clip(value)
    if not text or "`" in text:
        return _cell(json.dumps(text))
    return "`" + text.replace("|", "\\|") + "`"


def render_markdown(findings: Sequence[Finding], summary: dict[str, Any], *,
                    fail_on: Severity = Severity.BREAKING, title: str = "aws-replay") -> str:
    """A summary table and per-cassette details, fit for ``$GITHUB_STEP_SUMMARY``."""
    failing = sum(1 for f in findings if f.effective_severity.rank >= fail_on.rank)
    verdict = (f":x: **{failing} finding(s) at or above `{fail_on.value}`**" if failing
               else f":white_check_mark: nothing at or above `{fail_on.value}`")
    lines = [f"## {title}", "", f"{verdict}: {summary_line(summary)}", "",
             "| severity | findings |", "|---|---:|"]
    counts = summary.get("by_severity", {})
    for severity in Severity:
        lines.append(f"| {_ICONS[severity]} {severity.value} | {counts.get(severity.value, 0)} |")
    by_kind = Counter(f.kind for f in findings)
    if by_kind:
        lines += ["", "| kind | findings |", "|---|---:|"]
        lines += [f"| `{kind}` | {count} |" for kind, count in sorted(by_kind.items())]
    shown = 0
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, *sort_key(f)))
    by_cassette: dict[str, list[Finding]] = defaultdict(list)
    for finding in ordered:
        by_cassette[finding.cassette or "<input>"].append(finding)
    if by_cassette:
        lines += ["", "### Findings per cassette"]
    for cassette, members in sorted(by_cassette.items(),
                                    key=lambda item: (-item[1][0].severity.rank, item[0])):
        if shown >= MARKDOWN_ROW_LIMIT:
            break
        tally = Counter(f.severity for f in members)
        counted = ", ".join(f"{tally[s]} {s.value}" for s in Severity if tally[s])
        opened = " open" if any(f.effective_severity.rank >= fail_on.rank
                                for f in members) else ""
        lines += ["", f"<details{opened}><summary><code>{_cell(cassette)}</code>: {counted}"
                      "</summary>", "",
                  "| interaction | severity | path | kind | message | expected | found |",
                  "|---:|---|---|---|---|---|---|"]
        for finding in members:
            if shown >= MARKDOWN_ROW_LIMIT:
                break
            shown += 1
            interaction = "" if finding.interaction is None else str(finding.interaction)
            lines.append(
                f"| {interaction} | {_severity_cell(finding)} "
                f"| {_code(finding.path)} | `{finding.kind}` | {_cell(finding.message)} "
                f"| {_code(finding.expected)} | {_code(finding.actual)} |")
        lines += ["", "</details>"]
    if len(findings) > shown:
        lines += ["", f"{len(findings) - shown} more finding(s) not shown; see the JSON or "
                      "SARIF report."]
    return "\n".join(lines) + "\n"


def _severity_cell(finding: Finding) -> str:
    cell = f"{_ICONS[finding.severity]} {finding.severity.value}"
    return f":white_check_mark: accepted ({finding.severity.value})" if finding.accepted \
        else cell

