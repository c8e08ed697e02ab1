"""Sending a request again, signed afresh: what recording through ``serve`` and live drift do
with a request whose own signature cannot be reused (signed for another host, or long ago).

The request's SigV4 headers are dropped and it is signed with botocore's signer (``S3SigV4Auth``
for S3, ``SigV4Auth`` otherwise) and the caller's credentials, then sent with botocore's own
HTTP session. The answer comes back whole, its ``gzip``/``deflate`` encoding undone, as a
:class:`~replay.cassette.model.RecordedResponse`.

Example::

    signed = sign_request("GET", url, headers, b"", frozen_credentials(session), "s3", region)
    response = send_request(signed, timeout=60)
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from replay.cassette.model import RecordedResponse
from replay.core.errors import CredentialsError, EndpointError
from replay.core.jsonbody import JsonBodyError, parse_json_body

# Set by the signer (or by the connection) for the upstream, never copied from the original.
NOT_FORWARDED = frozenset({
    "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "host",
    "content-length", "connection", "keep-alive", "transfer-encoding", "expect",
    "proxy-authorization", "proxy-connection", "te", "upgrade",
})
# Hop-by-hop or undone here: not kept with the answer.
NOT_ANSWERED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive",
                          "content-encoding"})


def frozen_credentials(session: Any) -> Any:
    """The session's current credentials (a botocore or boto3 session), frozen for one signing;
    raises :class:`CredentialsError` when there are none."""
    from botocore.exceptions import BotoCoreError

    try:
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except BotoCoreError as exc:
        raise CredentialsError(f"cannot get AWS credentials to sign the request "
                               f"({type(exc).__name__}); refresh them or pass --profile") \
            from None
    if frozen is None or not frozen.access_key:
        raise CredentialsError("no AWS credentials to sign the request with: set "
                               "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or pass --profile")
    return frozen


def sign_request(method: str, url: str, headers: Mapping[str, str], body: bytes,
                 credentials: Any, signing_name: str, region: str) -> Any:
    """A botocore ``AWSRequest`` of the request, its old signature dropped and signed afresh."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest

    kept = {name: value for name, value in headers.items()
            if name.lower() not in NOT_FORWARDED}
    request = AWSRequest(method=method, url=url, headers=kept, data=body)
    signer = (S3SigV4Auth if signing_name == "s3" else SigV4Auth)(credentials, signing_name,
                                                                  region)
    signer.add_auth(request)
    return request


def send_request(request: Any, *, timeout: float = 60.0, http: Any = None) -> Any:
    """Send a signed request with botocore's HTTP session (``http``, or a new one); raises
    :class:`EndpointError` when the endpoint cannot be reached or drops the connection."""
    from botocore.exceptions import BotoCoreError
    from botocore.httpsession import URLLib3Session

    try:
        return (http or URLLib3Session(timeout=timeout)).send(request.prepare())
    except BotoCoreError as exc:
        host = urlsplit(request.url).netloc
        raise EndpointError(f"cannot reach {host} ({type(exc).__name__}); check the endpoint "
                            "and the network, or try again later") from None


def decoded_body(body: bytes, encoding: str | None) -> bytes:
    """The body as a cassette holds it: ``gzip``/``deflate`` undone (left as sent when it does
    not decode)."""
    kind = (encoding or "").strip().lower()
    try:
        if kind == "gzip":
            return gzip.decompress(body)
        if kind == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error, EOFError):
        return body
    return body


_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")


def error_code(response: RecordedResponse) -> str | None:
    """The error code an answer carries, in any protocol (``X-Amzn-ErrorType``, a JSON
    ``__type``/``code``, an XML ``<Code>``), or ``None`` for a success."""
    if response.status < 300:
        return None
    from replay.spec.check import error_code_of

    body = response.body
    try:
        parsed = parse_json_body(body) if body.strip()[:1] == b"{" else None
    except JsonBodyError:
        parsed = None
    code = error_code_of(parsed, response.headers)
    if code is None:
        xml = _XML_CODE.search(body)
        code = xml.group(1).decode("utf-8", "replace") if xml else None
    return code


def reason_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def recorded_response(response: Any, *, head: bool = False) -> RecordedResponse:
    """A botocore HTTP response as a cassette holds it: decoded body, no hop-by-hop headers.
    The answer to a HEAD (``head``) keeps its ``Content-Length``: the size a GET would get."""
    status = int(response.status_code)
    headers = {name: [str(value)] for name, value in response.headers.items()
               if name.lower() not in NOT_ANSWERED
               or (head and name.lower() == "content-length")}
    body = decoded_body(bytes(response.content), response.headers.get("Content-Encoding"))
    return RecordedResponse(status, reason_phrase(status), headers, body)
