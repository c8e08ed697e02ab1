"""Findings to reports: ``render(findings, summary, fmt)`` is the one entry point every checking
command calls; text for people (:mod:`replay.report.text`), JSON (the stable shape tools read),
JUnit XML, Markdown and SARIF each in a module of its own.

It is also the redaction gate of every report: the values a finding quotes (message, expected,
found) are masked before a format cuts them short, and the whole report is masked again
(:func:`replay.core.redaction.redact`) before it is returned, so no format can print an access
key id, a secret key, a token, a signature or an account id the way it was found.

Example::

    findings, summary = merge_reports([Path("us-east-1.json"), Path("eu-west-1.json")])
    print(render(findings, summary, "markdown"))
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from replay.core.detectors import maybe_leak
from replay.core.findings import Finding, Severity, Subject, sort_key
from replay.core.redaction import redact, redact_value
from replay.report.text import render_text

# junit, markdown and sarif are imported when asked for: every checking command's start-up
# (a pre-commit run, an xdist worker) would pay for them otherwise

FORMATS = ("text", "json", "junit", "markdown", "sarif")
_CUTTING = frozenset({"text", "markdown"})
_QUOTED = ("path", "message", "expected", "actual", "operation")


def gated(finding: Finding) -> Finding:
    """``finding`` with the values it quotes masked (the file it names is kept: SARIF reads it)."""
    probe = "\n".join(repr(getattr(finding, name)) for name in _QUOTED)
    if not maybe_leak(probe):
        return finding
    masked = {name: redact_value(getattr(finding, name))
              for name in _QUOTED}
    if all(masked[name] == getattr(finding, name) for name in masked):
        return finding
    copy = object.__new__(type(finding))
    copy.__dict__.update(finding.__dict__, **masked)
    return copy


def render_json(findings: Iterable[Finding], summary: dict[str, Any]) -> str:
    """The JSON report (masked like every report: JSON cuts nothing short, so the text is)."""
    return redact(_json(findings, summary))


def _json(findings: Iterable[Finding], summary: dict[str, Any]) -> str:
    document = {"findings": [f.to_dict() for f in sorted(findings, key=sort_key)],
                "summary": summary}
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def render(findings: Sequence[Finding], summary: dict[str, Any], fmt: str, *,
           colour: bool = False, fail_on: Severity = Severity.BREAKING,
           subjects: Sequence[Subject] | None = None, title: str = "aws-replay",
           show_accepted: bool = False) -> str:
    """The report of ``findings`` in format ``fmt`` (one of :data:`FORMATS`).

    ``fail_on`` decides which findings are JUnit failures and which Markdown rows are marked as
    failing; ``subjects`` (what was looked at) gives JUnit a passing test case for every clean
    interaction; ``title`` heads the Markdown and names the JUnit suite. Accepted findings
    (a baseline) are in every format but text, which lists them only with ``show_accepted``;
    ``summary["baseline"]`` (the file applied) gives SARIF results their ``baselineState``.
    Every value a secret detector finds is masked (``AKIA****************``).
    """
    if fmt in _CUTTING:  # these cut long values short: mask them before they are cut
        findings = [gated(f) for f in findings]
    return redact(_render(findings, summary, fmt, colour=colour, fail_on=fail_on,
                          subjects=subjects, title=title, show_accepted=show_accepted))


def _render(findings: Sequence[Finding], summary: dict[str, Any], fmt: str, *,
            colour: bool, fail_on: Severity, subjects: Sequence[Subject] | None, title: str,
            show_accepted: bool) -> str:
    if fmt == "json":
        return _json(findings, summary)
    if fmt == "text":
        return render_text(findings, summary, colour=colour, show_accepted=show_accepted)
    if fmt == "junit":
        from replay.report.junit import render_junit

        return render_junit(findings, summary, fail_on=fail_on, subjects=subjects,
                            title=title)
    if fmt == "markdown":
        from replay.report.markdown import render_markdown

        return render_markdown(findings, summary, fail_on=fail_on, title=title)
    if fmt == "sarif":
        from replay.report.sarif import render_sarif

        return render_sarif(findings, baseline=bool(summary.get("baseline")))
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
