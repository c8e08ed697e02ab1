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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

from replay.cassette.model import Cassette, Interaction, header_value
from replay.cassette.read import find_cassettes as _find_cassettes
from replay.cassette.read import read_cassette
from replay.core.errors import CassetteNotFoundError, UnknownOperationError
from replay.core.findings import Finding, FindingsRun, Severity
from replay.core.jsonbody import JsonBodyError, parse_json_body
from replay.spec.history import explain_findings
from replay.spec.observed import note_observed
from replay.spec.operations import identify_operation
from replay.spec.shapes import Check, ShapeCompiler, Sink, sink_findings

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

_ERROR_ENVELOPE = frozenset({"__type", "message", "Message"})

@dataclass(frozen=True)
class OperationChecker:
    """The compiled checks of one operation: its output shape and each modelled error."""

    operation: OperationModel
    output: Check | None
    errors: dict[str, tuple[Shape, Check]]

    def check_value(self, value: Any) -> list[Finding]:
        """Check an already parsed 2xx body."""
        sink = Sink()
        if self.output is not None:
            self.output(value, [], sink)
        elif value not in ({}, None):
            sink.add("unknown-member", ADDITIVE, [],
                     f"{self.operation.name} has no output in the model, the body is not empty",
                     None, value)
        return sink_findings(sink)


_compiled: dict[tuple[int, str], tuple[ServiceModel, OperationChecker]] = {}


def checker_for(operation: OperationModel) -> OperationChecker:
    """The compiled checker of ``operation``, built once per service model and operation."""
    service = operation.service_model
    key = (id(service), operation.name)
    hit = _compiled.get(key)
    if hit is not None and hit[0] is service:
        return hit[1]
    compiler = ShapeCompiler()
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
    sink = Sink()
    check(parsed if isinstance(parsed, dict) else {}, [], sink)
    findings = sink_findings(sink)
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
            parsed = parse_json_body(body)
        except JsonBodyError as exc:
            snippet = text.strip()[:60]
            return [Finding("invalid-json", BREAKING, "$",
                            f"response body is not JSON ({exc.reason})",
                            "a JSON object", snippet)]
    if status >= 400:
        return _check_error(checker, status, parsed, headers)
    return note_observed(f"{operation.service_model.service_name}:{operation.name}",
                         explain_findings(operation.service_model.service_name, operation.name,
                                          checker.check_value(parsed)))


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
class CheckRun(FindingsRun):
    """The outcome of checking a set of cassettes."""


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
        cassette = read_cassette(path)  # read, checked, dropped: memory flat in the files
        interactions += len(cassette.interactions)
        findings.extend(check_cassette(cassette, models))
    return CheckRun(findings, len(files), interactions)
