"""ListAutoMLJobs and ListCandidatesForAutoMLJob over synthetic jobs: filters, sort, pages.

Both lists page with ``MaxResults`` (default 10) and an opaque ``NextToken``. A token carries
the offset and a digest of the query it belongs to, so a token handed to a different query
(another filter, sort or job) is refused with a ``ValidationException``, as SageMaker refuses
a token it did not issue for that request. Defaults: ListAutoMLJobs sorts by ``Name``,
ListCandidatesForAutoMLJob by ``CreationTime``; both ``Descending`` (the documented default
order).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from replay.synth.parts import Body, compact

DEFAULT_MAX_RESULTS = 10

_STATUS_ORDER = {"InProgress": 0, "Stopping": 1, "Completed": 2, "Failed": 3, "Stopped": 4}


class ListingError(ValueError):
    """A list request SageMaker would refuse (``ValidationException``)."""


def _digest(params: Mapping[str, Any]) -> str:
    query = {key: value for key, value in params.items()
             if key not in ("NextToken", "MaxResults")}
    canonical = json.dumps(query, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _token(offset: int, params: Mapping[str, Any]) -> str:
    raw = json.dumps({"offset": offset, "query": _digest(params)}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _offset(params: Mapping[str, Any]) -> int:
    token = params.get("NextToken")
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode("ascii")))
        offset, query = int(data["offset"]), data["query"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError, RecursionError):
        raise ListingError("the NextToken is not one this endpoint issued; pass the "
                           "NextToken of the previous page of the same request") from None
    if query != _digest(params) or offset < 0:
        raise ListingError("the NextToken belongs to a request with other filters or sort; "
                           "page with the same parameters that gave it")
    return offset


def page(items: Sequence[Body], params: Mapping[str, Any], *,
         sort_keys: Mapping[str, Callable[[Body], Any]], default_sort: str,
         list_member: str) -> Body:
    """One page of ``items`` (already filtered) sorted as ``params`` ask, with its NextToken."""
    sort_by = params.get("SortBy") or default_sort
    descending = (params.get("SortOrder") or "Descending") == "Descending"
    key = sort_keys[sort_by]
    present = [item for item in items if key(item) is not None]
    absent = [item for item in items if key(item) is None]  # no value: last, either order
    ordered = sorted(present, key=key, reverse=descending) + absent
    offset = _offset(params)
    limit = int(params.get("MaxResults") or DEFAULT_MAX_RESULTS)
    chosen = ordered[offset:offset + limit]
    more = offset + limit < len(ordered)
    return compact([(list_member, chosen),
                    ("NextToken", _token(offset + limit, params) if more else None)])


def _after(value: Any, bound: Any) -> bool:
    return bound is None or float(value) > float(bound)


def _before(value: Any, bound: Any) -> bool:
    return bound is None or float(value) < float(bound)


def job_summary(body: Body) -> Body:
    """A job's ListAutoMLJobs summary, from its DescribeAutoMLJob (or V2) body."""
    return compact([(member, body.get(member)) for member in (
        "AutoMLJobName", "AutoMLJobArn", "AutoMLJobStatus", "AutoMLJobSecondaryStatus",
        "CreationTime", "EndTime", "LastModifiedTime", "FailureReason",
        "PartialFailureReasons")])


def list_jobs(summaries: Sequence[Body], params: Mapping[str, Any]) -> Body:
    """The ListAutoMLJobs answer over the account's job summaries."""
    contains = str(params.get("NameContains") or "").lower()
    status = params.get("StatusEquals")
    chosen = [s for s in summaries
              if contains in s["AutoMLJobName"].lower()
              and (status is None or s["AutoMLJobStatus"] == status)
              and _after(s["CreationTime"], params.get("CreationTimeAfter"))
              and _before(s["CreationTime"], params.get("CreationTimeBefore"))
              and _after(s["LastModifiedTime"], params.get("LastModifiedTimeAfter"))
              and _before(s["LastModifiedTime"], params.get("LastModifiedTimeBefore"))]
    return page(chosen, params, default_sort="Name", list_member="AutoMLJobSummaries",
                sort_keys={"Name": lambda s: s["AutoMLJobName"],
                           "CreationTime": lambda s: s["CreationTime"],
                           "Status": lambda s: _STATUS_ORDER.get(s["AutoMLJobStatus"], 9)})


def _objective_value(candidate: Body) -> float | None:
    metric = candidate.get("FinalAutoMLJobObjectiveMetric")
    return None if metric is None else float(metric["Value"])


def list_candidates(candidates: Sequence[Body], params: Mapping[str, Any]) -> Body:
    """The ListCandidatesForAutoMLJob answer over one job's candidates."""
    status, name = params.get("StatusEquals"), params.get("CandidateNameEquals")
    chosen = [c for c in candidates
              if (status is None or c["CandidateStatus"] == status)
              and (name is None or c["CandidateName"] == name)]
    return page(chosen, params, default_sort="CreationTime", list_member="Candidates",
                sort_keys={"CreationTime": lambda c: c["CreationTime"],
                           "Status": lambda c: _STATUS_ORDER.get(c["CandidateStatus"], 9),
                           "FinalObjectiveMetricValue": _objective_value})
