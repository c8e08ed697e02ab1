"""Recording through ``serve``: forward each request to AWS, re-signed, and keep the exchange.

``aws-replay serve --record-to DIR --upstream-region R`` makes the local endpoint a recording
proxy, so anything that speaks to AWS over HTTP can be recorded, in any protocol and method
(SageMaker's JSON calls, S3's REST calls, STS's query forms): the AWS CLI, the JavaScript SDK,
curl with SigV4. A client signs its request for ``127.0.0.1``, which AWS would refuse; the
proxy drops that signature, sends the request to the real endpoint of the service the client
signed for (or to ``--upstream-url``), signed afresh with botocore's SigV4 signer and the
user's own credentials (``--profile`` or the usual chain), and hands the answer back.

Before the client sees the answer, the exchange is sanitized in memory and written atomically
(:func:`replay.record.capture.save_recording`: sanitized once more, scanned for leaks, one
rename) to a cassette per operation and parameters, ``DIR/<service>/<operation>-<hint>-<digest>
.yaml``: the same request again (a polling loop) is appended to the same cassette, so it
replays in order. A proxy killed mid-write leaves the previous cassette, never a partial one;
a client that got an answer has its exchange on disk. Credential traffic (STS ``AssumeRole*``
and ``GetSessionToken``, SSO, Cognito identity; :func:`replay.record.capture.wanted`) is
forwarded and never written; ``sts get-caller-identity`` is recorded like any call. An upload is
stored as its digest (:func:`replay.protocols.wire.stored_request_body`), and a refusal comes in
the error shape of the request's protocol.

Example::

    proxy = RecordingProxy(Path("cassettes/recorded"), "us-east-1")
    with start_server(responder=proxy) as server:
        ...  # aws sagemaker describe-auto-ml-job --endpoint-url {server.url} ...
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from replay.cassette.model import Interaction, RecordedRequest, RecordedResponse, header_value
from replay.core.errors import ConfigError, CredentialsError, EndpointError, ReplayError
from replay.match.matchers import canonical_params
from replay.protocols.errors import guess_protocol
from replay.protocols.wire import credential_scope, stored_request_body
from replay.record.capture import save_recording, source_for_endpoint, wanted
from replay.record.resend import (
    error_code,
    frozen_credentials,
    recorded_response,
    send_request,
    sign_request,
)
from replay.sanitize.sanitizer import Sanitizer
from replay.serve.answers import Answer, error_answer, wire_response

_HINT_CHARACTERS = re.compile(r"[^a-z0-9]+")
_HINT_LIMIT = 48


def _kebab(name: str) -> str:
    """``DescribeAutoMLJob`` as ``describe-auto-ml-job``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name)
    return spaced.lower()


def _hint(text: str) -> str:
    return _HINT_CHARACTERS.sub("-", text.lower()).strip("-")[:_HINT_LIMIT].strip("-")


def _first_string(value: Any) -> str | None:
    """The first string parameter of a request (a job name, say): the readable part of a
    cassette's name."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for item in value.values():
            found = _first_string(item)
            if found:
                return found
    if isinstance(value, list):
        for item in value:
            found = _first_string(item)
            if found:
                return found
    return None


def cassette_path(folder: Path, request: RecordedRequest, service: str) -> Path:
    """Where a (sanitized) request's exchange is kept: one cassette per operation and
    parameters, ``<service>/<operation>-<hint>-<digest>.yaml``."""
    target = request.header("X-Amz-Target")
    split = urlsplit(request.uri)
    if target:
        operation = _kebab(target.rpartition(".")[2])
        identity = canonical_params(request.body)
        try:
            hint = _hint(_first_string(request.json()) or "")
        except ReplayError:
            hint = ""
    else:  # other protocols: the operation (or the method) and the resource name the call
        from replay.spec.operations import identify_operation

        try:
            operation = _kebab(identify_operation(request).operation)
        except ReplayError:
            operation = request.method.lower()
        identity = f"{request.method} {split.path}?{split.query}\n{request.body}"
        hint = _hint(unquote(split.path))
    digest = hashlib.sha256(f"{target}\n{identity}".encode()).hexdigest()[:10]
    name = "-".join(part for part in (operation, hint, digest) if part)
    from replay.cassette.write import cassette_suffix

    return folder / _hint(service) / f"{name}{cassette_suffix(folder)}"


class RecordingProxy:
    """Forwards every request upstream re-signed; records each exchange as it answers."""

    def __init__(self, record_to: Path, region: str, *, profile: str | None = None,
                 upstream_url: str | None = None, sanitizer: Sanitizer | None = None,
                 session: Any = None, timeout: float = 60.0) -> None:
        if not region:
            raise ConfigError("--upstream-region is required with --record-to (the region "
                              "of the real endpoint, e.g. us-east-1)")
        if upstream_url is not None and urlsplit(upstream_url).scheme not in ("http", "https"):
            raise ConfigError(f"--upstream-url {upstream_url!r} is not an http(s) URL")
        self.folder = record_to
        self.region = region
        self.upstream_url = upstream_url.rstrip("/") if upstream_url else None
        self.sanitizer = sanitizer or Sanitizer.default()
        self.session = session if session is not None else _session(profile)
        self.timeout = timeout
        self.written: list[Path] = []
        self._endpoints: dict[str, str] = {}
        self._started: set[Path] = set()
        self._write_lock = threading.Lock()
        self._http: Any = None

    def describe(self) -> str:
        where = self.upstream_url or f"AWS in {self.region}"
        return f"requests forwarded to {where}, recorded to {self.folder}"

    def answer(self, target: str, body: bytes, authorization: str | None = None) -> Answer:
        """The :class:`~replay.serve.responders.Responder` call: a bare JSON-protocol POST."""
        headers = [("X-Amz-Target", target), ("Content-Type", "application/x-amz-json-1.1")]
        if authorization:
            headers.append(("Authorization", authorization))
        return self.forward("POST", "/", headers, body)

    # ------------------------------------------------------------------ one exchange

    def forward(self, method: str, path: str, headers: Sequence[tuple[str, str]],
                body: bytes) -> Answer:
        """Send one client request upstream, record the exchange, and answer the client."""
        given = {name: value for name, value in headers}
        target = header_value({k: [v] for k, v in given.items()}, "X-Amz-Target")
        # Refusals come in the error shape of the request's protocol, read from the request.
        protocol = guess_protocol({k.lower(): v for k, v in given.items()}, body)
        signing = self._signing_name(given, target)
        if signing is None:
            return error_answer(
                "MissingAuthenticationToken",
                "aws-replay serve --record-to forwards SigV4-signed requests only (it reads the "
                "service from the signature's credential scope); sign the request with any "
                "credentials", protocol=protocol)
        url = self.upstream_for(method, path, given, body, signing) + path
        try:
            request = sign_request(method, url, given, body,
                                   frozen_credentials(self.session), signing, self.region)
            response = send_request(request, http=self._session_http())
        except CredentialsError as exc:
            return error_answer("AwsReplayCredentialsError", str(exc), status=403,
                                protocol=protocol)
        except EndpointError as exc:
            return error_answer("AwsReplayUpstreamError", f"{exc} (the upstream: --upstream-url, "
                                "or AWS in --upstream-region)", status=502, kind="error",
                                protocol=protocol)
        except ReplayError as exc:
            return error_answer("AwsReplayUpstreamError", str(exc), status=502, kind="error",
                                protocol=protocol)
        answer = recorded_response(response, head=method == "HEAD")
        status, content = answer.status, answer.body
        answer_headers = [(k, values[0]) for k, values in answer.headers.items()]
        recorded = Interaction(
            request=RecordedRequest(method, url, {k: [str(v)] for k, v in request.headers.items()},
                                    stored_request_body(body)),
            response=answer)
        kind, detail = "recorded", ""
        refused = _refusal(answer)
        if refused is not None:
            kind, detail = "error", (f"not recorded: the upstream refused the credentials "
                                     f"({refused}); check --profile and the role's permissions")
        elif not wanted(recorded.request):
            kind, detail = "forwarded", ("not recorded: credential traffic, or not an AWS call "
                                         "botocore knows")
        else:
            try:
                detail = f"recorded to {self._record(recorded, signing)}"
            except ReplayError as exc:
                return error_answer("AwsReplayRecordingFailed",
                                    f"the exchange was not recorded: {exc}", kind="error",
                                    protocol=protocol)
        # a HEAD answer: the size a GET would get (S3 HeadObject); serve sends it without a body
        size = answer.header("Content-Length") if method == "HEAD" else None
        wire = wire_response(status, content, answer_headers, reason=answer.reason,
                             content_length=int(size) if size and size.isdigit() else None)
        return Answer(status, wire, kind, detail=detail)

    def _signing_name(self, headers: dict[str, str], target: str | None) -> str | None:
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"),
                             "")
        scope = credential_scope(authorization)
        if scope:
            return scope[1]
        if target:
            from replay.spec.operations import service_for_target_prefix

            try:
                return service_for_target_prefix(target.partition(".")[0])
            except ReplayError:
                return None
        return None

    def upstream_for(self, method: str, path: str, headers: dict[str, str], body: bytes,
                     signing: str) -> str:
        """Where a request goes: ``--upstream-url``, else the endpoint of the service it calls
        in ``--upstream-region``. The service is the operation's when it can be told (a
        ``sagemaker-runtime`` call is signed as ``sagemaker`` but served from ``runtime.``),
        else the signing name."""
        if self.upstream_url is not None:
            return self.upstream_url
        from replay.spec.operations import identify_operation

        request = RecordedRequest(method, f"http://127.0.0.1{path}",
                                  {name: [value] for name, value in headers.items()},
                                  stored_request_body(body))
        try:
            service = identify_operation(request).service
        except ReplayError:
            service = signing
        if service not in self._endpoints:
            client = self.session.create_client(service, region_name=self.region)
            self._endpoints[service] = str(client.meta.endpoint_url).rstrip("/")
        return self._endpoints[service]

    def _session_http(self) -> Any:
        from botocore.httpsession import URLLib3Session

        if self._http is None:
            self._http = URLLib3Session(timeout=self.timeout)
        return self._http

    def _record(self, interaction: Interaction, service: str) -> Path:
        with self._write_lock:  # one numbering of placeholders, one writer per cassette
            clean = self.sanitizer.sanitize_interaction(interaction)
            path = cassette_path(self.folder, clean.request, service)
            first = path not in self._started
            save_recording(path, [clean], source=source_for_endpoint(self.upstream_url
                                                                     or interaction.request.uri),
                           sanitizer=self.sanitizer, overwrite=first, append=not first)
            self._started.add(path)
            self.written.append(path)
            return path

    def recorded(self) -> list[Path]:
        """The cassettes written so far, each once, in the order first written."""
        return list(dict.fromkeys(self.written))


def _refusal(answer: RecordedResponse) -> str | None:
    """The error code when the upstream refused the credentials (nothing worth a cassette)."""
    from replay.core.errors import REJECTED_CREDENTIAL_CODES

    code = error_code(answer) if answer.status in (400, 401, 403) else None
    return code if code in REJECTED_CREDENTIAL_CODES else None


def _session(profile: str | None) -> Any:
    import botocore.session
    from botocore.exceptions import ProfileNotFound

    try:
        session = botocore.session.Session(profile=profile)
        session.get_scoped_config()  # an unknown profile fails here, before any request
    except ProfileNotFound:
        raise ConfigError(f"AWS profile {profile!r} is not in your AWS config; check "
                          "--profile (or AWS_PROFILE) and ~/.aws/config") from None
    return session


def recorded_summary(paths: Iterable[Path]) -> str:
    """``3 cassette(s) recorded: a.yaml, b.yaml, ...`` for the stop message."""
    listed = list(paths)
    shown = ", ".join(str(p) for p in listed[:5]) + (" ..." if len(listed) > 5 else "")
    return f"{len(listed)} cassette(s) recorded" + (f": {shown}" if listed else "")
