"""Shared test helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from replay.cassette.model import Cassette
from replay.cassette.write import write_cassette
from tests.support.stub_sagemaker import StubSageMaker


def quick(stub: StubSageMaker) -> StubSageMaker:
    """TCP_NODELAY on the stub: its split header/body writes otherwise wait for a delayed ACK."""
    stub._server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
    return stub


def old_cassette(path: Path, full_body: dict[str, Any]) -> bytes:
    from replay.cassette.model import Interaction, RecordedRequest, RecordedResponse

    write_cassette(path, Cassette((Interaction(
        RecordedRequest("POST", "http://127.0.0.1:1/", {
            "X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]},
            json.dumps({"AutoMLJobName": full_body["AutoMLJobName"]})),
        RecordedResponse(200, "OK", {}, json.dumps(full_body).encode())),)))
    return path.read_bytes()
