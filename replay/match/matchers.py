"""Matching AWS requests of every protocol: operation + the parameters it sends.

vcrpy's default matching (method + URI) cannot tell two SageMaker calls apart (all are
``POST /``), and its ``body`` matcher only parses ``application/json``. Here a request is keyed
on its operation and its parameters (key order irrelevant); the URI (region, endpoint) is
ignored unless asked for. JSON protocol requests are keyed on ``X-Amz-Target`` and the JSON
body; every other protocol on ``<service>.<Operation>`` (``s3.GetObject``) and the input
members read from URI labels, query string, headers and body
(:func:`replay.protocols.requests.request_params`), so ``$.Key`` names the S3 object key
whether it travelled in the path or not. A miss explains itself: :func:`closest_candidates` ranks
recorded requests and :func:`params_diff` says field by field how they differ.

The two vcrpy matchers (:func:`aws_operation`, :func:`aws_params`) follow vcrpy's convention:
they raise ``AssertionError`` with a readable difference when two requests do not match.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from replay.cassette.model import Cassette, RecordedRequest, text_headers
from replay.core.errors import ReplayError
from replay.core.jsonbody import JsonBodyError, parse_json_body
from replay.core.jsonpath import DEAD, PathSet, State
from replay.protocols.requests import (
    RequestBodyError,
    operation_target,
    protocol_of,
    request_params,
)
from replay.protocols.wire import WireRequest, stored_request_body

if TYPE_CHECKING:
    from replay.spec.operations import OperationRef


@dataclass(frozen=True)
class RequestKey:
    """What two requests must share to match: target, canonical params, optionally the host
    and the region."""

    target: str
    params: str
    host: str | None = None
    region: str | None = None

    @property
    def parsed_params(self) -> Any:
        return parse_json_body(self.params)

    @property
    def operation(self) -> str:
        """The operation as a message names it (``SageMaker.DescribeAutoMLJob``,
        ``s3.GetObject``); a request no model identifies says so."""
        return self.target or "<operation not identified>"

    def describe(self) -> str:
        return f"{self.operation} {self.params}"


@dataclass(frozen=True)
class MatchOptions:
    """What matching looks at besides operation and parameters, and what it skips.

    ``ignore`` pairs an operation name (``CreateAutoMLJob``; ``*`` for every operation) with
    JSONPaths into its request parameters that matching leaves out (``$.Tags``,
    ``$.AutoMLJobConfig.CompletionCriteria.*``).
    """

    host: bool = False
    region: bool = False
    ignore: tuple[tuple[str, tuple[str, ...]], ...] = ()


NO_OPTIONS = MatchOptions()


@functools.lru_cache(maxsize=256)
def _ignored(options: MatchOptions, target: str) -> PathSet | None:
    operation = target.rpartition(".")[2]
    patterns = [path for name, paths in options.ignore if name in ("*", operation)
                for path in paths]
    return PathSet(patterns) if patterns else None


def _drop(node: Any, paths: PathSet, state: State) -> Any:
    if isinstance(node, dict):
        kept = {}
        for key, value in node.items():
            below = paths.step(state, key)
            if not paths.accepts(below):
                kept[key] = _drop(value, paths, below) if below != DEAD else value
        return kept
    if isinstance(node, list):
        items = []
        for index, item in enumerate(node):
            below = paths.step(state, index)
            if not paths.accepts(below):
                items.append(_drop(item, paths, below) if below != DEAD else item)
        return items
    return node


def canonical_params(body: str | bytes | None, ignore: PathSet | None = None) -> str:
    """The JSON body in a canonical form (sorted keys, compact), without the parameters at
    ``ignore``'s paths; non-JSON bodies as they are."""
    if body is None:
        return "{}"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return "{}"
    try:
        parsed = parse_json_body(text)
    except JsonBodyError:
        return text
    if ignore is not None:
        parsed = _drop(parsed, ignore, ignore.start)
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"))


def key_of(target: str | None, body: str | bytes | None, uri: str | None = None,
           *, match_host: bool = False, options: MatchOptions = NO_OPTIONS,
           authorization: str | None = None) -> RequestKey:
    """The :class:`RequestKey` of a request given by its parts.

    ``options`` adds the host or the region (from the URI, else the SigV4 credential scope of
    ``authorization``) and skips ignored parameters; ``match_host`` is ``options.host``.
    """
    target = (target or "").strip()
    host = urlsplit(uri).netloc.lower() if ((match_host or options.host) and uri) else None
    region = None
    if options.region:
        from replay.spec.operations import region_of

        region = region_of(uri or "", authorization)
    ignore = _ignored(options, target) if options.ignore else None
    return RequestKey(target=target, params=canonical_params(body, ignore), host=host,
                      region=region)


def key_of_recorded(request: RecordedRequest, *, match_host: bool = False,
                    options: MatchOptions = NO_OPTIONS) -> RequestKey:
    """The :class:`RequestKey` of a request stored in a cassette (of any protocol)."""
    return identified_key(request, match_host=match_host, options=options)[0]


def identified_key(request: RecordedRequest, *, match_host: bool = False,
                   options: MatchOptions = NO_OPTIONS) -> tuple[RequestKey, OperationRef | None]:
    """:func:`key_of_recorded`, with the operation identified on the way: ``None`` for an AWS
    JSON protocol request (its ``X-Amz-Target`` names it; nothing is looked up) and for one
    that names no operation botocore knows."""
    target = request.header("X-Amz-Target")
    authorization = request.header("Authorization")
    if target:
        return key_of(target, request.body, request.uri, match_host=match_host,
                      options=options, authorization=authorization), None
    from replay.spec.operations import identify_operation  # loads botocore: only when needed

    try:
        ref = identify_operation(request)
    except ReplayError:
        return key_of(None, request.body, request.uri, match_host=match_host, options=options,
                      authorization=authorization), None
    return key_of_operation(ref.model, WireRequest.from_recorded(request),
                            match_host=match_host, options=options), ref


def key_of_operation(operation: Any, request: WireRequest, *, match_host: bool = False,
                     options: MatchOptions = NO_OPTIONS, strict: bool = False) -> RequestKey:
    """The :class:`RequestKey` of a request to botocore operation model ``operation``, read
    the way its protocol puts parameters on the wire (JSON protocol: as :func:`key_of`).

    A body that does not fit a non-JSON protocol is keyed as its raw text (it matches only the
    same body), or, with ``strict``, raises :class:`RequestBodyError` saying why.
    """
    authorization = request.headers.get("authorization")
    target = request.headers.get("x-amz-target")
    if target or protocol_of(operation.service_model) == "json":
        return key_of(target or operation_target(operation), request.body, request.url,
                      match_host=match_host, options=options, authorization=authorization)
    key = key_of(operation_target(operation), None, request.url, match_host=match_host,
                 options=options, authorization=authorization)
    try:
        params = request_params(operation, request)
    except RequestBodyError:
        if strict:
            raise
        return RequestKey(key.target, request.body.decode("utf-8", "replace"), key.host,
                          key.region)
    ignore = _ignored(options, key.target) if options.ignore else None
    if ignore is not None:
        params = _drop(params, ignore, ignore.start)
    return RequestKey(key.target, json.dumps(params, sort_keys=True, separators=(",", ":")),
                      key.host, key.region)


def params_diff(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Field-by-field differences between two parsed parameter documents, as readable lines."""
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        lines: list[str] = []
        for name in sorted(set(expected) | set(actual), key=str):
            child = f"{path}.{name}"
            if name not in actual:
                lines.append(f"{child}: recorded {json.dumps(expected[name])}, request has none")
            elif name not in expected:
                lines.append(f"{child}: request has {json.dumps(actual[name])}, recorded none")
            else:
                lines.extend(params_diff(expected[name], actual[name], child))
        return lines
    if (isinstance(expected, list) and isinstance(actual, list)
            and len(expected) == len(actual)):
        lines = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            lines.extend(params_diff(left, right, f"{path}[{index}]"))
        return lines
    if expected == actual and type(expected) is type(actual):
        return []
    return [f"{path}: recorded {json.dumps(expected)}, request has {json.dumps(actual)}"]


def key_diff(recorded: RequestKey, request: RequestKey) -> list[str]:
    """Why ``request`` does not match ``recorded``: target, host and parameter differences."""
    lines: list[str] = []
    if recorded.target != request.target:
        lines.append(f"operation: recorded {recorded.target}, request calls {request.target}")
    if recorded.host != request.host:
        lines.append(f"host: recorded {recorded.host}, request goes to {request.host}")
    if recorded.region != request.region:
        lines.append(f"region: recorded {recorded.region}, request goes to {request.region}")
    try:
        lines.extend(params_diff(recorded.parsed_params, request.parsed_params))
    except ValueError:
        if recorded.params != request.params:
            lines.append(f"body: recorded {recorded.params!r}, request has {request.params!r}")
    return lines


@dataclass(frozen=True)
class Candidate:
    """A recorded request close to an unmatched one, with why it did not match."""

    interaction: int
    key: RequestKey
    differences: tuple[str, ...]


def closest_candidates(request: RequestKey, recorded: Sequence[RequestKey],
                       limit: int = 3) -> list[Candidate]:
    """The recorded requests nearest to ``request``: same operation first, fewest differences."""
    seen: set[RequestKey] = set()
    ranked: list[tuple[int, int, Candidate]] = []
    for index, key in enumerate(recorded):
        if key in seen:
            continue
        seen.add(key)
        differences = key_diff(key, request)
        other_operation = int(key.target != request.target)
        ranked.append((other_operation, len(differences),
                       Candidate(index, key, tuple(differences))))
    ranked.sort(key=lambda item: (item[0], item[1], item[2].interaction))
    return [candidate for _, _, candidate in ranked[:limit]]


def describe_miss(request: RequestKey, cassette: Cassette, recorded: Sequence[RequestKey],
                  limit: int = 3) -> str:
    """A multi-line explanation of a miss: the request, then the closest recorded requests."""
    lines = [f"no recorded interaction in {cassette.name} matches {request.describe()}"]
    candidates = closest_candidates(request, recorded, limit)
    if not candidates:
        lines.append("  the cassette has no interactions")
    for candidate in candidates:
        lines.append(f"  closest: interaction {candidate.interaction}: "
                     f"{candidate.key.describe()}")
        lines.extend(f"    - {difference}" for difference in candidate.differences)
    return "\n".join(lines)


# --------------------------------------------------------------------------- vcrpy matchers


def _vcr_key(request: Any) -> RequestKey:
    """The key of a vcrpy request (live or recorded), for any protocol."""
    body = request.body
    text = body if isinstance(body, str) else stored_request_body(body or b"")
    return key_of_recorded(RecordedRequest(method=str(request.method).upper(),
                                           uri=str(request.uri),
                                           headers=text_headers(request.headers), body=text))


def aws_operation(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the same operation (``X-Amz-Target``, or ``s3.GetObject`` for the other
    protocols). Raises ``AssertionError`` naming both."""
    left, right = _vcr_key(r1).target, _vcr_key(r2).target
    if left != right:
        raise AssertionError(f"{left or '<unknown operation>'} != {right or '<unknown operation>'}")


def aws_params(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the same parameters (key order irrelevant; for REST and query protocols
    the input members wherever they travel), with a field diff on a miss.

    vcrpy passes the live request first and the recorded one second.
    """
    live, recorded = _vcr_key(r1), _vcr_key(r2)
    if live.params == recorded.params:
        return
    try:
        lines = params_diff(recorded.parsed_params, live.parsed_params)
    except ValueError:
        lines = [f"{live.params!r} != {recorded.params!r}"]
    raise AssertionError("; ".join(lines) or f"{live.params} != {recorded.params}")


VCR_MATCHERS = {"aws_operation": aws_operation, "aws_params": aws_params}
"""Register with ``vcr.register_matcher(name, fn)``; use ``match_on=tuple(VCR_MATCHERS)``."""
