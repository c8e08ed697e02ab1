"""The commands that make cassettes or serve them: record, sanitize, scan, serve and demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from replay.cli.options import (
    jobs_option,
    paths_argument,
    report_options,
    write_report,
    write_text_report,
)

# ------------------------------------------------------------------------------ serve

@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; anything else is reachable "
                   "from the network).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on; 0 picks a free one (the URL is printed).")
@click.option("--synthetic", is_flag=True,
              help="Answer the AutoML family (DescribeAutoMLJob and V2, ListAutoMLJobs, "
                   "ListCandidatesForAutoMLJob, CreateAutoMLJob and V2, StopAutoMLJob) with "
                   "generated spec-valid jobs (the same per name; missing-* is not found) "
                   "instead of cassettes.")
@click.option("--time-scale", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="X", help="With --synthetic: job-seconds that pass per second for "
                                "created jobs (default 600).")
@click.option("--latency", "latency_ms", type=click.FloatRange(min=0), default=0.0,
              show_default=True, metavar="MS", help="Delay every answer by MS milliseconds.")
@click.option("--quiet", "-q", is_flag=True,
              help="Do not log unmatched or malformed requests to stderr.")
@click.option("--verbose", "-v", is_flag=True, help="Log every request to stderr.")
@click.option("--record-to", "record_to", type=click.Path(file_okay=False, path_type=Path),
              help="Be a recording proxy instead: forward every request to AWS, re-signed with "
                   "your credentials, and write each exchange sanitized to a cassette here.")
@click.option("--upstream-region", metavar="REGION",
              help="With --record-to: the region of the real endpoint (e.g. us-east-1).")
@click.option("--profile", help="With --record-to: the AWS profile whose credentials sign the "
                                "forwarded requests (default: the usual chain).")
@click.option("--upstream-url", metavar="URL",
              help="With --record-to: forward here instead of the service's AWS endpoint.")
@click.option("--header-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, metavar="S",
              help="Close a connection whose request head takes longer than S seconds.")
@click.option("--body-timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, metavar="S",
              help="Answer 408 and close when a request body takes longer than S seconds.")
@click.option("--idle-timeout", type=click.FloatRange(min=0, min_open=True), default=120.0,
              show_default=True, metavar="S",
              help="Close a keep-alive connection idle for S seconds.")
@click.option("--max-connections", type=click.IntRange(min=1), default=256, show_default=True,
              metavar="N", help="Answer 503 and close connections past N open at once.")
@click.option("--max-upload-bytes", type=click.IntRange(min=1), default=32 << 20,
              show_default=True, metavar="N",
              help="Refuse (400) a body over N bytes in a request other than an AWS JSON one "
                   "(an S3 upload, a Lambda payload); AWS JSON requests stay at 1 MiB.")
def serve(paths: tuple[Path, ...], host: str, port: int, synthetic: bool,
          time_scale: float | None, latency_ms: float, quiet: bool, verbose: bool,
          record_to: Path | None, upstream_region: str | None, profile: str | None,
          upstream_url: str | None, header_timeout: float, body_timeout: float,
          idle_timeout: float, max_connections: int, max_upload_bytes: int) -> None:
    """Run a local AWS endpoint that answers from cassettes (or --synthetic AutoML jobs).

    PATHS are cassette files or folders. Every protocol is answered: SageMaker and other JSON
    services, S3, STS and IAM, EC2, rest-json services. Point any AWS client at the printed URL
    (boto3 endpoint_url, aws --endpoint-url, AWS_ENDPOINT_URL_SAGEMAKER, AWS_ENDPOINT_URL_S3)
    with any credentials: requests are matched on operation and input members like the pytest
    plugin does, and an unmatched one gets a 400 in the protocol's own error shape naming the
    closest recorded request. Stops cleanly on Ctrl-C or SIGTERM.

    With --record-to DIR --upstream-region R it records instead: each request is sent on to
    AWS signed with your credentials, and its exchange is sanitized and written atomically
    to DIR/<service>/<operation>-<parameters>.yaml before the client gets the answer.
    """
    from replay.serve.limits import ServeLimits
    from replay.serve.server import serve_until_signalled

    if time_scale is not None and not synthetic:
        raise click.UsageError("--time-scale goes with --synthetic")
    proxy = None
    if record_to is not None:
        if paths or synthetic:
            raise click.UsageError("--record-to records from AWS; give no PATHS or --synthetic")
        if not upstream_region:
            raise click.UsageError("--record-to needs --upstream-region (the region of the "
                                   "real endpoint, e.g. us-east-1)")
        from replay.core.atomic import check_writable
        from replay.core.config import load_settings
        from replay.sanitize.sanitizer import Sanitizer
        from replay.serve.proxy import RecordingProxy

        proxy = RecordingProxy(record_to, upstream_region, profile=profile,
                               upstream_url=upstream_url,
                               sanitizer=Sanitizer.from_settings(load_settings()))
        check_writable(record_to)  # a folder it cannot write is exit 2 now, not 400s later
    elif upstream_region or profile or upstream_url:
        raise click.UsageError("--upstream-region, --profile and --upstream-url go with "
                               "--record-to DIR")
    serve_until_signalled(paths, synthetic=synthetic, host=host, port=port,
                          latency_ms=latency_ms, quiet=quiet, verbose=verbose, echo=click.echo,
                          time_scale=time_scale, responder=proxy,
                          limits=ServeLimits(header_timeout, body_timeout, idle_timeout,
                                             max_connections, max_upload_bytes))
    if proxy is not None:
        from replay.serve.proxy import recorded_summary

        click.echo(f"aws-replay serve: {recorded_summary(proxy.recorded())}")


# ------------------------------------------------------------------ record, sanitize, scan

@click.command()
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
@click.option("--with", "views", metavar="VIEWS",
              help="Also record these views of each job beside its cassette, comma-separated: "
                   "v2 (DescribeAutoMLJobV2 -> <job>.v2.yaml), candidates (every page of "
                   "ListCandidatesForAutoMLJob -> <job>.candidates.yaml).")
def record(jobs: tuple[str, ...], all_jobs: bool, region: str | None, profile: str | None,
           endpoint_url: str | None, cassette_dir: Path, follow: bool, interval: float,
           timeout: float, overwrite: bool, views: str | None) -> None:
    """Record JOBS' DescribeAutoMLJob exchanges into sanitized cassettes (and, with --with,
    their DescribeAutoMLJobV2 and ListCandidatesForAutoMLJob views beside them).

    Secrets and account ids are replaced in memory before anything is written; each cassette
    is written atomically. A job that does not exist is recorded as its ResourceNotFound
    answer. Existing cassettes are kept unless --overwrite is given.
    """
    from replay.core.config import load_settings
    from replay.record.jobs import describe_result, parse_views, record_jobs
    from replay.sanitize.sanitizer import Sanitizer

    chosen_views = parse_views(views)
    bar: Any = None

    def jobs_known(count: int) -> None:
        nonlocal bar
        if all_jobs and sys.stderr.isatty():
            bar = click.progressbar(length=count, label="recording", file=sys.stderr)
            bar.__enter__()

    def job_done(result: Any) -> None:
        if bar is not None:
            if result.path.stem == result.job:  # one step per job, not per view
                bar.update(1)
        else:
            click.echo(describe_result(result))

    try:
        summary = record_jobs(jobs, all_jobs=all_jobs, region=region, profile=profile,
                              endpoint_url=endpoint_url, cassette_dir=cassette_dir,
                              follow=follow, interval=interval, timeout=timeout,
                              overwrite=overwrite,
                              sanitizer=Sanitizer.from_settings(load_settings()),
                              on_job=job_done, on_jobs_known=jobs_known, views=chosen_views)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if bar is not None:
        for result in summary.jobs:
            click.echo(describe_result(result))
    click.echo(summary.line())


@click.command()
@paths_argument
@click.option("--check", is_flag=True,
              help="Change nothing; exit 1 if any cassette would change.")
def sanitize(paths: tuple[Path, ...], check: bool) -> None:
    """Apply the sanitizing rules to existing cassettes, rewriting them atomically.

    Reads vcrpy's own cassettes too (!!binary headers and bodies). Idempotent: a second run
    changes nothing. Rules and allowlist: [tool.aws-replay.sanitize] in pyproject.toml.
    Ends with a scan of every file as it is left: a value that survived is printed as
    FILE:LINE: KIND: VALUE (masked) and the exit code is 1.
    """
    from replay.core.config import load_settings
    from replay.sanitize.files import sanitize_paths
    from replay.sanitize.sanitizer import Sanitizer

    run = sanitize_paths(paths, Sanitizer.from_settings(load_settings()), check=check)
    verb = "would sanitize" if check else "sanitized"
    for path in run.changed:
        click.echo(f"{verb}: {path}")
    leaking = {leak.path for leak in run.survivors}
    clean = sum(1 for path in run.unchanged if path not in leaking)
    left = len(run.unchanged) - clean
    click.echo(f"{len(run.changed)} cassette(s) {verb}, {clean} already clean"
               + (f", {left} unchanged but not clean" if left else ""))
    for leak in run.survivors:
        click.echo(f"survived sanitizing: {leak.describe()}", err=True)
    if run.survivors:
        click.echo(f"aws-replay: {len(run.survivors)} value(s) in {len(leaking)} cassette(s) "
                   "survived sanitizing; add a pattern or json_path to "
                   "[tool.aws-replay.sanitize] or edit them by hand, then run sanitize again",
                   err=True)
    sys.exit(1 if run.survivors or (check and run.changed) else 0)


@click.command()
@paths_argument
@report_options()
@jobs_option
def scan(paths: tuple[Path, ...], fmt: str, output: Path | None, fail_on: str,
         jobs: int | None) -> None:
    """Find secrets and account ids in cassettes, including inside !!binary, base64,
    URL-encoding and JSON escapes. Exit 1 on any finding, 0 on none, 2 on bad input.

    Text output prints each finding as FILE:LINE: KIND: VALUE, the value redacted; the other
    formats are those of check (sarif annotates the leaking line).
    """
    from replay.core.config import load_settings
    from replay.sanitize.sanitizer import Sanitizer
    from replay.sanitize.scan import scan_paths

    run = scan_paths(paths, Sanitizer.from_settings(load_settings()), jobs=jobs)
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

# ------------------------------------------------------------------------------- demo

@click.command()
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

