"""Answering from cassettes: every protocol, matched exactly as the pytest plugin matches.

:class:`CassetteResponder` keys every recorded request once when it is built
(:func:`replay.match.matchers.key_of_recorded`: operation + input members, whatever the
protocol) and turns every recorded response into wire bytes once, byte for byte (a binary S3
object as recorded; a HEAD answer with the recorded ``Content-Length`` and no body). A request
is then keyed the way its protocol puts parameters on the wire and played from a
:class:`replay.match.playback.Playback`: identical requests play in recorded order, then stay
on the last.

Two paths lead here. AWS JSON protocol requests (``POST /`` with ``X-Amz-Target``) are keyed
on the target and the JSON body alone (:meth:`CassetteResponder.answer`, with a cache: polling
loops repeat the same few bodies). Every other request (:meth:`CassetteResponder.
answer_request`) is first identified (:mod:`replay.serve.incoming`) and keyed with
:func:`replay.match.matchers.key_of_operation`. A miss is a 400 ``NoMatchingInteraction`` in the
request's protocol naming the closest recorded request and how it differs, field by field.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from replay.cassette.model import Cassette, Interaction
from replay.cassette.read import find_cassettes, load_cassette
from replay.core.errors import CassetteError, ConfigError
from replay.match.matchers import (
    RequestKey,
    closest_candidates,
    key_of,
    key_of_operation,
    key_of_recorded,
)
from replay.match.playback import Playback
from replay.protocols.requests import RequestBodyError
from replay.serve.answers import Answer, error_answer, parse_params, request_id, wire_response
from replay.serve.incoming import read_request

if TYPE_CHECKING:
    from replay.sanitize.sanitizer import Sanitizer

_GZIP_MAGIC = b"\x1f\x8b"
_KEY_CACHE_LIMIT = 4096
_MESSAGE_DETAIL_LINES = 3
_MESSAGE_PARAMS_CHARS = 300


def recorded_answer(interaction: Interaction, seed: str) -> Answer:
    """A recorded response as the wire carries it, built once: status, headers, body bytes.

    A recorded HEAD answer keeps its recorded ``Content-Length`` (the size a GET would get) and
    has no body; other answers get a ``Content-Length`` true to the body.
    """
    response = interaction.response
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    # vcrpy keeps a compressed body (and its Content-Encoding) unless told to decode it; a
    # header left beside a body that is plain text would make clients fail to inflate it.
    if not response.body.startswith(_GZIP_MAGIC):
        headers = [(name, value) for name, value in headers
                   if name.lower() != "content-encoding"]
    if not any(name.lower() == "x-amzn-requestid" for name, _ in headers):
        headers.append(("x-amzn-RequestId", request_id(seed)))
    content_length = None
    if interaction.request.method.upper() == "HEAD":
        recorded = response.header("Content-Length") or ""
        content_length = int(recorded) if recorded.strip().isdigit() else len(response.body)
    # Only the JSON protocol gets a Content-Type when none was recorded; an S3 object's
    # absence of one is part of the answer.
    default_type = "application/x-amz-json-1.1" if interaction.request.header("X-Amz-Target") \
        else None
    wire = wire_response(response.status, response.body, headers, reason=response.reason or None,
                         default_type=default_type, content_length=content_length)
    return Answer(response.status, wire, "hit")


class CassetteResponder:
    """Answers from cassettes with the plugin's matching and sequence rules."""

    def __init__(self, cassettes: Sequence[Cassette]) -> None:
        self.cassettes = tuple(cassettes)
        self.playback = Playback(self.cassettes)
        self._position = {id(cassette): index for index, cassette in enumerate(self.cassettes)}
        self._answers: list[list[Answer]] = [
            [recorded_answer(interaction, f"{cassette.name}#{index}")
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

    def _play(self, key: RequestKey) -> Answer | None:
        hit = self.playback.play(key)
        if hit is None:
            return None
        return self._answers[self._position[id(hit.cassette)]][hit.index]

    def answer(self, target: str, body: bytes, authorization: str | None = None) -> Answer:
        """An AWS JSON protocol request (``X-Amz-Target`` and a JSON body): the fast path."""
        key = self._key(target, body)
        return self._play(key) or self.miss(key)

    def answer_request(self, method: str, url: str, headers: Iterable[tuple[str, str]],
                       body: bytes) -> Answer:
        """A request of any protocol and method, ``url`` in full (``http://host:port/path``)."""
        incoming = read_request(method, url, headers, body)
        if incoming.operation is None:
            return incoming.unknown_operation()
        if incoming.protocol == "json" and incoming.wire.method != "POST":
            return incoming.refuse(
                "SerializationException",
                f"{incoming.wire.method} is not supported: AWS JSON 1.1 requests "
                f"({incoming.name}) are POST / with X-Amz-Target and a JSON body")
        model = incoming.operation.model
        try:
            key = key_of_operation(model, incoming.wire, strict=True)
        except RequestBodyError as exc:
            return incoming.body_error(exc.reason)
        return self._play(key) or self.miss(key, protocol=incoming.protocol)

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

    def miss(self, key: RequestKey, *, protocol: str = "json") -> Answer:
        """The ``NoMatchingInteraction`` error in ``protocol``'s shape: the closest recorded
        request and its differences in the message.

        Secrets and account ids in the text are redacted as the sanitizer would in a cassette.
        """
        params = key.params if len(key.params) <= _MESSAGE_PARAMS_CHARS else (
            key.params[:_MESSAGE_PARAMS_CHARS] + "...")
        head = f"no recorded interaction matches {key.operation} {params}"
        candidates = closest_candidates(key, [recorded for recorded, _, _ in self._recorded])
        if not candidates:
            return error_answer("NoMatchingInteraction",
                                self._redact(f"{head}; the cassettes are empty"), kind="miss",
                                protocol=protocol)
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
                            detail=self._redact("\n".join(log_lines)), protocol=protocol)


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
