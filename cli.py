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

def report_options(formats: Sequence[str] | None = None) -> Callable[[F], F]:
    """``--format``, ``--output`` and ``--fail-on``, as every checking command takes them.

    ``formats`` defaults to every report format (text, json, junit, markdown, sarif).
    """
    from replay.report import FORMATS

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
    """Write a report file, creating its folder; an unwritable path is bad input (exit 2)."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReplayError(f"cannot write the report to {output}: {exc.strerror}") from None


def write_report(findings: Sequence[Finding], summary: dict[str, Any], fmt: str,
                 output: Path | None, fail_on: str, *,
                 subjects: Sequence[Any] | None = None, title: str = "aws-replay") -> int:
    """Print (or write to ``output``) the report; the exit code ``--fail-on`` asks for."""
    from replay.report import render, summary_line, use_colour

    threshold = Severity(fail_on)
    if output is not None:
        text = render(findings, summary, fmt, fail_on=threshold, subjects=subjects, title=title)
        write_text_report(output, text)
        click.echo(f"{summary_line(summary)}; report written to {output}")
    else:
        click.echo(render(findings, summary, fmt, colour=use_colour(sys.stdout),
                          fail_on=threshold, subjects=subjects, title=title), nl=False)
    return 1 if at_or_above(findings, threshold) else 0


def emit_report(findings: Sequence[Finding], summary: dict[str, Any], fmt: str,
                output: Path | None, fail_on: str, *,
                subjects: Sequence[Any] | None = None, title: str = "aws-replay") -> None:
    """Print (or write) the report, then exit 0 or 1 by ``--fail-on``."""
    sys.exit(write_report(findings, summary, fmt, output, fail_on, subjects=subjects,
                          title=title))


def paths_argument(command: F) -> F:
    return click.argument("paths", nargs=-1, required=True,
                          type=click.Path(path_type=Path))(command)


# ------------------------------------------------------------------------------ check

@main.command()
@paths_argument
@report_options()
@click.option("--spec-lock", "spec_lock", type=click.Path(dir_okay=False, path_type=Path),
              help="Check against the model saved in this lock file (aws-replay spec lock) "
                   "instead of the installed botocore's.")
def check(paths: tuple[Path, ...], fmt: str, output: Path | None, fail_on: str,
          spec_lock: Path | None) -> None:
    """Check cassettes against the botocore service model.

    PATHS are cassette files or folders (searched recursively for *.yaml, *.yml, *.json).
    """
    from replay.report import checked_subjects
    from replay.spec import check_paths
    from replay.speclock import locked_models

    models = locked_models(spec_lock, paths) if spec_lock is not None else None
    run = check_paths(paths, models=models)
    emit_report(run.findings, run.summary, fmt, output, fail_on,
                subjects=checked_subjects(paths) if fmt == "junit" else None,
                title="aws-replay check")


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


# ------------------------------------------------------------------ record, sanitize, scan

@main.command()
@click.argument("jobs", nargs=-1)
@click.option("--all", "all_jobs", is_flag=True,
              help="Also record every job ListAutoMLJobs returns (all pages).")
@click.option("--region", help="AWS region (default: the profile's or AWS_DEFAULT_REGION).")
@click.option("--profile", help="AWS profile of the usual boto3 credential chain.")
@click.option("--endpoint-url", help="Record from this endpoint instead of AWS "
                                     "(e.g. a local server at http://127.0.0.1:PORT).")
@click.option("--cassette-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("cassettes"), show_default=True,
              help="Folder of the cassettes; each job goes to DIR/<job>.yaml.")
@click.option("--follow", is_flag=True,
              help="Poll each job until Completed, Failed or Stopped and record the lifecycle.")
@click.option("--interval", type=click.FloatRange(min=0), default=30.0, show_default=True,
              metavar="S", help="Seconds between polls with --follow.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=3600.0,
              show_default=True, metavar="S", help="Stop following a job after S seconds.")
@click.option("--overwrite", is_flag=True, help="Replace cassettes that already exist.")
def record(jobs: tuple[str, ...], all_jobs: bool, region: str | None, profile: str | None,
           endpoint_url: str | None, cassette_dir: Path, follow: bool, interval: float,
           timeout: float, overwrite: bool) -> None:
    """Record JOBS' DescribeAutoMLJob exchanges into sanitized cassettes.

    Secrets and account ids are replaced in memory before anything is written; each cassette
    is written atomically. A job that does not exist is recorded as its ResourceNotFound
    answer. Existing cassettes are kept unless --overwrite is given.
    """
    from replay.config import load_settings
    from replay.record_jobs import describe_result, record_jobs
    from replay.sanitize import Sanitizer

    bar: Any = None

    def jobs_known(count: int) -> None:
        nonlocal bar
        if all_jobs and sys.stderr.isatty():
            bar = click.progressbar(length=count, label="recording", file=sys.stderr)
            bar.__enter__()

    def job_done(result: Any) -> None:
        if bar is not None:
            bar.update(1)
        else:
            click.echo(describe_result(result))

    try:
        summary = record_jobs(jobs, all_jobs=all_jobs, region=region, profile=profile,
                              endpoint_url=endpoint_url, cassette_dir=cassette_dir,
                              follow=follow, interval=interval, timeout=timeout,
                              overwrite=overwrite,
                              sanitizer=Sanitizer.from_settings(load_settings()),
                              on_job=job_done, on_jobs_known=jobs_known)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if bar is not None:
        for result in summary.jobs:
            click.echo(describe_result(result))
    click.echo(summary.line())


@main.command()
@paths_argument
@click.option("--check", is_flag=True,
              help="Change nothing; exit 1 if any cassette would change.")
def sanitize(paths: tuple[Path, ...], check: bool) -> None:
    """Apply the sanitizing rules to existing cassettes, rewriting them atomically.

    Reads vcrpy's own cassettes too (!!binary headers and bodies). Idempotent: a second run
    changes nothing. Rules and allowlist: [tool.aws-replay.sanitize] in pyproject.toml.
    """
    from replay.config import load_settings
    from replay.sanitize import Sanitizer, sanitize_paths

    run = sanitize_paths(paths, Sanitizer.from_settings(load_settings()), check=check)
    verb = "would sanitize" if check else "sanitized"
    for path in run.changed:
        click.echo(f"{verb}: {path}")
    click.echo(f"{len(run.changed)} cassette(s) {verb}, {len(run.unchanged)} already clean")
    sys.exit(1 if check and run.changed else 0)


@main.command()
@paths_argument
@report_options()
def scan(paths: tuple[Path, ...], fmt: str, output: Path | None, fail_on: str) -> None:
    """Find secrets and account ids in cassettes, including inside !!binary, base64,
    URL-encoding and JSON escapes. Exit 1 on any finding, 0 on none, 2 on bad input.

    Text output prints each finding as FILE:LINE: KIND: VALUE, the value redacted; the other
    formats are those of check (sarif annotates the leaking line).
    """
    from replay.config import load_settings
    from replay.sanitize import Sanitizer
    from replay.scan import scan_paths

    run = scan_paths(paths, Sanitizer.from_settings(load_settings()))
    if fmt != "text":
        write_report(run.findings(), run.summary(), fmt, output, fail_on, title="aws-replay scan")
        sys.exit(1 if run.leaks else 0)
    lines = [leak.describe() for leak in run.leaks]
    lines.append(f"{len(run.leaks)} leak(s) in {run.files} cassette(s)")
    if output is not None:
        write_text_report(output, "\n".join(lines) + "\n")
        click.echo(f"{lines[-1]}; report written to {output}")
    else:
        click.echo("\n".join(lines))
    sys.exit(1 if run.leaks else 0)


# ------------------------------------------------- drift: diff, drift, spec, report merge

@main.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes for large folders (default: one per available CPU).")
@report_options()
def diff(old: Path, new: Path, jobs: int | None, fmt: str, output: Path | None,
         fail_on: str) -> None:
    """Compare two recordings: OLD and NEW cassettes, or folders of them.

    Folders pair cassettes by relative path; interactions pair by operation and parameters.
    Every change is classified (member-added, member-removed, type-changed, enum-value-new,
    value-changed, status-changed). Volatile paths (timestamps, candidate and step names,
    metric values, S3 keys under the job's output prefix) are ignored; configure them in
    [tool.aws-replay.drift].
    """
    from replay.drift import diff_paths

    run = diff_paths(old, new, workers=jobs)
    emit_report(run.findings, run.summary, fmt, output, fail_on,
                subjects=run.subjects, title="aws-replay diff")


@main.command()
@paths_argument
@click.option("--endpoint-url", help="Send the requests here instead of AWS.")
@click.option("--region", help="AWS region (default: each cassette's recorded region).")
@click.option("--profile", help="AWS profile of the usual boto3 credential chain.")
@click.option("--update", is_flag=True,
              help="Rewrite the cassettes whose answers changed (atomically, sanitized).")
@click.option("--max-attempts", type=click.IntRange(min=1), default=5, show_default=True,
              help="Attempts per request when throttled (botocore standard retry, backoff).")
@report_options()
def drift(paths: tuple[Path, ...], endpoint_url: str | None, region: str | None,
          profile: str | None, update: bool, max_attempts: int, fmt: str,
          output: Path | None, fail_on: str) -> None:
    """Replay the cassettes' recorded requests against the live API and report drift.

    Each request is signed afresh, its answer sanitized in memory, checked against the spec
    and diffed against the recorded one. Nothing on disk changes without --update. A run cut
    short (credentials rejected, endpoint gone) reports what it compared, then exits 2.
    """
    from replay.live import live_drift

    run = live_drift(paths, endpoint_url=endpoint_url, region=region, profile=profile,
                     update=update, max_attempts=max_attempts)
    code = write_report(run.findings, run.summary, fmt, output, fail_on,
                        subjects=run.subjects, title="aws-replay drift")
    for path in run.updated:
        click.echo(f"updated: {path}", err=True)
    if run.stopped:
        click.echo(f"aws-replay: error: run stopped early: {run.stopped}", err=True)
        sys.exit(2)
    sys.exit(code)


@main.group()
def spec() -> None:
    """The response model: show it, lock it, diff it."""


@spec.command("show")
@click.argument("operation", default="DescribeAutoMLJob")
def spec_show(operation: str) -> None:
    """Print every member path of OPERATION's response with its resolved constraints.

    OPERATION is DescribeAutoMLJob (the default) or SERVICE:Operation.
    """
    from replay.speclock import show

    click.echo(show(operation), nl=False)


@spec.command("lock")
@click.argument("operations", nargs=-1)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("spec.lock.json"), show_default=True,
              help="Where to write the lock (commit it beside the cassettes).")
def spec_lock(operations: tuple[str, ...], output: Path) -> None:
    """Snapshot the installed botocore's response model of OPERATIONS into a lock file.

    OPERATIONS default to DescribeAutoMLJob. The lock holds every member path (type,
    required, enum, constraints), the botocore version, and the model itself, for
    `aws-replay check --spec-lock` and `aws-replay spec diff`.
    """
    from replay.speclock import DEFAULT_OPERATIONS, write_lock

    document = write_lock(output, operations or DEFAULT_OPERATIONS)
    paths = sum(len(view["output"]) for view in document["operations"].values())
    click.echo(f"locked {len(document['operations'])} operation(s), {paths} member path(s) "
               f"of botocore {document['botocore']} in {output}")


@spec.command("diff")
@click.argument("lock", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("lock2", required=False, type=click.Path(dir_okay=False, path_type=Path))
@report_options()
def spec_diff(lock: Path, lock2: Path | None, fmt: str, output: Path | None,
              fail_on: str) -> None:
    """Compare LOCK with the installed botocore (or with LOCK2), per member path.

    Classifies member-added/-removed, required-added/-removed, enum-value-added/-removed,
    constraint-tightened/-loosened and type-changed. Renamed shapes with the same wire are
    not a change.
    """
    from replay.findings import summarize
    from replay.specdiff import diff_locks
    from replay.speclock import read_lock

    findings = diff_locks(read_lock(lock), read_lock(lock2) if lock2 is not None else None)
    emit_report(findings, summarize(findings), fmt, output, fail_on, title="aws-replay spec diff")


@main.group()
def report() -> None:
    """Work with saved reports."""


@report.command("merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@report_options()
def report_merge(reports: tuple[Path, ...], fmt: str, output: Path | None,
                 fail_on: str) -> None:
    """Merge JSON reports (a CI matrix of accounts or regions) into one, in any format."""
    from replay.report import merge_reports

    findings, summary = merge_reports(reports)
    emit_report(findings, summary, fmt, output, fail_on, title="aws-replay (merged)")


# ------------------------------------------------------------------------------- demo

@main.command()
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Write everything here (a new or empty folder) instead of a new temporary "
                   "folder.")
def demo(output: Path | None) -> None:
    """Run the whole loop on this machine, no AWS account needed: a local endpoint, record,
    sanitize, scan, check, replay in pytest, and catch an API drift.

    Exit 0 when every step behaved as expected, 1 otherwise.
    """
    from replay.demo import run_demo

    sys.exit(0 if run_demo(output, echo=click.echo).ok else 1)


if __name__ == "__main__":
    main()
