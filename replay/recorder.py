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
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from replay.cassette import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    build_meta,
    read_cassette,
    write_cassette,
)
from replay.errors import CassetteError, ConfigError
from replay.sanitize import Sanitizer

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
    with recorder.use_cassette("aws-replay-in-memory") as cassette:
        cassette.data = _Collector(captured, lock)
        yield captured


# ------------------------------------------------------------------------------ saving


def save_recording(path: Path, interactions: Sequence[Interaction], *, source: str,
                   sanitizer: Sanitizer, overwrite: bool = False, append: bool = False) -> None:
    """Write atomically with the meta block (``source``: live | local-endpoint | synthetic).

    Refuses to replace an existing cassette unless ``overwrite`` (or ``append``, which keeps the
    old interactions first). The interactions are sanitized once more on the way (idempotent),
    so nothing unsanitized can reach disk through here.
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
    write_cassette(path, Cassette(interactions=cassette.interactions, meta=meta, path=path))


def source_for_endpoint(endpoint_url: str | None) -> str:
    """``live`` for AWS itself (no endpoint, or ``*.amazonaws.com``), else ``local-endpoint``."""
    if not endpoint_url:
        return "live"
    host = (urlsplit(endpoint_url).hostname or "").lower()
    if host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn"):
        return "live"
    return "local-endpoint"
