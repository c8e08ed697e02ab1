"""Output members bound to HTTP, not to the body (``rest-json``, ``rest-xml``): response headers
(``location: header``), header prefixes (``location: headers``, S3's ``x-amz-meta-*``) and the
status code (``location: statusCode``).

A :class:`HeaderBinding` is compiled once per structure: for each such member, where its value
comes from, how the header text becomes a value (an integer, a boolean, a comma-separated list;
a ``jsonvalue`` header is base64 JSON) and the member's compiled check (timestamps in headers
are ``rfc822`` unless the model says otherwise). Findings carry the member name as their
JSONPath (``$.ContentLength``), as boto3 shows it.

Example::

    binding = HeaderBinding.compile(operation.output_shape, ShapeCompiler("rfc822"))
    binding(response.headers, 200, sink)
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from replay.core.findings import Severity
from replay.core.jsonbody import parse_json_body
from replay.core.jsonpath import member_segment
from replay.spec.servicemodel import Shape
from replay.spec.shapes import Check, ShapeCompiler, Sink

_MAX_NUMBER_CHARS = 400


def _header_text_reader(shape: Shape) -> Callable[[str], Any]:
    """How a header's text becomes a value of ``shape`` (kept as text when it is not one)."""
    kind = shape.type_name

    def as_int(text: str) -> Any:
        try:
            return int(text) if len(text) <= _MAX_NUMBER_CHARS else text
        except ValueError:
            return text

    def as_float(text: str) -> Any:
        try:
            return float(text) if len(text) <= _MAX_NUMBER_CHARS else text
        except ValueError:
            return text

    if kind in ("integer", "long", "short", "byte"):
        return as_int
    if kind in ("float", "double"):
        return as_float
    if kind == "boolean":
        return lambda text: {"true": True, "false": False}.get(text.strip().lower(), text)
    if kind == "timestamp":
        declared = shape.serialization.get("timestampFormat") or shape.metadata.get(
            "timestampFormat")
        return as_float if declared == "unixTimestamp" else str
    if kind == "list":
        item = _header_text_reader(shape.member)
        return lambda text: [item(part.strip()) for part in text.split(",")]
    return str


@dataclass(frozen=True)
class _Bound:
    name: str
    segment: str
    location: str
    header: str
    read: Callable[[str], Any]
    check: Check
    jsonvalue: bool


@dataclass(frozen=True)
class HeaderBinding:
    """The header-, prefix- and status-bound members of one structure, compiled."""

    members: tuple[_Bound, ...]

    @classmethod
    def compile(cls, shape: Shape, compiler: ShapeCompiler) -> HeaderBinding:
        bound: list[_Bound] = []
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location not in ("header", "headers", "statusCode"):
                continue
            header = str(member.serialization.get("name", name)).lower()
            read = (_header_text_reader(member.value) if location == "headers"
                    else _header_text_reader(member))
            bound.append(_Bound(name, member_segment(name), location, header, read,
                                compiler.compile(member),
                                bool(member.serialization.get("jsonvalue"))))
        return cls(tuple(bound))

    def __bool__(self) -> bool:
        return bool(self.members)

    def __call__(self, headers: Mapping[str, list[str]] | None, status: int,
                 sink: Sink) -> None:
        """Check each bound member present in ``headers`` (or the ``status``) into ``sink``."""
        lowered: dict[str, str] = {}
        for key, values in (headers or {}).items():
            lowered.setdefault(key.lower(), values[0] if values else "")
        trail: list[str] = []
        for member in self.members:
            value: Any
            if member.location == "statusCode":
                value = status
            elif member.location == "headers":
                value = {key[len(member.header):]: member.read(text)
                         for key, text in lowered.items() if key.startswith(member.header)}
                if not value:
                    continue
            else:
                text = lowered.get(member.header)
                if text is None:
                    continue
                if member.jsonvalue:
                    trail.append(member.segment)
                    _check_jsonvalue(member.name, member.header, text, trail, sink)
                    trail.pop()
                    continue
                value = member.read(text)
            trail.append(member.segment)
            member.check(value, trail, sink)
            trail.pop()


def _check_jsonvalue(name: str, header: str, text: str, trail: list[str], sink: Sink) -> None:
    """A ``jsonvalue`` header is base64-encoded JSON; botocore decodes and parses it."""
    try:
        parse_json_body(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        sink.add("type", Severity.BREAKING, trail,
                 f"header {header} ({name}) is a JSON value: expects base64-encoded JSON",
                 "base64 JSON", text)
