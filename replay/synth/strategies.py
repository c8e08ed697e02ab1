"""Hypothesis strategies for the AutoML family's responses, for property tests of your own code.

Two families:

* **Realistic jobs** (:func:`automl_jobs`, :func:`automl_lifecycles`, :func:`automl_v2_jobs`,
  :func:`automl_candidate_lists`): bodies a real job could
  show, consistent with themselves (a regression job reports regression metrics, a best
  candidate appears once one finished, ``EndTime`` only on a terminal status), at any step of
  the lifecycles SageMaker's jobs go through. Built by the same engine as
  ``aws-replay serve --synthetic``.
* **Anything the model allows** (:func:`output_bodies`, :func:`shape_values`): bodies drawn from
  the botocore service model alone: every optional member sometimes present, every enum value
  reachable, lengths, ranges, list and map sizes and patterns respected (Smithy patterns are
  searched, not anchored, so a matching string may carry text around the match). Works for the
  output of any AWS JSON-protocol operation; named ones for each AutoML response:
  :func:`describe_auto_ml_job_bodies`, :func:`describe_auto_ml_job_v2_bodies`,
  :func:`list_auto_ml_jobs_bodies`, :func:`list_candidates_bodies`,
  :func:`create_auto_ml_job_bodies` (StopAutoMLJob answers an empty body).

Every body is the raw wire form (what a cassette holds: timestamps are epoch seconds) and passes
``aws-replay check`` with no finding (a model pattern Python's ``re`` cannot compile, such as
``\\p{L}``, gives free text, which the checker reports as ``unsupported-pattern``);
``parsed=True`` gives what boto3 returns instead (timestamps as ``datetime``, no
``ResponseMetadata``).

Example::

    from hypothesis import given
    from replay.synth.strategies import automl_jobs

    @given(automl_jobs(parsed=True))
    def test_status_line_never_crashes(job):
        assert my_dashboard.status_line(job)
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hypothesis import strategies as st

from replay.protocols.requests import resolved_protocol
from replay.spec.operations import operation_from_name, service_data
from replay.spec.servicemodel import OperationModel, Shape
from replay.synth.candidates import job_candidates
from replay.synth.jobs import FINAL_STATES, lifecycle_bodies
from replay.synth.parts import DEFAULT_REGION, Body
from replay.synth.v2 import V2_ONLY_KINDS, v2_from_v1, v2_only_lifecycle

__all__ = [
    "JOB_KINDS", "automl_candidate_lists", "automl_jobs", "automl_lifecycles", "automl_v2_jobs",
    "create_auto_ml_job_bodies", "describe_auto_ml_job_bodies", "describe_auto_ml_job_v2_bodies",
    "job_names", "list_auto_ml_jobs_bodies", "list_candidates_bodies", "output_bodies",
    "shape_values", "to_boto3",
]

JOB_KINDS: tuple[str, ...] = ("completed", "lifecycle", *FINAL_STATES)
"""The spec-valid job stories (see :mod:`replay.synth.jobs`); ``drifted`` is asked for by name."""

_MAX_NAME = 32

# Constrained strings keep to printable ASCII: ``\\d``, ``\\w`` and ``\\s`` mean the same there in
# Python's ``re`` and in ECMA-262 (the Smithy pattern dialect), so a generated value satisfies
# the pattern whichever engine checks it. Free text may be any Unicode (lengths count code
# points), surrogates excepted: JSON cannot carry a lone one.
_PATTERN_ALPHABET = st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("\t\n")
_TEXT_ALPHABET = st.characters(codec="utf-8")

_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_EPOCH_MS = (946684800_000, 4102444800_000)  # 2000-01-01 .. 2100-01-01


class _DrawChooser:
    """A :class:`replay.synth.parts.Chooser` over hypothesis draws (so failures shrink)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def choice(self, options: Sequence[Any]) -> Any:
        return self._draw(st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(low, high))

    def chance(self, probability: float) -> bool:
        return self._draw(st.booleans())


# ---------------------------------------------------------------------------- realistic jobs


def job_names(kind: str | None = None) -> st.SearchStrategy[str]:
    """Valid AutoML job names; with ``kind``, names telling that story (``failed-x1``)."""
    stem = f"{kind}-" if kind else ""
    room = _MAX_NAME - len(stem)
    if room < 1:
        raise ValueError(f"job kind {kind!r} leaves no room for a name")
    word = f"[a-z0-9]{{1,{min(room, 12)}}}"
    return st.from_regex(f"{word}(-{word}){{0,2}}", fullmatch=True).filter(
        lambda rest: len(rest) <= room).map(lambda rest: stem + rest)


def _kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    chosen = tuple(kinds) if kinds is not None else JOB_KINDS
    unknown = [k for k in chosen if k not in (*JOB_KINDS, "drifted")]
    if unknown or not chosen:
        raise ValueError(f"unknown job kinds {unknown}; choose from {(*JOB_KINDS, 'drifted')}")
    return chosen


@st.composite
def _lifecycle(draw: st.DrawFn, kinds: tuple[str, ...], region: str) -> list[Body]:
    kind = draw(st.sampled_from(kinds))
    name = draw(job_names(kind))
    return lifecycle_bodies(_DrawChooser(draw), name, region)


def automl_lifecycles(kinds: Iterable[str] | None = None, *, region: str = DEFAULT_REGION,
                      parsed: bool = False) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Whole lifecycles: the bodies one job shows from ``Starting`` to its final state.

    ``kinds`` limits the stories (``["failed", "stopped"]``); default: every spec-valid one.
    """
    strategy = _lifecycle(_kinds(kinds), region)
    if parsed:
        return strategy.map(lambda bodies: [to_boto3(body) for body in bodies])
    return strategy


def automl_jobs(kinds: Iterable[str] | None = None, *, region: str = DEFAULT_REGION,
                parsed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """One DescribeAutoMLJob body, at any step of a realistic lifecycle."""
    strategy = st.tuples(_lifecycle(_kinds(kinds), region), st.integers(0, 20)).map(
        lambda pair: pair[0][min(pair[1], len(pair[0]) - 1)])
    return strategy.map(to_boto3) if parsed else strategy


# ---------------------------------------------------------------- anything the model allows


def _string(shape: Shape, max_text: int) -> st.SearchStrategy[str]:
    enum = getattr(shape, "enum", None)
    if enum:
        return st.sampled_from(list(enum))
    low = int(shape.metadata.get("min", 0))
    high = shape.metadata.get("max")
    pattern = shape.metadata.get("pattern")
    compiled = None
    if pattern is not None:
        try:
            compiled = re.compile(pattern)
        except re.error:
            compiled = None  # e.g. \p{...}: the checker reports it as unsupported, not invalid
    if compiled is None:
        cap = low + max_text if high is None else min(int(high), low + max_text)
        return st.text(_TEXT_ALPHABET, min_size=low, max_size=cap)
    upper = int(high) if high is not None else low + 10 * max_text
    exact = st.from_regex(compiled, fullmatch=True, alphabet=_PATTERN_ALPHABET)
    searched = st.from_regex(compiled, alphabet=_PATTERN_ALPHABET)
    return st.one_of(exact, searched).filter(lambda text: low <= len(text) <= upper)


def _number(shape: Shape) -> st.SearchStrategy[Any]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name in _INT_BOUNDS:
        floor, ceiling = _INT_BOUNDS[shape.type_name]
        return st.integers(int(low) if low is not None else floor,
                           int(high) if high is not None else ceiling)
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def shape_values(shape: Shape, *, max_items: int = 2,
                 max_text: int = 16) -> st.SearchStrategy[Any]:
    """JSON values valid for a botocore ``shape``, in AWS JSON protocol wire form.

    Lists and maps hold at most ``min + max_items`` entries and free text at most
    ``min + max_text`` characters, so bodies stay small; model minimums are always met.
    """
    return _Walker(max_items, max_text).strategy(shape)


class _Walker:
    def __init__(self, max_items: int, max_text: int) -> None:
        self.max_items = max_items
        self.max_text = max_text
        self._structures: dict[str, st.SearchStrategy[Any]] = {}

    def strategy(self, shape: Shape) -> st.SearchStrategy[Any]:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            low, high = self._sizes(shape)
            return st.lists(self.strategy(shape.member), min_size=low, max_size=high)
        if kind == "map":
            low, high = self._sizes(shape)
            return st.dictionaries(self.strategy(shape.key), self.strategy(shape.value),
                                   min_size=low, max_size=high)
        if kind == "string":
            return _string(shape, self.max_text)
        if kind in ("integer", "long", "float", "double"):
            return _number(shape)
        if kind == "boolean":
            return st.booleans()
        if kind == "timestamp":
            return st.one_of(st.integers(_EPOCH_MS[0] // 1000, _EPOCH_MS[1] // 1000),
                             st.integers(*_EPOCH_MS).map(lambda ms: ms / 1000))
        if kind == "blob":
            return st.binary(max_size=self.max_text).map(
                lambda raw: base64.b64encode(raw).decode("ascii"))
        raise ValueError(f"shape {shape.name} has type {kind!r}, which aws-replay cannot "
                         "generate values for")

    def _sizes(self, shape: Shape) -> tuple[int, int]:
        low = int(shape.metadata.get("min", 0))
        high = shape.metadata.get("max")
        cap = low + self.max_items
        return low, cap if high is None else min(int(high), cap)

    def _structure(self, shape: Shape) -> st.SearchStrategy[Any]:
        if shape.metadata.get("document"):
            return st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                                lambda inner: st.lists(inner, max_size=3)
                                | st.dictionaries(st.text(), inner, max_size=3), max_leaves=8)
        cached = self._structures.get(shape.name)
        if cached is not None:
            return cached
        # Deferred so a recursive shape refers to itself instead of recursing forever.
        self._structures[shape.name] = st.deferred(lambda: built)
        required = set(shape.required_members)
        members = {name: self.strategy(member) for name, member in shape.members.items()}
        if shape.metadata.get("union"):  # a union sets exactly one member
            built = st.one_of([st.fixed_dictionaries({name: strategy})
                               for name, strategy in members.items()])
            self._structures[shape.name] = built
            return built
        built = st.fixed_dictionaries(
            {name: members[name] for name in members if name in required},
            optional={name: members[name] for name in members if name not in required})
        self._structures[shape.name] = built
        return built


def _operation(operation: str | OperationModel) -> OperationModel:
    return operation_from_name(operation).model if isinstance(operation, str) else operation


@functools.cache
def _botocore_service(service: str) -> Any:
    from botocore.model import ServiceModel

    return ServiceModel(service_data(service), service_name=service)


def _botocore_operation(operation: Any) -> Any:
    """botocore's own ``OperationModel`` for ``operation`` (aws-replay's or botocore's)."""
    if not isinstance(operation, OperationModel):
        return operation  # a botocore model already
    return _botocore_service(operation.service_model.service_name).operation_model(
        operation.name)


def output_bodies(operation: str | OperationModel = "DescribeAutoMLJob", *, max_items: int = 2,
                  max_text: int = 16, parsed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Output bodies of ``operation`` (a name like ``"sagemaker:DescribeAutoMLJob"`` or a
    botocore ``OperationModel``, from any service model) drawn from the model alone."""
    model = _operation(operation)
    if model.output_shape is None:
        return st.just({})
    strategy: st.SearchStrategy[dict[str, Any]] = shape_values(
        model.output_shape, max_items=max_items, max_text=max_text)
    return strategy.map(functools.partial(to_boto3, operation=model)) if parsed else strategy


def describe_auto_ml_job_bodies(*, parsed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """DescribeAutoMLJob output bodies drawn from the installed botocore model alone."""
    return output_bodies("DescribeAutoMLJob", parsed=parsed)


def describe_auto_ml_job_v2_bodies(*, parsed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """DescribeAutoMLJobV2 output bodies drawn from the model alone."""
    return output_bodies("DescribeAutoMLJobV2", parsed=parsed)


def list_auto_ml_jobs_bodies(*, parsed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """ListAutoMLJobs output bodies (job summaries, maybe a NextToken) from the model alone."""
    return output_bodies("ListAutoMLJobs", parsed=parsed)


def list_candidates_bodies(*, parsed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """ListCandidatesForAutoMLJob output bodies from the model alone."""
    return output_bodies("ListCandidatesForAutoMLJob", parsed=parsed)


def create_auto_ml_job_bodies(*, v2: bool = False,
                              parsed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """CreateAutoMLJob (or, with ``v2``, CreateAutoMLJobV2) output bodies: an ARN."""
    return output_bodies("CreateAutoMLJobV2" if v2 else "CreateAutoMLJob", parsed=parsed)


def automl_v2_jobs(kinds: Iterable[str] | None = None, *, region: str = DEFAULT_REGION,
                   parsed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """One realistic DescribeAutoMLJobV2 body at any step of its lifecycle: a tabular job's
    (the V2 view of :func:`automl_jobs`) or, with kinds ``textgen``/``forecast``, a V2-only
    LLM or time-series job (``PreTraining`` included)."""
    chosen = tuple(kinds) if kinds is not None else (*JOB_KINDS, *V2_ONLY_KINDS)
    tabular = [kind for kind in chosen if kind not in V2_ONLY_KINDS]
    only_v2 = [kind for kind in chosen if kind in V2_ONLY_KINDS]
    options: list[st.SearchStrategy[dict[str, Any]]] = []
    if tabular:
        options.append(automl_jobs(tabular, region=region).map(v2_from_v1))
    if only_v2:
        options.append(_v2_only(tuple(only_v2), region))
    if not options:
        raise ValueError("no job kinds given")
    strategy = st.one_of(options)
    if parsed:
        return strategy.map(functools.partial(to_boto3, operation="DescribeAutoMLJobV2"))
    return strategy


@st.composite
def _v2_only(draw: st.DrawFn, kinds: tuple[str, ...], region: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(kinds))
    name = draw(job_names(kind))
    bodies = v2_only_lifecycle(_DrawChooser(draw), name, region, kind)
    return bodies[draw(st.integers(0, len(bodies) - 1))]


def automl_candidate_lists(kinds: Iterable[str] | None = None, *,
                           region: str = DEFAULT_REGION,
                           parsed: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Realistic ListCandidatesForAutoMLJob bodies: every candidate of a job drawn by
    :func:`automl_jobs` (its best candidate among them), in one page."""
    @st.composite
    def candidates(draw: st.DrawFn) -> dict[str, Any]:
        job = draw(automl_jobs(kinds, region=region))
        return {"Candidates": job_candidates(job, _DrawChooser(draw))}

    strategy = candidates()
    if parsed:
        return strategy.map(functools.partial(to_boto3, operation="ListCandidatesForAutoMLJob"))
    return strategy


def to_boto3(body: dict[str, Any],
             operation: str | OperationModel = "DescribeAutoMLJob") -> dict[str, Any]:
    """What boto3 returns for a wire ``body``: parsed by botocore's own parser, with
    botocore's own model of the operation."""
    from botocore.parsers import create_parser

    model = _botocore_operation(_operation(operation))
    parse: Callable[..., dict[str, Any]] = create_parser(
        resolved_protocol(model.metadata)).parse
    result = parse({"body": json.dumps(body).encode("utf-8"), "headers": {},
                    "status_code": 200}, model.output_shape)
    result.pop("ResponseMetadata", None)
    return result
