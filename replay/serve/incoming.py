"""A request a client sent to ``serve``, read as the pytest plugin reads one botocore sends.

Requests that carry ``X-Amz-Target`` (the AWS JSON protocol: SageMaker, DynamoDB, ...) take the
server's fast path and never come here. Every other request (S3's REST calls of any method,
STS's and IAM's query forms, EC2, rest-json services) is read here once: its full URL
(``http://host:port/path?query``, so S3's path-style bucket is in the path), the operation it
calls (:func:`replay.spec.operations.identify_operation`: the service from the SigV4 credential
scope, the operation from ``Action`` or the method and URI template) and the protocol its
errors are answered in. A request whose service cannot be told (unsigned, say) is answered in
the protocol :func:`replay.protocols.errors.guess_protocol` reads from the request itself.

Example::

    incoming = read_request("GET", "http://127.0.0.1:8080/bucket/key", headers, b"")
    incoming.name, incoming.protocol   # ('s3.GetObject', 'rest-xml')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from replay.cassette.model import RecordedRequest
from replay.core.errors import ReplayError
from replay.protocols.errors import guess_protocol
from replay.protocols.requests import protocol_of
from replay.protocols.wire import WireRequest, stored_request_body
from replay.serve.answers import Answer, error_answer
from replay.spec.operations import (
    OperationRef,
    identify_operation,
    service_model,
    services_of_request,
)

_BODY_ERROR_CODES = {"rest-xml": "MalformedXML", "query": "MalformedQueryString",
                     "ec2": "MalformedQueryString"}
_UNKNOWN_OPERATION_CODES = {"query": "InvalidAction", "ec2": "InvalidAction"}
JSON_TARGET_EXAMPLE = "SageMaker.DescribeAutoMLJob"


@dataclass(frozen=True)
class Incoming:
    """One request: its wire form, the operation it calls (``None`` when it names none that
    botocore knows) and the protocol it is answered in."""

    wire: WireRequest
    operation: OperationRef | None
    protocol: str
    services: tuple[str, ...] = ()
    """The services the request's signature or host names (when ``operation`` is ``None``)."""
    problem: str = ""
    """Why no operation was found."""

    @property
    def name(self) -> str:
        """``s3.GetObject``, or ``GET /path`` for a request of no known operation."""
        if self.operation is not None:
            return f"{self.operation.service}.{self.operation.operation}"
        return f"{self.wire.method} {self.wire.path}"

    def refuse(self, code: str, message: str, *, kind: str = "error", status: int = 400,
               detail: str = "") -> Answer:
        """The error ``code`` with ``message``, in this request's protocol."""
        return error_answer(code, message, kind=kind, status=status, detail=detail,
                            protocol=self.protocol)

    def body_error(self, reason: str) -> Answer:
        """A 400 for a body that does not fit the operation's protocol."""
        code = _BODY_ERROR_CODES.get(self.protocol, "SerializationException")
        return self.refuse(code, f"the request body does not fit {self.name} ({self.protocol} "
                                 f"protocol): {reason}")

    def unknown_operation(self) -> Answer:
        """A 400 saying what the request lacks to name an operation."""
        code = _UNKNOWN_OPERATION_CODES.get(self.protocol, "UnknownOperationException")
        if not self.services:
            message = (f"{self.problem}; sign the request with SigV4 (any credentials do: its "
                       "credential scope names the service) or, for the AWS JSON protocol, "
                       f"name the operation in X-Amz-Target ({JSON_TARGET_EXAMPLE})")
        elif self.protocol == "json" and self.wire.method == "POST":
            message = ("the request has no X-Amz-Target header; AWS JSON 1.1 requests name "
                       f"their operation there (X-Amz-Target: {JSON_TARGET_EXAMPLE})")
        else:
            message = self.problem
        return self.refuse(code, message)


def request_url(path: str, host: str | None, fallback_host: str) -> str:
    """The full URL of a request line's ``path`` sent to ``Host: host`` (``fallback_host`` when
    the client sent none); an absolute-form path is the URL already."""
    if path.startswith(("http://", "https://")):
        return path
    if not path.startswith("/"):
        path = "/" + path
    return f"http://{(host or fallback_host).strip()}{path}"


def read_request(method: str, url: str, headers: Iterable[tuple[str, str]],
                 body: bytes) -> Incoming:
    """The request identified: operation and protocol, or why it names no operation."""
    wire = WireRequest.from_parts(method, url, list(headers), body)
    recorded = RecordedRequest(wire.method, url, {name: [value] for name, value
                                                  in wire.headers.items()},
                               stored_request_body(body))
    try:
        ref = identify_operation(recorded)
    except ReplayError as exc:
        services = tuple(services_of_request(wire, wire.headers.get("authorization")))
        protocol = (protocol_of(service_model(services[0])) if services
                    else guess_protocol(wire.headers, wire.body))
        return Incoming(wire, None, protocol, services, str(exc))
    return Incoming(wire, ref, ref.protocol)
