"""The engine of ``aws-replay record``: which jobs, following their lifecycles, what happened.

Each job's ``DescribeAutoMLJob`` exchanges are captured by
:func:`replay.record.capture.capture_exchanges`
(one capture for the whole run), tidied (throttled attempts a retry answered and repeated
identical polls dropped) and written by :func:`replay.record.capture.save_recording`. boto3 and
botocore
failures become one-line :class:`~replay.core.errors.ReplayError` messages.

Example::

    summary = record_jobs(["my-job"], region="us-east-1", cassette_dir=Path("cassettes"),
                          follow=True, on_job=lambda result: print(describe_result(result)))
    print(summary.line())
"""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replay.cassette.model import Interaction
from replay.cassette.write import cassette_suffix
from replay.core.atomic import write_error
from replay.core.errors import (
    REJECTED_CREDENTIAL_CODES,
    ConfigError,
    CredentialsError,
    EndpointError,
    ReplayError,
)
from replay.record.capture import capture_exchanges, save_recording, source_for_endpoint
from replay.sanitize.sanitizer import Sanitizer

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})

VIEWS = ("v2", "candidates")
"""What ``record --with`` adds beside a job's DescribeAutoMLJob cassette ``<job>.yaml``:
``v2`` (DescribeAutoMLJobV2, ``<job>.v2.yaml``) and ``candidates`` (every page of
ListCandidatesForAutoMLJob, ``<job>.candidates.yaml``). Job names cannot hold a dot, so these
names never meet another job's."""

# Only SageMaker's exchanges belong in a job's cassette (not STS, not the metadata service).
_RECORDED_TARGETS = frozenset({"SageMaker"})


@dataclass(frozen=True)
class JobRecording:
    """What happened to one job: ``recorded``, ``not-found``, ``error``, ``skipped``."""

    job: str
    path: Path
    outcome: str
    interactions: int = 0
    status: str | None = None
    message: str = ""


@dataclass
class RecordSummary:
    """Every job of one ``aws-replay record`` run, in order."""

    jobs: list[JobRecording] = field(default_factory=list)
    source: str = "live"

    def count(self, outcome: str) -> int:
        return sum(1 for job in self.jobs if job.outcome == outcome)

    def line(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in ("recorded", "not-found", "error", "skipped")
                 if self.count(o)]
        jobs = len({job.job for job in self.jobs})
        what = (f"{jobs} job(s)" if jobs == len(self.jobs)
                else f"{jobs} job(s) in {len(self.jobs)} cassette(s)")
        return f"{what}: {', '.join(parts) or 'nothing to do'}"


def _client(region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise CredentialsError(f"AWS profile {profile!r} was not found in the AWS config files; "
                               "check --profile (or AWS_PROFILE)") from None
    except botocore.exceptions.BotoCoreError as exc:  # e.g. an unparseable ~/.aws/config
        raise ConfigError(f"the AWS configuration could not be read ({exc}); fix the file or "
                          "point AWS_CONFIG_FILE elsewhere") from None
    try:
        credentials = session.get_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        raise CredentialsError(f"AWS credentials could not be loaded ({exc}); refresh them "
                               "(e.g. `aws sso login`) or pass another --profile") from None
    if credentials is None:
        raise CredentialsError("no AWS credentials found (looked at --profile, AWS_* environment "
                               "variables, ~/.aws files, SSO and instance metadata); configure "
                               "some, e.g. `aws configure` or `--profile NAME`")
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10,
                    read_timeout=60)
    try:
        return session.client("sagemaker", endpoint_url=endpoint_url, config=config)
    except botocore.exceptions.NoRegionError:
        raise ConfigError("no AWS region given; pass --region or set AWS_DEFAULT_REGION") from None
    except ValueError as exc:
        raise ConfigError(f"invalid --endpoint-url {endpoint_url!r} ({exc})") from None


@contextlib.contextmanager
def _aws_errors(where: str, endpoint: str) -> Iterator[None]:
    """botocore's failures as one-line :class:`ReplayError` messages (no traceback, no secret)."""
    import botocore.exceptions

    try:
        yield
    except botocore.exceptions.NoCredentialsError:
        raise CredentialsError("no AWS credentials found; configure some, e.g. `aws configure` "
                               "or `--profile NAME`") from None
    except (botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.HTTPClientError) as exc:
        reason = type(exc).__name__
        raise EndpointError(f"{where}: cannot reach {endpoint} ({reason}); check "
                            "--endpoint-url, --region and the network; this job's cassette "
                            "was not written or changed") from None
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in REJECTED_CREDENTIAL_CODES:
            raise CredentialsError(f"{where}: AWS rejected the credentials ({code}); check them, "
                                   "their permissions (sagemaker:DescribeAutoMLJob, "
                                   "sagemaker:ListAutoMLJobs) or --profile") from None
        if _is_throttle_code(code):
            raise EndpointError(f"{where}: {endpoint} kept throttling the requests ({code}) "
                                "after retries; wait and run again (cassettes written before "
                                "this are kept)") from None
        raise
    except botocore.exceptions.ParamValidationError as exc:
        reason = "; ".join(line.strip() for line in str(exc).splitlines()[1:] if line.strip())
        raise ConfigError(f"{where}: botocore refused the request ({reason})") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise EndpointError(f"{where}: the request to {endpoint} failed "
                            f"({type(exc).__name__}); check --endpoint-url and --region") \
            from None


def _is_throttle_code(code: str) -> bool:
    return "Throttl" in code or "TooManyRequests" in code or code in (
        "RequestLimitExceeded", "SlowDown", "ProvisionedThroughputExceededException")


def list_jobs(client: Any, endpoint: str) -> list[str]:
    """Every AutoML job name of the account and region (ListAutoMLJobs, all pages)."""
    import botocore.exceptions

    names: list[str] = []
    try:
        with _aws_errors("listing AutoML jobs", endpoint):
            for page in client.get_paginator("list_auto_ml_jobs").paginate():
                names.extend(s["AutoMLJobName"] for s in page.get("AutoMLJobSummaries", []))
    except botocore.exceptions.ClientError as exc:
        # The error's message is the endpoint's text (it may echo account ids): the code only.
        code = exc.response.get("Error", {}).get("Code", "") or "an error"
        raise EndpointError(f"listing AutoML jobs: {endpoint} refused ListAutoMLJobs ({code}); "
                            "--all needs an endpoint that lists jobs and the "
                            "sagemaker:ListAutoMLJobs permission; or name the jobs to record"
                            ) from None
    return names


def _is_throttle(interaction: Interaction) -> bool:
    if interaction.response.status < 400:
        return False
    kind = interaction.response.header("X-Amzn-ErrorType") or ""
    try:
        body = interaction.response.json()
    except ReplayError:
        body = {}
    if isinstance(body, dict):
        kind += str(body.get("__type", ""))
    return "Throttl" in kind or "TooManyRequests" in kind


def _tidy(interactions: Sequence[Interaction]) -> list[Interaction]:
    """Drop throttled attempts that a retry answered, and repeated identical polls."""
    kept: list[Interaction] = []
    for index, interaction in enumerate(interactions):
        if _is_throttle(interaction) and index + 1 < len(interactions):
            continue
        if kept and (kept[-1].response.status, kept[-1].response.body) == (
                interaction.response.status, interaction.response.body):
            continue
        kept.append(interaction)
    return kept


def parse_views(text: str | None) -> tuple[str, ...]:
    """``--with v2,candidates`` as view names, checked."""
    views = tuple(dict.fromkeys(v.strip() for v in (text or "").split(",") if v.strip()))
    unknown = [view for view in views if view not in VIEWS]
    if unknown:
        raise ConfigError(f"--with {', '.join(unknown)}: not a view aws-replay records; "
                          f"use {', '.join(VIEWS)} (comma-separated)")
    return views


def view_path(describe_path: Path, view: str) -> Path:
    """Where a view of the job recorded at ``describe_path`` goes (``<job>.<view>.yaml``)."""
    return describe_path.with_name(f"{describe_path.stem}.{view}{describe_path.suffix}")


def _describe(client: Any, job: str, *, follow: bool, interval: float, timeout: float,
              sleep: Callable[[float], None],
              view: str = "describe") -> tuple[str | None, str]:
    """Call DescribeAutoMLJob (polling to a terminal status when ``follow``): (status, note).

    ``view`` ``v2`` calls DescribeAutoMLJobV2; ``candidates`` lists every page of the job's
    candidates (no polling).
    """
    if view == "candidates":
        pages = list(client.get_paginator("list_candidates_for_auto_ml_job").paginate(
            AutoMLJobName=job))
        count = sum(len(page.get("Candidates", [])) for page in pages)
        return None, f"{count} candidate(s) in {len(pages)} page(s)"
    call = client.describe_auto_ml_job_v2 if view == "v2" else client.describe_auto_ml_job
    started = time.monotonic()
    while True:
        status = call(AutoMLJobName=job).get("AutoMLJobStatus")
        if not follow or status in TERMINAL_STATUSES:
            return status, ""
        if time.monotonic() - started + interval > timeout:
            return status, f"stopped following after {timeout:g} s (status {status})"
        sleep(interval)


def _exists(path: Path) -> bool:
    try:
        path.stat()
    except FileNotFoundError:
        return False
    except OSError as exc:  # a name too long, a file where the folder should be...
        if exc.errno == errno.ENOTDIR:
            return False  # the write will say so, naming the file in the way
        raise write_error(path, exc) from None
    return True


def record_job(client: Any, job: str, path: Path, *, sanitizer: Sanitizer, source: str,
               endpoint: str, follow: bool = False, interval: float = 30.0,
               timeout: float = 3600.0, overwrite: bool = False,
               sleep: Callable[[float], None] = time.sleep,
               captured: list[Interaction] | None = None,
               view: str = "describe") -> JobRecording:
    """Record one job's DescribeAutoMLJob exchange(s) into ``path``.

    ``captured`` is the list of an active :func:`capture_exchanges` to use (a run of many jobs
    patches once); without it the job gets its own capture. ``view`` records another view of
    the job instead (:data:`VIEWS`).
    """
    if _exists(path) and not overwrite:
        return JobRecording(job, path, "skipped",
                            message=f"{path} exists; pass --overwrite to record it again")
    if captured is None:
        with capture_exchanges(sanitizer, targets=_RECORDED_TARGETS) as own:
            return record_job(client, job, path, sanitizer=sanitizer, source=source,
                              endpoint=endpoint, follow=follow, interval=interval,
                              timeout=timeout, overwrite=overwrite, sleep=sleep, captured=own,
                              view=view)
    import botocore.exceptions

    first = len(captured)
    outcome, status, note = "recorded", None, ""
    try:
        with _aws_errors(f"recording {job}", endpoint):
            status, note = _describe(client, job, follow=follow, interval=interval,
                                     timeout=timeout, sleep=sleep, view=view)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        outcome = "not-found" if code in ("ResourceNotFound", "ResourceNotFoundException") \
            else "error"
        note = (f"job not found; recorded the {code} answer (an error cassette is a "
                "valid fixture)" if outcome == "not-found"
                else f"recorded the {code} error answer")
    interactions = _tidy(captured[first:])
    if view == "candidates":
        interactions = list(captured[first:])  # every page, even when two pages look alike
    save_recording(path, interactions, source=source, sanitizer=sanitizer, overwrite=overwrite)
    return JobRecording(job, path, outcome, len(interactions), status, note)


def record_jobs(jobs: Sequence[str], *, all_jobs: bool = False, region: str | None = None,
                profile: str | None = None, endpoint_url: str | None = None,
                cassette_dir: Path = Path("cassettes"), follow: bool = False,
                interval: float = 30.0, timeout: float = 3600.0, overwrite: bool = False,
                sanitizer: Sanitizer | None = None,
                on_job: Callable[[JobRecording], None] | None = None,
                on_jobs_known: Callable[[int], None] | None = None,
                sleep: Callable[[float], None] = time.sleep,
                views: Sequence[str] = ()) -> RecordSummary:
    """The engine of ``aws-replay record``: each job into ``cassette_dir/<job>.yaml``.

    ``all_jobs`` adds every job ListAutoMLJobs returns. ``views`` (:data:`VIEWS`) records
    those views of each job beside it. ``on_jobs_known(n)`` and ``on_job`` report progress
    (once per job). Credential and endpoint problems raise :class:`ReplayError` subclasses;
    a job that does not exist is recorded as its ``ResourceNotFound`` answer.
    """
    views = parse_views(",".join(views))
    if not jobs and not all_jobs:
        raise ConfigError("name at least one JOB, or pass --all")
    if interval < 0 or timeout <= 0:
        raise ConfigError("--interval must be >= 0 and --timeout > 0 (seconds)")
    scrubber = sanitizer or Sanitizer.default()
    client = _client(region, profile, endpoint_url)
    endpoint = endpoint_url or client.meta.endpoint_url
    source = source_for_endpoint(endpoint_url)
    names = list(dict.fromkeys(jobs))
    if all_jobs:
        names.extend(n for n in list_jobs(client, endpoint) if n not in names)
    for name in names:
        if not name or "/" in name or "\x00" in name or name.startswith("."):
            raise ConfigError(f"job name {name!r} cannot name a cassette file")
    if on_jobs_known is not None:
        on_jobs_known(len(names))
    summary = RecordSummary(source=source)
    suffix = cassette_suffix(cassette_dir)  # .yaml, or .json (cassette_format = "json")
    with capture_exchanges(scrubber, targets=_RECORDED_TARGETS) as captured:
        for name in names:
            path = cassette_dir / f"{name}{suffix}"
            result = record_job(client, name, path,
                                sanitizer=scrubber, source=source, endpoint=endpoint,
                                follow=follow, interval=interval, timeout=timeout,
                                overwrite=overwrite, sleep=sleep, captured=captured)
            summary.jobs.append(result)
            for view in views:
                summary.jobs.append(record_job(
                    client, name, view_path(path, view), sanitizer=scrubber, source=source,
                    endpoint=endpoint, follow=follow, interval=interval, timeout=timeout,
                    overwrite=overwrite, sleep=sleep, captured=captured, view=view))
            if on_job is not None:
                for recorded in summary.jobs[-1 - len(views):]:
                    on_job(recorded)
    return summary


def describe_result(result: JobRecording) -> str:
    """One line for a job's outcome."""
    detail = f" ({result.message})" if result.message else ""
    if result.outcome in ("recorded", "not-found", "error"):
        status = f", status {result.status}" if result.status else ""
        return (f"{result.outcome}: {result.job} -> {result.path} "
                f"[{result.interactions} exchange(s){status}]{detail}")
    return f"{result.outcome}: {result.job}{detail}"


