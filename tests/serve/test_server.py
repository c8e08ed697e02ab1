"""The local SageMaker endpoint (replay/serve/server.py) and `aws-replay serve`, over real HTTP.

Wire details are checked with http.client on 127.0.0.1 (what any client would receive); the
real SDK clients are in test_server_clients.py, the load test in test_server_load.py.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import string
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from replay.cli.app import main
from replay.core.errors import CassetteError, ConfigError, EndpointError
from replay.serve.responders import Answer, wire_response
from replay.serve.server import (
    ReplayHTTPServer,
    RunningServer,
    is_loopback,
    start_server,
)

ROOT = Path(__file__).resolve().parents[2]
DESCRIBE = "SageMaker.DescribeAutoMLJob"
URI = "https://api.sagemaker.us-east-1.amazonaws.com/"


def interaction(name: str, body: dict[str, Any] | bytes, *, status: int = 200,
                headers: dict[str, list[str]] | None = None,
                target: str = DESCRIBE) -> Interaction:
    raw = body if isinstance(body, bytes) else json.dumps(body, indent=2).encode()
    return Interaction(
        request=RecordedRequest("POST", URI, {"X-Amz-Target": [target]},
                                json.dumps({"AutoMLJobName": name})),
        response=RecordedResponse(status, "OK" if status == 200 else "Bad Request",
                                  headers if headers is not None else {}, raw),
    )


def job(name: str, status: str = "Completed") -> dict[str, Any]:
    return {"AutoMLJobName": name, "AutoMLJobStatus": status}


def cassette(*interactions: Interaction) -> Cassette:
    return Cassette(interactions=tuple(interactions))


class Reply:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read()

    def json(self) -> Any:
        return json.loads(self.body)


def post(connection: http.client.HTTPConnection, params: Any = None, *,
         target: str | None = DESCRIBE, body: bytes | None = None,
         method: str = "POST", extra: dict[str, str] | None = None) -> Reply:
    payload = body if body is not None else json.dumps(params or {}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1",
               # Signed like botocore signs; the server must accept it without checking.
               "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/"
                                "us-east-1/sagemaker/aws4_request, SignedHeaders=host, "
                                "Signature=" + "0" * 64}
    if target is not None:
        headers["X-Amz-Target"] = target
    headers.update(extra or {})
    connection.request(method, "/", body=payload if method != "GET" else None, headers=headers)
    return Reply(connection.getresponse())


@pytest.fixture
def serve() -> Iterator[Callable[..., RunningServer]]:
    """Start servers for a test; every one is stopped at the end."""
    running: list[RunningServer] = []

    def start(*sources: Cassette | Path, **options: Any) -> RunningServer:
        server = start_server(list(sources), **options)
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


def connect(server: RunningServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(server.host, server.port, timeout=10)


# ---------------------------------------------------------------------------- answering


def test_answers_the_recorded_body_with_sagemaker_headers(serve: Callable[..., RunningServer],
                                                          full_body: dict[str, Any]) -> None:
    name = full_body["AutoMLJobName"]
    recorded = json.dumps(full_body, indent=2).encode()
    server = serve(cassette(interaction(name, recorded, headers={
        "x-amzn-RequestId": ["00000000-0000-4000-8000-000000000001"],
        "Content-Type": ["application/x-amz-json-1.1"],
        "Date": ["Mon, 30 Nov 2026 00:00:00 GMT"]})))

    reply = post(connect(server), {"AutoMLJobName": name})

    assert reply.status == 200
    assert reply.body == recorded
    assert reply.headers["content-type"] == "application/x-amz-json-1.1"
    assert reply.headers["x-amzn-requestid"] == "00000000-0000-4000-8000-000000000001"
    assert reply.headers["date"] == "Mon, 30 Nov 2026 00:00:00 GMT"
    assert reply.headers["content-length"] == str(len(recorded))


def test_a_wrong_recorded_content_length_is_corrected(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"), headers={
        "Content-Length": ["3"], "Transfer-Encoding": ["chunked"]})))

    reply = post(connect(server), {"AutoMLJobName": "a"})

    assert reply.json() == job("a")
    assert reply.headers["content-length"] == str(len(reply.body))
    assert "transfer-encoding" not in reply.headers


def test_sagemaker_headers_are_added_when_the_cassette_has_none(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"), headers={})))

    reply = post(connect(server), {"AutoMLJobName": "a"})

    assert reply.headers["content-type"] == "application/x-amz-json-1.1"
    assert len(reply.headers["x-amzn-requestid"]) == 36


def test_a_line_break_in_a_recorded_header_cannot_split_the_response(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"), headers={
        "x-note": ["one\r\nX-Injected: yes"]})))

    reply = post(connect(server), {"AutoMLJobName": "a"})

    assert reply.status == 200
    assert "x-injected" not in reply.headers
    assert reply.json() == job("a")


def test_parameters_match_whatever_their_key_order(serve: Callable[..., RunningServer]) -> None:
    recorded = Interaction(
        request=RecordedRequest("POST", URI, {"X-Amz-Target": ["SageMaker.ListAutoMLJobs"]},
                                '{"MaxResults": 5, "SortBy": "Name"}'),
        response=RecordedResponse(200, "OK", {}, b'{"AutoMLJobSummaries": []}'))
    server = serve(cassette(recorded))

    reply = post(connect(server), body=b'{"SortBy":"Name","MaxResults":5}',
                 target="SageMaker.ListAutoMLJobs")

    assert reply.status == 200
    assert reply.json() == {"AutoMLJobSummaries": []}


def test_a_recorded_sequence_plays_in_order_then_stays_on_the_last(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(*(interaction("a", job("a", status))
                              for status in ("InProgress", "Stopping", "Stopped"))))
    connection = connect(server)

    statuses = [post(connection, {"AutoMLJobName": "a"}).json()["AutoMLJobStatus"]
                for _ in range(5)]

    assert statuses == ["InProgress", "Stopping", "Stopped", "Stopped", "Stopped"]


def test_a_recorded_error_is_served_with_its_status(serve: Callable[..., RunningServer]) -> None:
    error = {"__type": "ResourceNotFound", "Message": "Could not find AutoML job"}
    server = serve(cassette(interaction("gone", error, status=400)))

    reply = post(connect(server), {"AutoMLJobName": "gone"})

    assert reply.status == 400
    assert reply.json() == error


def test_many_requests_share_one_keep_alive_connection(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"))))
    connection = connect(server)

    replies = [post(connection, {"AutoMLJobName": "a"}) for _ in range(20)]
    local_port = connection.sock.getsockname()[1]
    last = post(connection, {"AutoMLJobName": "a"})

    assert all(reply.status == 200 for reply in replies)
    assert connection.sock.getsockname()[1] == local_port
    assert last.status == 200


def test_cassettes_are_read_from_folders(serve: Callable[..., RunningServer],
                                         tmp_path: Path) -> None:
    write_cassette(tmp_path / "one.yaml", cassette(interaction("a", job("a"))))
    write_cassette(tmp_path / "sub" / "two.yaml", cassette(interaction("b", job("b"))))
    server = serve(tmp_path)
    connection = connect(server)

    assert post(connection, {"AutoMLJobName": "a"}).json() == job("a")
    assert post(connection, {"AutoMLJobName": "b"}).json() == job("b")
    assert server.responder.describe() == "2 recorded interactions from 2 cassettes"


# ------------------------------------------------------------------------------ errors


def test_an_unmatched_request_names_the_closest_recorded_one(
        serve: Callable[..., RunningServer], tmp_path: Path) -> None:
    path = tmp_path / "jobs.yaml"
    write_cassette(path, cassette(interaction("job-a", job("job-a"))))
    logged: list[str] = []
    server = serve(path, log=logged.append)

    reply = post(connect(server), {"AutoMLJobName": "job-b"})

    assert reply.status == 400
    assert reply.headers["x-amzn-errortype"] == "NoMatchingInteraction"
    assert reply.json() == {
        "__type": "NoMatchingInteraction",
        "message": 'no recorded interaction matches SageMaker.DescribeAutoMLJob '
                   '{"AutoMLJobName":"job-b"}; closest recorded: '
                   f'{path} interaction 0 SageMaker.DescribeAutoMLJob '
                   '{"AutoMLJobName":"job-a"} ($.AutoMLJobName: recorded "job-a", '
                   'request has "job-b")',
    }
    assert logged == [
        'POST / -> 400: no recorded interaction matches SageMaker.DescribeAutoMLJob '
        '{"AutoMLJobName":"job-b"}\n'
        f'  closest: {path} interaction 0: SageMaker.DescribeAutoMLJob '
        '{"AutoMLJobName":"job-a"}\n'
        '    - $.AutoMLJobName: recorded "job-a", request has "job-b"']
    assert server.stats.counts == {"miss": 1}


def test_the_closest_match_is_searched_across_every_cassette(
        serve: Callable[..., RunningServer], tmp_path: Path) -> None:
    far = tmp_path / "a-list.yaml"
    near = tmp_path / "b-describe.yaml"
    write_cassette(far, cassette(interaction("x", {}, target="SageMaker.ListAutoMLJobs")))
    write_cassette(near, cassette(interaction("churn-1", job("churn-1"))))
    server = serve(far, near, log=lambda line: None)

    message = post(connect(server), {"AutoMLJobName": "churn-2"}).json()["message"]

    assert f"closest recorded: {near} interaction 0" in message


def test_an_unmatched_request_keeps_the_connection_usable(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"))), log=lambda line: None)
    connection = connect(server)

    assert post(connection, {"AutoMLJobName": "zzz"}).status == 400
    assert post(connection, {"AutoMLJobName": "a"}).json() == job("a")


@pytest.mark.parametrize(("body", "message"), [
    (b"{not json", "the request body is not JSON (Expecting property name enclosed in double "
                   "quotes at char 1); AWS JSON 1.1 requests carry a JSON object"),
    (b'["AutoMLJobName"]', "the request body is JSON list, not an object; AWS JSON 1.1 "
                           "requests carry a JSON object"),
    (b'{"a": "\xff"}', "the request body is not JSON (invalid UTF-8 (byte 0xff) at char 7); "
                       "AWS JSON 1.1 requests carry a JSON object"),
])
def test_a_body_that_is_not_a_json_object_is_a_serialization_error(
        serve: Callable[..., RunningServer], body: bytes, message: str) -> None:
    server = serve(cassette(interaction("a", job("a"))), log=lambda line: None)
    connection = connect(server)

    reply = post(connection, body=body)

    assert reply.status == 400
    assert reply.json() == {"__type": "SerializationException", "message": message}
    assert post(connection, {"AutoMLJobName": "a"}).status == 200


def test_a_request_without_x_amz_target_is_an_unknown_operation(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"))), log=lambda line: None)

    reply = post(connect(server), {"AutoMLJobName": "a"}, target=None)

    assert reply.status == 400
    assert reply.json() == {
        "__type": "UnknownOperationException",
        "message": "the request has no X-Amz-Target header; AWS JSON 1.1 requests name their "
                   "operation there (X-Amz-Target: SageMaker.DescribeAutoMLJob)"}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_get_a_protocol_error(serve: Callable[..., RunningServer],
                                            method: str) -> None:
    server = serve(cassette(interaction("a", job("a"))), log=lambda line: None)

    reply = post(connect(server), {}, method=method)

    assert reply.status == 400
    assert reply.json() == {
        "__type": "SerializationException",
        "message": f"{method} is not supported: AWS JSON 1.1 requests "
                   "(sagemaker.DescribeAutoMLJob) are POST / with X-Amz-Target and a JSON body"}


def test_head_gets_headers_only(serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"))), log=lambda line: None)
    connection = connect(server)

    reply = post(connection, {}, method="HEAD")

    assert reply.status == 400
    assert reply.body == b""
    assert post(connection, {"AutoMLJobName": "a"}).status == 200


def raw_exchange(server: RunningServer, data: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_garbage_instead_of_http_gets_a_json_error_and_the_server_stays_up(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"))), log=lambda line: None)

    answer = raw_exchange(server, b"\x16\x03\x01 hello there\r\n\r\n")

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body)["__type"] == "SerializationException"
    assert post(connect(server), {"AutoMLJobName": "a"}).status == 200


def test_an_oversized_body_is_refused_unread_and_the_connection_closed(
        serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"))), log=lambda line: None)

    answer = raw_exchange(server, b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: "
                          + DESCRIBE.encode() + b"\r\nContent-Length: 99999999\r\n\r\n{")

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in head
    assert json.loads(body) == {
        "__type": "SerializationException",
        "message": "the request body of 99999999 bytes is over the 1048576-byte limit"}


def test_a_chunked_request_body_is_read(serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"))))
    body = b'{"AutoMLJobName": "a"}'

    answer = raw_exchange(server, b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                          b"X-Amz-Target: " + DESCRIBE.encode() + b"\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n"
                          + f"{len(body[:5]):x}".encode() + b"\r\n" + body[:5] + b"\r\n"
                          + f"{len(body[5:]):x}".encode() + b"\r\n" + body[5:] + b"\r\n"
                          b"0\r\n\r\n")

    head, _, reply = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert json.loads(reply) == job("a")


class _FailingResponder:
    def describe(self) -> str:
        return "a responder with a bug"

    def answer(self, target: str, body: bytes, authorization: str | None = None) -> Answer:
        raise RuntimeError("boom")


def test_a_failing_responder_answers_500_and_the_server_survives() -> None:
    with RunningServer(ReplayHTTPServer(("127.0.0.1", 0), _FailingResponder(),
                                        log=lambda line: None)) as server:
        connection = connect(server)
        first = post(connection, {})
        second = post(connection, {})

    assert first.status == second.status == 500
    assert first.json() == {"__type": "InternalFailure",
                            "message": "aws-replay serve failed to answer: RuntimeError: boom"}


# ------------------------------------------------------------- concurrency and latency


class _BarrierResponder:
    """Answers only once ``parties`` requests are being handled at the same time."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=10)

    def describe(self) -> str:
        return "a barrier"

    def answer(self, target: str, body: bytes, authorization: str | None = None) -> Answer:
        self.barrier.wait()
        return Answer(200, wire_response(200, b"{}"), "hit")


def test_requests_are_answered_concurrently() -> None:
    parties = 8
    statuses: list[int] = []
    with RunningServer(ReplayHTTPServer(("127.0.0.1", 0), _BarrierResponder(parties))) as server:

        def call() -> None:
            statuses.append(post(connect(server), {}).status)

        threads = [threading.Thread(target=call) for _ in range(parties)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)

    assert statuses == [200] * parties


def test_latency_delays_each_answer(serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"))), latency_ms=150)
    connection = connect(server)

    started = time.monotonic()
    post(connection, {"AutoMLJobName": "a"})
    post(connection, {"AutoMLJobName": "a"})

    assert time.monotonic() - started >= 0.3


def test_verbose_logs_every_request_and_quiet_logs_none(
        serve: Callable[..., RunningServer]) -> None:
    logged: list[str] = []
    verbose = serve(cassette(interaction("a", job("a"))), log=logged.append, verbose=True)
    quiet = serve(cassette(interaction("a", job("a"))), log=None)

    post(connect(verbose), {"AutoMLJobName": "a"})
    post(connect(quiet), {"AutoMLJobName": "zzz"})

    assert logged == ["POST / SageMaker.DescribeAutoMLJob -> 200"]
    assert quiet.stats.counts == {"miss": 1}


# ------------------------------------------------------------------------ life cycle


def test_port_zero_picks_a_free_loopback_port(serve: Callable[..., RunningServer]) -> None:
    server = serve(cassette(interaction("a", job("a"))))

    assert server.host == "127.0.0.1"
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"


def test_stop_releases_the_port_and_hangs_up_on_keep_alive_clients() -> None:
    server = start_server([cassette(interaction("a", job("a")))])
    connection = connect(server)
    assert post(connection, {"AutoMLJobName": "a"}).status == 200

    server.stop()
    server.stop()

    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        post(connection, {"AutoMLJobName": "a"})
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=5)


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(EndpointError) as error:
            start_server([cassette(interaction("a", job("a")))], port=port)

    assert str(error.value) == (f"cannot listen on 127.0.0.1:{port} (Address already in use); "
                                "pick another with --port, or --port 0 for any free one")


def test_nothing_to_serve_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^nothing to serve: give cassette files or folders, "
                                          r"or --synthetic$"):
        start_server([])
    with pytest.raises(ConfigError, match=r"^give cassette paths or --synthetic, not both$"):
        start_server([tmp_path], synthetic=True)
    with pytest.raises(CassetteError, match=r"no cassettes \(\*\.yaml, \*\.yml, \*\.json\) "
                                            "found in"):
        start_server([tmp_path])
    with pytest.raises(CassetteError, match="no recorded interactions to serve"):
        start_server([cassette()])


# ------------------------------------------------------------------------------ the CLI


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    runner = CliRunner()
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions:\n- request: {method: POST\n")

    cases = {
        (): "aws-replay: error: nothing to serve: give cassette files or folders, or "
            "--synthetic\n",
        (str(tmp_path / "absent.yaml"),):
            f"aws-replay: error: {tmp_path / 'absent.yaml'}: no such file or folder\n",
        (str(broken), "--synthetic"):
            "aws-replay: error: give cassette paths or --synthetic, not both\n",
    }
    for arguments, expected in cases.items():
        result = runner.invoke(main, ["serve", *arguments])
        assert (result.exit_code, result.stderr) == (2, expected)

    result = runner.invoke(main, ["serve", str(broken)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"aws-replay: error: {broken}: is not valid YAML")
    assert result.stderr.count("\n") == 1


def test_cli_rejects_a_negative_latency_and_a_bad_port() -> None:
    runner = CliRunner()

    assert runner.invoke(main, ["serve", "--synthetic", "--latency", "-1"]).exit_code == 2
    assert runner.invoke(main, ["serve", "--synthetic", "--port", "70000"]).exit_code == 2


def start_cli(*arguments: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", *arguments], cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    first = process.stdout.readline()
    if not first:
        process.wait(timeout=10)
        error = process.stderr.read() if process.stderr else ""
        raise AssertionError(f"serve exited early: {error}")
    return process, first


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_the_url_serves_and_stops_cleanly_on_a_signal(
        tmp_path: Path, stop_signal: signal.Signals) -> None:
    path = tmp_path / "jobs.yaml"
    write_cassette(path, cassette(interaction("a", job("a"))))
    process, first = start_cli(str(path), "--port", "0")
    try:
        url = first.split(" at ", 1)[1].split(" ", 1)[0]
        assert first == (f"aws-replay serve: answering AWS requests at {url} with 1 recorded "
                         "interaction from 1 cassette\n")
        host, port = url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        assert post(connection, {"AutoMLJobName": "a"}).json() == job("a")
        assert post(connection, {"AutoMLJobName": "b"}).status == 400
    finally:
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=20)

    assert process.returncode == 0
    assert out.splitlines()[-1] == "aws-replay serve: stopped after 2 requests (1 hit, 1 miss)"
    assert "Traceback" not in err
    assert 'no recorded interaction matches SageMaker.DescribeAutoMLJob {"AutoMLJobName":"b"}' \
        in err


def test_cli_serves_synthetic_jobs() -> None:
    process, first = start_cli("--synthetic")
    try:
        url = first.split(" at ", 1)[1].split(" ", 1)[0]
        assert first == (f"aws-replay serve: answering AWS requests at {url} with synthetic "
                         "AutoML jobs (any name; missing-* is not found): Describe, DescribeV2, "
                         "List, ListCandidates, Create, CreateV2, Stop\n")
        host, port = url.removeprefix("http://").split(":")
        reply = post(http.client.HTTPConnection(host, int(port), timeout=10),
                     {"AutoMLJobName": "churn"})
        assert (reply.status, reply.json()["AutoMLJobName"]) == (200, "churn")
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)

    assert process.returncode == 0
    assert out.splitlines()[-1] == "aws-replay serve: stopped after 1 request (1 synthetic)"


# --------------------------------------------------------------------------- synthetic


def test_synthetic_jobs_are_the_same_for_a_name_and_differ_between_names(
        serve: Callable[..., RunningServer]) -> None:
    connection = connect(serve(synthetic=True))

    first = post(connection, {"AutoMLJobName": "churn-a"})
    again = post(connection, {"AutoMLJobName": "churn-a"})
    other = post(connection, {"AutoMLJobName": "churn-b"})

    assert first.status == again.status == other.status == 200
    assert first.body == again.body
    assert first.json()["AutoMLJobName"] == "churn-a"
    assert other.json()["AutoMLJobName"] == "churn-b"
    assert first.headers["content-type"] == "application/x-amz-json-1.1"


def test_a_missing_synthetic_job_is_resource_not_found(
        serve: Callable[..., RunningServer]) -> None:
    reply = post(connect(serve(synthetic=True)), {"AutoMLJobName": "missing-churn"})

    assert reply.status == 400
    assert reply.headers["x-amzn-errortype"] == "ResourceNotFound"
    assert reply.json()["__type"] == "ResourceNotFound"


@pytest.mark.parametrize(("target", "params", "error_type", "message"), [
    ("SageMaker.DescribeTrainingJob", {"TrainingJobName": "a"}, "UnknownOperationException",
     "synthetic mode answers DescribeAutoMLJob, DescribeAutoMLJobV2, ListAutoMLJobs, "
     "ListCandidatesForAutoMLJob, CreateAutoMLJob, CreateAutoMLJobV2, StopAutoMLJob; not "
     "DescribeTrainingJob"),
    ("DynamoDB_20120810.ListTables", {}, "UnknownOperationException",
     "synthetic mode answers SageMaker's AutoML operations, not DynamoDB_20120810.ListTables; "
     "serve cassettes to answer other operations"),
    (DESCRIBE, {}, "ValidationException",
     "1 validation error detected: $.AutoMLJobName: required member AutoMLJobName of "
     "DescribeAutoMLJobRequest is missing"),
    ("SageMaker.StopAutoMLJob", {"AutoMLJobName": "a", "Force": True}, "ValidationException",
     "1 validation error detected: $.Force: member Force is not in the model of "
     "StopAutoMLJobRequest; the service refuses it"),
])
def test_synthetic_mode_rejects_what_sagemaker_would(
        serve: Callable[..., RunningServer], target: str, params: dict[str, Any],
        error_type: str, message: str) -> None:
    reply = post(connect(serve(synthetic=True, log=lambda line: None)), params, target=target)

    assert reply.status == 400
    assert reply.json() in ({"__type": error_type, "message": message},
                            {"__type": error_type, "Message": message})
    assert reply.headers["x-amzn-errortype"] == error_type


def test_a_region_synthetic_jobs_do_not_model_is_the_clients_error_not_the_servers(
        serve: Callable[..., RunningServer]) -> None:
    isolated = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/us-isob-east-1/"
                "sagemaker/aws4_request, SignedHeaders=host, Signature=" + "0" * 64)
    reply = post(connect(serve(synthetic=True)), {"AutoMLJobName": "churn-a"},
                 extra={"Authorization": isolated})

    assert reply.status == 400
    assert reply.json() == {
        "__type": "ValidationException",
        "message": "region 'us-isob-east-1' is in an isolated partition synthetic jobs do not "
                   "model; use a commercial, China or GovCloud region"}


def test_a_synthetic_job_name_sagemaker_rejects_is_a_validation_error(
        serve: Callable[..., RunningServer]) -> None:
    reply = post(connect(serve(synthetic=True)), {"AutoMLJobName": "not_a_valid_name!"})

    assert reply.status == 400
    assert reply.json()["__type"] == "ValidationException"


def test_serves_on_ipv6_loopback(serve: Callable[..., RunningServer]) -> None:
    if not socket.has_ipv6:
        pytest.skip("this machine has no IPv6")
    try:
        server = serve(cassette(interaction("a", job("a"))), host="::1")
    except EndpointError as error:
        pytest.skip(f"IPv6 loopback unavailable here: {error}")

    assert server.url == f"http://[::1]:{server.port}"
    reply = post(http.client.HTTPConnection("::1", server.port, timeout=10), {"AutoMLJobName": "a"})
    assert reply.json() == job("a")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("example.com", False)])
def test_only_loopback_addresses_count_as_local(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_client_hanging_up_mid_answer_leaves_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "jobs.yaml"
    write_cassette(path, cassette(interaction("a", {"Padding": "x" * 200_000})))
    process, first = start_cli(str(path), "--latency", "100")
    try:
        url = first.split(" at ", 1)[1].split(" ", 1)[0]
        host, port = url.removeprefix("http://").split(":")
        for _ in range(3):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                # Linger 0: close with a reset, as a killed client does.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + DESCRIBE.encode()
                             + b'\r\nContent-Length: 21\r\n\r\n{"AutoMLJobName":"a"}')
        time.sleep(0.5)
        reply = post(http.client.HTTPConnection(host, int(port), timeout=10),
                     {"AutoMLJobName": "a"})
        assert reply.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)

    assert process.returncode == 0
    assert err == ""


def test_a_recorded_compressed_body_is_served_compressed_and_a_stale_encoding_dropped(
        serve: Callable[..., RunningServer]) -> None:
    import gzip

    compressed = gzip.compress(json.dumps(job("z")).encode())
    server = serve(cassette(
        interaction("z", compressed, headers={"Content-Encoding": ["gzip"]}),
        interaction("plain", job("plain"), headers={"Content-Encoding": ["gzip"]})))
    connection = connect(server)

    zipped = post(connection, {"AutoMLJobName": "z"})
    plain = post(connection, {"AutoMLJobName": "plain"})

    assert zipped.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.body)) == job("z")
    assert "content-encoding" not in plain.headers
    assert plain.json() == job("plain")


def test_secrets_in_an_unmatched_request_are_redacted_from_the_error_and_the_log(
        serve: Callable[..., RunningServer]) -> None:
    # Built at run time: no credential-looking literal in the repository.
    account = "".join(random.choices("123456789", k=12))
    access_key = "AKIA" + "".join(random.choices(string.ascii_uppercase + "234567", k=16))
    recorded_arn = "arn:aws:sagemaker:us-east-1:000000000001:automl-job/a"
    recorded = Interaction(
        request=RecordedRequest("POST", URI, {"X-Amz-Target": ["SageMaker.ListTags"]},
                                json.dumps({"ResourceArn": recorded_arn})),
        response=RecordedResponse(200, "OK", {}, b'{"Tags": []}'))
    logged: list[str] = []
    server = serve(cassette(recorded), log=logged.append)

    reply = post(connect(server), {"ResourceArn": recorded_arn.replace("000000000001", account),
                                   "NextToken": access_key}, target="SageMaker.ListTags")

    message = reply.json()["message"]
    assert reply.json()["__type"] == "NoMatchingInteraction"
    for text in (message, *logged):
        assert account not in text
        assert access_key not in text
    assert "000000000001:automl-job/a" in message
    assert "000000000002:automl-job/a" in message


def test_recorded_through_the_synthetic_endpoint_then_served_back(
        serve: Callable[..., RunningServer], tmp_path: Path,
        sagemaker_client: Callable[[str], Any]) -> None:
    from replay.record.jobs import record_jobs

    live = serve(synthetic=True)
    record_jobs(["lifecycle-churn", "missing-churn"], endpoint_url=live.url,
                cassette_dir=tmp_path, follow=True, interval=0, sleep=lambda seconds: None)
    fresh = connect(serve(synthetic=True))
    statuses = [post(fresh, {"AutoMLJobName": "lifecycle-churn"}).json()
                ["AutoMLJobSecondaryStatus"] for _ in range(10)]

    client = sagemaker_client(serve(tmp_path).url)
    replayed = [client.describe_auto_ml_job(AutoMLJobName="lifecycle-churn")
                ["AutoMLJobSecondaryStatus"] for _ in range(10)]
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.describe_auto_ml_job(AutoMLJobName="missing-churn")

    assert replayed == statuses
    assert (replayed[0], replayed[-1]) == ("Starting", "Completed")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[RunningServer]:
    with start_server([cassette(interaction("a", job("a")))], log=None) as server:
        yield server


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=64),
                      _json_values.map(lambda value: json.dumps(value).encode()),
                      st.dictionaries(st.text(max_size=12), _json_values, max_size=3)
                      .map(lambda value: json.dumps(value).encode())))
def test_any_body_gets_a_protocol_shaped_answer_on_a_connection_that_stays_usable(
        shared_server: RunningServer, body: bytes) -> None:
    connection = connect(shared_server)

    reply = post(connection, body=body)

    if reply.status == 200:
        assert json.loads(body) == {"AutoMLJobName": "a"}
    else:
        assert reply.status == 400
        assert reply.json()["__type"] in ("SerializationException", "NoMatchingInteraction")
        assert isinstance(reply.json()["message"], str)
    assert post(connection, {"AutoMLJobName": "a"}).json() == job("a")
    connection.close()
