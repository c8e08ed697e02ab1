"""Requests as botocore would send them, caught before they leave: no server, no network."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from replay.cassette.model import RecordedRequest, text_headers
from replay.protocols.wire import WireRequest, body_bytes, stored_request_body


class _Body(io.BytesIO):
    def stream(self, amt: int = 65536, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


class Sent:
    """The prepared request of a client call, as the wire and as a cassette would hold it."""

    def __init__(self, request: Any, client: Any, operation: str) -> None:
        self.wire = WireRequest.from_parts(request.method, request.url, request.headers,
                                           request.body)
        self.recorded = RecordedRequest(
            method=request.method, uri=request.url, headers=text_headers(request.headers),
            body=stored_request_body(body_bytes(request.body)))
        self.operation = client.meta.service_model.operation_model(operation)


def _client(service: str, endpoint_url: str | None) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint_url,
                        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                        config=Config(retries={"max_attempts": 0}))


SendFn = Callable[..., Sent]


@pytest.fixture(scope="module")
def send() -> SendFn:
    """``send("s3", "GetObject", Bucket=..., Key=...)`` -> :class:`Sent`; nothing is sent."""
    clients: dict[tuple[str, str | None], Any] = {}

    def call(service: str, operation: str, endpoint_url: str | None = "http://127.0.0.1:9",
             **params: Any) -> Sent:
        key = (service, endpoint_url)
        if key not in clients:
            clients[key] = _client(service, endpoint_url)
        client = clients[key]
        caught: list[Any] = []

        def grab(request: Any, **_: Any) -> Any:
            caught.append(request)
            body = b"{}" if client.meta.service_model.protocol.endswith("json") else b""
            return AWSResponse(request.url, 200, {}, _Body(body))

        client.meta.events.register_first("before-send", grab, unique_id="test-grab")
        try:
            method = client.meta.method_to_api_mapping
            name = {api: py for py, api in method.items()}[operation]
            # the empty answer may not parse: the request is what counts
            with contextlib.suppress(Exception):
                getattr(client, name)(**params)
        finally:
            client.meta.events.unregister("before-send", unique_id="test-grab")
        assert caught, f"{service}.{operation} sent nothing"
        return Sent(caught[-1], client, operation)

    return call
