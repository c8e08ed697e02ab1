"""Capturing and saving exchanges: vcrpy records, we sanitize and write. The only vcrpy setup.

vcrpy patches botocore's connections; our before-record hooks keep AWS API calls of every
protocol (:func:`wanted`: never credential traffic, never a request to anything but AWS), store
a large or binary upload as its digest, and sanitize request and response in memory.
Nothing reaches disk through vcrpy: its persister here is a no-op, and the
collected interactions are written by :func:`save_recording`, atomically. Which jobs to record
and how to follow them is :mod:`replay.record.jobs`; the pytest plugin's record modes and
``aws-replay live`` capture through here too.

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

from replay.cassette.model import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    text_headers,
)
from replay.cassette.read import read_cassette
from replay.cassette.write import atomic_writer, build_meta, dump_cassette
from replay.core.errors import CassetteError, ConfigError, ReplayError
from replay.core.hosts import is_aws_host
from replay.protocols.credentials import (
    is_credential_operation,
    is_credential_target,
    is_metadata_url,
)
from replay.protocols.wire import body_bytes, stored_request_body
from replay.sanitize.sanitizer import Sanitizer
from replay.sanitize.scan import scan_text
from replay.spec.operations import identify_operation

SOURCES = ("live", "local-endpoint", "synthetic")


# ------------------------------------------------------------------------------ capture


def _recorded_request(request: Any) -> RecordedRequest:
    body = request.body_bytes if hasattr(request, "body_bytes") else request.body
    text = body if isinstance(body, str) else stored_request_body(body_bytes(body))
    return RecordedRequest(method=str(request.method).upper(), uri=str(request.uri),
                           headers=text_headers(request.headers), body=text)


def _recorded_response(response: dict[str, Any]) -> RecordedResponse:
    status = response.get("status") or {}
    body = (response.get("body") or {}).get("string") or b""
    headers = text_headers(response.get("headers") or {})
    return RecordedResponse(status=int(status.get("code", 0)),
                            reason=str(status.get("message", "")), headers=headers,
                            body=body if isinstance(body, bytes) else str(body).encode("utf-8"))


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


def wanted(request: RecordedRequest, targets: Collection[str] | None = None) -> bool:
    """Whether a request belongs in a cassette: an AWS API call of any protocol, but never
    credential traffic (metadata service, STS ``AssumeRole*``, SSO, Cognito identity) nor a
    request that is not to AWS. ``targets`` (JSON target prefixes such as ``{"SageMaker"}``)
    keeps only those services' calls."""
    target = request.header("X-Amz-Target")
    if target:
        if targets is not None:
            return target.partition(".")[0] in targets
        return not is_credential_target(target)
    if targets is not None or is_metadata_url(request.uri):
        return False
    try:
        ref = identify_operation(request)
    except ReplayError:
        return False
    return not is_credential_operation(ref.service, ref.operation)


@contextlib.contextmanager
def _raw_response_bodies() -> Iterator[None]:
    """Keep response bodies as the server sent them, as botocore itself reads them.

    botocore asks urllib3 for bodies undecoded (``decode_content=False``): an S3 object stored
    with ``Content-Encoding: gzip`` reaches the caller compressed. vcrpy sends the request on
    the real connection without saying so, and urllib3 2 then inflates the body while keeping
    the compressed ``Content-Length``: the caller being recorded gets an
    ``IncompleteReadError`` and the cassette a body that no longer fits its headers. Here the
    real connections default to ``decode_content=False`` while recording (botocore's own calls
    pass it explicitly, so they are unchanged).
    """
    import inspect

    import botocore.awsrequest as awsrequest
    import urllib3.connection

    classes = (awsrequest.AWSHTTPConnection, awsrequest.AWSHTTPSConnection)
    parameters = inspect.signature(urllib3.connection.HTTPConnection.request).parameters
    if "decode_content" not in parameters:
        yield  # urllib3 1.x: responses are never decoded here
        return

    def undecoded(original: Any) -> Any:
        def request(self: Any, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("decode_content", False)
            return original(self, *args, **kwargs)
        return request

    own = {cls: cls.__dict__.get("request") for cls in classes}
    for cls in classes:
        cls.request = undecoded(cls.request)
    try:
        yield
    finally:
        for cls, original in own.items():
            if original is None:
                del cls.request
            else:
                cls.request = original


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
    """While active, every AWS API exchange boto3/botocore makes in this process (via vcrpy),
    of any protocol, is sanitized in memory and appended, in order, to the yielded list.

    Credential traffic (STS ``AssumeRole*``, SSO, Cognito identity, the metadata service) and
    requests to anything but AWS never land there (:func:`wanted`); ``targets``, when given,
    keeps only JSON-protocol calls with those target prefixes (e.g. ``{"SageMaker"}``). Bodies
    are kept as sent: binary downloads byte for byte, compressed ones compressed, an empty
    HEAD answer with its ``Content-Length``; a large or binary upload is stored as its digest.
    Nothing is written to disk. Requests really go to the network: this records, it never
    replays.
    """
    import vcr

    scrubber = sanitizer or Sanitizer.default()
    captured: list[Interaction] = []
    lock = threading.Lock()

    def before_record_request(request: Any) -> Any:
        # vcrpy has already deep-copied the request: editing it never changes what is sent.
        recorded = _recorded_request(request)
        if not wanted(recorded, targets):
            return None
        clean = scrubber.sanitize_request(recorded)
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

    recorder = vcr.VCR(record_mode="all", decode_compressed_response=False,
                       before_record_request=before_record_request,
                       before_record_response=before_record_response)
    recorder.register_persister(_MemoryPersister)
    with _thread_safe_patching(), _raw_response_bodies(), \
            recorder.use_cassette("aws-replay-in-memory") as cassette:
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
    """``live`` for AWS itself (no endpoint, or an AWS host: ``*.amazonaws.com``, ``*.api.aws``),
    else ``local-endpoint``."""
    if not endpoint_url:
        return "live"
    return "live" if is_aws_host(urlsplit(endpoint_url).hostname or "") else "local-endpoint"
