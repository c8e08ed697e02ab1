"""What answers the local endpoint's requests: cassettes or synthetic jobs.

The HTTP layer (:mod:`replay.serve.server`) hands each AWS JSON protocol request's
``X-Amz-Target``, body and ``Authorization`` to a :class:`Responder`'s ``answer`` (the fast
path), and every other request (any protocol, any method) whole to its ``answer_request``, and
writes back the :class:`~replay.serve.answers.Answer` it gets.
:class:`~replay.serve.cassettes.CassetteResponder` answers every protocol from cassettes,
matching as the pytest plugin does. :class:`SyntheticResponder` answers the SageMaker AutoML
family (Describe, DescribeV2, List, ListCandidates, Create, CreateV2, Stop) from a synthetic
account (``replay.synth.account``: a deterministic spec-valid job per name, ``missing-*`` is not
found, ``lifecycle-*`` advances one status per call, created jobs run in scaled time); any
other request gets a 400 in its protocol's error shape saying synthetic answers cover SageMaker
only.

What cannot be answered becomes the protocol's own error shape
(:func:`~replay.serve.answers.error_answer`) so clients raise their normal service error.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from replay.cassette.model import Cassette
from replay.core.errors import CassetteError, ConfigError
from replay.serve.answers import (
    Answer,
    BadRequest,
    error_answer,
    parse_params,
    request_id,
    wire_response,
)
from replay.serve.cassettes import CassetteResponder, load_cassettes
from replay.serve.incoming import read_request
from replay.spec.operations import region_of

if TYPE_CHECKING:
    from replay.synth.account import SyntheticAccount

__all__ = ["DESCRIBE_TARGET", "Answer", "BadRequest", "CassetteResponder", "RequestResponder",
           "Responder", "SyntheticResponder", "error_answer", "load_cassettes",
           "make_responder", "parse_params", "wire_response"]

DESCRIBE_TARGET = "SageMaker.DescribeAutoMLJob"
SAGEMAKER_PREFIX = "SageMaker"
SYNTHETIC_DEFAULT_REGION = "us-east-1"
_WIRE_CACHE_LIMIT = 4096


class Responder(Protocol):
    """What the HTTP layer asks: an answer for one AWS JSON protocol request (``target`` may
    be empty)."""

    def describe(self) -> str: ...

    def answer(self, target: str, body: bytes,
               authorization: str | None = None) -> Answer: ...


@runtime_checkable
class RequestResponder(Protocol):
    """A responder that also answers requests of every other protocol and method, given whole
    (``url`` in full: ``http://host:port/path?query``)."""

    def answer_request(self, method: str, url: str, headers: Iterable[tuple[str, str]],
                       body: bytes) -> Answer: ...


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
            ("x-amzn-RequestId", request_id(f"synthetic:{operation}:{name}"))]
        if status >= 400 and isinstance(document.get("__type"), str):
            headers.append(("X-Amzn-ErrorType", document["__type"]))
        answer = Answer(status, wire_response(status, json.dumps(document).encode("utf-8"),
                                              headers), "synthetic")
        if operation in ("DescribeAutoMLJob", "DescribeAutoMLJobV2") and status == 200:
            if len(self._wire) >= _WIRE_CACHE_LIMIT:
                self._wire.clear()
            self._wire[id(document)] = (document, answer)
        return answer

    def answer_request(self, method: str, url: str, headers: Iterable[tuple[str, str]],
                       body: bytes) -> Answer:
        """Any request without ``X-Amz-Target``: a 400 in its protocol's error shape, as
        synthetic answers cover SageMaker's AutoML family only."""
        incoming = read_request(method, url, headers, body)
        if incoming.protocol == "json" and method.upper() == "POST":
            return self.answer("", body)  # a JSON request that forgot its X-Amz-Target
        return incoming.refuse(
            "UnknownOperationException",
            f"synthetic mode answers SageMaker's AutoML operations only, not {incoming.name} "
            f"({incoming.protocol} protocol); serve cassettes to answer other services")


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

