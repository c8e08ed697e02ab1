"""A local AWS endpoint: answers requests of every protocol from cassettes, or SageMaker's
AutoML family from synthetic jobs.

``aws-replay serve`` (and :func:`start_server` in-process) runs an HTTP server that any AWS
client can be pointed at with an endpoint URL: boto3, the AWS CLI, the JavaScript SDK. It
speaks every protocol botocore does: the AWS JSON protocol (``POST /`` with the operation in
``X-Amz-Target``: SageMaker, DynamoDB), rest-json (Lambda), rest-xml (S3, path-style: ``GET
/bucket/key``), query (STS, IAM: a form with ``Action``) and ec2, in every method (GET, HEAD,
PUT, POST, DELETE). SigV4 signatures are accepted without being verified; the service is read
from the signature's credential scope. Requests are matched exactly as the pytest plugin
matches them (operation + input members, :class:`replay.match.playback.Playback`; identical
requests play in recorded order, then stay on the last). Recorded bodies are served byte for
byte, and a HEAD answer carries the recorded headers, ``Content-Length`` included, and no body.
With ``synthetic=True`` the AutoML family (Describe, DescribeV2, List, ListCandidates, Create,
CreateV2, Stop) is answered by a synthetic account (``replay.synth.account``: a deterministic
spec-valid job per name, ``missing-*`` is not found, ``lifecycle-*`` advances one status per
call).

Anything the server cannot answer comes back as a 400 in the request's protocol's own error
shape (:mod:`replay.protocols.errors`: ``{"__type", "message"}`` for JSON, ``<Error>`` for S3,
``<ErrorResponse>`` for STS, ...) so clients raise their normal service error and print the
reason: an unmatched request (``NoMatchingInteraction``, naming the closest recorded request and
the fields that differ), a request that names no operation (``UnknownOperationException``), a
body that does not fit its protocol (``SerializationException``, ``MalformedXML``).

This module is the HTTP layer (connections, keep-alive, request bodies, start and stop). AWS
JSON protocol requests take a fast path: the target and body go straight to the responder
(:mod:`replay.serve.cassettes`), which keeps answers as wire bytes built once per interaction,
so a request costs: parse the HTTP head, look the body up, write one buffer. Every other request
is handed over whole, with its full URL (:mod:`replay.serve.incoming` identifies it).

Example::

    with start_server([Path("cassettes/s3")]) as server:
        s3 = boto3.client("s3", endpoint_url=server.url, region_name="us-east-1")
        s3.get_object(Bucket="my-bucket", Key="model.tar.gz")["Body"].read()
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, runtime_checkable

from replay.cassette.model import Cassette
from replay.core.errors import ConfigError, EndpointError
from replay.core.hosts import is_loopback
from replay.core.redaction import redact
from replay.protocols.errors import guess_protocol
from replay.serve.answers import Answer, BadRequest, error_answer
from replay.serve.incoming import request_url
from replay.serve.limits import ConnectionCap, ServeLimits, deadline_reader, read_body
from replay.serve.responders import (
    DESCRIBE_TARGET,
    RequestResponder,
    Responder,
    make_responder,
)
from replay.serve.running import RunningServer, ServeStats

__all__ = ["Forwarder", "ReplayHTTPServer", "RunningServer", "ServeStats", "is_loopback",
           "serve_until_signalled", "start_server"]

Log = Callable[[str], None]


@runtime_checkable
class Forwarder(Protocol):
    """A responder that takes every request whole, any method (the recording proxy)."""

    def forward(self, method: str, path: str, headers: list[tuple[str, str]],
                body: bytes) -> Answer: ...


def _head_only(wire: bytes) -> bytes:
    # HEAD answers (and 204/304) carry the headers, Content-Length included, but no body.
    return wire.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-replay"
    disable_nagle_algorithm = True
    server: ReplayHTTPServer

    def setup(self) -> None:
        super().setup()
        # Every read goes through a deadline (see replay.serve.limits): a trickling client
        # cannot hold the connection past the header, body or idle timeout.
        self.rfile.close()
        self._reader, self._input = deadline_reader(self.connection)
        self.rfile = self._input
        self.server.track(self.connection, True)

    def handle_one_request(self) -> None:
        limits = self.server.limits
        self._reader.deadline = time.monotonic() + limits.idle_timeout
        try:
            if not self._input.peek(1):  # the client hung up between requests
                self.close_connection = True
                return
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        self._reader.deadline = time.monotonic() + limits.header_timeout
        self._answered = False
        self.command, self.path = "", ""  # (the head may time out before they are read)
        super().handle_one_request()
        if not self._answered and self.close_connection \
                and time.monotonic() >= self._reader.deadline:
            # http.server drops a request whose head timed out without a word; say why
            self._send(error_answer(
                "RequestTimeout", f"the request head did not arrive within "
                f"{limits.header_timeout:g} s (--header-timeout)", status=408, close=True))

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def _forward(self, forwarder: Forwarder, *, head: bool = False) -> None:
        try:
            answer = forwarder.forward(self.command, self.path, list(self.headers.items()),
                                       self._read_body())
        except BadRequest as bad:
            answer = bad.answer
        except Exception as exc:  # one bad exchange must not take the proxy down
            answer = error_answer("InternalFailure", f"aws-replay serve failed to forward: "
                                  f"{type(exc).__name__}: {exc}", status=500)
        if head:  # every answer to a HEAD, errors included, goes without its body
            answer = Answer(answer.status, _head_only(answer.wire), answer.kind, answer.close,
                            detail=answer.detail)
        self._send(answer)

    def do_POST(self) -> None:
        server = self.server
        if isinstance(server.responder, Forwarder):
            return self._forward(server.responder)
        target = (self.headers.get("X-Amz-Target") or "").strip()
        if not target and server.requests is not None:
            return self._send(self._answer_request(server.requests))
        try:  # the AWS JSON protocol's fast path: target and body, nothing else read
            body = self._read_body()
            answer = server.responder.answer(target, body, self.headers.get("Authorization"))
        except BadRequest as bad:
            answer = bad.answer
        except Exception as exc:  # one bad answer must not take the server down
            answer = error_answer("InternalFailure",
                                  f"aws-replay serve failed to answer: {type(exc).__name__}: {exc}",
                                  status=500)
        if not target and answer.kind == "miss":
            answer = error_answer(
                "UnknownOperationException",
                "the request has no X-Amz-Target header; AWS JSON 1.1 requests name their "
                f"operation there (X-Amz-Target: {DESCRIBE_TARGET})",
            )
        self._send(answer)

    def _answer_request(self, responder: RequestResponder) -> Answer:
        """Any protocol, any method: the request whole, its URL in full (``http://host:port
        /path?query``, so an S3 path-style bucket is in the path)."""
        try:
            body = self._read_body()
            host, port = str(self.server.server_address[0]), self.server.server_address[1]
            url = request_url(self.path, self.headers.get("Host"),
                              f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
            return responder.answer_request(self.command, url, list(self.headers.items()),
                                            body)
        except BadRequest as bad:
            return bad.answer
        except Exception as exc:  # one bad answer must not take the server down
            protocol = guess_protocol({k.lower(): v for k, v in self.headers.items()})
            return error_answer("InternalFailure", f"aws-replay serve failed to answer: "
                                f"{type(exc).__name__}: {exc}", status=500, protocol=protocol)

    def _read_body(self) -> bytes:
        return read_body(self._input, self._reader, self.headers, self.server.limits)

    def _discard_body(self) -> None:
        # An unread body would be taken for the next request on this keep-alive connection.
        try:
            self._read_body()
        except BadRequest:
            self.close_connection = True

    def _not_post(self) -> None:
        server = self.server
        if isinstance(server.responder, Forwarder):
            return self._forward(server.responder)
        if server.requests is not None:
            return self._send(self._answer_request(server.requests))
        self._discard_body()
        self._send(error_answer(
            "SerializationException",
            f"{self.command} is not supported: this responder speaks the AWS JSON 1.1 "
            "protocol only (POST / with X-Amz-Target and a JSON body)",
        ))

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_post

    def do_HEAD(self) -> None:
        server = self.server
        if isinstance(server.responder, Forwarder):
            return self._forward(server.responder, head=True)
        if server.requests is not None:
            answer = self._answer_request(server.requests)
        else:
            self._discard_body()
            answer = error_answer("SerializationException", "HEAD is not supported")
        # The recorded headers, Content-Length included, and no body.
        self._send(Answer(answer.status, _head_only(answer.wire), answer.kind,
                          answer.close, detail=answer.detail))

    def _send(self, answer: Answer) -> None:
        self._answered = True
        server = self.server
        if server.latency:
            time.sleep(server.latency)
        # Counted and logged before the client can see the answer, so what a client observed
        # is always already in the counts (tests and the stop summary rely on it).
        server.stats.add(answer.kind)
        if server.log is not None:
            if answer.kind in ("miss", "error", "recorded"):
                server.log(f"{self.command} {self.path} -> {answer.status}: {answer.detail}")
            elif server.verbose:
                server.log(f"{self.command} {self.path} "
                           f"{self.headers.get('X-Amz-Target', '')} -> {answer.status}")
        if answer.close:
            self.close_connection = True
        self.connection.settimeout(server.limits.body_timeout)  # a client that never reads
        self.wfile.write(answer.wire)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        # Malformed HTTP (bad request line, unknown method, oversized header) in the protocol's
        # error shape rather than http.server's HTML page.
        text = message or HTTPStatus(code).phrase
        if explain:
            text = f"{text}: {explain}"
        if code >= 500:  # an unknown method, say: the request's fault, never the server's
            code = HTTPStatus.BAD_REQUEST
        answer = error_answer("SerializationException", text, status=code, close=True)
        self.close_connection = True
        wire = answer.wire
        if self.command == "HEAD" or code in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            wire = _head_only(wire)
        self.server.stats.add("error")
        self.connection.settimeout(self.server.limits.body_timeout)
        self._answered = True
        self.wfile.write(wire)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log is not None and self.server.verbose:
            self.server.log(format % args)


class ReplayHTTPServer(ConnectionCap, ThreadingHTTPServer):
    """A threaded HTTP/1.1 (keep-alive) server answering from a :class:`Responder`."""

    daemon_threads = True
    # 50 clients connecting at once must not overflow the listen backlog (SYN retries cost 1 s).
    request_queue_size = 256
    stats: ServeStats

    def __init__(self, address: tuple[str, int], responder: Responder, *,
                 latency: float = 0.0, log: Log | None = None, verbose: bool = False,
                 limits: ServeLimits | None = None) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.limits = limits or ServeLimits()
        self.open_connections = 0
        self.open_lock = threading.Lock()
        self.responder = responder
        self.requests = responder if isinstance(responder, RequestResponder) else None
        """The responder of requests without ``X-Amz-Target`` (``None``: JSON only)."""
        self.latency = latency
        self.log = None if log is None else (lambda line: log(redact(line)))  # the output gate
        self.verbose = verbose
        self.stats = ServeStats()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is routine; anything else is one line, not a traceback.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError) or self.log is None:
            return
        self.log(f"connection from {client_address[0]} failed: {type(error).__name__}: {error}")

    def track(self, connection: socket.socket, is_open: bool) -> None:
        with self._connections_lock:
            if is_open:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Hang up on every keep-alive client, so nothing is answered after a stop."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def start_server(sources: Iterable[Path | Cassette] = (), *, synthetic: bool = False,
                 host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0.0,
                 log: Log | None = None, verbose: bool = False,
                 time_scale: float | None = None,
                 responder: Responder | None = None,
                 limits: ServeLimits | None = None) -> RunningServer:
    """Start the local AWS endpoint on a background thread and return it running.

    ``sources`` are cassette files, folders or loaded :class:`Cassette` objects; or pass
    ``synthetic=True`` (jobs created through it run ``time_scale`` job-seconds per second,
    default 600), or a ready ``responder`` (the recording proxy of :mod:`replay.serve.proxy`).
    ``port=0`` picks a free port (read it from ``.url``). ``log`` receives one line per
    unmatched or malformed request (every request when ``verbose``). ``limits`` bounds what
    one client may cost (:class:`~replay.serve.limits.ServeLimits`: header, body and idle
    timeouts, open connections).

    Example::

        with start_server(synthetic=True) as server:
            boto3.client("sagemaker", endpoint_url=server.url, ...)
    """
    if latency_ms < 0:
        raise ConfigError(f"latency {latency_ms} ms is negative; give 0 or more")
    responder = responder or make_responder(sources, synthetic=synthetic,
                                            time_scale=time_scale)
    try:
        httpd = ReplayHTTPServer((host, port), responder, latency=latency_ms / 1000.0,
                                 log=log, verbose=verbose, limits=limits)
    except OSError as exc:
        hint = ("pick another with --port, or --port 0 for any free one"
                if exc.errno == 98 else "check --host names an address of this machine")
        raise EndpointError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                            f"{hint}") from None
    return RunningServer(httpd)


def serve_until_signalled(sources: Iterable[Path | Cassette] = (), *, synthetic: bool = False,
                          host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0.0,
                          quiet: bool = False, verbose: bool = False,
                          echo: Log = print, time_scale: float | None = None,
                          responder: Responder | None = None,
                          limits: ServeLimits | None = None) -> ServeStats:
    """What ``aws-replay serve`` does: serve until SIGINT or SIGTERM, then stop cleanly.

    Prints the URL first (to ``echo``); diagnostics for unmatched requests go to stderr.
    """

    def to_stderr(line: str) -> None:
        sys.stderr.write(f"aws-replay serve: {line}\n")
        sys.stderr.flush()

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {signum: signal.signal(signum, on_signal)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        server = start_server(sources, synthetic=synthetic, host=host, port=port,
                              latency_ms=latency_ms, log=None if quiet else to_stderr,
                              verbose=verbose, time_scale=time_scale, responder=responder,
                              limits=limits)
        with server:
            echo(f"aws-replay serve: answering AWS requests at {server.url} with "
                 f"{server.responder.describe()}")
            if not is_loopback(host):
                to_stderr(f"listening on {host}, not loopback: anyone who can reach this "
                          "machine can read what it serves")
            echo(f"  e.g. AWS_ENDPOINT_URL={server.url} python your_script.py, or "
                 f"aws --endpoint-url {server.url} s3api ...; Ctrl-C to stop")
            while not stop.wait(0.5):
                pass
        echo(f"aws-replay serve: stopped after {server.stats.summary()}")
        return server.stats
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
