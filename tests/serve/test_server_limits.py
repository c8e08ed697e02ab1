"""The local endpoint against hostile clients, over raw sockets on 127.0.0.1.

Trickled heads and bodies, idle and excess connections, and malformed requests of every kind:
each is answered in the protocol's error shape with a 4xx (never a 5xx) or closed, and the
server keeps answering. Limits are set short by each test; every socket read is bounded.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.serve.limits import ServeLimits
from replay.serve.server import RunningServer, start_server

TARGET = "SageMaker.DescribeAutoMLJob"
READ_TIMEOUT = 10.0  # a hang guard for the test's own reads, never an expectation
SHORT = ServeLimits(header_timeout=0.5, body_timeout=0.5, idle_timeout=1.0, max_connections=4)


def _cassette() -> Cassette:
    body = json.dumps({"AutoMLJobName": "a"})
    return Cassette((Interaction(
        RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                        {"X-Amz-Target": [TARGET]}, body),
        RecordedResponse(200, "OK", {"Content-Type": ["application/x-amz-json-1.1"]},
                         json.dumps({"AutoMLJobName": "a", "AutoMLJobStatus": "Completed"})
                         .encode())),))


@pytest.fixture(params=["cassettes", "synthetic"])
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    if request.param == "synthetic":
        running = start_server(synthetic=True, limits=SHORT, log=lambda line: None)
    else:
        running = start_server([_cassette()], limits=SHORT, log=lambda line: None)
    with running:
        yield running


def _connect(server: RunningServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=READ_TIMEOUT)
    sock.settimeout(READ_TIMEOUT)
    return sock


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed without an answer after {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:length]


def _closed(sock: socket.socket) -> bool:
    """Whether the server hung up (reads the rest of anything it sent first)."""
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return True


def _request(body: bytes, *, target: str | None = TARGET, extra: str = "",
             length: int | None = None) -> bytes:
    head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
    if target is not None:
        head += f"X-Amz-Target: {target}\r\n"
    head += f"Content-Length: {len(body) if length is None else length}\r\n{extra}\r\n"
    return head.encode("latin-1") + body


def _ok(server: RunningServer) -> None:
    """The server still answers a good request on a new connection."""
    with _connect(server) as sock:
        sock.sendall(_request(b'{"AutoMLJobName": "a"}'))
        status, _, _ = _read_response(sock)
    assert status == 200


DEEP = b'{"AutoMLJobName": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

MALFORMED_BODIES = [
    pytest.param(b"{not json", "SerializationException", "Expecting property name", id="bad"),
    pytest.param(DEEP, "SerializationException", "nested deeper than 100 levels", id="deep"),
    pytest.param(b'{"AutoMLJobName": ' + b"9" * 5000 + b"}", "SerializationException",
                 "an integer of 5000 digits", id="huge-integer"),
    pytest.param(b'{"AutoMLJobName": NaN}', "SerializationException", "NaN is not",
                 id="nan"),
    pytest.param(b'{"AutoMLJobName": "a", "AutoMLJobName": "b"}', "SerializationException",
                 "duplicate key 'AutoMLJobName'", id="duplicate-key"),
    pytest.param(b'{"AutoMLJobName": "\xc3\x28"}', "SerializationException",
                 "invalid UTF-8", id="invalid-utf8"),
    pytest.param(b"[1, 2]", "SerializationException", "not an object", id="array"),
]


@pytest.mark.parametrize(("body", "error_type", "message"), MALFORMED_BODIES)
def test_a_malformed_body_is_a_400_in_the_protocol_shape(
        server: RunningServer, body: bytes, error_type: str, message: str) -> None:
    with _connect(server) as sock:
        sock.sendall(_request(body))
        status, headers, answer = _read_response(sock)
        parsed = json.loads(answer)
        assert status == 400
        assert parsed["__type"] == error_type == headers["x-amzn-errortype"]
        assert message in parsed["message"]
        sock.sendall(_request(b'{"AutoMLJobName": "a"}'))  # the connection still works
        assert _read_response(sock)[0] == 200


MALFORMED_REQUESTS = [
    pytest.param(_request(b"{}", target=None), "UnknownOperationException", id="no-target"),
    pytest.param(_request(b"", length=-5), "SerializationException", id="negative-length"),
    pytest.param(_request(b"", extra="", length=None).replace(b"Content-Length: 0",
                                                             b"Content-Length: ten"),
                 "SerializationException", id="length-not-a-number"),
    pytest.param(_request(b"", length=10**12), "SerializationException", id="length-huge"),
    pytest.param(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + TARGET.encode()
                 + b"\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "SerializationException",
                 id="bad-chunk-size"),
    pytest.param(b"HELLO\r\n\r\n", "SerializationException", id="garbage-request-line"),
    pytest.param(b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n", "SerializationException",
                 id="unknown-method"),
    pytest.param(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "SerializationException", id="http2"),
    pytest.param(b"POST / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 70_000 + b"\r\n\r\n",
                 "SerializationException", id="header-line-too-long"),
    pytest.param(b"POST / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150))
                 + b"\r\n", "SerializationException", id="too-many-headers"),
    pytest.param(b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", "SerializationException",
                 id="request-line-too-long"),
]


@pytest.mark.parametrize(("raw", "error_type"), MALFORMED_REQUESTS)
def test_a_malformed_request_is_a_4xx_in_the_protocol_shape(
        server: RunningServer, raw: bytes, error_type: str) -> None:
    with _connect(server) as sock:
        sock.sendall(raw)
        status, headers, answer = _read_response(sock)
    assert 400 <= status < 500
    assert json.loads(answer)["__type"] == error_type == headers["x-amzn-errortype"]
    _ok(server)


def test_a_body_cut_short_is_a_400(server: RunningServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_request(b'{"AutoMLJobName"', length=100))
        sock.shutdown(socket.SHUT_WR)
        status, _, answer = _read_response(sock)
    assert status == 400
    assert "ended after 16 of the 100 bytes" in json.loads(answer)["message"]


def _trickle(sock: socket.socket, pieces: Iterator[bytes], limit: int = 60) -> bool:
    """Send a piece every 0.1 s until the server hangs up; whether it did (bounded loop)."""
    sock.settimeout(0.1)
    for _, piece in zip(range(limit), pieces, strict=False):
        try:
            sock.sendall(piece)
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def _forever(piece: bytes) -> Iterator[bytes]:
    while True:
        yield piece


def _trickled_answer(sock: socket.socket, piece: bytes, limit: int = 60) -> bytes:
    """Send ``piece`` every 0.1 s until an answer's head has come back; what came back."""
    sock.settimeout(0.1)
    answer = b""
    for _ in range(limit):
        try:
            sock.sendall(piece)
            answer += sock.recv(65536)
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            break
        if b"\r\n\r\n" in answer:
            break
    return answer


def test_a_trickled_head_is_cut_off_at_the_header_timeout(server: RunningServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\n")
        assert _trickle(sock, _forever(b"X-Slow: 1\r\n")), "a slowloris head was kept open"
    _ok(server)


def test_a_trickled_head_is_answered_408_before_the_connection_closes(
        server: RunningServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\n")
        answer = _trickled_answer(sock, b"X-Slow: 1\r\n")
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert b'"__type": "RequestTimeout"' in answer and b"--header-timeout" in answer
    _ok(server)


def test_a_trickled_body_is_answered_408_at_the_body_timeout(server: RunningServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_request(b"{", length=1000))
        answer = _trickled_answer(sock, b" ")
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert b'"__type": "RequestTimeout"' in answer
    _ok(server)


def test_an_idle_connection_is_closed(server: RunningServer) -> None:
    with _connect(server) as sock:
        assert _closed(sock)


def test_connections_past_the_cap_are_refused_with_503(server: RunningServer) -> None:
    held = [_connect(server) for _ in range(SHORT.max_connections)]
    try:
        for sock in held:  # each is being served (answered once, then idle)
            sock.sendall(_request(b'{"AutoMLJobName": "a"}'))
            assert _read_response(sock)[0] == 200
        with _connect(server) as extra:
            status, _, answer = _read_response(extra)
            assert status == 503
            assert json.loads(answer)["__type"] == "ServiceUnavailable"
            assert _closed(extra)
    finally:
        for sock in held:
            sock.close()
    for _ in range(50):  # the held ones are let go as the server sees them close
        try:
            _ok(server)
            break
        except (AssertionError, ConnectionError):
            time.sleep(0.1)
    else:
        pytest.fail("the server did not accept connections again after the held ones closed")
    assert server.stats.counts.get("refused", 0) >= 1


def test_limits_are_checked() -> None:
    from replay.core.errors import ConfigError

    with pytest.raises(ConfigError, match="header timeout 0 is not a positive number"):
        ServeLimits(header_timeout=0)
    with pytest.raises(ConfigError, match="max connections 0 is not a positive count"):
        ServeLimits(max_connections=0)




# ------------------------------------------------------------- any content, never a 5xx

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12)
_MEMBERS = st.sampled_from(["AutoMLJobName", "MaxResults", "NextToken", "StatusEquals",
                            "SortBy", "SortOrder", "CandidateNameEquals", "AutoMLJobConfig",
                            "InputDataConfig", "OutputDataConfig", "RoleArn"])
_TARGETS = st.sampled_from([f"SageMaker.{op}" for op in (
    "DescribeAutoMLJob", "DescribeAutoMLJobV2", "ListAutoMLJobs", "ListCandidatesForAutoMLJob",
    "CreateAutoMLJob", "CreateAutoMLJobV2", "StopAutoMLJob", "NoSuchOperation")] + [""])


@pytest.fixture(scope="module")
def synthetic() -> Iterator[RunningServer]:
    with start_server(synthetic=True, log=lambda line: None) as running:
        yield running


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=_TARGETS, params=st.dictionaries(_MEMBERS | st.text(max_size=8), _JSON,
                                               max_size=4))
def test_no_request_content_gets_a_5xx(synthetic: RunningServer, target: str,
                                       params: dict[str, object]) -> None:
    connection = http.client.HTTPConnection(synthetic.host, synthetic.port,
                                            timeout=READ_TIMEOUT)
    try:
        connection.request("POST", "/", body=json.dumps(params).encode(),
                           headers={"X-Amz-Target": target} if target else {})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status < 500, (response.status, body[:300])
    if response.status >= 400:
        assert "__type" in json.loads(body)


@pytest.mark.parametrize("option", ["--header-timeout=0", "--body-timeout=-1",
                                    "--idle-timeout=0", "--max-connections=0"])
def test_serve_refuses_limits_that_are_not_positive(option: str) -> None:
    from click.testing import CliRunner

    from replay.cli.app import main

    result = CliRunner().invoke(main, ["serve", "--synthetic", option])
    assert result.exit_code == 2
    assert option.split("=")[0] in result.output
    assert "Traceback" not in result.output


def test_a_request_line_cut_short_is_answered_408_too(server: RunningServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"PO")
        answer = _trickled_answer(sock, b"")
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    _ok(server)
