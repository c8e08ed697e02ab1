"""The checking commands: check, scan, diff, drift, spec and report merge."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from replay.cli.baseline import baseline_options, with_baseline
from replay.cli.options import (
    emit_report,
    jobs_option,
    paths_argument,
    report_options,
    write_report,
)


@click.command()
@paths_argument
@report_options()
@click.option("--spec-lock", "spec_lock", type=click.Path(dir_okay=False, path_type=Path),
              help="Check against the model saved in this lock file (aws-replay spec lock) "
                   "instead of the installed botocore's.")
@baseline_options
@click.option("--max-age", "max_age", metavar="AGE",
              help="Report cassettes recorded longer ago than AGE (90d, 12w, 36h, 1y) as "
                   "stale-cassette findings (info; --fail-on info fails on them).")
@jobs_option
def check(paths: tuple[Path, ...], fmt: str, output: Path | None, fail_on: str,
          spec_lock: Path | None, baseline_file: Path | None, no_baseline: bool,
          show_accepted: bool, max_age: str | None, jobs: int | None) -> None:
    """Check cassettes against the botocore service model.

    PATHS are cassette files or folders (searched recursively for *.yaml, *.yml, *.json).
    """
    from replay.spec.check import check_paths

    oldest = None
    if max_age is not None:
        from replay.cassette.age import parse_max_age

        oldest = parse_max_age(max_age)
    models = not_locked = None
    if spec_lock is not None:
        from replay.spec.lock import read_lock

        lock = read_lock(spec_lock)
        models, not_locked = lock.models(), lock.not_locked
    run = check_paths(paths, models, jobs=jobs, max_age=oldest, max_age_text=max_age,
                      not_in_models=not_locked)
    findings, summary = with_baseline(run.findings, run.summary, baseline_file, no_baseline)
    emit_report(findings, summary, fmt, output, fail_on,
                subjects=run.subjects if fmt == "junit" else None,
                title="aws-replay check", show_accepted=show_accepted)



# ------------------------------------------------- drift: diff, drift, spec, report merge

@click.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@jobs_option
@report_options()
@baseline_options
def diff(old: Path, new: Path, jobs: int | None, fmt: str, output: Path | None,
         fail_on: str, baseline_file: Path | None, no_baseline: bool,
         show_accepted: bool) -> None:
    """Compare two recordings: OLD and NEW cassettes, or folders of them.

    Folders pair cassettes by relative path; interactions pair by operation and parameters.
    Every change is classified (member-added, member-removed, type-changed, enum-value-new,
    value-changed, status-changed). Volatile paths (timestamps, candidate and step names,
    metric values, S3 keys under the job's output prefix) are ignored; configure them in
    [tool.aws-replay.drift].
    """
    from replay.drift.diff import diff_paths

    run = diff_paths(old, new, workers=jobs)
    findings, summary = with_baseline(run.findings, run.summary, baseline_file, no_baseline)
    emit_report(findings, summary, fmt, output, fail_on,
                subjects=run.subjects, title="aws-replay diff", show_accepted=show_accepted)


@click.command()
@paths_argument
@click.option("--endpoint-url", help="Send the requests here instead of AWS.")
@click.option("--region", help="AWS region (default: each cassette's recorded region).")
@click.option("--profile", help="AWS profile of the usual boto3 credential chain.")
@click.option("--update", is_flag=True,
              help="Rewrite the cassettes whose answers changed (atomically, sanitized) and "
                   "refresh the recorded_at of those confirmed unchanged.")
@click.option("--max-attempts", type=click.IntRange(min=1), default=5, show_default=True,
              help="Attempts per request when throttled (botocore standard retry, backoff).")
@report_options()
@baseline_options
def drift(paths: tuple[Path, ...], endpoint_url: str | None, region: str | None,
          profile: str | None, update: bool, max_attempts: int, fmt: str,
          output: Path | None, fail_on: str, baseline_file: Path | None, no_baseline: bool,
          show_accepted: bool) -> None:
    """Replay the cassettes' recorded requests against the live API and report drift.

    Each request is signed afresh, its answer sanitized in memory, checked against the spec
    and diffed against the recorded one. Nothing on disk changes without --update. A run cut
    short (credentials rejected, endpoint gone) reports what it compared, then exits 2.
    """
    from replay.core.baseline import load_baseline
    from replay.drift.live import live_drift

    load_baseline(baseline_file, disabled=no_baseline)  # a bad baseline stops before any call
    run = live_drift(paths, endpoint_url=endpoint_url, region=region, profile=profile,
                     update=update, max_attempts=max_attempts)
    findings, summary = with_baseline(run.findings, run.summary, baseline_file, no_baseline)
    code = write_report(findings, summary, fmt, output, fail_on,
                        subjects=run.subjects, title="aws-replay drift",
                        show_accepted=show_accepted)
    for path in run.updated:
        click.echo(f"updated: {path}", err=True)
    for path in run.refreshed:
        click.echo(f"refreshed: {path} (answers unchanged; recorded_at is now)", err=True)
    if run.stopped:
        click.echo(f"aws-replay: error: run stopped early: {run.stopped}", err=True)
        sys.exit(2)
    sys.exit(code)


@click.group()
def spec() -> None:
    """The response model: show it, lock it, diff it, tell a member's history."""


@spec.command("show")
@click.argument("operation", default="DescribeAutoMLJob")
def spec_show(operation: str) -> None:
    """Print every member path of OPERATION's response with its resolved constraints.

    OPERATION is DescribeAutoMLJob (the default) or SERVICE:Operation.
    """
    from replay.spec.lock import show

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
    from replay.spec.lock import DEFAULT_OPERATIONS, write_lock

    document = write_lock(output, operations or DEFAULT_OPERATIONS)
    paths = sum(len(view["output"]) for view in document["operations"].values())
    click.echo(f"locked {len(document['operations'])} operation(s), {paths} member path(s) "
               f"of botocore {document['botocore']} in {output}")


@spec.command("history")
@click.argument("member_path", metavar="MEMBER-PATH")
@click.option("--operation", "operations", multiple=True, metavar="OP",
              help="Only this AutoML operation (DescribeAutoMLJob or sagemaker:Op); repeatable. "
                   "Default: every one that has the member.")
@click.option("--input", "of_input", is_flag=True,
              help="The member is in the request, not the response.")
def spec_history(member_path: str, operations: tuple[str, ...], of_input: bool) -> None:
    """Tell a member's story across botocore releases: the release that added it, each enum
    value added or removed, constraint changes.

    MEMBER-PATH is a JSONPath into the response, e.g. '$.AutoMLJobSecondaryStatus' or
    'BestCandidate.CandidateSteps[*].CandidateStepType' (list indexes are all the same).
    Covers the AutoML operations of every botocore minor release since 1.20.
    """
    from replay.spec.history import member_story

    click.echo(member_story(member_path, operations, part="input" if of_input else "output"),
               nl=False)


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
    from replay.core.findings import summarize
    from replay.spec.lock import read_lock
    from replay.spec.lockdiff import diff_locks

    findings = diff_locks(read_lock(lock), read_lock(lock2) if lock2 is not None else None)
    emit_report(findings, summarize(findings), fmt, output, fail_on, title="aws-replay spec diff")


@click.group()
def report() -> None:
    """Work with saved reports."""


@report.command("merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@report_options()
@baseline_options
def report_merge(reports: tuple[Path, ...], fmt: str, output: Path | None,
                 fail_on: str, baseline_file: Path | None, no_baseline: bool,
                 show_accepted: bool) -> None:
    """Merge JSON reports (a CI matrix of accounts or regions) into one, in any format.

    Findings accepted in a report stay accepted, the baseline accepts more; --no-baseline
    judges every finding at its own severity.
    """
    from replay.report.merge import merge_reports

    findings, summary = merge_reports(reports)
    findings, summary = with_baseline(findings, summary, baseline_file, no_baseline)
    emit_report(findings, summary, fmt, output, fail_on, title="aws-replay (merged)",
                show_accepted=show_accepted)


