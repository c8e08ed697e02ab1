"""What one client may cost the local endpoint: time to send a request, and connections held.

A client that sends its request head one byte a minute (slowloris), never finishes a body, or
opens connections by the thousand would otherwise hold a thread each for ever. The HTTP layer
(:mod:`replay.serve.server`) reads every socket through a :class:`DeadlineReader`, so a whole
request head must arrive within :attr:`ServeLimits.header_timeout` of its first byte and a body
within :attr:`ServeLimits.body_timeout`, however slowly it trickles; an idle keep-alive
connection is closed after :attr:`ServeLimits.idle_timeout`; and past
:attr:`ServeLimits.max_connections` open connections a new one is answered 503 and closed.
A body is bounded too: 1 MiB for an AWS JSON protocol request (:data:`MAX_REQUEST_BYTES`),
:attr:`ServeLimits.max_upload_bytes` (32 MiB unless set) for the rest, which may carry uploads;
a refusal comes in the error shape of the protocol the request's headers point to.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from dataclasses import dataclass
from email.message import Message
from typing import Any, Protocol

from replay.core.errors import ConfigError
from replay.protocols.errors import guess_protocol
from replay.serve.answers import BadRequest, error_answer

MAX_REQUEST_BYTES = 1 << 20
"""AWS JSON protocol (``X-Amz-Target``) request bodies are a few hundred bytes; anything past
this is refused unread."""

MAX_UPLOAD_BYTES = 32 << 20
"""Other requests (an S3 ``PutObject``, a Lambda ``Invoke`` payload) may carry uploads; past
this (unless ``--max-upload-bytes`` says otherwise) they are refused unread."""


@dataclass(frozen=True)
class ServeLimits:
    """The endpoint's limits (seconds, and a count); ``aws-replay serve`` options set them."""

    header_timeout: float = 10.0
    """Seconds a request line and headers may take to arrive, from their first byte."""
    body_timeout: float = 30.0
    """Seconds a request body may take to arrive, once its headers are read."""
    idle_timeout: float = 120.0
    """Seconds a keep-alive connection may wait for its next request."""
    max_connections: int = 256
    """Open connections at most; one more is answered 503 ``ServiceUnavailable`` and closed."""
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    """The largest body a request other than an AWS JSON protocol one may carry (an upload)."""

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout", "idle_timeout"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name.replace('_', ' ')} {getattr(self, name)!r} is not a "
                                  "positive number of seconds")
        if self.max_connections < 1:
            raise ConfigError(f"max connections {self.max_connections} is not a positive count")
        if self.max_upload_bytes < 1:
            raise ConfigError(f"max upload bytes {self.max_upload_bytes} is not a positive "
                              "count")


class DeadlineReader(io.RawIOBase):
    """A socket's input where every read gives up (``TimeoutError``) at :attr:`deadline`.

    A per-call socket timeout resets with each byte that arrives; a deadline does not, which is
    what stops a client trickling a request for ever.
    """

    def __init__(self, connection: socket.socket) -> None:
        super().__init__()
        self._connection = connection
        self.deadline = time.monotonic() + ServeLimits().idle_timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the client took too long to send its request")
        self._connection.settimeout(remaining)
        return self._connection.recv_into(buffer)


def deadline_reader(connection: socket.socket) -> tuple[DeadlineReader, io.BufferedReader]:
    """The raw deadline reader of ``connection`` and the buffered file the handler reads."""
    raw = DeadlineReader(connection)
    return raw, io.BufferedReader(raw)


# ------------------------------------------------------------------------------- bodies


def _refused(message: str, protocol: str, *, error_type: str = "SerializationException",
             status: int = 400) -> BadRequest:
    return BadRequest(error_answer(error_type, message, status=status, close=True,
                                   protocol=protocol))


def read_body(rfile: io.BufferedReader, reader: DeadlineReader, headers: Message,
              limits: ServeLimits) -> bytes:
    """The request body (``Content-Length`` or chunked) within ``limits.body_timeout``.

    What the protocol cannot carry (a bad length, too big, cut short, too slow) raises
    :class:`~replay.serve.responders.BadRequest` with the 400 (or 408) to answer; the
    connection is closed after it, as its framing can no longer be trusted.
    """
    reader.deadline = time.monotonic() + limits.body_timeout
    # Refused before the body is read: the protocol is told from the headers alone.
    if headers.get("X-Amz-Target"):
        protocol, limit, way_out = "json", MAX_REQUEST_BYTES, ""
    else:
        protocol = guess_protocol({name.lower(): value for name, value in headers.items()})
        limit, way_out = limits.max_upload_bytes, " (serve --max-upload-bytes raises it)"
    try:
        if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
            return _read_chunked(rfile, limit, protocol, way_out)
        return _read_sized(rfile, headers.get("Content-Length") or "0", limit, protocol,
                           way_out)
    except TimeoutError:
        raise _refused(f"the request body did not arrive within {limits.body_timeout:g} s "
                       "(--body-timeout)", protocol, error_type="RequestTimeout",
                       status=408) from None


def _read_sized(rfile: io.BufferedReader, raw_length: str, limit: int, protocol: str,
                way_out: str) -> bytes:
    try:
        length = int(raw_length)
        if length < 0:
            raise ValueError(raw_length)
    except ValueError:
        raise _refused(f"Content-Length {raw_length[:40]!r} is not a byte count",
                       protocol) from None
    if length > limit:
        raise _refused(f"the request body of {length} bytes is over the {limit}-byte "
                       f"limit{way_out}", protocol)
    body = rfile.read(length)
    if len(body) < length:
        raise _refused(f"the request body ended after {len(body)} of the {length} bytes its "
                       "Content-Length announced", protocol)
    return body


def _read_chunked(rfile: io.BufferedReader, limit: int, protocol: str,
                  way_out: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        size_line = rfile.readline(1024).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
            if size < 0:
                raise ValueError(size_line)
        except ValueError:
            raise _refused("malformed chunked request body", protocol) from None
        if size == 0:
            while rfile.readline(1024).strip():
                pass
            return b"".join(chunks)
        total += size
        if total > limit:
            raise _refused(f"the request body is over the {limit}-byte limit{way_out}",
                           protocol)
        chunk = rfile.read(size)
        if len(chunk) < size:
            raise _refused("the chunked request body ended early", protocol)
        chunks.append(chunk)
        rfile.readline(1024)


# -------------------------------------------------------------------------- connections


class _Counts(Protocol):
    def add(self, kind: str) -> None: ...


class ConnectionCap:
    """A mixin for a threading server: at most ``limits.max_connections`` open at once.

    The count is kept on the accepting thread, so a burst of connections cannot overshoot it;
    one too many is answered 503 ``ServiceUnavailable`` (which SDKs retry) and closed.
    """

    limits: ServeLimits
    open_connections: int
    open_lock: threading.Lock
    stats: _Counts

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.open_lock:
            full = self.open_connections >= self.limits.max_connections
            if not full:
                self.open_connections += 1
        if full:
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)  # type: ignore[misc]
        except BaseException:
            with self.open_lock:
                self.open_connections -= 1
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[misc]
        finally:
            with self.open_lock:
                self.open_connections -= 1

    def _refuse(self, request: socket.socket) -> None:
        self.stats.add("refused")
        answer = error_answer("ServiceUnavailable", "aws-replay serve holds "
                              f"{self.limits.max_connections} open connections "
                              "(--max-connections); retry later", status=503, close=True)
        with contextlib.suppress(OSError):
            request.settimeout(1.0)
            request.sendall(answer.wire)
        self.shutdown_request(request)  # type: ignore[attr-defined]
