"""Live drift: send each cassette's recorded requests to the live endpoint again, freshly
signed, and compare the answers with the recording.

Every recorded request is sent again, signed with the current credentials: a JSON-protocol
call through boto3 with its recorded parameters, any other protocol as recorded (method, URL,
headers, body) re-signed by :mod:`replay.record.resend`. The answer is captured by
:func:`replay.record.capture.capture_exchanges`, sanitized in memory, held against the spec
(:func:`replay.spec.check.check_interaction`) and diffed against the stored response
(:func:`replay.drift.diff.diff_interactions`). With ``update`` the cassettes whose responses
changed are rewritten atomically (sanitized), and those whose every answer was confirmed
unchanged are
refreshed (``meta.recorded_at`` set to now, so ``--max-age`` counts from the confirmation);
without it nothing on disk changes.

Throttling is retried with backoff (botocore's standard retry mode, or the same loop for a
request sent as recorded); still throttled, the
interaction is reported as ``throttled`` and the run goes on. Missing or rejected credentials
and an unreachable endpoint stop the run: with nothing compared yet they raise a
:class:`ReplayError`; otherwise the partial run is returned with ``stopped`` set, so what was
compared is still reported.

Example::

    run = live_drift([Path("cassettes")], endpoint_url="http://127.0.0.1:4566")
    print(run.summary)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from replay.cassette.model import Cassette, Interaction
from replay.cassette.read import find_cassettes, read_cassette
from replay.cassette.write import build_meta
from replay.core.config import load_settings
from replay.core.errors import (
    REJECTED_CREDENTIAL_CODES,
    ConfigError,
    CredentialsError,
    EndpointError,
    ReplayError,
)
from replay.core.findings import Finding, Severity, Subject, summarize
from replay.drift.diff import diff_interactions
from replay.drift.volatile import DriftSettings, drift_settings
from replay.spec.operations import OperationRef, identify_operation

THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException",
                              "TooManyRequestsException", "RequestLimitExceeded",
                              "ProvisionedThroughputExceededException", "SlowDown"})


@dataclass
class LiveRun:
    """What a live drift run compared and found; ``stopped`` says why it ended early."""

    findings: list[Finding] = field(default_factory=list)
    cassettes: int = 0
    interactions: int = 0
    not_compared: int = 0
    updated: list[Path] = field(default_factory=list)
    refreshed: list[Path] = field(default_factory=list)
    """Cassettes whose every answer was confirmed live, rewritten by ``update`` with a new
    ``recorded_at`` (so ``--max-age`` counts from now)."""
    subjects: list[Subject] = field(default_factory=list)
    stopped: str | None = None
    pending: dict[int, Interaction] = field(default_factory=dict, repr=False)
    """Changed answers of the cassette being compared (by interaction), for ``update``."""

    @property
    def summary(self) -> dict[str, Any]:
        summary = summarize(self.findings, cassettes=self.cassettes,
                            interactions=self.interactions)
        summary["not_compared"] = self.not_compared
        summary["updated"] = [str(p) for p in self.updated]
        summary["refreshed"] = [str(p) for p in self.refreshed]
        return summary


class _Stop(Exception):
    """The run cannot go on (credentials, endpoint); carries the user-facing message."""

    def __init__(self, error: ReplayError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Clients:
    session: Any
    endpoint_url: str | None
    region: str | None
    max_attempts: int
    made: dict[tuple[str, str | None], Any] = field(default_factory=dict)
    http: Any = None  # botocore's HTTP session, for requests sent again as recorded

    def for_operation(self, ref: OperationRef) -> Any:
        from botocore.config import Config

        region = self.region or ref.region or self.session.region_name or "us-east-1"
        key = (ref.service, region)
        if key not in self.made:
            config = Config(retries={"max_attempts": self.max_attempts, "mode": "standard"},
                            connect_timeout=10, read_timeout=60)
            self.made[key] = self.session.client(ref.service, region_name=region,
                                                 endpoint_url=self.endpoint_url, config=config)
        return self.made[key]


def _is_credential_error(exc: Exception) -> bool:
    """botocore's many credential-provider failures (SSO, assume-role, partial keys...)."""
    from botocore.exceptions import NoCredentialsError, PartialCredentialsError

    name = type(exc).__name__
    return isinstance(exc, NoCredentialsError | PartialCredentialsError) or any(
        word in name for word in ("Credential", "Token", "SSO"))


def _session(profile: str | None, region: str | None) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        credentials = session.get_credentials()
    except ProfileNotFound:
        raise ConfigError(f"AWS profile {profile!r} is not in your AWS config; check "
                          "--profile (or AWS_PROFILE) and ~/.aws/config") from None
    except BotoCoreError as exc:
        raise CredentialsError(f"cannot get AWS credentials ({type(exc).__name__}); refresh "
                               "them (aws sso login, the CI role) or pass --profile") from None
    if credentials is None:
        raise CredentialsError(
            "no AWS credentials found; live drift signs every request again: set "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass --profile, or use an OIDC role in CI")
    return session


def _send(clients: _Clients, ref: OperationRef, params: Mapping[str, Any],
          captured: list[Interaction]) -> tuple[Interaction | None, str | None]:
    """Call the operation; the captured (sanitized) final exchange, or why there is none."""
    from botocore import xform_name
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError,
        HTTPClientError,
        ParamValidationError,
    )

    client = clients.for_operation(ref)
    before = len(captured)
    where = clients.endpoint_url or f"{ref.service} in {client.meta.region_name}"
    try:
        getattr(client, xform_name(ref.operation))(**params)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in THROTTLING_CODES:
            return None, f"throttled ({code}) after {clients.max_attempts} attempt(s)"
        if code in REJECTED_CREDENTIAL_CODES:
            raise _Stop(CredentialsError(
                f"{where} rejected the credentials ({code}); refresh them (expired session?) "
                "or check that the role may call " + ref.operation)) from None
    except ParamValidationError as exc:
        return None, f"the recorded parameters are not valid for botocore ({exc})"
    except ConnectionError as exc:  # refused, DNS, TLS, proxy, connect timeout
        raise _Stop(EndpointError(f"cannot reach {where} ({type(exc).__name__}) after "
                                  f"{clients.max_attempts} attempt(s); check --endpoint-url, "
                                  "--region and the network, or try again later")) from None
    except HTTPClientError as exc:  # dropped connection, read timeout
        raise _Stop(EndpointError(f"{where} dropped the connection or did not answer "
                                  f"({type(exc).__name__}) after "
                                  f"{clients.max_attempts} attempt(s); try again later")) \
            from None
    except BotoCoreError as exc:
        if _is_credential_error(exc):
            raise _Stop(CredentialsError(f"cannot sign requests to {where} "
                                         f"({type(exc).__name__}); refresh the credentials or "
                                         "pass --profile")) from None
        return None, f"botocore could not send it ({type(exc).__name__})"
    if len(captured) == before:
        return None, "no exchange was captured (the request did not reach the network)"
    return captured[-1], None


def _resend(clients: _Clients, ref: OperationRef, recorded: Interaction,
            captured: list[Interaction]) -> tuple[Interaction | None, str | None]:
    """Send a recorded request of a protocol other than JSON again as recorded (its URL,
    headers and body; to ``--endpoint-url`` when given), signed afresh; the captured
    (sanitized) exchange, or why there is none."""
    import time

    from botocore.httpsession import URLLib3Session

    from replay.cassette.model import BODY_DIGEST_PREFIX
    from replay.record.resend import (
        error_code,
        frozen_credentials,
        recorded_response,
        send_request,
        sign_request,
    )
    from replay.spec.operations import service_model

    request = recorded.request
    if request.body.startswith(BODY_DIGEST_PREFIX):
        return None, ("its upload is stored as a digest (over 64 KiB, or not UTF-8), so it "
                      "cannot be sent again; record it afresh and compare the two recordings "
                      "with `aws-replay diff`")
    model = service_model(ref.service)
    region = clients.region or ref.region or clients.session.region_name or "us-east-1"
    url = _url_for(request.uri, clients.endpoint_url, model)
    where = clients.endpoint_url or urlsplit(url).netloc
    headers = {name: values[0] for name, values in request.headers.items() if values}
    try:
        credentials = frozen_credentials(clients.session)
    except CredentialsError as exc:
        raise _Stop(exc) from None
    if clients.http is None:
        clients.http = URLLib3Session(timeout=60)
    before = len(captured)
    code = None
    for attempt in range(clients.max_attempts):
        signed = sign_request(request.method, url, headers, request.body.encode("utf-8"),
                              credentials, model.signing_name, region)
        last = attempt + 1 == clients.max_attempts
        try:
            response = send_request(signed, http=clients.http)
        except EndpointError:
            if last:
                raise _Stop(EndpointError(
                    f"cannot reach {where} after {clients.max_attempts} attempt(s); check "
                    "--endpoint-url, --region and the network, or try again later")) from None
            code = None
        else:
            code = error_code(recorded_response(response))
            if code not in THROTTLING_CODES or last:
                break
        # refused, dropped or throttled: back off and try again, as botocore's standard mode does
        time.sleep(min(0.2 * 2 ** attempt, 5.0))
    if code in THROTTLING_CODES:
        return None, f"throttled ({code}) after {clients.max_attempts} attempt(s)"
    if code in REJECTED_CREDENTIAL_CODES:
        raise _Stop(CredentialsError(
            f"{where} rejected the credentials ({code}); refresh them (expired session?) or "
            "check that the role may call " + ref.operation))
    if len(captured) == before:
        return None, "no exchange was captured (the request did not reach the network)"
    return captured[-1], None


def _url_for(uri: str, endpoint_url: str | None, model: Any) -> str:
    """Where a recorded request goes again: its own URL, or the same path (S3 virtual-hosted
    addressing turned into path-style) and query at ``endpoint_url``."""
    if endpoint_url is None:
        return uri
    from replay.protocols.rest import path_style
    from replay.protocols.wire import WireRequest

    split = urlsplit(uri)
    path = path_style(WireRequest.from_parts("GET", uri, {}, b""), model)
    base = endpoint_url.rstrip("/")
    return f"{base}{path}" + (f"?{split.query}" if split.query else "")


def _updated_cassette(cassette: Cassette, responses: Mapping[int, Interaction],
                      source: str, sanitizer: Any) -> Cassette:
    from replay.sanitize.sanitizer import Sanitizer

    interactions = tuple(responses.get(i, interaction)
                         for i, interaction in enumerate(cassette.interactions))
    fresh = replace(cassette, interactions=interactions)
    # a separate sanitizer: reserving this cassette's placeholders must not shift the numbers
    # the run's own sanitizer gives the next cassettes' live answers
    clean = Sanitizer(sanitizer.rules).sanitize_cassette(fresh)
    meta = {**cassette.meta, **build_meta(source, sanitizer.meta())}
    return replace(clean, meta=meta)


def live_drift(paths: Iterable[Path], *, endpoint_url: str | None = None,
               region: str | None = None, profile: str | None = None, update: bool = False,
               max_attempts: int = 5, settings: Mapping[str, Any] | None = None) -> LiveRun:
    """Replay every cassette under ``paths`` against the live endpoint and report drift.

    ``settings`` is the ``[tool.aws-replay]`` table (read from pyproject.toml when omitted):
    its ``drift`` table sets the volatile paths, its ``sanitize`` table the redaction rules.
    """
    from replay.cassette.write import write_cassette
    from replay.record.capture import capture_exchanges, source_for_endpoint
    from replay.sanitize.sanitizer import Sanitizer

    if max_attempts < 1:
        raise ConfigError("--max-attempts must be 1 or more")
    table = load_settings() if settings is None else settings
    drift: DriftSettings = drift_settings(table.get("drift", {}) or {})
    sanitizer = Sanitizer.from_settings(table)
    files = find_cassettes(paths)
    cassettes = [read_cassette(path) for path in files]  # bad input fails before any request
    session = _session(profile, region)
    clients = _Clients(session, endpoint_url, region, max_attempts)
    source = source_for_endpoint(endpoint_url)
    run = LiveRun()
    try:
        with capture_exchanges(sanitizer) as captured:
            for path, cassette in zip(files, cassettes, strict=True):
                skipped = run.not_compared
                _drift_cassette(path, cassette, clients, captured, drift, run)
                confirmed = run.not_compared == skipped and bool(cassette.interactions)
                if update and (run.pending or confirmed):
                    write_cassette(path, _updated_cassette(cassette, run.pending, source,
                                                           sanitizer))
                    (run.updated if run.pending else run.refreshed).append(path)
                run.pending = {}
    except _Stop as stop:
        if run.interactions == 0:
            raise stop.error from None
        run.stopped = str(stop.error)
    return run


def _drift_cassette(path: Path, cassette: Cassette, clients: _Clients,
                    captured: list[Interaction], drift: DriftSettings, run: LiveRun) -> None:
    from replay.spec.check import check_interaction

    name = str(path)
    compared_here = False
    for index, recorded in enumerate(cassette.interactions):
        run.subjects.append((name, index, None))
        try:
            ref = identify_operation(recorded.request)
            params = recorded.request.json() if ref.protocol == "json" else None
        except ReplayError as exc:
            run.not_compared += 1
            run.findings.append(Finding("not-compared", Severity.INFO, "$", str(exc),
                                        cassette=name, interaction=index))
            continue
        operation = f"{ref.service}:{ref.operation}"
        answer, problem = (_send(clients, ref, params, captured) if params is not None
                           else _resend(clients, ref, recorded, captured))
        if answer is None:
            run.not_compared += 1
            kind = "throttled" if problem and problem.startswith("throttled") else "not-compared"
            run.findings.append(Finding(kind, Severity.INFO, "$", problem or "not compared",
                                        cassette=name, interaction=index, operation=operation))
            continue
        fresh = Interaction(request=recorded.request, response=answer.response)
        run.interactions += 1
        compared_here = True
        changes = diff_interactions(recorded, fresh, drift, ref.model)
        for finding in (*changes, *check_interaction(fresh)):
            run.findings.append(replace(finding, cassette=name, interaction=index,
                                        operation=operation))
        if changes:
            run.pending[index] = fresh
    if compared_here:
        run.cassettes += 1
