"""Recording: drives boto3 through vcrpy and writes sanitized cassettes. The only vcrpy setup.

vcrpy patches botocore's connections; our before-record hooks keep only AWS JSON-protocol
requests (those with ``X-Amz-Target``, minus credential services) and sanitize request and
response in memory. Nothing reaches disk through vcrpy: its persister here is a no-op, and the
collected interactions are written by :func:`save_recording`, atomically.

Example::

    sanitizer = Sanitizer.default()
    with capture_exchanges(sanitizer) as exchanges:
        boto3.client("sagemaker").describe_auto_ml_job(AutoMLJobName="my-job")
    save_recording(Path("cassettes/my-job.yaml"), exchanges, source="live", sanitizer=sanitizer)
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from replay.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    atomic_writer,
    build_meta,
    dump_cassette,
    read_cassette,
)
from replay.errors import CassetteError, ConfigError, CredentialsError, EndpointError, ReplayError
from replay.sanitize import Sanitizer
from replay.scan import scan_text

SOURCES = ("live", "local-endpoint", "synthetic")

# JSON-protocol services that hand out credentials: their exchanges never belong in a cassette.
CREDENTIAL_TARGET_PREFIXES = frozenset({
    "AWSCognitoIdentityService", "AWSSecurityTokenServiceV20110615", "AWSSSOOIDCService",
    "SWBPortalService", "AWSIdentityStore",
})

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})

_CREDENTIAL_ERROR_CODES = frozenset({
    "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
    "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "AccessDeniedException",
    "AccessDenied", "MissingAuthenticationToken", "IncompleteSignature",
})


# ------------------------------------------------------------------------------ capture


def _header_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _vcr_request_headers(request: Any) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        values = value if isinstance(value, list | tuple) else [value]
        headers[_header_text(name)] = [_header_text(v) for v in values]
    return headers


def _recorded_request(request: Any) -> RecordedRequest:
    body = request.body_bytes if hasattr(request, "body_bytes") else request.body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    return RecordedRequest(method=str(request.method).upper(), uri=str(request.uri),
                           headers=_vcr_request_headers(request), body=text)


def _recorded_response(response: dict[str, Any]) -> RecordedResponse:
    status = response.get("status") or {}
    body = (response.get("body") or {}).get("string") or b""
    headers = {_header_text(k): [_header_text(v) for v in (vs if isinstance(vs, list) else [vs])]
               for k, vs in (response.get("headers") or {}).items()}
    return RecordedResponse(status=int(status.get("code", 0)),
                            reason=str(status.get("message", "")), headers=headers,
                            body=body if isinstance(body, bytes) else str(body).encode("utf-8"))


def _target_of(request: Any) -> str | None:
    for name, value in request.headers.items():
        if str(name).lower() == "x-amz-target":
            values = value if isinstance(value, list | tuple) else [value]
            return _header_text(values[0]) if values else None
    return None


class _MemoryPersister:
    """vcrpy persister that never touches disk: nothing to load, nothing saved."""

    @classmethod
    def load_cassette(cls, cassette_path: Any, serializer: Any) -> Any:
        from vcr.persisters.filesystem import CassetteNotFoundError

        raise CassetteNotFoundError()

    @staticmethod
    def save_cassette(cassette_path: Any, cassette_dict: Any, serializer: Any) -> None:
        return None


class _Collector(list[Any]):
    """vcrpy's interaction list; each (request, response) it gets is also handed to ``sink``."""

    def __init__(self, sink: list[Interaction], lock: threading.Lock) -> None:
        super().__init__()
        self._sink = sink
        self._lock = lock

    def append(self, item: Any) -> None:
        request, response = item
        interaction = Interaction(request=_recorded_request(request),
                                  response=_recorded_response(response))
        with self._lock:
            super().append(item)
            self._sink.append(interaction)


def _wanted(target: str | None, targets: Collection[str] | None) -> bool:
    if not target:
        return False
    prefix = target.partition(".")[0]
    if targets is not None:
        return prefix in targets
    return prefix not in CREDENTIAL_TARGET_PREFIXES


@contextlib.contextmanager
def _thread_safe_patching() -> Iterator[None]:
    """Make vcrpy's global patching hold under threads.

    While any thread sends a real request, vcrpy puts the real connection classes back
    (``vcr.patch.force_reset``); a connection another thread opens meanwhile is a real one and
    its exchange is never recorded. Opening a botocore connection and that reset share one lock
    here, so no exchange slips past; the network round trips themselves still overlap.
    """
    import botocore.awsrequest as awsrequest
    import vcr.patch

    lock = threading.RLock()
    original_reset = vcr.patch.force_reset

    @contextlib.contextmanager
    def locked_reset() -> Iterator[None]:
        with lock, original_reset():
            yield

    def locked(original: Any) -> Any:
        def new_conn(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                return original(self, *args, **kwargs)
        return new_conn

    pools = (awsrequest.AWSHTTPConnectionPool, awsrequest.AWSHTTPSConnectionPool)
    own = {pool: pool.__dict__.get("_new_conn") for pool in pools}
    vcr.patch.force_reset = locked_reset
    for pool in pools:
        pool._new_conn = locked(pool._new_conn)
    try:
        yield
    finally:
        vcr.patch.force_reset = original_reset
        for pool, original in own.items():
            if original is None:
                del pool._new_conn
            else:
                pool._new_conn = original


@contextlib.contextmanager
def capture_exchanges(sanitizer: Sanitizer | None = None, *,
                      targets: Collection[str] | None = None) -> Iterator[list[Interaction]]:
    """While active, every AWS JSON-protocol exchange boto3/botocore makes in this process
    (via vcrpy) is sanitized in memory and appended, in order, to the yielded list.

    Only requests carrying ``X-Amz-Target`` land there (``targets``, when given, limits them to
    those target prefixes, e.g. ``{"SageMaker"}``); credential services (STS, SSO, Cognito)
    and the metadata service never do. Nothing is written to disk. Requests really go to the
    network: this records, it never replays.
    """
    import vcr

    scrubber = sanitizer or Sanitizer.default()
    captured: list[Interaction] = []
    lock = threading.Lock()

    def before_record_request(request: Any) -> Any:
        # vcrpy has already deep-copied the request: editing it never changes what is sent.
        if not _wanted(_target_of(request), targets):
            return None
        clean = scrubber.sanitize_request(_recorded_request(request))
        request.uri = clean.uri
        request.headers = {name: values[0] if len(values) == 1 else values
                           for name, values in clean.headers.items()}
        request.body = clean.body.encode("utf-8")
        return request

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        clean = scrubber.sanitize_response(_recorded_response(response))
        response["status"] = {"code": clean.status, "message": clean.reason}
        response["headers"] = clean.headers
        response["body"] = {"string": clean.body}
        return response

    recorder = vcr.VCR(record_mode="all", decode_compressed_response=True,
                       before_record_request=before_record_request,
                       before_record_response=before_record_response)
    recorder.register_persister(_MemoryPersister)
    with _thread_safe_patching(), recorder.use_cassette("aws-replay-in-memory") as cassette:
        cassette.data = _Collector(captured, lock)
        yield captured


# ------------------------------------------------------------------------------ saving


def save_recording(path: Path, interactions: Sequence[Interaction], *, source: str,
                   sanitizer: Sanitizer, overwrite: bool = False, append: bool = False) -> None:
    """Write atomically with the meta block (``source``: live | local-endpoint | synthetic).

    Refuses to replace an existing cassette unless ``overwrite`` (or ``append``, which keeps the
    old interactions first). The interactions are sanitized once more on the way (idempotent),
    and the text about to be written is scanned with every decoder of ``aws-replay scan``: a
    secret hidden where sanitizing cannot rewrite it (inside base64, say) stops the write.
    """
    if source not in SOURCES:
        raise ConfigError(f"unknown recording source {source!r}; use one of {', '.join(SOURCES)}")
    if not interactions:
        raise CassetteError(f"{path}: nothing was recorded, so nothing was written; "
                            "check that the code under recording calls AWS through boto3")
    previous: tuple[Interaction, ...] = ()
    if path.exists():
        if append:
            previous = read_cassette(path).interactions
        elif not overwrite:
            raise CassetteError(f"{path}: already exists and was left as it is; pass "
                                "--overwrite to replace it")
    cassette = Cassette(interactions=(*previous, *interactions), path=path)
    cassette = sanitizer.sanitize_cassette(cassette)
    meta = build_meta(source, sanitizer.meta())
    text = dump_cassette(Cassette(interactions=cassette.interactions, meta=meta, path=path),
                         as_json=path.suffix == ".json")
    leaks = scan_text(text, path, sanitizer, plain=False)
    if leaks:
        first = leaks[0]
        hidden = f" (in {first.decoded_from})" if first.decoded_from else ""
        raise CassetteError(
            f"{path}: not written: {len(leaks)} value(s) that must not reach disk survived "
            f"sanitizing (first: {first.kind} {first.redacted}{hidden}); add a pattern or "
            "json_path to [tool.aws-replay.sanitize] and record again")
    with atomic_writer(path) as handle:
        handle.write(text)


def source_for_endpoint(endpoint_url: str | None) -> str:
    """``live`` for AWS itself (no endpoint, or ``*.amazonaws.com``), else ``local-endpoint``."""
    if not endpoint_url:
        return "live"
    host = (urlsplit(endpoint_url).hostname or "").lower()
    if host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn"):
        return "live"
    return "local-endpoint"


# ------------------------------------------------------------------------------ record jobs


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
        return f"{len(self.jobs)} job(s): {', '.join(parts) or 'nothing to do'}"


def _client(region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise CredentialsError(f"AWS profile {profile!r} was not found in the AWS config files; "
                               "check --profile (or AWS_PROFILE)") from None
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
        if code in _CREDENTIAL_ERROR_CODES:
            raise CredentialsError(f"{where}: AWS rejected the credentials ({code}); check them, "
                                   "their permissions (sagemaker:DescribeAutoMLJob, "
                                   "sagemaker:ListAutoMLJobs) or --profile") from None
        raise


def list_jobs(client: Any, endpoint: str) -> list[str]:
    """Every AutoML job name of the account and region (ListAutoMLJobs, all pages)."""
    names: list[str] = []
    with _aws_errors("listing AutoML jobs", endpoint):
        for page in client.get_paginator("list_auto_ml_jobs").paginate():
            names.extend(s["AutoMLJobName"] for s in page.get("AutoMLJobSummaries", []))
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


def _describe(client: Any, job: str, *, follow: bool, interval: float, timeout: float,
              sleep: Callable[[float], None]) -> tuple[str | None, str]:
    """Call DescribeAutoMLJob (polling to a terminal status when ``follow``): (status, note)."""
    started = time.monotonic()
    while True:
        status = client.describe_auto_ml_job(AutoMLJobName=job).get("AutoMLJobStatus")
        if not follow or status in TERMINAL_STATUSES:
            return status, ""
        if time.monotonic() - started + interval > timeout:
            return status, f"stopped following after {timeout:g} s (status {status})"
        sleep(interval)


def record_job(client: Any, job: str, path: Path, *, sanitizer: Sanitizer, source: str,
               endpoint: str, follow: bool = False, interval: float = 30.0,
               timeout: float = 3600.0, overwrite: bool = False,
               sleep: Callable[[float], None] = time.sleep,
               captured: list[Interaction] | None = None) -> JobRecording:
    """Record one job's DescribeAutoMLJob exchange(s) into ``path``.

    ``captured`` is the list of an active :func:`capture_exchanges` to use (a run of many jobs
    patches once); without it the job gets its own capture.
    """
    if path.exists() and not overwrite:
        return JobRecording(job, path, "skipped",
                            message=f"{path} exists; pass --overwrite to record it again")
    if captured is None:
        with capture_exchanges(sanitizer, targets={"SageMaker"}) as own:
            return record_job(client, job, path, sanitizer=sanitizer, source=source,
                              endpoint=endpoint, follow=follow, interval=interval,
                              timeout=timeout, overwrite=overwrite, sleep=sleep, captured=own)
    import botocore.exceptions

    first = len(captured)
    outcome, status, note = "recorded", None, ""
    try:
        with _aws_errors(f"recording {job}", endpoint):
            status, note = _describe(client, job, follow=follow, interval=interval,
                                     timeout=timeout, sleep=sleep)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        outcome = "not-found" if code in ("ResourceNotFound", "ResourceNotFoundException") \
            else "error"
        note = (f"job not found; recorded the {code} answer (an error cassette is a "
                "valid fixture)" if outcome == "not-found"
                else f"recorded the {code} error answer")
    interactions = _tidy(captured[first:])
    save_recording(path, interactions, source=source, sanitizer=sanitizer, overwrite=overwrite)
    return JobRecording(job, path, outcome, len(interactions), status, note)


def record_jobs(jobs: Sequence[str], *, all_jobs: bool = False, region: str | None = None,
                profile: str | None = None, endpoint_url: str | None = None,
                cassette_dir: Path = Path("cassettes"), follow: bool = False,
                interval: float = 30.0, timeout: float = 3600.0, overwrite: bool = False,
                sanitizer: Sanitizer | None = None,
                on_job: Callable[[JobRecording], None] | None = None,
                on_jobs_known: Callable[[int], None] | None = None,
                sleep: Callable[[float], None] = time.sleep) -> RecordSummary:
    """The engine of ``aws-replay record``: each job into ``cassette_dir/<job>.yaml``.

    ``all_jobs`` adds every job ListAutoMLJobs returns. ``on_jobs_known(n)`` and ``on_job``
    report progress. Credential and endpoint problems raise :class:`ReplayError` subclasses;
    a job that does not exist is recorded as its ``ResourceNotFound`` answer.
    """
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
        if not name or "/" in name or name.startswith("."):
            raise ConfigError(f"job name {name!r} cannot name a cassette file")
    if on_jobs_known is not None:
        on_jobs_known(len(names))
    summary = RecordSummary(source=source)
    with capture_exchanges(scrubber, targets={"SageMaker"}) as captured:
        for name in names:
            result = record_job(client, name, cassette_dir / f"{name}.yaml",
                                sanitizer=scrubber, source=source, endpoint=endpoint,
                                follow=follow, interval=interval, timeout=timeout,
                                overwrite=overwrite, sleep=sleep, captured=captured)
            summary.jobs.append(result)
            if on_job is not None:
                on_job(result)
    return summary


def describe_result(result: JobRecording) -> str:
    """One line for a job's outcome."""
    detail = f" ({result.message})" if result.message else ""
    if result.outcome in ("recorded", "not-found", "error"):
        status = f", status {result.status}" if result.status else ""
        return (f"{result.outcome}: {result.job} -> {result.path} "
                f"[{result.interactions} exchange(s){status}]{detail}")
    return f"{result.outcome}: {result.job}{detail}"


