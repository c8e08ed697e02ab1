"""A local SageMaker endpoint: answers AWS JSON 1.1 requests from cassettes or synthetic jobs.

``aws-replay serve`` (and :func:`start_server` in-process) runs an HTTP server that any AWS
client can be pointed at with an endpoint URL: boto3, the AWS CLI, the JavaScript SDK. Every
request is ``POST /`` with the operation in ``X-Amz-Target`` and its parameters in a JSON body;
SigV4 signatures are accepted without being verified. Requests are matched exactly as the
pytest plugin matches them (:class:`replay.playback.Playback`: operation + parsed parameters;
identical requests play in recorded order, then stay on the last). With ``synthetic=True`` any
``DescribeAutoMLJob`` is answered by a deterministic spec-valid job per name (``replay.synth``:
``missing-*`` is not found, ``lifecycle-*`` advances one status per call).

Anything the server cannot answer comes back in the protocol's own error shape (status 400,
``{"__type": ..., "message": ...}``) so clients raise their normal service error: an unmatched
request (``NoMatchingInteraction``, naming the closest recorded request), a body that is not
JSON or a method other than POST (``SerializationException``), a missing ``X-Amz-Target``
(``UnknownOperationException``).

Responses are turned into wire bytes once per interaction when the server starts, so the path
of a request is: parse the HTTP head, look the body up, write one buffer.

Example::

    with start_server([Path("cassettes/automl")]) as server:
        client = boto3.client("sagemaker", endpoint_url=server.url, region_name="us-east-1")
        client.describe_auto_ml_job(AutoMLJobName="my-job")
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from replay.cassette import Cassette, Interaction, find_cassettes, load_cassette
from replay.errors import CassetteError, ConfigError, EndpointError
from replay.matchers import RequestKey, closest_candidates, key_of, key_of_recorded
from replay.operations import region_of
from replay.playback import Playback

if TYPE_CHECKING:
    from replay.sanitize import Sanitizer
    from replay.synth import SyntheticJobs

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
DESCRIBE_TARGET = "SageMaker.DescribeAutoMLJob"
SYNTHETIC_DEFAULT_REGION = "us-east-1"
MAX_REQUEST_BYTES = 1 << 20
"""SageMaker request bodies are a few hundred bytes; anything past this is refused unread."""


# Recorded headers that describe the recorded connection or encoding, not this one.
_NOT_REPLAYED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
_GZIP_MAGIC = b"\x1f\x8b"
_KEY_CACHE_LIMIT = 4096
_MESSAGE_DETAIL_LINES = 3
_MESSAGE_PARAMS_CHARS = 300

Log = Callable[[str], None]


# ------------------------------------------------------------------------------ wire format


@dataclass(frozen=True)
class Answer:
    """A response ready for the wire, and how the server counts it."""

    status: int
    wire: bytes
    kind: str
    """``hit`` (from a cassette), ``synthetic``, ``miss`` (unmatched) or ``error`` (protocol)."""
    close: bool = False
    detail: str = ""
    """What the operator's log says about a miss or an error (the full explanation)."""


def _clean(text: str) -> str:
    # A header value with a line break would split the response; cassettes are user files.
    return text.replace("\r", " ").replace("\n", " ")


def _request_id(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aws-replay:{seed}"))


def wire_response(status: int, body: bytes, headers: Iterable[tuple[str, str]] = (),
                  *, reason: str | None = None, close: bool = False) -> bytes:
    """An HTTP/1.1 response as bytes: status line, ``headers``, a correct Content-Length, body.

    ``Content-Type`` (AWS JSON 1.1) and ``x-amzn-RequestId`` are added when ``headers`` lack
    them, as SageMaker always sends both.
    """
    try:
        phrase = reason or HTTPStatus(status).phrase
    except ValueError:
        phrase = reason or "Unknown"
    lines = [f"HTTP/1.1 {status} {_clean(phrase)}"]
    seen: set[str] = set()
    for name, value in headers:
        lowered = name.lower()
        if lowered in _NOT_REPLAYED:
            continue
        seen.add(lowered)
        lines.append(f"{_clean(name)}: {_clean(value)}")
    if "content-type" not in seen:
        lines.append(f"Content-Type: {JSON_CONTENT_TYPE}")
    if "x-amzn-requestid" not in seen:
        lines.append(f"x-amzn-RequestId: {_request_id(body.decode('utf-8', 'replace'))}")
    lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1", "replace") + body


def error_answer(error_type: str, message: str, *, kind: str = "error", status: int = 400,
                 close: bool = False, detail: str = "") -> Answer:
    """A protocol-shaped error: ``{"__type": error_type, "message": message}`` with ``status``.

    ``X-Amzn-ErrorType`` carries the type too, as AWS sends it and some SDKs read it first.
    """
    body = json.dumps({"__type": error_type, "message": message}).encode("utf-8")
    headers = [("Content-Type", JSON_CONTENT_TYPE), ("x-amzn-RequestId", str(uuid.uuid4())),
               ("X-Amzn-ErrorType", error_type)]
    return Answer(status, wire_response(status, body, headers, close=close), kind, close,
                  detail or message)


def _recorded_answer(interaction: Interaction, seed: str) -> Answer:
    response = interaction.response
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    # vcrpy keeps a compressed body (and its Content-Encoding) unless told to decode it; a
    # header left beside a body that is plain text would make clients fail to inflate it.
    if not response.body.startswith(_GZIP_MAGIC):
        headers = [(name, value) for name, value in headers
                   if name.lower() != "content-encoding"]
    if not any(name.lower() == "x-amzn-requestid" for name, _ in headers):
        headers.append(("x-amzn-RequestId", _request_id(seed)))
    wire = wire_response(response.status, response.body, headers, reason=response.reason or None)
    return Answer(response.status, wire, "hit")


class BadRequest(Exception):
    """A request the protocol cannot carry; becomes a protocol-shaped error answer."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.detail)
        self.answer = answer


def parse_params(body: bytes) -> dict[str, Any]:
    """The request's JSON parameters (an empty body is ``{}``, as botocore sends none then)."""
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except ValueError as exc:
        raise BadRequest(error_answer(
            "SerializationException",
            f"the request body is not JSON ({exc}); AWS JSON 1.1 requests carry a JSON object",
        )) from None
    if not isinstance(params, dict):
        raise BadRequest(error_answer(
            "SerializationException",
            f"the request body is JSON {type(params).__name__}, not an object; AWS JSON 1.1 "
            "requests carry a JSON object",
        ))
    return params


# -------------------------------------------------------------------------------- responders


class Responder(Protocol):
    """What the HTTP layer asks: an answer for one request (``target`` may be empty)."""

    def describe(self) -> str: ...

    def answer(self, target: str, body: bytes,
               authorization: str | None = None) -> Answer: ...


class CassetteResponder:
    """Answers from cassettes with the plugin's matching and sequence rules."""

    def __init__(self, cassettes: Sequence[Cassette]) -> None:
        self.cassettes = tuple(cassettes)
        self.playback = Playback(self.cassettes)
        self._position = {id(cassette): index for index, cassette in enumerate(self.cassettes)}
        self._answers: list[list[Answer]] = [
            [_recorded_answer(interaction, f"{cassette.name}#{index}")
             for index, interaction in enumerate(cassette.interactions)]
            for cassette in self.cassettes]
        self._recorded: list[tuple[RequestKey, Cassette, int]] = [
            (key_of_recorded(interaction.request), cassette, index)
            for cassette in self.cassettes
            for index, interaction in enumerate(cassette.interactions)]
        self._keys: dict[tuple[str, bytes], RequestKey] = {}
        self._sanitizer: Sanitizer | None = None
        self._sanitizer_lock = threading.Lock()

    @property
    def interaction_count(self) -> int:
        return len(self._recorded)

    def describe(self) -> str:
        count = len(self.cassettes)
        return (f"{self.interaction_count} recorded interaction"
                f"{'s' if self.interaction_count != 1 else ''} from {count} cassette"
                f"{'s' if count != 1 else ''}")

    def _key(self, target: str, body: bytes) -> RequestKey:
        # Clients repeat the same few requests (polling loops): parsing and canonicalising
        # each body once keeps JSON work off the hot path.
        cache_key = (target, body)
        key = self._keys.get(cache_key)
        if key is None:
            parse_params(body)
            key = key_of(target, body)
            if len(self._keys) >= _KEY_CACHE_LIMIT:
                self._keys.clear()
            self._keys[cache_key] = key
        return key

    def answer(self, target: str, body: bytes, authorization: str | None = None) -> Answer:
        key = self._key(target, body)
        hit = self.playback.play(key)
        if hit is None:
            return self.miss(key)
        return self._answers[self._position[id(hit.cassette)]][hit.index]

    def _redact(self, text: str) -> str:
        # A miss echoes what the client sent (ARNs, maybe keys) into a log and an error body:
        # the sanitizer runs first, with the cassettes' placeholders reserved so a real value
        # never shows as the recorded placeholder it differs from.
        with self._sanitizer_lock:
            if self._sanitizer is None:
                from replay.config import load_settings
                from replay.sanitize import Sanitizer

                try:
                    self._sanitizer = Sanitizer.from_settings(load_settings())
                except ConfigError:
                    self._sanitizer = Sanitizer.default()
                self._sanitizer.reserve(recorded.params for recorded, _, _ in self._recorded)
            sanitizer = self._sanitizer
        return sanitizer.sanitize_text(text)

    def miss(self, key: RequestKey) -> Answer:
        """The ``NoMatchingInteraction`` error: the closest recorded request in the message.

        Secrets and account ids in the text are redacted as the sanitizer would in a cassette.
        """
        params = key.params if len(key.params) <= _MESSAGE_PARAMS_CHARS else (
            key.params[:_MESSAGE_PARAMS_CHARS] + "...")
        head = f"no recorded interaction matches {key.target or '<no X-Amz-Target>'} {params}"
        candidates = closest_candidates(key, [recorded for recorded, _, _ in self._recorded])
        if not candidates:
            return error_answer("NoMatchingInteraction",
                                self._redact(f"{head}; the cassettes are empty"), kind="miss")
        log_lines = [head]
        for candidate in candidates:
            _, cassette, index = self._recorded[candidate.interaction]
            log_lines.append(f"  closest: {cassette.name} interaction {index}: "
                             f"{candidate.key.describe()}")
            log_lines.extend(f"    - {difference}" for difference in candidate.differences)
        best = candidates[0]
        _, cassette, index = self._recorded[best.interaction]
        differences = list(best.differences[:_MESSAGE_DETAIL_LINES])
        if len(best.differences) > _MESSAGE_DETAIL_LINES:
            differences.append(f"{len(best.differences) - _MESSAGE_DETAIL_LINES} more")
        message = (f"{head}; closest recorded: {cassette.name} interaction {index} "
                   f"{best.key.describe()} ({'; '.join(differences) or 'identical'})")
        return error_answer("NoMatchingInteraction", self._redact(message), kind="miss",
                            detail=self._redact("\n".join(log_lines)))


class SyntheticResponder:
    """Answers ``DescribeAutoMLJob`` for any job name from :mod:`replay.synth` (deterministic).

    A ``lifecycle-`` job advances one step per call, so ``record --follow`` sees it run. Jobs
    are generated for the region in the request's SigV4 credential scope (ARNs name it).
    """

    def __init__(self) -> None:
        from replay.synth import SyntheticJobs

        self._new_account = SyntheticJobs
        self._accounts: dict[str, SyntheticJobs] = {}
        self._lock = threading.Lock()
        # Bodies are shared and kept by SyntheticJobs, so a body object maps to one wire form.
        self._wire: dict[int, tuple[object, Answer]] = {}

    def describe(self) -> str:
        return "synthetic DescribeAutoMLJob jobs (any name; missing-* is not found)"

    def _account(self, authorization: str | None) -> SyntheticJobs:
        region = region_of("", authorization) or SYNTHETIC_DEFAULT_REGION
        account = self._accounts.get(region)
        if account is None:
            with self._lock:
                account = self._accounts.setdefault(region, self._new_account(region))
        return account

    def answer(self, target: str, body: bytes, authorization: str | None = None) -> Answer:
        params = parse_params(body)
        if target != DESCRIBE_TARGET:
            return error_answer(
                "UnknownOperationException",
                f"synthetic mode answers {DESCRIBE_TARGET} only, not "
                f"{target or 'a request without X-Amz-Target'}; serve cassettes to answer "
                "other operations",
            )
        name = params.get("AutoMLJobName")
        if not isinstance(name, str):
            return error_answer(
                "ValidationException",
                "1 validation error detected: Value null at 'autoMLJobName' failed to satisfy "
                "constraint: Member must not be null",
            )
        status, document = self._account(authorization).describe(name)
        cached = self._wire.get(id(document))
        if cached is not None and cached[0] is document:
            return cached[1]
        headers: list[tuple[str, str]] = [("x-amzn-RequestId", _request_id(f"synthetic:{name}"))]
        if status >= 400 and isinstance(document.get("__type"), str):
            headers.append(("X-Amzn-ErrorType", document["__type"]))
        answer = Answer(status, wire_response(status, json.dumps(document).encode("utf-8"),
                                              headers), "synthetic")
        self._wire[id(document)] = (document, answer)
        return answer


# ------------------------------------------------------------------------------- HTTP layer


@dataclass
class ServeStats:
    """How many requests the server answered, by kind (``hit``, ``synthetic``, ``miss``...)."""

    counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        parts = [f"{count} {kind}" for kind, count in sorted(self.counts.items())]
        return f"{self.total} request{'s' if self.total != 1 else ''}" + (
            f" ({', '.join(parts)})" if parts else "")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-replay"
    disable_nagle_algorithm = True
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 120
    server: ReplayHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_POST(self) -> None:
        try:
            body = self._read_body()
            answer = self.server.responder.answer(
                (self.headers.get("X-Amz-Target") or "").strip(), body,
                self.headers.get("Authorization"))
        except BadRequest as bad:
            answer = bad.answer
        except Exception as exc:  # one bad answer must not take the server down
            answer = error_answer("InternalFailure",
                                  f"aws-replay serve failed to answer: {type(exc).__name__}: {exc}",
                                  status=500)
        if not self.headers.get("X-Amz-Target") and answer.kind == "miss":
            answer = error_answer(
                "UnknownOperationException",
                "the request has no X-Amz-Target header; AWS JSON 1.1 requests name their "
                f"operation there (X-Amz-Target: {DESCRIBE_TARGET})",
            )
        self._send(answer)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length") or "0"
        try:
            length = int(raw_length)
            if length < 0:
                raise ValueError(raw_length)
        except ValueError:
            raise BadRequest(error_answer(
                "SerializationException", f"Content-Length {raw_length!r} is not a byte count",
                close=True)) from None
        if length > MAX_REQUEST_BYTES:
            raise BadRequest(error_answer(
                "SerializationException",
                f"the request body of {length} bytes is over the {MAX_REQUEST_BYTES}-byte limit",
                close=True))
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise BadRequest(error_answer(
                    "SerializationException", "malformed chunked request body",
                    close=True)) from None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_REQUEST_BYTES:
                raise BadRequest(error_answer(
                    "SerializationException",
                    f"the request body is over the {MAX_REQUEST_BYTES}-byte limit", close=True))
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _discard_body(self) -> None:
        # An unread body would be taken for the next request on this keep-alive connection.
        try:
            self._read_body()
        except BadRequest:
            self.close_connection = True

    def _not_post(self) -> None:
        self._discard_body()
        self._send(error_answer(
            "SerializationException",
            f"{self.command} is not supported: aws-replay serve speaks the AWS JSON 1.1 "
            "protocol (POST / with X-Amz-Target and a JSON body)",
        ))

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_post

    def do_HEAD(self) -> None:
        self._discard_body()
        answer = error_answer("SerializationException", "HEAD is not supported")
        head, _, _ = answer.wire.partition(b"\r\n\r\n")
        self._send(Answer(answer.status, head + b"\r\n\r\n", answer.kind, detail=answer.detail))

    def _send(self, answer: Answer) -> None:
        server = self.server
        if server.latency:
            time.sleep(server.latency)
        # Counted and logged before the client can see the answer, so what a client observed
        # is always already in the counts (tests and the stop summary rely on it).
        server.stats.add(answer.kind)
        if server.log is not None:
            if answer.kind in ("miss", "error"):
                server.log(f"{self.command} {self.path} -> {answer.status}: {answer.detail}")
            elif server.verbose:
                server.log(f"{self.command} {self.path} "
                           f"{self.headers.get('X-Amz-Target', '')} -> {answer.status}")
        if answer.close:
            self.close_connection = True
        self.wfile.write(answer.wire)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        # Malformed HTTP (bad request line, unknown method, oversized header) in the protocol's
        # error shape rather than http.server's HTML page.
        text = message or HTTPStatus(code).phrase
        if explain:
            text = f"{text}: {explain}"
        answer = error_answer("SerializationException", text, status=code, close=True)
        self.close_connection = True
        wire = answer.wire
        if self.command == "HEAD" or code in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            wire = wire.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
        self.server.stats.add("error")
        self.wfile.write(wire)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log is not None and self.server.verbose:
            self.server.log(format % args)


class ReplayHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP/1.1 (keep-alive) server answering from a :class:`Responder`."""

    daemon_threads = True
    # 50 clients connecting at once must not overflow the listen backlog (SYN retries cost 1 s).
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], responder: Responder, *,
                 latency: float = 0.0, log: Log | None = None, verbose: bool = False) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.responder = responder
        self.latency = latency
        self.log = log
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


class RunningServer:
    """A server answering on a background thread; a context manager that stops it on exit."""

    def __init__(self, httpd: ReplayHTTPServer) -> None:
        self.httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="aws-replay-serve",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._stopped = False
        self._thread.start()

    @property
    def host(self) -> str:
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port``: pass it as ``endpoint_url`` (boto3) or ``--endpoint-url``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def responder(self) -> Responder:
        return self.httpd.responder

    @property
    def stats(self) -> ServeStats:
        return self.httpd.stats

    def stop(self) -> None:
        """Stop accepting, hang up on open connections, release the port. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self.httpd.shutdown()
        self.httpd.close_connections()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_cassettes(sources: Iterable[Path | Cassette]) -> list[Cassette]:
    """Cassettes given directly, or read from files and folders (searched recursively)."""
    cassettes: list[Cassette] = []
    paths: list[Path] = []
    for source in sources:
        if isinstance(source, Cassette):
            cassettes.append(source)
        else:
            paths.append(Path(source))
    if paths:
        found = find_cassettes(paths)
        if not found:
            shown = ", ".join(str(path) for path in paths)
            raise CassetteError(f"no cassettes (*.yaml, *.yml, *.json) found in {shown}; "
                                "record some with `aws-replay record` or pass --synthetic")
        cassettes.extend(load_cassette(path) for path in found)
    return cassettes


def make_responder(sources: Iterable[Path | Cassette] = (), *,
                   synthetic: bool = False) -> Responder:
    """The responder for cassette files/folders (or loaded cassettes), or synthetic jobs."""
    sources = list(sources)
    if synthetic and sources:
        raise ConfigError("give cassette paths or --synthetic, not both")
    if synthetic:
        return SyntheticResponder()
    if not sources:
        raise ConfigError("nothing to serve: give cassette files or folders, or --synthetic")
    responder = CassetteResponder(load_cassettes(sources))
    if responder.interaction_count == 0:
        names = ", ".join(cassette.name for cassette in responder.cassettes)
        raise CassetteError(f"{names}: no recorded interactions to serve; record some first")
    return responder


def start_server(sources: Iterable[Path | Cassette] = (), *, synthetic: bool = False,
                 host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0.0,
                 log: Log | None = None, verbose: bool = False) -> RunningServer:
    """Start the local SageMaker endpoint on a background thread and return it running.

    ``sources`` are cassette files, folders or loaded :class:`Cassette` objects; or pass
    ``synthetic=True``. ``port=0`` picks a free port (read it from ``.url``). ``log`` receives
    one line per unmatched or malformed request (every request when ``verbose``).

    Example::

        with start_server(synthetic=True) as server:
            boto3.client("sagemaker", endpoint_url=server.url, ...)
    """
    if latency_ms < 0:
        raise ConfigError(f"latency {latency_ms} ms is negative; give 0 or more")
    responder = make_responder(sources, synthetic=synthetic)
    try:
        httpd = ReplayHTTPServer((host, port), responder, latency=latency_ms / 1000.0,
                                 log=log, verbose=verbose)
    except OSError as exc:
        hint = ("pick another with --port, or --port 0 for any free one"
                if exc.errno == 98 else "check --host names an address of this machine")
        raise EndpointError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                            f"{hint}") from None
    return RunningServer(httpd)


def serve_until_signalled(sources: Iterable[Path | Cassette] = (), *, synthetic: bool = False,
                          host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0.0,
                          quiet: bool = False, verbose: bool = False,
                          echo: Log = print) -> ServeStats:
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
                              verbose=verbose)
        with server:
            echo(f"aws-replay serve: answering SageMaker at {server.url} with "
                 f"{server.responder.describe()}")
            if not is_loopback(host):
                to_stderr(f"listening on {host}, not loopback: anyone who can reach this "
                          "machine can read what it serves")
            echo(f"  e.g. AWS_ENDPOINT_URL_SAGEMAKER={server.url} python your_script.py; "
                 "Ctrl-C to stop")
            while not stop.wait(0.5):
                pass
        echo(f"aws-replay serve: stopped after {server.stats.summary()}")
        return server.stats
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
