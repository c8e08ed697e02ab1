"""The error shape of each protocol: what a service sends back when it refuses a request.

An SDK raises its normal service error (botocore's ``ClientError`` with ``Error.Code`` and
``Error.Message``; the AWS CLI prints ``An error occurred (Code) ... : Message``) only when the
error comes in the shape its protocol parses:

- ``json``: ``{"__type": code, "message": ...}`` and the ``X-Amzn-ErrorType`` header;
- ``rest-json``: the ``x-amzn-ErrorType`` header and ``{"message": ...}``;
- ``rest-xml`` (S3): ``<Error><Code/><Message/><RequestId/></Error>``;
- ``query`` (STS, IAM): ``<ErrorResponse><Error><Type>Sender</Type><Code/><Message/></Error>
  <RequestId/></ErrorResponse>``;
- ``ec2``: ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>``.

XML messages are escaped, and characters XML 1.0 cannot carry are replaced. When the service
of a request is unknown, :func:`guess_protocol` reads its protocol from the request itself.

Example::

    error = error_document("rest-xml", "NoSuchKey", "the key <k> is not there", "req-1")
    error.body   # b'<?xml ...?><Error><Code>NoSuchKey</Code><Message>the key &lt;k&gt; ...'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from replay.protocols.wire import credential_scope

PROTOCOLS = ("json", "rest-json", "rest-xml", "query", "ec2")
"""The protocols with an error shape here; any other (``smithy-rpc-v2-cbor``) answers as json."""

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
REST_JSON_CONTENT_TYPE = "application/json"
XML_CONTENT_TYPE = "text/xml"

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class ErrorDocument:
    """An error answer's protocol-specific part: its headers (``Content-Type`` first) and body."""

    headers: tuple[tuple[str, str], ...]
    body: bytes


def xml_text(text: str) -> str:
    """``text`` as XML character data: ``& < >`` escaped, characters XML cannot hold as ``?``."""
    return escape(_NOT_XML.sub("?", text))


def error_document(protocol: str, code: str, message: str, request_id: str) -> ErrorDocument:
    """The error ``code`` with ``message`` as ``protocol`` carries it (json for an unknown one)."""
    if protocol == "rest-json":
        body = json.dumps({"message": message}).encode("utf-8")
        return ErrorDocument((("Content-Type", REST_JSON_CONTENT_TYPE),
                              ("x-amzn-RequestId", request_id),
                              ("x-amzn-ErrorType", code)), body)
    if protocol == "rest-xml":
        xml = (f"<Error><Code>{xml_text(code)}</Code><Message>{xml_text(message)}</Message>"
               f"<RequestId>{xml_text(request_id)}</RequestId></Error>")
        return _xml(xml, (("x-amz-request-id", request_id),))
    if protocol == "query":
        xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{xml_text(code)}</Code>"
               f"<Message>{xml_text(message)}</Message></Error>"
               f"<RequestId>{xml_text(request_id)}</RequestId></ErrorResponse>")
        return _xml(xml, (("x-amzn-RequestId", request_id),))
    if protocol == "ec2":
        xml = (f"<Response><Errors><Error><Code>{xml_text(code)}</Code>"
               f"<Message>{xml_text(message)}</Message></Error></Errors>"
               f"<RequestID>{xml_text(request_id)}</RequestID></Response>")
        return _xml(xml, (("x-amzn-RequestId", request_id),))
    body = json.dumps({"__type": code, "message": message}).encode("utf-8")
    return ErrorDocument((("Content-Type", JSON_CONTENT_TYPE), ("x-amzn-RequestId", request_id),
                          ("X-Amzn-ErrorType", code)), body)


def _xml(document: str, headers: tuple[tuple[str, str], ...]) -> ErrorDocument:
    return ErrorDocument((("Content-Type", XML_CONTENT_TYPE), *headers),
                         (_XML_DECLARATION + document).encode("utf-8"))


def guess_protocol(headers: Mapping[str, str], body: bytes = b"") -> str:
    """The protocol a request of an unknown service most likely speaks, from the request alone.

    ``headers`` are keyed lower-case. ``X-Amz-Target`` -> json; a form body (or form content
    type) with ``Action`` -> query; else rest-xml when the SigV4 credential scope names s3;
    else json.
    """
    if headers.get("x-amz-target"):
        return "json"
    content_type = headers.get("content-type", "").lower()
    if content_type.startswith("application/x-www-form-urlencoded") and not body:
        return "query"  # the body is not read yet: the content type says form
    if body and body.lstrip()[:1] not in (b"{", b"[", b"<") and _has_action(body):
        return "query"
    scope = credential_scope(headers.get("authorization"))
    if scope and scope[1] == "s3":
        return "rest-xml"
    return "json"


def _has_action(body: bytes) -> bool:
    try:
        text = body[:4096].decode("ascii")
    except UnicodeDecodeError:
        return False
    return any(name == "Action" for name, _ in parse_qsl(text, keep_blank_values=True))
