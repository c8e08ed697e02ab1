"""The request side of the spec check: hold a request's parameters against the input shape.

boto3 validates little before sending (required members and types; not enums, maximum
lengths, patterns, list sizes, unknown members in every case), and the AWS CLI and other SDKs
less; the service refuses the rest with a ``ValidationException``. The input shape is compiled
once per operation by the same :class:`replay.spec.shapes.ShapeCompiler` that compiles output
shapes, so a request is held to exactly the constraints a response is.

``aws-replay serve --synthetic`` runs this on every request it answers and turns findings into
the ``ValidationException`` SageMaker would send (:func:`validation_message`), so a test learns
that its code sends what the model refuses before it reaches AWS.

Example::

    findings = check_request(operation_from_name("StopAutoMLJob").model, {"AutoMLJobName": "a_b"})
    findings[0].kind   # 'pattern'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from replay.core.bounded import PerObjectCache
from replay.core.findings import Finding, Severity
from replay.spec.servicemodel import OperationModel
from replay.spec.shapes import Check, ShapeCompiler, Sink, sink_findings

# bounded: botocore builds a model per client
_compiled: PerObjectCache[Check | None] = PerObjectCache(maxsize=256)


def _input_check(operation: OperationModel) -> Check | None:
    shape = operation.input_shape
    return _compiled.get(operation.service_model, operation.name,
                         lambda: ShapeCompiler().compile(shape) if shape is not None else None)


def check_request(operation: OperationModel, params: Mapping[str, Any]) -> list[Finding]:
    """Every constraint of ``operation``'s input shape that the parsed ``params`` break.

    Paths are JSONPaths into the request parameters (``$.AutoMLJobName``). A model pattern
    Python's ``re`` cannot compile checks nothing here (the response checker reports it).
    """
    check = _input_check(operation)
    if check is None:
        if params:
            return [Finding("unknown-member", Severity.BREAKING, "$",
                            f"{operation.name} takes no parameters", {}, dict(params))]
        return []
    sink = Sink()
    check(dict(params), [], sink)
    return [finding for finding in sink_findings(sink) if finding.kind != "unsupported-pattern"]


def validation_message(findings: list[Finding]) -> str:
    """The findings as one ValidationException message, in SageMaker's wording.

    ``1 validation error detected: $.AutoMLJobName: value does not match pattern ...``
    """
    count = len(findings)
    details = "; ".join(f"{finding.path}: {_request_wording(finding)}" for finding in findings)
    return f"{count} validation error{'s' if count != 1 else ''} detected: {details}"


def _request_wording(finding: Finding) -> str:
    # The checker's messages speak of responses; a request's unknown member is refused, not
    # dropped.
    if finding.kind == "unknown-member":
        return finding.message.replace("botocore drops it silently", "the service refuses it")
    return finding.message
