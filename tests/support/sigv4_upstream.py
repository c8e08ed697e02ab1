"""A local "AWS" on 127.0.0.1 that checks every request's SigV4 signature, for the recording
proxy's tests.

It knows one secret key per access key id and recomputes each request's signature with
botocore's own signer (the headers the request says it signed, its date, its body), exactly as
AWS would: a request re-signed wrongly (or not at all, or for another host) is refused with 403
``InvalidSignatureException`` and counted in ``rejected``. JSON-protocol calls are answered by a
:class:`StubSageMaker`'s jobs; ``GET /bucket/key`` by the ``objects`` it holds (S3, path-style).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_server import LocalServer
from tests.support.stub_sagemaker import StubSageMaker

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})$")


def signature_problem(method: str, host_url: str, path: str, headers: dict[str, str],
                      body: bytes, secrets: dict[str, str]) -> str | None:
    """Why the request's SigV4 signature is not valid (``None`` when it is)."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    lowered = {k.lower(): v for k, v in headers.items()}
    match = _AUTHORIZATION.match(lowered.get("authorization", ""))
    if match is None:
        return "no SigV4 Authorization header"
    secret = secrets.get(match["key"])
    if secret is None:
        return f"unknown access key {match['key']}"
    signed = match["signed"].split(";")
    missing = [name for name in signed if name not in lowered]
    if missing:
        return f"signed headers not sent: {missing}"
    content_hash = lowered.get("x-amz-content-sha256")
    if content_hash not in (None, "UNSIGNED-PAYLOAD") and \
            content_hash != hashlib.sha256(body).hexdigest():
        return "X-Amz-Content-SHA256 does not match the body"
    request = AWSRequest(method=method, url=host_url + path,
                         headers={name: lowered[name] for name in signed}, data=body)
    request.context["timestamp"] = lowered.get("x-amz-date", "")
    signer_class = S3SigV4Auth if match["service"] == "s3" else SigV4Auth
    signer = signer_class(Credentials(match["key"], secret), match["service"], match["region"])
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if expected != match["signature"]:
        return "the signature does not match (signed for another host, key or body?)"
    return None


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    problem: str | None


@dataclass
class SigV4Upstream(LocalServer):
    """Start with ``with SigV4Upstream(secrets, stub) as upstream: ... upstream.url``."""

    secrets: dict[str, str]
    stub: StubSageMaker = field(default_factory=StubSageMaker)
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._serve(self._handler())

    @property
    def rejected(self) -> list[SeenRequest]:
        return [request for request in self.seen if request.problem is not None]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("x-amzn-RequestId", "11111111-2222-4333-8444-555555555555")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = dict(self.headers.items())
                problem = signature_problem(self.command, f"http://{headers.get('Host')}",
                                            self.path, headers, body, upstream.secrets)
                upstream.seen.append(SeenRequest(self.command, self.path, headers, problem))
                json_type = {"Content-Type": "application/x-amz-json-1.1"}
                if problem is not None:
                    error = {"__type": "InvalidSignatureException", "message": problem}
                    self._answer(403, json.dumps(error).encode(), json_type)
                    return
                target = headers.get("X-Amz-Target")
                if target:
                    status, answer = upstream.stub.answer(target, json.loads(body or b"{}"))
                    self._answer(status, json.dumps(answer).encode(), json_type)
                    return
                bucket, _, key = self.path.lstrip("/").partition("/")
                content = upstream.objects.get((bucket, key.partition("?")[0]))
                if content is None:
                    missing = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey"
                               b"</Code><Message>The specified key does not exist.</Message>"
                               b"</Error>")
                    self._answer(404, missing, {"Content-Type": "application/xml"})
                    return
                digest = hashlib.md5(content).hexdigest()  # S3's ETag of a simple upload
                self._answer(200, content, {"Content-Type": "text/plain", "ETag": f'"{digest}"',
                                            "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT",
                                            "Accept-Ranges": "bytes"})

            do_POST = do_GET = do_PUT = do_HEAD = do_DELETE = _handle

        return Handler


def answers_of(upstream: SigV4Upstream) -> list[Any]:
    """What the upstream saw, as ``(method, path, problem)``: for assertion messages."""
    return [(r.method, r.path, r.problem) for r in upstream.seen]
