"""The cassette in memory: interactions of recorded requests and responses, headers as text.

A cassette is vcrpy's format (``interactions: [{request, response}]``, ``version: 1``) plus a
top-level ``meta`` block that vcrpy ignores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from replay.core.errors import InvalidBodyError
from replay.core.jsonbody import JsonBodyError, parse_json_body

Headers = dict[str, list[str]]


"""Header name -> values, as vcrpy stores them (a list per name, usually of one)."""


CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")
SUPPORTED_VERSION = 1

BODY_DIGEST_PREFIX = "aws-replay-body-digest:"
"""How a request body stored as its digest starts (a large or binary upload; see
:mod:`replay.protocols.wire`): its ``Content-Length`` is the upload's, not the digest text's."""


def _text(value: Any) -> str:
    """A header value or body as text; vcrpy stores boto3's as bytes (``!!binary``)."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return str(value)


def header_value(headers: Mapping[str, list[str]], name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or ``None``."""
    wanted = name.lower()
    for key, values in headers.items():
        if key.lower() == wanted:
            return values[0] if values else ""
    return None


def is_body_checksum(header: str) -> bool:
    """A header holding a checksum of the body (``Content-MD5``, ``x-amz-checksum-crc32``...,
    DynamoDB's ``x-amz-crc32``): clients verify it, so it goes when the stored body is not the
    body as sent."""
    lower = header.lower()
    return lower in ("content-md5", "x-amz-crc32") or (
        lower.startswith("x-amz-checksum-") and lower != "x-amz-checksum-type")


def without_body_checksums(headers: Mapping[str, list[str]]) -> Headers:
    """A copy of ``headers`` without the checksums of the body (:func:`is_body_checksum`)."""
    return {name: list(values) for name, values in headers.items()
            if not is_body_checksum(name)}


def without_header(headers: Mapping[str, list[str]], name: str) -> Headers:
    """A copy of ``headers`` without ``name`` (case-insensitive)."""
    wanted = name.lower()
    return {k: list(v) for k, v in headers.items() if k.lower() != wanted}


def with_header(headers: Mapping[str, list[str]], name: str, value: str) -> Headers:
    """A copy of ``headers`` with ``name`` set to ``value``, keeping the recorded spelling."""
    result: Headers = {}
    placed = False
    for key, values in headers.items():
        if key.lower() == name.lower():
            if not placed:
                result[key] = [value]
                placed = True
        else:
            result[key] = list(values)
    if not placed:
        result[name] = [value]
    return result


@dataclass(frozen=True)
class RecordedRequest:
    """A request as recorded: method, full URI, headers (text), body (text)."""

    method: str
    uri: str
    headers: Headers = field(default_factory=dict)
    body: str = ""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def json(self) -> Any:
        """The body parsed as JSON (an empty body is ``{}``, as botocore sends no body then)."""
        if not self.body.strip():
            return {}
        try:
            return parse_json_body(self.body)
        except JsonBodyError as exc:
            raise InvalidBodyError(
                f"request body to {self.uri} is not JSON ({exc.reason}); AWS JSON protocol "
                "requests carry a JSON object"
            ) from None


@dataclass(frozen=True)
class RecordedResponse:
    """A response as recorded: status code and reason, headers (text), raw body bytes."""

    status: int
    reason: str = "OK"
    headers: Headers = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def text(self) -> str:
        return _text(self.body)

    def json(self) -> Any:
        """The body parsed as JSON; raises :class:`InvalidBodyError` when it is not JSON."""
        try:
            return parse_json_body(self.body)
        except JsonBodyError as exc:
            raise InvalidBodyError(f"response body is not JSON ({exc.reason})") from None


@dataclass(frozen=True)
class Interaction:
    """One recorded request and its response."""

    request: RecordedRequest
    response: RecordedResponse


@dataclass(frozen=True)
class Cassette:
    """A cassette file's content. Treat it as read-only: loaded cassettes are shared."""

    interactions: tuple[Interaction, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    version: int = SUPPORTED_VERSION

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else "<memory>"


def text_headers(raw: Mapping[Any, Any]) -> Headers:
    """Header names and values as text, each value a list: what vcrpy or botocore hold (bytes,
    single values or lists) in the form cassettes store."""
    result: Headers = {}
    for key, values in raw.items():
        if type(values) is list and len(values) == 1 and type(values[0]) is str and type(
                key) is str:
            result[key] = [values[0]]  # the common case: one text value
            continue
        name = key if type(key) is str else _text(key)
        if type(values) is list or type(values) is tuple:
            result[name] = [value if type(value) is str else _text(value) for value in values]
        elif isinstance(values, list | tuple):
            result[name] = [_text(value) for value in values]
        else:
            result[name] = [_text(values)]
    return result
