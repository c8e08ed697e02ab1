"""Answers for the local SageMaker endpoint: wire bytes from cassettes or synthetic jobs.

The HTTP layer (:mod:`replay.serve.server`) hands each request's ``X-Amz-Target``, body and
``Authorization`` to a :class:`Responder` and writes back the :class:`Answer` it gets.
:class:`CassetteResponder` matches requests exactly as the pytest plugin does
(:class:`replay.match.playback.Playback`: operation + parsed parameters; identical requests play in
recorded order, then stay on the last). :class:`SyntheticResponder` answers the AutoML family
(Describe, DescribeV2, List, ListCandidates, Create, CreateV2, Stop) from a synthetic account
(``replay.synth.account``: a deterministic spec-valid job per name, ``missing-*`` is not found,
``lifecycle-*`` advances one status per call, created jobs run in scaled time).

What cannot be answered becomes the protocol's own error shape (:func:`error_answer`: status
400, ``{"__type": ..., "message": ...}``) so clients raise their normal service error.
Recorded responses are turned into wire bytes once per interaction when the responder is built.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from replay.cassette.model import Cassette, Interaction
from replay.cassette.read import find_cassettes, load_cassette
from replay.core.errors import CassetteError, ConfigError
from replay.core.jsonbody import JsonBodyError, parse_json_body
from replay.core.redaction import redact
from replay.match.matchers import RequestKey, closest_candidates, key_of, key_of_recorded
from replay.match.playback import Playback
from replay.spec.operations import region_of

if TYPE_CHECKING:
    from replay.sanitize.sanitizer import Sanitizer
    from replay.synth.account import SyntheticAccount

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
DESCRIBE_TARGET = "SageMaker.DescribeAutoMLJob"
SAGEMAKER_PREFIX = "SageMaker"
SYNTHETIC_DEFAULT_REGION = "us-east-1"


# Recorded headers that describe the recorded connection or encoding, not this one.
_NOT_REPLAYED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
_GZIP_MAGIC = b"\x1f\x8b"
_KEY_CACHE_LIMIT = 4096
_MESSAGE_DETAIL_LINES = 3
_MESSAGE_PARAMS_CHARS = 300

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
    message, detail = redact(message), redact(detail)  # what the client sent, masked
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
        params = parse_json_body(body)
    except JsonBodyError as exc:
        raise BadRequest(error_answer(
            "SerializationException",
            f"the request body is not JSON ({exc.reason}); AWS JSON 1.1 requests carry a JSON "
            "object",
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
                from replay.core.config import load_settings
                from replay.sanitize.sanitizer import Sanitizer

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
    """Answers the AutoML family from a :class:`replay.synth.account.SyntheticAccount` per region.

    ``DescribeAutoMLJob``, ``DescribeAutoMLJobV2``, ``ListAutoMLJobs``,
    ``ListCandidatesForAutoMLJob``, ``CreateAutoMLJob``, ``CreateAutoMLJobV2`` and
    ``StopAutoMLJob``, each request first held to the operation's input shape (what the model
    refuses is a 400 ``ValidationException``). Jobs are generated for the region in the
    request's SigV4 credential scope (ARNs name it); created jobs run in ``time_scale``
    (job-seconds per second).
    """

    def __init__(self, *, time_scale: float | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        from replay.synth.account import DEFAULT_TIME_SCALE, SyntheticAccount

        self._clock = clock or time.time

        self._time_scale = DEFAULT_TIME_SCALE if time_scale is None else time_scale
        if self._time_scale <= 0:
            raise ConfigError(f"time scale {self._time_scale:g} is not positive; give the "
                              "job-seconds that pass per second (600 by default)")
        self._new_account = SyntheticAccount
        self._accounts: dict[str, SyntheticAccount] = {}
        self._lock = threading.Lock()
        # Describe bodies are shared and kept by the account, so a body object maps to one
        # wire form; bounded like the accounts' jobs.
        self._wire: dict[int, tuple[object, Answer]] = {}

    def describe(self) -> str:
        return ("synthetic AutoML jobs (any name; missing-* is not found): Describe, "
                "DescribeV2, List, ListCandidates, Create, CreateV2, Stop")

    def _account(self, authorization: str | None) -> SyntheticAccount:
        region = region_of("", authorization) or SYNTHETIC_DEFAULT_REGION
        account = self._accounts.get(region)
        if account is None:
            from replay.synth.parts import partition_of, registry_account

            partition_of(region)  # an unknown region is the client's error, and holds no state
            registry_account(region)
            with self._lock:
                account = self._accounts.setdefault(
                    region, self._new_account(region, time_scale=self._time_scale,
                                              clock=self._clock))
        return account

    def answer(self, target: str, body: bytes, authorization: str | None = None) -> Answer:
        params = parse_params(body)
        service, _, operation = target.partition(".")
        if service != SAGEMAKER_PREFIX or not operation:
            return error_answer(
                "UnknownOperationException",
                f"synthetic mode answers SageMaker's AutoML operations, not "
                f"{target or 'a request without X-Amz-Target'}; serve cassettes to answer "
                "other operations",
            )
        try:
            status, document = self._account(authorization).answer(operation, params)
        except ConfigError as exc:  # a region synthetic jobs do not model: the client's input
            return error_answer("ValidationException", str(exc))
        cached = self._wire.get(id(document))
        if cached is not None and cached[0] is document:
            return cached[1]
        name = params.get("AutoMLJobName")
        headers: list[tuple[str, str]] = [
            ("x-amzn-RequestId", _request_id(f"synthetic:{operation}:{name}"))]
        if status >= 400 and isinstance(document.get("__type"), str):
            headers.append(("X-Amzn-ErrorType", document["__type"]))
        answer = Answer(status, wire_response(status, json.dumps(document).encode("utf-8"),
                                              headers), "synthetic")
        if operation in ("DescribeAutoMLJob", "DescribeAutoMLJobV2") and status == 200:
            if len(self._wire) >= _KEY_CACHE_LIMIT:
                self._wire.clear()
            self._wire[id(document)] = (document, answer)
        return answer


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


def make_responder(sources: Iterable[Path | Cassette] = (), *, synthetic: bool = False,
                   time_scale: float | None = None) -> Responder:
    """The responder for cassette files/folders (or loaded cassettes), or synthetic jobs
    (created ones running ``time_scale`` job-seconds per second)."""
    sources = list(sources)
    if synthetic and sources:
        raise ConfigError("give cassette paths or --synthetic, not both")
    if synthetic:
        return SyntheticResponder(time_scale=time_scale)
    if not sources:
        raise ConfigError("nothing to serve: give cassette files or folders, or --synthetic")
    responder = CassetteResponder(load_cassettes(sources))
    if responder.interaction_count == 0:
        names = ", ".join(cassette.name for cassette in responder.cassettes)
        raise CassetteError(f"{names}: no recorded interactions to serve; record some first")
    return responder

