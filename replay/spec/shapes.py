"""Compiling botocore shapes into check functions: the spec checker's engine.

Each shape becomes a small closure, built once per shape name (recursive shapes resolve through
a cell), that checks one parsed JSON value and appends raw findings to a :class:`Sink`. Paths
are kept as a list of JSONPath steps pushed and popped during the walk and only formatted when
something is found, so a clean body costs no string building. Patterns are compiled once, at
compile time, and searched (Smithy semantics: not anchored).

:mod:`replay.spec.check` puts these together per operation and turns sinks into findings.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from replay.core.findings import Finding, Severity
from replay.core.jsonpath import json_type, member_segment
from replay.spec.servicemodel import Shape

BREAKING, ADDITIVE, INFO = Severity.BREAKING, Severity.ADDITIVE, Severity.INFO

_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1),
               "short": (-(2**15), 2**15 - 1), "byte": (-(2**7), 2**7 - 1)}
_FLOAT_SPECIALS = frozenset({"NaN", "Infinity", "-Infinity"})
_ISO8601 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
                      r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?")

Trail = list[str]
Check = Callable[[Any, Trail, "Sink"], None]
Report = Callable[[int, Trail, "Sink"], None]

_INDEXED = 256
_INDEX = tuple(f"[{index}]" for index in range(_INDEXED))  # list steps, formatted once


@dataclass
class Sink:
    """Collects raw findings during one walk; unsupported patterns are reported once."""

    items: list[tuple[str, Severity, str, str, Any, Any]] = field(default_factory=list)
    unsupported: set[str] = field(default_factory=set)

    def add(self, kind: str, severity: Severity, trail: Trail, message: str,
            expected: Any = None, actual: Any = None) -> None:
        self.items.append((kind, severity, "$" + "".join(trail), message, expected, actual))


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def _type_error(shape: Shape, expected: str, value: Any, trail: Trail, sink: Sink) -> None:
    sink.add("type", BREAKING, trail,
             f"{shape.type_name} shape {shape.name} expects {_article(expected)} {expected}, "
             f"found {json_type(value)}", expected, value)


def _valid_timestamp_text(text: str, declared: str) -> bool:
    """Whether ``text`` is a timestamp written as ``declared`` (``iso8601`` or ``rfc822``)."""
    if declared == "iso8601":
        return _ISO8601.fullmatch(text.strip()) is not None
    try:
        return email.utils.parsedate_to_datetime(text) is not None
    except (TypeError, ValueError, IndexError):
        return False


# member traits that change how the shape itself reads (location and locationName matter to
# the structure holding the member, which reads them there)
_OWN_TRAITS = ("timestampFormat", "jsonvalue", "flattened", "xmlAttribute", "xmlNamespace",
               "streaming", "eventstream", "event", "eventheader", "eventpayload")


def shape_key(shape: Shape) -> str:
    """What a compiled shape is cached under: its name, and the traits a member reference may
    give it (``{"shape": "When", "timestampFormat": "iso8601"}``, a member's own ``enum``), so
    that one use of a shape never lends its reading to another."""
    serialization = shape.serialization
    traits = [f"{name}={serialization[name]!r}" for name in _OWN_TRAITS if name in serialization]
    enum = shape.metadata.get("enum")
    if enum:
        traits.append(f"enum={enum!r}")
    return f"{shape.name}[{','.join(traits)}]" if traits else shape.name


class ShapeCompiler:
    """Compiles shapes of one service model into check functions, each shape once.

    ``timestamps`` is the wire format of a timestamp that declares none: ``unixTimestamp`` in
    JSON bodies, ``iso8601`` in XML ones, ``rfc822`` in HTTP headers.
    """

    def __init__(self, timestamps: str = "unixTimestamp") -> None:
        self._done: dict[str, Check] = {}
        self._cells: dict[str, list[Check]] = {}
        self.timestamps = timestamps

    def compile(self, shape: Shape, allowed_extra: frozenset[str] = frozenset(),
                body_only: bool = False) -> Check:
        """``shape``'s check; ``allowed_extra`` names members accepted unmodelled (an error's
        envelope), ``body_only`` leaves out members bound to headers or the status code."""
        name = shape_key(shape)
        key = name if not allowed_extra else f"{name}+{sorted(allowed_extra)}"
        key = f"{key}/body" if body_only else key
        done = self._done.get(key)
        if done is not None:
            return done
        pending = self._cells.get(key)
        if pending is not None:  # recursive shape: defer to the finished function
            return lambda value, trail, sink: pending[0](value, trail, sink)
        cell: list[Check] = []
        self._cells[key] = cell
        check = self._build(shape, allowed_extra, body_only)
        cell.append(check)
        self._done[key] = check
        return check

    def _build(self, shape: Shape, allowed_extra: frozenset[str], body_only: bool) -> Check:
        kind = shape.type_name
        if kind == "structure":
            if shape.metadata.get("document"):
                return lambda value, trail, sink: None
            return self._structure(shape, allowed_extra, body_only)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        if kind == "string":
            return self._string(shape)
        if kind in _INT_BOUNDS:
            return self._integer(shape)
        if kind in ("float", "double"):
            return self._float(shape)
        if kind == "boolean":
            return self._boolean(shape)
        if kind == "timestamp":
            return self._timestamp(shape)
        if kind == "blob":
            return self._blob(shape)
        return lambda value, trail, sink: None  # a type botocore may add later: accept it

    def _structure(self, shape: Shape, allowed_extra: frozenset[str], body_only: bool) -> Check:
        members = {name: self.compile(member) for name, member in shape.members.items()
                   if not (body_only and member.serialization.get("location"))}
        required = tuple(name for name in shape.required_members if name in members)
        is_union = bool(shape.metadata.get("union"))
        segments = {name: member_segment(name) for name in shape.members}

        def check_structure(value: Any, trail: Trail, sink: Sink) -> None:
            if type(value) is not dict:
                _type_error(shape, "object", value, trail, sink)
                return
            for name, item in value.items():
                member = members.get(name)
                if member is None:
                    if name not in allowed_extra:
                        trail.append(segments.get(name) or member_segment(name))
                        sink.add("unknown-member", ADDITIVE, trail,
                                 f"member {name} is not in the model of {shape.name}; "
                                 "botocore drops it silently", None, item)
                        trail.pop()
                    continue
                if item is None:
                    continue  # botocore treats null as absent
                trail.append(segments[name])
                member(item, trail, sink)
                trail.pop()
            for name in required:
                if value.get(name) is None:
                    trail.append(segments[name])
                    sink.add("missing-required", BREAKING, trail,
                             f"required member {name} of {shape.name} is missing",
                             name, None)
                    trail.pop()
            if is_union:
                present = [n for n in value if n in members and value[n] is not None]
                if len(present) != 1:
                    sink.add("type", BREAKING, trail,
                             f"union {shape.name} must have exactly one member set, "
                             f"found {len(present)}", "one member", present)

        return check_structure

    @staticmethod
    def _bounds(shape: Shape, kind: str, what: str) -> tuple[float, float, Report]:
        """``(low, high, report)``: callers test ``low <= size <= high`` inline (no call per
        value) and call ``report(size, trail, sink)`` only when it fails."""
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        bounds = f"{low if low is not None else 0}..{high if high is not None else 'unbounded'}"

        def report(size: int, trail: Trail, sink: Sink) -> None:
            sink.add(kind, BREAKING, trail,
                     f"{what} {size} is outside {bounds} ({shape.name})", bounds, size)

        return (low if low is not None else -math.inf,
                high if high is not None else math.inf, report)

    def _list(self, shape: Shape) -> Check:
        member = self.compile(shape.member)
        low, high, report_size = self._bounds(shape, "list-length", "list length")
        sparse = bool(shape.metadata.get("sparse"))

        def check_list(value: Any, trail: Trail, sink: Sink) -> None:
            if type(value) is not list:
                _type_error(shape, "array", value, trail, sink)
                return
            if not low <= len(value) <= high:
                report_size(len(value), trail, sink)
            for index, item in enumerate(value):
                trail.append(_INDEX[index] if index < _INDEXED else f"[{index}]")
                if item is None:
                    if not sparse:
                        _type_error(shape.member, "value (the list is not sparse)", item,
                                    trail, sink)
                else:
                    member(item, trail, sink)
                trail.pop()

        return check_list

    def _map(self, shape: Shape) -> Check:
        key_check = self.compile(shape.key)
        value_check = self.compile(shape.value)
        low, high, report_size = self._bounds(shape, "map-length", "map size")

        def check_map(value: Any, trail: Trail, sink: Sink) -> None:
            if type(value) is not dict:
                _type_error(shape, "object", value, trail, sink)
                return
            if not low <= len(value) <= high:
                report_size(len(value), trail, sink)
            for key, item in value.items():
                trail.append(member_segment(key))
                key_check(key, trail, sink)
                if item is not None:
                    value_check(item, trail, sink)
                trail.pop()

        return check_map

    def _string(self, shape: Shape) -> Check:
        enum = frozenset(shape.enum) if getattr(shape, "enum", None) else None
        enum_list = list(shape.enum) if enum else None
        low, high, report_length = self._bounds(shape, "length", "length")
        pattern_text: str = shape.metadata.get("pattern") or ""
        search: Callable[[str], Any] | None = None
        unsupported: str | None = None
        if pattern_text:
            try:
                search = re.compile(pattern_text).search
            except re.error as exc:
                unsupported = str(exc)

        def check_string(value: Any, trail: Trail, sink: Sink) -> None:
            if type(value) is not str:
                _type_error(shape, "string", value, trail, sink)
                return
            if enum is not None and value not in enum:
                sink.add("enum", BREAKING, trail,
                         f"{value!r} is not a value of enum {shape.name} in the model",
                         enum_list, value)
            if not low <= len(value) <= high:  # code points, as Smithy counts them
                report_length(len(value), trail, sink)
            if search is not None:
                if search(value) is None:
                    sink.add("pattern", BREAKING, trail,
                             f"value does not match pattern {pattern_text!r} of {shape.name} "
                             "(searched, not anchored)", pattern_text, value)
            elif unsupported is not None and pattern_text not in sink.unsupported:
                sink.unsupported.add(pattern_text)
                sink.add("unsupported-pattern", INFO, trail,
                         f"pattern {pattern_text!r} of {shape.name} cannot be compiled by "
                         f"Python's re ({unsupported}); its values are not checked against it",
                         pattern_text, None)

        return check_string

    @staticmethod
    def _range(shape: Shape, kind_low: float | None = None,
               kind_high: float | None = None) -> Callable[[Any, Trail, Sink], None]:
        low = shape.metadata.get("min", kind_low)
        high = shape.metadata.get("max", kind_high)
        if low is None and high is None:
            return lambda value, trail, sink: None
        bounds = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"

        def check_range(value: Any, trail: Trail, sink: Sink) -> None:
            if (low is not None and value < low) or (high is not None and value > high):
                sink.add("range", BREAKING, trail,
                         f"{value} is outside {bounds} ({shape.name})", bounds, value)

        return check_range

    def _integer(self, shape: Shape) -> Check:
        check_range = self._range(shape, *_INT_BOUNDS[shape.type_name])

        def check_integer(value: Any, trail: Trail, sink: Sink) -> None:
            if type(value) is not int:
                if type(value) is float and value.is_integer():
                    check_range(value, trail, sink)
                    return
                _type_error(shape, "integer", value, trail, sink)
                return
            check_range(value, trail, sink)

        return check_integer

    def _float(self, shape: Shape) -> Check:
        check_range = self._range(shape)

        def check_float(value: Any, trail: Trail, sink: Sink) -> None:
            kind = type(value)
            if kind is float or kind is int:
                check_range(value, trail, sink)
            elif not (kind is str and value in _FLOAT_SPECIALS):
                _type_error(shape, "number", value, trail, sink)

        return check_float

    @staticmethod
    def _boolean(shape: Shape) -> Check:
        def check_boolean(value: Any, trail: Trail, sink: Sink) -> None:
            if type(value) is not bool:
                _type_error(shape, "boolean", value, trail, sink)

        return check_boolean

    def _timestamp(self, shape: Shape) -> Check:
        declared = shape.serialization.get("timestampFormat") or shape.metadata.get(
            "timestampFormat") or self.timestamps
        wants_string = declared in ("iso8601", "rfc822")

        def check_timestamp(value: Any, trail: Trail, sink: Sink) -> None:
            kind = type(value)
            if wants_string:
                if kind is not str:
                    sink.add("timestamp-format", BREAKING, trail,
                             f"timestamp {shape.name} is {declared}: expects a string, "
                             f"found {json_type(value)}", declared, value)
                elif not _valid_timestamp_text(value, declared):
                    sink.add("timestamp-format", BREAKING, trail,
                             f"timestamp {shape.name} is not an {declared} date", declared,
                             value)
                return
            if kind is int or kind is float:
                return
            if kind is str:
                sink.add("timestamp-format", BREAKING, trail,
                         f"timestamps are epoch seconds as a number here; "
                         f"{shape.name} is a string", "epoch seconds (number)", value)
            else:
                _type_error(shape, "number (epoch seconds)", value, trail, sink)

        return check_timestamp

    @staticmethod
    def _blob(shape: Shape) -> Check:
        def check_blob(value: Any, trail: Trail, sink: Sink) -> None:
            if type(value) is not str:
                _type_error(shape, "string (base64)", value, trail, sink)
                return
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                sink.add("type", BREAKING, trail,
                         f"blob {shape.name} is not valid base64", "base64", value)

        return check_blob


def sink_findings(sink: Sink) -> list[Finding]:
    """The findings a walk collected, in the order found."""
    return [Finding(kind=k, severity=s, path=p, message=m, expected=e, actual=a)
            for k, s, p, m, e, a in sink.items]
