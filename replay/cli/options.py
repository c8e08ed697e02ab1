"""Options and report writing that every checking command shares."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from replay.core.findings import SEVERITY_NAMES, Finding, Severity, at_or_above

F = TypeVar("F", bound=Callable[..., Any])


# ------------------------------------------------------------------------ shared options

def report_options(formats: Sequence[str] | None = None) -> Callable[[F], F]:
    """``--format``, ``--output`` and ``--fail-on``, as every checking command takes them.

    ``formats`` defaults to every report format (text, json, junit, markdown, sarif).
    """
    from replay.report.render import FORMATS

    choices = tuple(formats or FORMATS)

    def decorate(command: F) -> F:
        command = click.option(
            "--fail-on", type=click.Choice(SEVERITY_NAMES), default="breaking",
            show_default=True, help="Exit 1 when a finding is at or above this severity.",
        )(command)
        command = click.option(
            "--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
            help="Write the report to FILE and print a one-line summary.",
        )(command)
        return click.option(
            "--format", "fmt", type=click.Choice(choices), default="text", show_default=True,
            help="Report format (junit and sarif for CI, markdown for a job summary).",
        )(command)

    return decorate


def write_text_report(output: Path, text: str) -> None:
    """Write a report file atomically (folder created); an unwritable path is bad input (exit 2).

    The text passes the output gate (:func:`replay.core.redaction.redact`) like stdout does."""
    from replay.core.atomic import atomic_writer
    from replay.core.redaction import redact

    with atomic_writer(output) as handle:  # an OSError is one WriteError line (exit 2)
        handle.write(redact(text))


def write_report(findings: Sequence[Finding], summary: dict[str, Any], fmt: str,
                 output: Path | None, fail_on: str, *,
                 subjects: Sequence[Any] | None = None, title: str = "aws-replay",
                 show_accepted: bool = False) -> int:
    """Print (or write to ``output``) the report; the exit code ``--fail-on`` asks for."""
    from replay.report.render import render
    from replay.report.text import summary_line, use_colour

    threshold = Severity(fail_on)
    if output is not None:
        text = render(findings, summary, fmt, fail_on=threshold, subjects=subjects, title=title,
                      show_accepted=show_accepted)
        write_text_report(output, text)
        click.echo(f"{summary_line(summary)}; report written to {output}")
    else:
        click.echo(render(findings, summary, fmt, colour=use_colour(sys.stdout),
                          fail_on=threshold, subjects=subjects, title=title,
                          show_accepted=show_accepted), nl=False)
    return 1 if at_or_above(findings, threshold) else 0


def emit_report(findings: Sequence[Finding], summary: dict[str, Any], fmt: str,
                output: Path | None, fail_on: str, *,
                subjects: Sequence[Any] | None = None, title: str = "aws-replay",
                show_accepted: bool = False) -> None:
    """Print (or write) the report, then exit 0 or 1 by ``--fail-on``."""
    sys.exit(write_report(findings, summary, fmt, output, fail_on, subjects=subjects,
                          title=title, show_accepted=show_accepted))


def paths_argument(command: F) -> F:
    return click.argument("paths", nargs=-1, required=True,
                          type=click.Path(path_type=Path))(command)


def jobs_option(command: F) -> F:
    """``--jobs/-j N``: processes for many cassettes (default: one per available CPU)."""
    return click.option(
        "--jobs", "-j", type=click.IntRange(min=1), default=None,
        help="Processes for many cassettes (default: one per available CPU); the report and "
             "the exit code are those of --jobs 1.")(command)
