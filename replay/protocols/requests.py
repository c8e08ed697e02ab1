"""A request's operation and parameters, for every protocol, read from the wire.

- ``json``: the operation is ``X-Amz-Target``; the parameters are the JSON body.
- ``query`` and ``ec2``: the operation is the ``Action`` form field; the parameters are the other
  form fields (``Tags.member.1.Key``), ``Version`` left out.
- ``rest-json`` and ``rest-xml``: the operation is the best-fitting URI template
  (:mod:`replay.protocols.rest`); the parameters are the input members, by member name, read
  from where the model binds them: URI labels, query string, headers (``x-amz-meta-*`` maps
  too), and the body (JSON, XML read as plain data, or a blob payload as its digest).

Values read from URIs, query strings and headers stay text: both sides of a match are read the
same way, so they compare equal exactly when the wire forms do. Members an SDK fills in by
itself from the body or its own settings (``ContentLength``, ``ContentMD5``, the flexible
checksums ``Checksum*``, the ``aws-chunked`` content encoding) are left out: the body is
compared itself, and the AWS CLI, boto3 and the JavaScript SDK differ on them.

Example::

    wire = WireRequest.from_recorded(request)
    operation = operation_in_service(s3_model, wire)          # 'GetObject'
    request_params(s3_model.operation_model(operation), wire)  # {'Bucket': 'b', 'Key': 'k'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from replay.core.jsonbody import JsonBodyError, parse_json_body
from replay.protocols.rest import match_template, path_style, template_of
from replay.protocols.wire import WireRequest, body_digest
from replay.protocols.xmltext import XmlBodyError, generic_value, parse_xml

JSON_PROTOCOLS = frozenset({"json", "rest-json"})
XML_PROTOCOLS = frozenset({"rest-xml", "query", "ec2"})
QUERY_PROTOCOLS = frozenset({"query", "ec2"})
REST_PROTOCOLS = frozenset({"rest-json", "rest-xml"})


class RequestBodyError(ValueError):
    """A request body that does not fit its protocol (``reason`` says how)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# botocore's order of preference when a model lists several protocols (its
# PRIORITY_ORDERED_SUPPORTED_PROTOCOLS; a test holds the two equal)
PROTOCOL_PREFERENCE = ("json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor", "query", "ec2")


def resolved_protocol(metadata: Mapping[str, Any]) -> str:
    """The protocol botocore speaks to a service whose model metadata is ``metadata``: of the
    ``protocols`` it lists, the one botocore prefers (CloudWatch lists smithy-rpc-v2-cbor, json
    and query, and botocore speaks JSON to it), else ``protocol``; ``""`` when there is none."""
    listed = metadata.get("protocols")
    if listed:
        for protocol in PROTOCOL_PREFERENCE:
            if protocol in listed:
                return protocol
    return str(metadata.get("protocol", ""))


def protocol_of(service_model: Any) -> str:
    """The protocol botocore speaks to the service (:func:`resolved_protocol`)."""
    return resolved_protocol(service_model.metadata) or "json"


def operation_target(operation: Any) -> str:
    """How an operation is named in keys and messages: its ``X-Amz-Target`` for the JSON
    protocol (``SageMaker.DescribeAutoMLJob``), ``<service>.<Operation>`` otherwise
    (``s3.GetObject``)."""
    service = operation.service_model
    prefix = service.metadata.get("targetPrefix") or service.service_name
    return f"{prefix}.{operation.name}"


def operation_in_service(service_model: Any, request: WireRequest) -> str | None:
    """The name of the operation of ``service_model`` that ``request`` calls, or ``None``."""
    protocol = protocol_of(service_model)
    if protocol in QUERY_PROTOCOLS:
        action = dict(request.form_pairs()).get("Action")
        return action if action in service_model.operation_names else None
    if protocol in REST_PROTOCOLS:
        template = match_template(service_model, request)
        return template.operation if template else None
    target = request.headers.get("x-amz-target", "")
    operation = target.rpartition(".")[2]
    return operation if operation in service_model.operation_names else None


def request_params(operation_model: Any, request: WireRequest) -> Any:
    """The parameters ``request`` sends to ``operation_model``, keyed by member name.

    Raises :class:`RequestBodyError` when the body does not fit the protocol.
    """
    protocol = protocol_of(operation_model.service_model)
    if protocol in QUERY_PROTOCOLS:
        return {name: value for name, value in request.form_pairs()
                if name not in ("Action", "Version")}
    if protocol in REST_PROTOCOLS:
        return _rest_params(operation_model, request, protocol)
    return _json_body(request.body)


def _json_body(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return parse_json_body(body)
    except JsonBodyError as exc:
        raise RequestBodyError(f"body is not JSON ({exc.reason})") from None


def _xml_body(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return generic_value(parse_xml(body))
    except XmlBodyError as exc:
        raise RequestBodyError(exc.reason) from None


def _rest_params(operation_model: Any, request: WireRequest, protocol: str) -> dict[str, Any]:
    shape = operation_model.input_shape
    if shape is None:
        return {}
    template = template_of(operation_model)  # the operation is known: no search
    labels = template.labels_of(path_style(request, operation_model.service_model)) \
        if template is not None else {}
    query = request.query_pairs()
    params: dict[str, Any] = {}
    body_members = []
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            if wire_name in labels:
                params[name] = labels[wire_name]
        elif location == "querystring":
            if member.type_name == "map":
                params[name] = _query_map(query, shape)
            else:
                values = [value for key, value in query if key == wire_name]
                if values:
                    params[name] = values if member.type_name == "list" else values[0]
        elif location == "header":
            value = request.headers.get(wire_name.lower())
            if value is not None and not _sdk_filled(name):
                params[name] = value
        elif location == "headers":
            prefix = wire_name.lower()
            found = {key[len(prefix):]: value for key, value in request.headers.items()
                     if key.startswith(prefix)}
            if found:
                params[name] = found
        elif location is None:
            body_members.append(name)
    encoding = params.get("ContentEncoding")
    if isinstance(encoding, str) and "aws-chunked" in encoding:
        kept = [part.strip() for part in encoding.split(",")
                if part.strip() and part.strip() != "aws-chunked"]
        params["ContentEncoding"] = ",".join(kept)
    params = {name: value for name, value in params.items() if value not in ({}, [], "")}
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        if member.type_name in ("blob", "string") and (
                member.type_name == "blob" or member.serialization.get("streaming")):
            if request.body:
                params[payload] = body_digest(request.body)
        elif request.body.strip():
            reader = _json_body if protocol == "rest-json" else _xml_body
            params[payload] = reader(request.body)
    elif body_members and request.body.strip():
        body = _json_body(request.body) if protocol == "rest-json" else _xml_body(request.body)
        if isinstance(body, dict):
            params.update(body)
        else:
            params["body"] = body
    return params


_SDK_FILLED = frozenset({"ContentLength", "ContentMD5"})


def _sdk_filled(member: str) -> bool:
    """A header member SDKs set on their own (so two clients sending the same call differ)."""
    return member in _SDK_FILLED or member.startswith("Checksum")


def _query_map(query: list[tuple[str, str]], shape: Any) -> dict[str, str]:
    """A map bound to the whole query string: every pair no other member takes."""
    taken = {member.serialization.get("name", name) for name, member in shape.members.items()
             if member.serialization.get("location") == "querystring"
             and member.type_name != "map"}
    return {key: value for key, value in query if key not in taken and key != "x-id"}
