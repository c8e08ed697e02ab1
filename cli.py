"""The ``aws-replay`` command line: thin click commands, each calling one function of ``replay``.

Exit codes of every checking command: 0 nothing at or above ``--fail-on``, 1 findings at or
above it, 2 bad input or usage (one line on stderr, never a traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from replay import __version__
from replay.errors import ReplayError
from replay.findings import SEVERITY_NAMES, Finding, Severity, at_or_above

F = TypeVar("F", bound=Callable[..., Any])


class AwsReplayGroup(click.Group):
    """Turns every :class:`ReplayError` into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReplayError as exc:
            click.echo(f"aws-replay: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("aws-replay: interrupted; nothing was left half-written", err=True)
            ctx.exit(130)


@click.group(cls=AwsReplayGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                   "auto_envvar_prefix": "AWS_REPLAY"})
@click.version_option(__version__, prog_name="aws-replay")
def main() -> None:
    """Record, sanitize, replay and spec-check AWS SageMaker DescribeAutoMLJob exchanges."""


# ------------------------------------------------------------------------ shared options

def report_options(formats: Sequence[str]) -> Callable[[F], F]:
    """``--format``, ``--output`` and ``--fail-on``, as every checking command takes them."""

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
            "--format", "fmt", type=click.Choice(formats), default="text", show_default=True,
            help="Report format.",
        )(command)

    return decorate


def emit_report(findings: Sequence[Finding], summary: dict[str, Any], fmt: str,
                output: Path | None, fail_on: str) -> None:
    """Print (or write) the report, then exit 0 or 1 by ``--fail-on``."""
    from replay.report import render, summary_line, use_colour

    if output is not None:
        text = render(findings, summary, fmt)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReplayError(f"cannot write the report to {output}: {exc.strerror}") from None
        click.echo(f"{summary_line(summary)}; report written to {output}")
    else:
        click.echo(render(findings, summary, fmt, colour=use_colour(sys.stdout)), nl=False)
    failing = at_or_above(findings, Severity(fail_on))
    sys.exit(1 if failing else 0)


def paths_argument(command: F) -> F:
    return click.argument("paths", nargs=-1, required=True,
                          type=click.Path(path_type=Path))(command)


# ------------------------------------------------------------------------------ check

@main.command()
@paths_argument
@report_options(("text", "json"))
def check(paths: tuple[Path, ...], fmt: str, output: Path | None, fail_on: str) -> None:
    """Check cassettes against the botocore service model.

    PATHS are cassette files or folders (searched recursively for *.yaml, *.yml, *.json).
    """
    from replay.spec import check_paths

    run = check_paths(paths)
    emit_report(run.findings, run.summary, fmt, output, fail_on)


# ------------------------------------------------------------------------------ serve

@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; anything else is reachable "
                   "from the network).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on; 0 picks a free one (the URL is printed).")
@click.option("--synthetic", is_flag=True,
              help="Answer DescribeAutoMLJob for any job name with a generated spec-valid "
                   "job (the same per name; missing-* is not found) instead of cassettes.")
@click.option("--latency", "latency_ms", type=click.FloatRange(min=0), default=0.0,
              show_default=True, metavar="MS", help="Delay every answer by MS milliseconds.")
@click.option("--quiet", "-q", is_flag=True,
              help="Do not log unmatched or malformed requests to stderr.")
@click.option("--verbose", "-v", is_flag=True, help="Log every request to stderr.")
def serve(paths: tuple[Path, ...], host: str, port: int, synthetic: bool, latency_ms: float,
          quiet: bool, verbose: bool) -> None:
    """Run a local SageMaker endpoint that answers from cassettes (or --synthetic jobs).

    PATHS are cassette files or folders. Point any AWS client at the printed URL (boto3
    endpoint_url, aws --endpoint-url, AWS_ENDPOINT_URL_SAGEMAKER) with any credentials: requests
    are matched on operation and JSON parameters like the pytest plugin does, and an unmatched
    one gets a 400 NoMatchingInteraction error naming the closest recorded request. Stops
    cleanly on Ctrl-C or SIGTERM.
    """
    from replay.server import serve_until_signalled

    serve_until_signalled(paths, synthetic=synthetic, host=host, port=port,
                          latency_ms=latency_ms, quiet=quiet, verbose=verbose, echo=click.echo)


if __name__ == "__main__":
    main()
