"""A synthetic SageMaker account: the AutoML family answered consistently, in memory, bounded.

:class:`SyntheticAccount` answers ``DescribeAutoMLJob``, ``DescribeAutoMLJobV2``,
``ListAutoMLJobs``, ``ListCandidatesForAutoMLJob``, ``CreateAutoMLJob``, ``CreateAutoMLJobV2``
and ``StopAutoMLJob`` (``aws-replay serve --synthetic`` answers through it). For one job every
view agrees: V2 is the same job in its V2 shape, the best candidate Describe names is among the
candidates listed, ListAutoMLJobs shows the status Describe showed last.

* **Jobs by name** (see :mod:`replay.synth.jobs` for the stories): any valid name describes a
  deterministic job; ``lifecycle-``, ``textgen-`` and ``forecast-`` jobs advance one step per
  Describe call (V1 or V2; the lists do not advance them). ``textgen-`` (LLM fine-tuning,
  through ``PreTraining``) and ``forecast-`` (time series) jobs exist in V2 only: V1 Describe
  answers them with a ``ValidationException``.
* **Created jobs** run their lifecycle in scaled time: ``time_scale`` job-seconds pass per
  second of the ``clock`` (default 600: an hour-long Autopilot job takes six seconds), and
  their timestamps are the moments each stage was reached. Creating a name the account already
  holds is ``ResourceInUse``.
* **Stop** moves an unfinished job to ``Stopping`` (the next Describe) and then ``Stopped``;
  stopping a finished job is a ``ValidationException``.
* **Requests are checked** against the operation's input shape first
  (:func:`replay.spec.requests.check_request`): what the model refuses is answered with the
  ``ValidationException`` SageMaker sends, naming each broken constraint.

State is bounded: at most ``max_jobs`` jobs are held (least recently used go first; a story job
dropped is made again, the same, when next named; a created one is forgotten). Thread-safe.

Example::

    account = SyntheticAccount()
    account.answer("CreateAutoMLJob", request)                     # (200, {"AutoMLJobArn": ...})
    account.answer("ListCandidatesForAutoMLJob", {"AutoMLJobName": "churn", "MaxResults": 2})
"""

from __future__ import annotations

import bisect
import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from replay.core.errors import ConfigError
from replay.synth.candidates import job_candidates
from replay.synth.created import CreatedJob, CreateRefused, create_tabular, create_v2
from replay.synth.jobs import (
    RandomChooser,
    is_valid_job_name,
    job_kind,
    not_found_body,
    synthetic_lifecycle,
    synthetic_response,
    validation_error_body,
)
from replay.synth.listing import ListingError, job_summary, list_candidates, list_jobs
from replay.synth.parts import DEFAULT_REGION, Body
from replay.synth.v2 import V2_ONLY_KINDS, v2_from_v1, v2_only_lifecycle

Answer = tuple[int, Body]

OPERATIONS = ("DescribeAutoMLJob", "DescribeAutoMLJobV2", "ListAutoMLJobs",
              "ListCandidatesForAutoMLJob", "CreateAutoMLJob", "CreateAutoMLJobV2",
              "StopAutoMLJob")
"""The operations a synthetic account answers."""

SEED_JOBS = ("churn-2026", "fraud-2026", "failed-churn", "stopped-churn", "tuning-churn")
"""Jobs every account holds from the start, so ListAutoMLJobs (and ``record --all``) finds some."""

DEFAULT_TIME_SCALE = 600.0
DEFAULT_MAX_JOBS = 1000
_TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
_STOP_SECONDS = 120.0  # job-seconds from Stopping to Stopped
_TIMES = ("CreationTime", "EndTime", "LastModifiedTime")


def _error(error_type: str, message: str) -> Answer:
    return 400, {"__type": error_type, "Message": message}


@dataclass
class _Job:
    v1: list[Body] | None
    v2: list[Body | None]
    due: list[float] | None = None  # when each step is reached (created jobs); else per call
    polls: int = 0
    candidates: dict[int, list[Body]] = field(default_factory=dict)
    hold: int | None = None  # a Stopping step the next Describe shows, however late it comes


def _retime(node: Any, shift: Callable[[float], float]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _TIMES and isinstance(value, int | float):
                node[key] = round(shift(value), 3)
            else:
                _retime(value, shift)
    elif isinstance(node, list):
        for item in node:
            _retime(item, shift)


def _stopping(body: Body, moment: float, *, done: bool) -> Body:
    stopped = copy.deepcopy(body)
    status = "Stopped" if done else "Stopping"
    stopped.update(AutoMLJobStatus=status, AutoMLJobSecondaryStatus=status,
                   LastModifiedTime=round(moment, 3))
    for member in ("EndTime", "ModelDeployResult", "PartialFailureReasons", "FailureReason"):
        stopped.pop(member, None)
    if done:
        stopped["EndTime"] = round(moment, 3)
    return stopped


class SyntheticAccount:
    """The AutoML family of one synthetic account and region (see the module docstring)."""

    def __init__(self, region: str = DEFAULT_REGION, *, max_jobs: int = DEFAULT_MAX_JOBS,
                 clock: Callable[[], float] = time.time,
                 time_scale: float = DEFAULT_TIME_SCALE,
                 seed_jobs: tuple[str, ...] = SEED_JOBS) -> None:
        if max_jobs < 1 or time_scale <= 0:
            raise ConfigError("a synthetic account needs max_jobs >= 1 and time_scale > 0")
        self.region = region
        self.max_jobs = max_jobs
        self.time_scale = time_scale
        self.seed_jobs = seed_jobs
        self._clock = clock
        self._lock = threading.RLock()
        self._jobs: OrderedDict[str, _Job] = OrderedDict()

    # ------------------------------------------------------------------------ the jobs held

    def __len__(self) -> int:
        return len(self._jobs)

    def _keep(self, name: str, job: _Job) -> _Job:
        self._jobs[name] = job
        self._jobs.move_to_end(name)
        while len(self._jobs) > self.max_jobs:
            self._jobs.popitem(last=False)
        return job

    def _job(self, name: str) -> _Job | None:
        """The job ``name`` names (made on first mention); ``None`` if it does not exist."""
        job = self._jobs.get(name)
        if job is not None:
            self._jobs.move_to_end(name)
            return job
        kind = job_kind(name)
        if kind == "missing" or not is_valid_job_name(name):
            return None
        if kind in V2_ONLY_KINDS:
            bodies = v2_only_lifecycle(RandomChooser(f"{self.region}/{name}"), name,
                                       self.region, kind)
            return self._keep(name, _Job(None, list(bodies)))
        if kind == "lifecycle":
            steps = synthetic_lifecycle(name, self.region)
        else:
            steps = [synthetic_response(name, self.region)[1]]
        return self._keep(name, _Job(steps, [None] * len(steps)))

    def _current(self, job: _Job) -> int:
        """The step a list or a Stop sees: the one Describe showed last (or is due)."""
        if job.due is not None:
            return max(bisect.bisect_right(job.due, self._clock()) - 1, 0)
        return min(max(job.polls - 1, 0), len(job.v2) - 1)

    def _poll(self, job: _Job) -> int:
        if job.due is not None:
            index = self._current(job)
            if job.hold is not None and index > job.hold:
                index, job.hold = job.hold, None
            return index
        index = min(job.polls, len(job.v2) - 1)
        job.polls += 1
        return index

    @staticmethod
    def _v2(job: _Job, index: int) -> Body:
        body = job.v2[index]
        if body is None:
            assert job.v1 is not None
            body = job.v2[index] = v2_from_v1(job.v1[index])
        return body

    def _candidates(self, name: str, job: _Job, index: int) -> list[Body]:
        found = job.candidates.get(index)
        if found is None:
            # One seed per job: the same siblings at every step, only their statuses move.
            found = job.candidates[index] = job_candidates(
                self._v2(job, index), RandomChooser(f"candidates/{self.region}/{name}"))
        return found

    # ------------------------------------------------------------------------- the answers

    def answer(self, operation: str, params: Mapping[str, Any]) -> Answer:
        """The HTTP status and JSON body SageMaker answers ``operation`` with."""
        if operation not in OPERATIONS:
            return _error("UnknownOperationException",
                          f"synthetic mode answers {', '.join(OPERATIONS)}; not {operation}")
        from replay.spec.operations import operation_from_name
        from replay.spec.requests import check_request, validation_message

        refused = check_request(operation_from_name(operation).model, params)
        if refused:
            return _error("ValidationException", validation_message(refused))
        handler: Callable[[Mapping[str, Any]], Answer] = {
            "DescribeAutoMLJob": lambda p: self.describe(p["AutoMLJobName"]),
            "DescribeAutoMLJobV2": lambda p: self.describe_v2(p["AutoMLJobName"]),
            "ListAutoMLJobs": self.list_jobs,
            "ListCandidatesForAutoMLJob": self.list_candidates,
            "CreateAutoMLJob": lambda p: self.create(p, v2=False),
            "CreateAutoMLJobV2": lambda p: self.create(p, v2=True),
            "StopAutoMLJob": lambda p: self.stop(p["AutoMLJobName"]),
        }[operation]
        return handler(params)

    def describe(self, job_name: str) -> Answer:
        """This call of DescribeAutoMLJob for ``job_name``."""
        if not is_valid_job_name(job_name):
            return 400, validation_error_body(job_name)
        with self._lock:
            job = self._job(job_name)
            if job is None:
                return 400, not_found_body(job_name)
            if job.v1 is None:
                return _error("ValidationException",
                              f"AutoML job {job_name} is a "
                              f"{self._v2(job, 0)['AutoMLProblemTypeConfigName']} job, which "
                              "DescribeAutoMLJob does not describe; call DescribeAutoMLJobV2")
            return 200, job.v1[self._poll(job)]

    def describe_v2(self, job_name: str) -> Answer:
        """This call of DescribeAutoMLJobV2 for ``job_name``."""
        if not is_valid_job_name(job_name):
            return 400, validation_error_body(job_name)
        with self._lock:
            job = self._job(job_name)
            if job is None:
                return 400, not_found_body(job_name)
            return 200, self._v2(job, self._poll(job))

    def list_jobs(self, params: Mapping[str, Any]) -> Answer:
        """ListAutoMLJobs over the jobs the account holds (seeds, created, described)."""
        with self._lock:
            for seed in self.seed_jobs:
                if seed not in self._jobs:
                    self._job(seed)
            summaries = [job_summary(self._v2(job, self._current(job)))
                         for job in self._jobs.values()]
        try:
            return 200, list_jobs(summaries, params)
        except ListingError as exc:
            return _error("ValidationException", str(exc))

    def list_candidates(self, params: Mapping[str, Any]) -> Answer:
        """ListCandidatesForAutoMLJob for the job ``params`` name, at its current step."""
        name = params["AutoMLJobName"]
        if not is_valid_job_name(name):
            return 400, validation_error_body(name)
        with self._lock:
            job = self._job(name)
            if job is None:
                return 400, not_found_body(name)
            candidates = self._candidates(name, job, self._current(job))
        try:
            return 200, list_candidates(candidates, params)
        except ListingError as exc:
            return _error("ValidationException", str(exc))

    def create(self, params: Mapping[str, Any], *, v2: bool = False) -> Answer:
        """CreateAutoMLJob (or V2): a new job that runs its lifecycle in scaled time."""
        name = params["AutoMLJobName"]
        with self._lock:
            if name in self._jobs:
                return _error("ResourceInUse", f"Conflict: an AutoML job named {name} already "
                                               "exists in this account; pick another name")
            try:
                made = (create_v2 if v2 else create_tabular)(params, self.region)
            except CreateRefused as refused:
                return _error(refused.error_type, str(refused))
            job = self._timed(made)
            self._keep(name, job)
            return 200, {"AutoMLJobArn": self._v2(job, 0)["AutoMLJobArn"]}

    def _timed(self, made: CreatedJob) -> _Job:
        now = self._clock()
        start = float(made.v2[0]["CreationTime"])

        def shift(moment: float) -> float:
            return now + (moment - start) / self.time_scale

        for body in [*(made.v1 or []), *made.v2]:
            _retime(body, shift)
        for bodies in (made.v1, made.v2):
            if bodies:
                bodies[0]["LastModifiedTime"] = round(now, 3)  # Starting: shown at once
        due = [now, *(body["LastModifiedTime"] for body in made.v2[1:])]
        return _Job(made.v1, list(made.v2), due=due)

    def stop(self, job_name: str) -> Answer:
        """StopAutoMLJob: ``Stopping`` at the next Describe, then ``Stopped``."""
        if not is_valid_job_name(job_name):
            return 400, validation_error_body(job_name)
        with self._lock:
            job = self._job(job_name)
            if job is None:
                return 400, not_found_body(job_name)
            index = self._current(job)
            body = self._v2(job, index)
            status = body["AutoMLJobStatus"]
            if status == "Stopping":
                return 200, {}
            if status in _TERMINAL:
                return _error("ValidationException",
                              f"AutoML job {job_name} is {status}; only a job in progress can "
                              "be stopped")
            if job.due is not None:
                stopping_at = self._clock()
                stopped_at = stopping_at + _STOP_SECONDS / self.time_scale
            else:
                stopping_at = body["LastModifiedTime"] + 60
                stopped_at = stopping_at + _STOP_SECONDS
            if job.v1 is not None:
                current = job.v1[index]
                job.v1 = [*job.v1[:index + 1], _stopping(current, stopping_at, done=False),
                          _stopping(current, stopped_at, done=True)]
            job.v2 = [*job.v2[:index + 1], _stopping(body, stopping_at, done=False),
                      _stopping(body, stopped_at, done=True)]
            if job.v1 is not None:  # derived again from the V1 bodies, so both agree
                job.v2[index + 1:] = [None, None]
            job.candidates = {i: c for i, c in job.candidates.items() if i <= index}
            if job.due is not None:
                job.due = [*job.due[:index + 1], stopping_at, stopped_at]
                job.hold = index + 1
            else:
                job.polls = index + 1
            return 200, {}

    def reset(self, job_name: str | None = None) -> None:
        """Start per-call jobs (or the one named) from their first step again."""
        with self._lock:
            for name, job in self._jobs.items():
                if job_name is None or name == job_name:
                    job.polls = 0


class SyntheticJobs(SyntheticAccount):
    """The name the account had when it answered DescribeAutoMLJob only; the same account."""
