"""The envelopes of the XML protocols: where the output members are, and where an error says
what it is.

- ``rest-xml`` (S3, Route 53, CloudFront): the root element holds the output members (its name
  is not checked, as botocore does not); a structure ``payload`` member is the root itself; a
  blob or streaming payload (S3 GetObject's ``Body``) is not XML and not checked. An error is
  ``<Error><Code>``, also with a 200 status (S3's CopyObject and CompleteMultipartUpload).
- ``query`` (STS, IAM, SNS, ...): ``<XResponse><XResult>...</XResult><ResponseMetadata/>``, the
  result element named by the output's ``resultWrapper``; an error is
  ``<ErrorResponse><Error><Code>``.
- ``ec2``: ``<XResponse><requestId/>...`` with the members beside ``requestId``; an error is
  ``<Response><Errors><Error><Code>``.

:class:`XmlOperation` is compiled once per operation (by :func:`replay.spec.check.checker_for`)
and turns a parsed root into the value the compiled output check walks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from replay.core.findings import Severity
from replay.core.jsonpath import member_segment
from replay.protocols.requests import resolved_protocol
from replay.protocols.xmltext import generic_value, local_name
from replay.spec.servicemodel import OperationModel, Shape
from replay.spec.shapes import Sink
from replay.spec.xmlbody import Convert, XmlReader, child_named

_ROOT_EXTRAS = {"query": frozenset({"ResponseMetadata"}), "ec2": frozenset({"requestId"})}


def payload_of(shape: Shape | None) -> tuple[str, Shape] | None:
    """The output's ``payload`` member (name, shape), when it has one."""
    if shape is None:
        return None
    name = shape.serialization.get("payload")
    if not name or name not in shape.members:
        return None
    return name, shape.members[name]


def unread_payload(shape: Shape | None) -> bool:
    """Whether the body is a payload no checker reads: a blob, or anything streamed."""
    payload = payload_of(shape)
    if payload is None:
        return False
    member = payload[1]
    return member.type_name == "blob" or bool(member.serialization.get("streaming")
                                              or member.metadata.get("streaming"))


@dataclass(frozen=True)
class XmlOperation:
    """One operation's XML converters: its output (within its envelope) and its errors."""

    protocol: str
    output: Convert | None
    payload: str | None
    wrapper: str | None
    errors: dict[str, Convert]

    @classmethod
    def compile(cls, operation: OperationModel,
                error_shapes: dict[str, Shape]) -> XmlOperation:
        protocol = resolved_protocol(operation.metadata)
        reader = XmlReader()
        shape = operation.output_shape
        output: Convert | None = None
        payload = payload_of(shape)
        wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
        if payload is not None:
            if payload[1].type_name == "structure":
                output = reader.compile(payload[1])
        elif shape is not None:
            output = reader.compile(shape, body_only=True,
                                    allowed=frozenset() if wrapper
                                    else _ROOT_EXTRAS.get(protocol, frozenset()))
        errors = {code: reader.compile(error, lenient=True)
                  for code, error in error_shapes.items()}
        return cls(protocol, output, payload[0] if payload else None, wrapper, errors)

    def output_value(self, root: Element, sink: Sink) -> Any:
        """The output as the compiled check takes it; envelope problems go to ``sink``."""
        if self.output is None:
            return {}
        if self.payload is not None:
            trail = [member_segment(self.payload)]
            return {self.payload: self.output(root, trail, sink)}
        holder = root
        if self.wrapper:
            extras = _ROOT_EXTRAS.get(self.protocol, frozenset())
            found: Element | None = None
            for child in root:
                tag = local_name(child.tag)
                if tag == self.wrapper and found is None:
                    found = child
                elif tag not in extras:
                    sink.add("unknown-member", Severity.ADDITIVE, [member_segment(tag)],
                             f"element <{tag}> beside <{self.wrapper}> in "
                             f"<{local_name(root.tag)}> is not in the model; botocore drops "
                             "it silently", None, generic_value(child))
            if found is None:
                sink.add("missing-required", Severity.BREAKING, [],
                         f"<{local_name(root.tag)}> has no <{self.wrapper}> element: botocore "
                         "reads no output from it", self.wrapper, local_name(root.tag))
                return {}
            holder = found
        return self.output(holder, [], sink)


def find_error(root: Element) -> Element | None:
    """The ``<Error>`` element of an XML error body: the root (rest-xml), under
    ``<ErrorResponse>`` (query) or under ``<Response><Errors>`` (ec2)."""
    if local_name(root.tag) == "Error":
        return root
    found = child_named(root, "Error")
    if found is not None:
        return found
    errors = child_named(root, "Errors")
    return child_named(errors, "Error") if errors is not None else None


def error_code(error: Element | None) -> str | None:
    """The text of ``<Code>`` in an ``<Error>`` element."""
    code = child_named(error, "Code") if error is not None else None
    text = (code.text or "").strip() if code is not None else ""
    return text or None
