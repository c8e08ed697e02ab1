"""A request as it travels: method, URL, headers, body bytes; from a cassette or from botocore.

Matching, identification and ``serve`` all read requests through :class:`WireRequest`, so a
request recorded in a cassette, one botocore is about to send and one a client sent to
``serve`` are read the same way.

A large or binary request body (an S3 ``PutObject`` upload) is stored in a cassette as its
digest (:func:`digest_text`): matching compares digests, and the cassette does not hold the
upload a second time. Reading a stored digest back gives the same :func:`body_digest` as the
bytes it was made from.

Example::

    wire = WireRequest.from_recorded(interaction.request)
    wire.path, wire.query_pairs()       # ('/my-bucket/model.tar.gz', [('x-id', 'GetObject')])
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from replay.cassette.model import BODY_DIGEST_PREFIX, RecordedRequest

DIGEST_PREFIX = BODY_DIGEST_PREFIX
"""How a request body stored as its digest starts (``aws-replay-body-digest:sha256=...``)."""

_DIGEST = re.compile(r"^aws-replay-body-digest:sha256=((?:[0-9a-f]{8}-){7}[0-9a-f]{8}) "
                     r"length=(\d+)$")

STORED_BODY_LIMIT = 64 * 1024
"""Request bodies larger than this (or not UTF-8) are stored as their digest."""


def _sha256(body: bytes) -> str:
    """The SHA-256 of ``body`` in hex, in groups of eight: a run of twelve digits in a plain hex
    digest looks like an account id to the sanitizer, the scanner and the output gate."""
    digest = hashlib.sha256(body).hexdigest()
    return "-".join(digest[start:start + 8] for start in range(0, 64, 8))


def digest_text(body: bytes) -> str:
    """The text a cassette stores for a large or binary request body."""
    return f"{DIGEST_PREFIX}sha256={_sha256(body)} length={len(body)}"


def stored_request_body(body: bytes) -> str:
    """A request body as a cassette stores it: the text itself, or its digest when it is binary
    or larger than :data:`STORED_BODY_LIMIT`."""
    if len(body) > STORED_BODY_LIMIT:
        return digest_text(body)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return digest_text(body)


def body_digest(body: bytes) -> dict[str, Any]:
    """``{"sha256": ..., "length": ...}`` of a body, or of the body a stored digest stands for."""
    if body.startswith(DIGEST_PREFIX.encode()):
        match = _DIGEST.match(body.decode("ascii", "replace").strip())
        if match:
            return {"sha256": match.group(1), "length": int(match.group(2))}
    return {"sha256": _sha256(body), "length": len(body)}


def body_bytes(body: Any) -> bytes:
    """A request body botocore or a cassette holds (bytes, text, ``None``, a seekable stream)
    as bytes; a stream is read and put back where it was. A stream that cannot tell where it
    is (botocore's ``AwsChunkedWrapper``, an ``aws-chunked`` upload over HTTPS) is put back at
    its start, as botocore itself rewinds a body before a retry: left read to the end, the
    request sent after it (recording) would upload nothing."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)
    if read is None:
        return b""
    tell, seek = getattr(body, "tell", None), getattr(body, "seek", None)
    start = tell() if tell is not None else None
    data = read()
    if seek is not None:
        seek(0 if start is None else start)
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request: header names lower-cased (first value of each), body as bytes."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    @classmethod
    def from_parts(cls, method: str, url: str, headers: Mapping[Any, Any] | Iterable[Any],
                   body: Any) -> WireRequest:
        """From any header container (a mapping of text or bytes, or pairs) and body."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        lowered: dict[str, str] = {}
        for name, value in items:
            key = _text(name).lower()
            if isinstance(value, list | tuple):
                value = value[0] if value else ""
            lowered.setdefault(key, _text(value))
        return cls(method.upper(), url, lowered, body_bytes(body))

    @classmethod
    def from_recorded(cls, request: RecordedRequest) -> WireRequest:
        return cls.from_parts(request.method, request.uri, request.headers, request.body)

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or self.headers.get("host", "")).lower()

    @property
    def path(self) -> str:
        """The raw (still percent-encoded) path, ``/`` when empty."""
        return urlsplit(self.url).path or "/"

    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)

    def form_pairs(self) -> list[tuple[str, str]]:
        """The query protocol's parameters: the form body, else the query string."""
        if self.body.strip():
            return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return self.query_pairs()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]*/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")


def credential_scope(authorization: str | None) -> tuple[str, str] | None:
    """``(region, service)`` of a SigV4 ``Authorization`` header's credential scope
    (``Credential=AKIA.../20261201/us-east-1/s3/aws4_request``), or ``None``."""
    match = _CREDENTIAL_SCOPE.search(authorization or "")
    return (match.group(1), match.group(2)) if match else None
