"""The spec checker: hold a raw response body against an operation's botocore model.

botocore's parser silently drops members its model does not know and never checks enums,
lengths or patterns, so drift is only visible on the raw body. Here an operation's output shape
(and its error shapes) is compiled once into a tree of small check functions; checking a body
walks it and collects **every** finding (never stopping at the first), each with a JSONPath.

Smithy semantics: ``@pattern`` is searched, not anchored; string ``@length`` counts Unicode code
points; AWS JSON timestamps are epoch seconds as numbers; enums are open, so an unknown value is a
finding whose severity (not the checker) decides whether a build fails.

Example::

    findings = check_body(operation_ref("sagemaker", "DescribeAutoMLJob").model, raw_bytes)
    for finding in findings:
        print(finding.severity, finding.path, finding.message)
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

from replay.cassette import Cassette, Interaction, header_value, load_cassette
from replay.cassette import find_cassettes as _find_cassettes
from replay.errors import CassetteNotFoundError, UnknownOperationError
from replay.findings import Finding, Severity, summarize
from replay.operations import identify_operation

BREAKING, ADDITIVE, INFO = Severity.BREAKING, Severity.ADDITIVE, Severity.INFO

COMMON_ERRORS = frozenset({
    "AccessDenied", "AccessDeniedException", "ExpiredToken", "ExpiredTokenException",
    "IncompleteSignature", "IncompleteSignatureException", "InternalFailure",
    "InternalServerError", "InternalServerException", "InvalidAction", "InvalidClientTokenId",
    "InvalidParameterCombination", "InvalidParameterValue", "InvalidQueryParameter",
    "InvalidSignatureException", "MalformedQueryString", "MissingAction",
    "MissingAuthenticationToken", "MissingAuthenticationTokenException", "MissingParameter",
    "NotAuthorized", "OptInRequired", "RequestExpired", "RequestLimitExceeded", "RequestTimeout",
    "SerializationException", "ServiceUnavailable", "ServiceUnavailableException",
    "SignatureDoesNotMatch", "Throttling", "ThrottlingException", "TooManyRequestsException",
    "UnknownOperationException", "UnrecognizedClientException", "ValidationError",
    "ValidationException",
})
"""Errors any AWS JSON service may return without modelling them: ``unknown-error`` at ``info``."""

_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1),
               "short": (-(2**15), 2**15 - 1), "byte": (-(2**7), 2**7 - 1)}
_FLOAT_SPECIALS = frozenset({"NaN", "Infinity", "-Infinity"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ERROR_ENVELOPE = frozenset({"__type", "message", "Message"})

# --------------------------------------------------------------------------------- paths


def member_segment(name: str) -> str:
    """A JSONPath step for a member or map key: ``.Name`` or ``['odd key']``."""
    if _IDENTIFIER.fullmatch(name):
        return "." + name
    return "[" + json.dumps(name).replace("'", "\\'").replace('"', "'") + "]"


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value: null, boolean, number, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# --------------------------------------------------------------------------- compilation

Trail = list[str]
Check = Callable[[Any, Trail, "_Sink"], None]


@dataclass
class _Sink:
    """Collects raw findings during one walk; unsupported patterns are reported once."""

    items: list[tuple[str, Severity, str, str, Any, Any]] = field(default_factory=list)
    unsupported: set[str] = field(default_factory=set)

    def add(self, kind: str, severity: Severity, trail: Trail, message: str,
            expected: Any = None, actual: Any = None) -> None:
        self.items.append((kind, severity, "$" + "".join(trail), message, expected, actual))


def _type_error(shape: Shape, expected: str, value: Any, trail: Trail, sink: _Sink) -> None:
    sink.add("type", BREAKING, trail,
             f"{shape.type_name} shape {shape.name} expects a JSON {expected}, "
             f"found {json_type(value)}", expected, value)


class _Compiler:
    """Compiles shapes of one service model into check functions, each shape once."""

    def __init__(self) -> None:
        self._done: dict[str, Check] = {}
        self._cells: dict[str, list[Check]] = {}

    def compile(self, shape: Shape, allowed_extra: frozenset[str] = frozenset()) -> Check:
        key = shape.name if not allowed_extra else f"{shape.name}+{sorted(allowed_extra)}"
        done = self._done.get(key)
        if done is not None:
            return done
        pending = self._cells.get(key)
        if pending is not None:  # recursive shape: defer to the finished function
            return lambda value, trail, sink: pending[0](value, trail, sink)
        cell: list[Check] = []
        self._cells[key] = cell
        check = self._build(shape, allowed_extra)
        cell.append(check)
        self._done[key] = check
        return check

    def _build(self, shape: Shape, allowed_extra: frozenset[str]) -> Check:
        kind = shape.type_name
        if kind == "structure":
            if shape.metadata.get("document"):
                return lambda value, trail, sink: None
            return self._structure(shape, allowed_extra)
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

    def _structure(self, shape: Shape, allowed_extra: frozenset[str]) -> Check:
        members = {name: self.compile(member) for name, member in shape.members.items()}
        required = tuple(shape.required_members)
        is_union = bool(shape.metadata.get("union"))
        segments = {name: member_segment(name) for name in shape.members}

        def check_structure(value: Any, trail: Trail, sink: _Sink) -> None:
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

    def _sized(self, shape: Shape, kind: str, what: str) -> Callable[[int, Trail, _Sink], None]:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is None and high is None:
            return lambda size, trail, sink: None
        bounds = f"{low if low is not None else 0}..{high if high is not None else 'unbounded'}"

        def check_size(size: int, trail: Trail, sink: _Sink) -> None:
            if (low is not None and size < low) or (high is not None and size > high):
                sink.add(kind, BREAKING, trail,
                         f"{what} {size} is outside {bounds} ({shape.name})", bounds, size)

        return check_size

    def _list(self, shape: Shape) -> Check:
        member = self.compile(shape.member)
        check_size = self._sized(shape, "list-length", "list length")
        sparse = bool(shape.metadata.get("sparse"))

        def check_list(value: Any, trail: Trail, sink: _Sink) -> None:
            if type(value) is not list:
                _type_error(shape, "array", value, trail, sink)
                return
            check_size(len(value), trail, sink)
            for index, item in enumerate(value):
                trail.append(f"[{index}]")
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
        check_size = self._sized(shape, "map-length", "map size")

        def check_map(value: Any, trail: Trail, sink: _Sink) -> None:
            if type(value) is not dict:
                _type_error(shape, "object", value, trail, sink)
                return
            check_size(len(value), trail, sink)
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
        check_length = self._sized(shape, "length", "length")
        has_length = "min" in shape.metadata or "max" in shape.metadata
        pattern_text = shape.metadata.get("pattern")
        search: Callable[[str], Any] | None = None
        unsupported: str | None = None
        if pattern_text:
            try:
                search = re.compile(pattern_text).search
            except re.error as exc:
                unsupported = str(exc)

        def check_string(value: Any, trail: Trail, sink: _Sink) -> None:
            if type(value) is not str:
                _type_error(shape, "string", value, trail, sink)
                return
            if enum is not None and value not in enum:
                sink.add("enum", BREAKING, trail,
                         f"{value!r} is not a value of enum {shape.name} in the model",
                         enum_list, value)
            if has_length:
                check_length(len(value), trail, sink)
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
               kind_high: float | None = None) -> Callable[[Any, Trail, _Sink], None]:
        low = shape.metadata.get("min", kind_low)
        high = shape.metadata.get("max", kind_high)
        if low is None and high is None:
            return lambda value, trail, sink: None
        bounds = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"

        def check_range(value: Any, trail: Trail, sink: _Sink) -> None:
            if (low is not None and value < low) or (high is not None and value > high):
                sink.add("range", BREAKING, trail,
                         f"{value} is outside {bounds} ({shape.name})", bounds, value)

        return check_range

    def _integer(self, shape: Shape) -> Check:
        check_range = self._range(shape, *_INT_BOUNDS[shape.type_name])

        def check_integer(value: Any, trail: Trail, sink: _Sink) -> None:
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

        def check_float(value: Any, trail: Trail, sink: _Sink) -> None:
            kind = type(value)
            if kind is float or kind is int:
                check_range(value, trail, sink)
            elif not (kind is str and value in _FLOAT_SPECIALS):
                _type_error(shape, "number", value, trail, sink)

        return check_float

    @staticmethod
    def _boolean(shape: Shape) -> Check:
        def check_boolean(value: Any, trail: Trail, sink: _Sink) -> None:
            if type(value) is not bool:
                _type_error(shape, "boolean", value, trail, sink)

        return check_boolean

    @staticmethod
    def _timestamp(shape: Shape) -> Check:
        declared = shape.serialization.get("timestampFormat") or shape.metadata.get(
            "timestampFormat")
        wants_string = declared in ("iso8601", "rfc822")

        def check_timestamp(value: Any, trail: Trail, sink: _Sink) -> None:
            kind = type(value)
            if wants_string:
                if kind is not str:
                    sink.add("timestamp-format", BREAKING, trail,
                             f"timestamp {shape.name} is declared {declared}: expects a string, "
                             f"found {json_type(value)}", declared, value)
                return
            if kind is int or kind is float:
                return
            if kind is str:
                sink.add("timestamp-format", BREAKING, trail,
                         f"AWS JSON timestamps are epoch seconds as a JSON number; "
                         f"{shape.name} is a string", "epoch seconds (number)", value)
            else:
                _type_error(shape, "number (epoch seconds)", value, trail, sink)

        return check_timestamp

    @staticmethod
    def _blob(shape: Shape) -> Check:
        def check_blob(value: Any, trail: Trail, sink: _Sink) -> None:
            if type(value) is not str:
                _type_error(shape, "string (base64)", value, trail, sink)
                return
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                sink.add("type", BREAKING, trail,
                         f"blob {shape.name} is not valid base64", "base64", value)

        return check_blob


# ------------------------------------------------------------------------------- checkers


@dataclass(frozen=True)
class OperationChecker:
    """The compiled checks of one operation: its output shape and each modelled error."""

    operation: OperationModel
    output: Check | None
    errors: dict[str, tuple[Shape, Check]]

    def check_value(self, value: Any) -> list[Finding]:
        """Check an already parsed 2xx body."""
        sink = _Sink()
        if self.output is not None:
            self.output(value, [], sink)
        elif value not in ({}, None):
            sink.add("unknown-member", ADDITIVE, [],
                     f"{self.operation.name} has no output in the model, the body is not empty",
                     None, value)
        return _findings(sink)


def _findings(sink: _Sink) -> list[Finding]:
    return [Finding(kind=k, severity=s, path=p, message=m, expected=e, actual=a)
            for k, s, p, m, e, a in sink.items]


_compiled: dict[tuple[int, str], tuple[ServiceModel, OperationChecker]] = {}


def checker_for(operation: OperationModel) -> OperationChecker:
    """The compiled checker of ``operation``, built once per service model and operation."""
    service = operation.service_model
    key = (id(service), operation.name)
    hit = _compiled.get(key)
    if hit is not None and hit[0] is service:
        return hit[1]
    compiler = _Compiler()
    output = compiler.compile(operation.output_shape) if operation.output_shape else None
    errors: dict[str, tuple[Shape, Check]] = {}
    for shape in operation.error_shapes:
        check = compiler.compile(shape, allowed_extra=_ERROR_ENVELOPE)
        errors[shape.name] = (shape, check)
        code = shape.error_code
        if code:
            errors.setdefault(code, (shape, check))
    checker = OperationChecker(operation, output, errors)
    _compiled[key] = (service, checker)  # the model is kept alive so its id stays unique
    return checker


def error_code_of(body: Any, headers: Mapping[str, list[str]] | None) -> str | None:
    """The error type of an AWS JSON error: ``__type`` (or ``code``), else ``X-Amzn-ErrorType``.

    ``com.amazon.coral.service#ThrottlingException`` and ``Foo:http://...`` both give the bare
    name.
    """
    raw = None
    if isinstance(body, dict):
        raw = body.get("__type") or body.get("code")
    if not raw and headers:
        raw = header_value(headers, "X-Amzn-ErrorType")
    if not raw or not isinstance(raw, str):
        return None
    return raw.split("#")[-1].split(":")[0].strip() or None


def _check_error(checker: OperationChecker, status: int, parsed: Any,
                 headers: Mapping[str, list[str]] | None) -> list[Finding]:
    code = error_code_of(parsed, headers)
    operation = checker.operation.name
    if code is None:
        return [Finding("unknown-error", BREAKING, "$",
                        f"HTTP {status} response names no error type (no __type in the body, "
                        "no X-Amzn-ErrorType header)", "an error type", None)]
    modelled = checker.errors.get(code)
    if modelled is None:
        known = sorted({shape.name for shape, _ in checker.errors.values()})
        severity = INFO if code in COMMON_ERRORS else BREAKING
        why = "a common AWS error" if severity is INFO else "not modelled for this operation"
        return [Finding("unknown-error", severity, "$",
                        f"error {code} is {why} ({operation} models "
                        f"{', '.join(known) or 'no errors'})", known, code)]
    shape, check = modelled
    sink = _Sink()
    check(parsed if isinstance(parsed, dict) else {}, [], sink)
    findings = _findings(sink)
    declared = shape.metadata.get("error", {}).get("httpStatusCode")
    if declared and declared != status:
        findings.append(Finding("unexpected-status", INFO, "$",
                                f"error {code} is modelled with HTTP {declared}, "
                                f"answered with {status}", declared, status))
    return findings


def check_body(operation: OperationModel, body: bytes | str, status: int = 200,
               headers: Mapping[str, list[str]] | None = None) -> list[Finding]:
    """Every finding in a raw response ``body`` against ``operation``'s model.

    A 2xx body is checked against the output shape; a 4xx/5xx one as an error (its type from
    ``__type`` or ``X-Amzn-ErrorType``); anything else is an ``unexpected-status`` finding.
    """
    checker = checker_for(operation)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if 100 <= status < 200 or 300 <= status < 400 or not 100 <= status < 600:
        return [Finding("unexpected-status", BREAKING, "$",
                        f"HTTP {status} is neither a success nor an error response",
                        "2xx, 4xx or 5xx", status)]
    parsed: Any
    if not text.strip():
        parsed = {}
    else:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            snippet = text.strip()[:60]
            return [Finding("invalid-json", BREAKING, "$",
                            f"response body is not JSON ({exc.msg} at char {exc.pos})",
                            "a JSON object", snippet)]
    if status >= 400:
        return _check_error(checker, status, parsed, headers)
    return checker.check_value(parsed)


# ---------------------------------------------------------------------------- cassettes


def check_interaction(interaction: Interaction,
                      models: Mapping[str, ServiceModel] | None = None) -> list[Finding]:
    """Findings of one recorded interaction; ``operation`` is filled in."""
    ref = identify_operation(interaction.request)
    model = models.get(ref.service) if models else None
    if model is None:
        operation = ref.model
    elif ref.operation in model.operation_names:
        operation = model.operation_model(ref.operation)
    else:
        raise UnknownOperationError(
            f"the model given for {ref.service} (a spec lock?) has no operation "
            f"{ref.operation}; lock it too (aws-replay spec lock {ref.operation})")
    response = interaction.response
    findings = check_body(operation, response.body, response.status, response.headers)
    name = f"{ref.service}:{ref.operation}"
    return [replace(f, operation=name) for f in findings]


def check_cassette(cassette: Cassette,
                   models: Mapping[str, ServiceModel] | None = None) -> list[Finding]:
    """Findings of every interaction of ``cassette``, with cassette and interaction filled in."""
    findings: list[Finding] = []
    for index, interaction in enumerate(cassette.interactions):
        for finding in check_interaction(interaction, models):
            findings.append(replace(finding, cassette=cassette.name, interaction=index))
    return findings


@dataclass(frozen=True)
class CheckRun:
    """The outcome of checking a set of cassettes."""

    findings: list[Finding]
    cassettes: int
    interactions: int

    @property
    def summary(self) -> dict[str, Any]:
        return summarize(self.findings, cassettes=self.cassettes,
                         interactions=self.interactions)


def check_paths(paths: Iterable[Path],
                models: Mapping[str, ServiceModel] | None = None) -> CheckRun:
    """Check every cassette under ``paths`` (files or folders); raises on a bad cassette.

    ``models`` maps a service name to a model used instead of the installed botocore's (a spec
    lock).
    """
    paths = list(paths)
    files = _find_cassettes(paths)
    if not files:
        where = ", ".join(str(p) for p in paths)
        raise CassetteNotFoundError(
            f"no cassettes (*.yaml, *.yml, *.json) under {where}; check the path")
    findings: list[Finding] = []
    interactions = 0
    for path in files:
        cassette = load_cassette(path)
        interactions += len(cassette.interactions)
        findings.extend(check_cassette(cassette, models))
    return CheckRun(findings, len(files), interactions)
