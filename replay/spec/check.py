"""The spec checker: hold a raw response body against an operation's botocore model.

botocore's parser silently drops members its model does not know and never checks enums,
lengths or patterns, so drift is only visible on the raw body. Here an operation's output shape
(and its error shapes) is compiled once into a tree of small check functions
(:mod:`replay.spec.shapes`); checking a body walks it and collects **every** finding (never
stopping at the first), each with a JSONPath.

Smithy semantics: ``@pattern`` is searched, not anchored; string ``@length`` counts Unicode code
points; AWS JSON timestamps are epoch seconds as numbers; enums are open, so an unknown value is a
finding whose severity (not the checker) decides whether a build fails.

Example::

    findings = check_body(operation_ref("sagemaker", "DescribeAutoMLJob").model, raw_bytes)
    for finding in findings:
        print(finding.severity, finding.path, finding.message)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from replay.cassette.model import Cassette, Interaction, header_value
from replay.cassette.read import map_cassettes, parse_cassette
from replay.core.bounded import PerObjectCache
from replay.core.errors import CassetteNotFoundError, UnknownOperationError
from replay.core.findings import Finding, FindingsRun, Severity, Subject
from replay.core.jsonbody import JsonBodyError, parse_json_body
from replay.core.jsonpath import parse_json_path
from replay.protocols.requests import JSON_PROTOCOLS, XML_PROTOCOLS, resolved_protocol
from replay.spec.history import explain_findings
from replay.spec.httpbind import HeaderBinding
from replay.spec.observed import note_observed
from replay.spec.operations import identify_operation
from replay.spec.servicemodel import OperationModel, ServiceModel, Shape
from replay.spec.shapes import Check, ShapeCompiler, Sink, sink_findings
from replay.spec.xmlbody import XmlBodyError, parse_xml_body
from replay.spec.xmlcheck import (
    XmlOperation,
    error_code,
    find_error,
    payload_of,
    unread_payload,
)

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

_ERROR_ENVELOPE = frozenset({"__type", "code", "message", "Message"})

CHECKED_PROTOCOLS = JSON_PROTOCOLS | XML_PROTOCOLS
_DEFAULT_TIMESTAMPS = {"json": "unixTimestamp", "rest-json": "unixTimestamp"}


@dataclass(frozen=True)
class OperationChecker:
    """The compiled checks of one operation: its output shape and each modelled error, and for
    the rest protocols their header-bound members, for the XML ones their converters."""

    operation: OperationModel
    output: Check | None
    errors: dict[str, tuple[Shape, Check]]
    protocol: str = "json"
    headers: HeaderBinding | None = None
    error_headers: dict[str, HeaderBinding] = field(default_factory=dict)
    xml: XmlOperation | None = None

    def check_value(self, value: Any, sink: Sink | None = None) -> list[Finding]:
        """Check an already parsed 2xx body (into ``sink`` when given, with what it holds)."""
        sink = sink if sink is not None else Sink()
        if self.output is not None:
            self.output(value, [], sink)
        elif value not in ({}, None):
            sink.add("unknown-member", ADDITIVE, [],
                     f"{self.operation.name} has no output in the model, the body is not empty",
                     None, value)
        return sink_findings(sink)


# bounded: the plugin checks with each client's own model, and botocore builds one per client
_compiled: PerObjectCache[OperationChecker] = PerObjectCache(maxsize=256)


def checker_for(operation: OperationModel) -> OperationChecker:
    """The compiled checker of ``operation``, built once per service model and operation."""
    return _compiled.get(operation.service_model, operation.name,
                         lambda: _compile_checker(operation))


def _compile_checker(operation: OperationModel) -> OperationChecker:
    protocol = resolved_protocol(operation.metadata)
    compiler = ShapeCompiler(_DEFAULT_TIMESTAMPS.get(protocol, "iso8601"))
    header_compiler = ShapeCompiler("rfc822")
    shape = operation.output_shape
    output = compiler.compile(shape, body_only=True) if shape else None
    errors: dict[str, tuple[Shape, Check]] = {}
    error_headers: dict[str, HeaderBinding] = {}
    for error in operation.error_shapes:
        check = compiler.compile(error, allowed_extra=_ERROR_ENVELOPE, body_only=True)
        bound = HeaderBinding.compile(error, header_compiler)
        for name in (error.name, error.error_code):
            if name and name not in errors:
                errors[name] = (error, check)
                if bound:
                    error_headers[name] = bound
    headers = HeaderBinding.compile(shape, header_compiler) if shape else None
    xml = (XmlOperation.compile(operation, {name: s for name, (s, _) in errors.items()})
           if protocol in XML_PROTOCOLS else None)
    return OperationChecker(operation, output, errors, protocol, headers or None,
                            error_headers, xml)


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


ModelledCheck = Callable[[str, Shape, Check], list[Finding]]


def _check_error(checker: OperationChecker, status: int, code: str | None,
                 check_modelled: ModelledCheck, nameless: str) -> list[Finding]:
    operation = checker.operation.name
    if code is None:
        return [Finding("unknown-error", BREAKING, "$",
                        f"HTTP {status} response names no error type ({nameless})",
                        "an error type", None)]
    modelled = checker.errors.get(code)
    if modelled is None:
        known = sorted({shape.name for shape, _ in checker.errors.values()})
        severity = INFO if code in COMMON_ERRORS else BREAKING
        why = "a common AWS error" if severity is INFO else "not modelled for this operation"
        return [Finding("unknown-error", severity, "$",
                        f"error {code} is {why} ({operation} models "
                        f"{', '.join(known) or 'no errors'})", known, code)]
    shape, check = modelled
    findings = check_modelled(code, shape, check)
    declared = shape.metadata.get("error", {}).get("httpStatusCode")
    if declared and declared != status:
        findings.append(Finding("unexpected-status", INFO, "$",
                                f"error {code} is modelled with HTTP {declared}, "
                                f"answered with {status}", declared, status))
    return findings


def unchecked(why: str) -> Finding:
    """The one finding of a response the checker cannot read: ``unchecked`` at ``info``."""
    return Finding("unchecked", INFO, "$", f"not checked: {why}", None, None)


def _explained(operation: OperationModel, findings: list[Finding]) -> list[Finding]:
    service = operation.service_model.service_name
    return note_observed(f"{service}:{operation.name}",
                         explain_findings(service, operation.name, findings))


def _check_json(checker: OperationChecker, body: bytes | str, status: int,
                headers: Mapping[str, list[str]] | None) -> list[Finding]:
    shape = checker.operation.output_shape
    payload = payload_of(shape) if checker.protocol == "rest-json" and status < 400 else None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    parsed: Any
    if payload is not None and payload[1].type_name != "structure":
        # a blob or a stream is not JSON and not checked (its headers are)
        parsed = None if unread_payload(shape) else {payload[0]: text}
    elif not text.strip():
        parsed = {}
    else:
        try:
            parsed = parse_json_body(body)
        except JsonBodyError as exc:
            return [Finding("invalid-json", BREAKING, "$",
                            f"response body is not JSON ({exc.reason})",
                            "a JSON object", text.strip()[:60])]
        if payload is not None:
            parsed = {payload[0]: parsed}
    if status >= 400:
        def modelled(code: str, error: Shape, check: Check) -> list[Finding]:
            sink = Sink()
            check(parsed if isinstance(parsed, dict) else {}, [], sink)
            bound = checker.error_headers.get(code)
            if bound is not None:
                bound(headers, status, sink)
            return sink_findings(sink)

        return _check_error(checker, status, error_code_of(parsed, headers), modelled,
                            "no __type or code in the body, no X-Amzn-ErrorType header")
    sink = Sink()
    if checker.headers is not None:
        checker.headers(headers, status, sink)
    if parsed is None:
        return _explained(checker.operation, sink_findings(sink))
    return _explained(checker.operation, checker.check_value(parsed, sink))


def _check_xml(checker: OperationChecker, xml: XmlOperation, body: bytes | str, status: int,
               headers: Mapping[str, list[str]] | None) -> list[Finding]:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    shape = checker.operation.output_shape
    payload = payload_of(shape) if status < 400 else None
    root = None
    if raw.strip() and (payload is None or payload[1].type_name == "structure"):
        try:
            root = parse_xml_body(raw)
        except XmlBodyError as exc:
            return [Finding("invalid-xml", BREAKING, "$",
                            f"response body is not XML ({exc.reason})", "an XML document",
                            raw.strip()[:60].decode("utf-8", "replace"))]
    error = find_error(root) if root is not None else None
    if status >= 400 or (xml.protocol == "rest-xml" and error is root and root is not None
                         and error_code(error) is not None):  # S3 answers some errors with 200
        if root is None and checker.operation.http.get("method") == "HEAD":
            return []  # a HEAD answer has no body to name its error in

        def modelled(code: str, error_shape: Shape, check: Check) -> list[Finding]:
            sink = Sink()
            convert = xml.errors.get(code)
            value = convert(error, [], sink) if convert and error is not None else {}
            check(value if isinstance(value, dict) else {}, [], sink)
            bound = checker.error_headers.get(code)
            if bound is not None:
                bound(headers, status, sink)
            return sink_findings(sink)

        return _check_error(checker, status, error_code(error), modelled,
                            "no <Error><Code> in the body")
    sink = Sink()
    if checker.headers is not None:
        checker.headers(headers, status, sink)
    value: Any = {}
    if payload is not None and payload[1].type_name == "string" and raw.strip():
        value = {payload[0]: raw.decode("utf-8", "replace")}
    elif payload is not None and payload[1].type_name != "structure":
        return _explained(checker.operation, sink_findings(sink))  # a blob or a stream
    elif root is not None:
        value = xml.output_value(root, sink)
    return _explained(checker.operation, checker.check_value(value, sink))


def xml_output_value(operation: OperationModel, body: bytes) -> Any | None:
    """A 2xx XML body (rest-xml, query, ec2) as the value its output members form, the way the
    check reads it (``{"Contents": [{"Key": ...}], "KeyCount": 2}``), or ``None`` when the
    operation is not an XML one, its output is a blob, or the body is not XML."""
    checker = checker_for(operation)
    xml = checker.xml
    if xml is None or not body.strip():
        return None
    payload = payload_of(operation.output_shape)
    if payload is not None and payload[1].type_name != "structure":
        return None
    try:
        root = parse_xml_body(body)
    except XmlBodyError:
        return None
    if find_error(root) is root:
        return None
    sink = Sink()
    value = xml.output_value(root, sink)
    for finding in sink_findings(sink):  # unknown elements stay in, as JSON's unknown keys do
        steps = parse_json_path(finding.path) if finding.kind == "unknown-member" else None
        if steps:
            _place(value, steps, finding.actual)
    return value


def _place(value: Any, steps: tuple[str | int, ...], leaf: Any) -> None:
    for step in steps[:-1]:
        inside = (isinstance(value, dict) and isinstance(step, str) and step in value) or (
            isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value))
        if not inside:
            return
        value = value[step]
    if isinstance(value, dict) and isinstance(steps[-1], str):
        value.setdefault(steps[-1], leaf)


def check_body(operation: OperationModel, body: bytes | str, status: int = 200,
               headers: Mapping[str, list[str]] | None = None) -> list[Finding]:
    """Every finding in a raw response ``body`` against ``operation``'s model.

    A 2xx body is checked against the output shape; a 4xx/5xx one as an error (its type from
    ``__type``, ``X-Amzn-ErrorType`` or ``<Error><Code>``); anything else is an
    ``unexpected-status`` finding. The protocol botocore speaks to the service says how
    the body is read: JSON (``json``, ``rest-json``) or XML (``rest-xml``, ``query``, ``ec2``);
    members bound to headers or the status code are checked from there. A protocol the checker
    does not read gives one ``unchecked`` finding.
    """
    checker = checker_for(operation)
    if 100 <= status < 200 or 300 <= status < 400 or not 100 <= status < 600:
        return [Finding("unexpected-status", BREAKING, "$",
                        f"HTTP {status} is neither a success nor an error response",
                        "2xx, 4xx or 5xx", status)]
    encoding = header_value(headers, "Content-Encoding") if headers else None
    if (encoding or "identity").strip().lower() not in ("identity", "") and body and not (
            status < 400 and unread_payload(operation.output_shape)):
        return [unchecked(f"the body is Content-Encoding: {encoding}, which the check does not "
                          "decode")]
    if checker.xml is not None:
        return _check_xml(checker, checker.xml, body, status, headers)
    if checker.protocol in JSON_PROTOCOLS:
        return _check_json(checker, body, status, headers)
    return [unchecked(f"protocol {checker.protocol or '(none)'} of "
                      f"{operation.service_model.service_name} is not one the check reads "
                      f"({', '.join(sorted(CHECKED_PROTOCOLS))})")]


# ---------------------------------------------------------------------------- cassettes


class OperationNotInModel(UnknownOperationError):
    """The model given for a service (a spec lock's) lacks the operation a request calls."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(f"the model given for {service} (a spec lock?) has no operation "
                         f"{operation}; lock it too (aws-replay spec lock "
                         f"{service}:{operation})")
        self.service, self.operation = service, operation
        self.index: int | None = None  # the interaction, once check_cassette knows it


def check_interaction(interaction: Interaction,
                      models: Mapping[str, ServiceModel] | None = None) -> list[Finding]:
    """Findings of one recorded interaction; ``operation`` is filled in.

    A request no model names (no operation identified) gives one ``unchecked`` finding.
    """
    try:
        ref = identify_operation(interaction.request)
    except UnknownOperationError as exc:
        return [unchecked(f"the operation is not identified ({exc})")]
    model = models.get(ref.service) if models else None
    if model is None:
        operation = ref.model
    elif ref.operation in model.operation_names:
        operation = model.operation_model(ref.operation)
    else:
        raise OperationNotInModel(ref.service, ref.operation)
    response = interaction.response
    findings = check_body(operation, response.body, response.status, response.headers)
    name = f"{ref.service}:{ref.operation}"
    return [replace(f, operation=name) for f in findings]


def check_cassette(cassette: Cassette,
                   models: Mapping[str, ServiceModel] | None = None) -> list[Finding]:
    """Findings of every interaction of ``cassette``, with cassette and interaction filled in."""
    findings: list[Finding] = []
    for index, interaction in enumerate(cassette.interactions):
        try:
            found = check_interaction(interaction, models)
        except OperationNotInModel as exc:
            exc.index = index
            raise
        findings.extend(replace(finding, cassette=cassette.name, interaction=index)
                        for finding in found)
    return findings


@dataclass(frozen=True)
class CheckRun(FindingsRun):
    """The outcome of checking a set of cassettes: findings in file order (then the stale
    cassettes'), and every interaction looked at (``subjects``, for JUnit's test cases)."""

    subjects: list[Subject] = field(default_factory=list)


@dataclass(frozen=True)
class _Fleet:
    """What every chunk of :func:`check_paths` is checked with (the workers inherit it: a model
    is not something to pickle per chunk)."""

    models: Mapping[str, ServiceModel] | None
    max_age: timedelta | None
    max_age_text: str | None
    now: datetime
    not_in_models: Callable[[Path, int, str], Exception] | None


def _check_file(path: Path, text: str,
                fleet: _Fleet) -> tuple[list[Finding], Finding | None, int]:
    """One file's findings, its stale-cassette finding and its interactions (the file is read,
    checked and dropped: memory stays flat in the files)."""
    cassette = parse_cassette(text, path)
    stale = None
    if fleet.max_age is not None:
        from replay.cassette.age import age_finding, cassette_age

        stale = age_finding(cassette_age(cassette), fleet.max_age, fleet.now,
                            fleet.max_age_text)
    try:
        found = check_cassette(cassette, fleet.models)
    except OperationNotInModel as exc:
        if fleet.not_in_models is None:
            raise
        raise fleet.not_in_models(path, exc.index or 0,
                                  f"{exc.service}:{exc.operation}") from None
    return found, stale, len(cassette.interactions)


def check_paths(paths: Iterable[Path], models: Mapping[str, ServiceModel] | None = None, *,
                jobs: int | None = 1, max_age: timedelta | None = None,
                max_age_text: str | None = None,
                not_in_models: Callable[[Path, int, str], Exception] | None = None) -> CheckRun:
    """Check every cassette under ``paths`` (files or folders); raises on a bad cassette.

    ``models`` maps a service name to a model used instead of the installed botocore's (a spec
    lock). The files are spread over ``jobs`` processes (``None``: every CPU), with the
    findings, and the first bad cassette, of a serial run. With ``max_age``, a cassette
    recorded longer ago gets a stale-cassette finding (after the others; ``max_age_text`` is
    how the user wrote it). A request whose operation a given model lacks raises
    :class:`OperationNotInModel`, or what ``not_in_models(cassette, interaction, name)`` makes
    of it (a spec lock's "add it" error).
    """
    paths = list(paths)
    fleet = _Fleet(models, max_age, max_age_text, datetime.now(UTC), not_in_models)
    checked = map_cassettes(_check_file, paths, jobs, fleet)
    if not checked:
        where = ", ".join(str(p) for p in paths)
        raise CassetteNotFoundError(
            f"no cassettes (*.yaml, *.yml, *.json) under {where}; check the path")
    findings = [finding for _, (found, _, _) in checked for finding in found]
    findings += [stale for _, (_, stale, _) in checked if stale is not None]
    subjects: list[Subject] = [(name, index, None) for name, (_, _, count) in checked
                               for index in range(count)]
    return CheckRun(findings, len(checked), len(subjects), subjects)
