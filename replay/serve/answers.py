"""Answers on the wire: an HTTP/1.1 response as one buffer, and errors in each protocol's shape.

Every answer of the local endpoint is an :class:`Answer`: its status, its whole wire form
(status line, headers, body) built once, and how the server counts and logs it. What the server
cannot answer is :func:`error_answer`: the protocol's own error shape
(:func:`replay.protocols.errors.error_document`) so the client raises its normal service error
and prints the reason, which goes through the output gate (:func:`replay.core.redaction.redact`)
first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from replay.core.jsonbody import JsonBodyError, parse_json_body
from replay.core.redaction import redact
from replay.protocols.errors import JSON_CONTENT_TYPE, error_document

# Recorded headers that describe the recorded connection or encoding, not this one.
_NOT_REPLAYED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


@dataclass(frozen=True)
class Answer:
    """A response ready for the wire, and how the server counts it."""

    status: int
    wire: bytes
    kind: str
    """``hit`` (from a cassette), ``synthetic``, ``miss`` (unmatched) or ``error`` (protocol)."""
    close: bool = False
    detail: str = ""
    """What the operator's log says about a miss or an error (the full explanation)."""


class BadRequest(Exception):
    """A request the protocol cannot carry; becomes a protocol-shaped error answer."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.detail)
        self.answer = answer


def clean_header(text: str) -> str:
    """A header value on one line: cassettes are user files, and a line break would split the
    response."""
    return text.replace("\r", " ").replace("\n", " ")


def request_id(seed: str) -> str:
    """A stable request id for ``seed`` (the same answer always carries the same id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aws-replay:{seed}"))


def wire_response(status: int, body: bytes, headers: Iterable[tuple[str, str]] = (),
                  *, reason: str | None = None, close: bool = False,
                  default_type: str | None = JSON_CONTENT_TYPE,
                  content_length: int | None = None) -> bytes:
    """An HTTP/1.1 response as bytes: status line, ``headers``, a correct Content-Length, body.

    ``Content-Type`` (``default_type``: AWS JSON 1.1 unless told otherwise; ``None`` adds none)
    and ``x-amzn-RequestId`` are added when ``headers`` lack them, as SageMaker always sends
    both. ``content_length`` replaces the body's length (a HEAD answer: the size a GET would
    get, and no body).
    """
    try:
        phrase = reason or HTTPStatus(status).phrase
    except ValueError:
        phrase = reason or "Unknown"
    lines = [f"HTTP/1.1 {status} {clean_header(phrase)}"]
    seen: set[str] = set()
    for name, value in headers:
        lowered = name.lower()
        if lowered in _NOT_REPLAYED:
            continue
        seen.add(lowered)
        lines.append(f"{clean_header(name)}: {clean_header(value)}")
    if "content-type" not in seen and default_type is not None:
        lines.append(f"Content-Type: {default_type}")
    if "x-amzn-requestid" not in seen:
        lines.append(f"x-amzn-RequestId: {request_id(body.decode('utf-8', 'replace'))}")
    lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    if close:
        lines.append("Connection: close")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1", "replace") + (body if content_length is None else b"")


def error_answer(error_type: str, message: str, *, kind: str = "error", status: int = 400,
                 close: bool = False, detail: str = "", protocol: str = "json") -> Answer:
    """A protocol-shaped error: code ``error_type`` and ``message`` with ``status``.

    ``protocol`` picks the shape (:func:`replay.protocols.errors.error_document`); the JSON
    protocol's is ``{"__type": error_type, "message": message}`` with ``X-Amzn-ErrorType``, as
    AWS sends it and some SDKs read it first.
    """
    message, detail = redact(message), redact(detail)  # what the client sent, masked
    document = error_document(protocol, error_type, message, str(uuid.uuid4()))
    return Answer(status, wire_response(status, document.body, document.headers, close=close),
                  kind, close, detail or message)


def parse_params(body: bytes) -> dict[str, Any]:
    """The request's JSON parameters (an empty body is ``{}``, as botocore sends none then)."""
    if not body.strip():
        return {}
    try:
        params = parse_json_body(body)
    except JsonBodyError as exc:
        raise BadRequest(error_answer(
            "SerializationException",
            f"the request body is not JSON ({exc.reason}); AWS JSON 1.1 requests carry a JSON "
            "object",
        )) from None
    if not isinstance(params, dict):
        raise BadRequest(error_answer(
            "SerializationException",
            f"the request body is JSON {type(params).__name__}, not an object; AWS JSON 1.1 "
            "requests carry a JSON object",
        ))
    return params
