"""The synthetic account (replay.synth.account): one job, every view consistent, bounded state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay.scenarios import tabular_request, tabular_v2_request, text_generation_request
from replay.spec.check import check_body
from replay.spec.operations import operation_from_name
from replay.synth.account import OPERATIONS, SEED_JOBS, SyntheticAccount
from replay.synth.strategies import job_names


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def spec_valid(operation: str, answer: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    status, body = answer
    findings = check_body(operation_from_name(operation).model, json.dumps(body), status)
    # A ValidationException is a common AWS error no operation models: info, nothing more.
    findings = [f for f in findings
                if not (f.kind == "unknown-error" and f.actual == "ValidationException")]
    assert findings == [], [(f.path, f.message) for f in findings]
    return body


def ok(account: SyntheticAccount, operation: str, **params: Any) -> dict[str, Any]:
    status, body = account.answer(operation, params)
    assert status == 200, body
    return spec_valid(operation, (status, body))


def every_candidate(account: SyntheticAccount, name: str, **params: Any) -> list[dict[str, Any]]:
    candidates: list[dict[str, Any]] = []
    token = None
    while True:
        page = ok(account, "ListCandidatesForAutoMLJob", AutoMLJobName=name,
                  **params, **({"NextToken": token} if token else {}))
        candidates.extend(page["Candidates"])
        token = page.get("NextToken")
        if token is None:
            return candidates


# ------------------------------------------------------------------------- one job, all views


def test_v2_and_the_candidates_describe_the_job_describe_does() -> None:
    account = SyntheticAccount()
    v1 = ok(account, "DescribeAutoMLJob", AutoMLJobName="churn-2026")
    v2 = ok(account, "DescribeAutoMLJobV2", AutoMLJobName="churn-2026")
    candidates = every_candidate(account, "churn-2026")

    for member in ("AutoMLJobArn", "CreationTime", "EndTime", "AutoMLJobStatus",
                   "AutoMLJobSecondaryStatus", "BestCandidate", "OutputDataConfig", "RoleArn"):
        assert v2.get(member) == v1.get(member), member
    tabular = v2["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    assert tabular["TargetAttributeName"] == v1["InputDataConfig"][0]["TargetAttributeName"]
    assert v2["AutoMLProblemTypeConfigName"] == "Tabular"
    assert v1["BestCandidate"] in candidates
    assert len({c["CandidateName"] for c in candidates}) == len(candidates) > 1


def test_no_candidate_beats_the_one_describe_names_best() -> None:
    account = SyntheticAccount()
    for name in ("churn-1", "churn-2", "churn-3", "fraud-4"):
        best = ok(account, "DescribeAutoMLJob", AutoMLJobName=name)["BestCandidate"]
        metric = best["FinalAutoMLJobObjectiveMetric"]
        values = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in every_candidate(
            account, name, StatusEquals="Completed")]
        if metric.get("Type") == "Minimize" or metric["MetricName"] in ("MSE", "RMSE", "MAE"):
            assert min(values) == metric["Value"]
        else:
            assert max(values) == metric["Value"]


def test_candidates_page_filter_and_sort() -> None:
    account = SyntheticAccount()
    everyone = every_candidate(account, "lifecycle-pages")  # before any Describe: none yet
    assert everyone == []
    for _ in range(12):
        account.describe("lifecycle-pages")
    everyone = every_candidate(account, "lifecycle-pages", MaxResults=50)
    paged = every_candidate(account, "lifecycle-pages", MaxResults=1)
    assert sorted(c["CandidateName"] for c in paged) == sorted(
        c["CandidateName"] for c in everyone)
    assert len(paged) == len(everyone) > 2

    by_value = every_candidate(account, "lifecycle-pages", SortBy="FinalObjectiveMetricValue",
                               SortOrder="Ascending", StatusEquals="Completed")
    values = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in by_value]
    assert values == sorted(values)
    newest_first = [c["CreationTime"] for c in everyone]
    assert newest_first == sorted(newest_first, reverse=True)
    name = everyone[-1]["CandidateName"]
    assert [c["CandidateName"] for c in every_candidate(
        account, "lifecycle-pages", CandidateNameEquals=name)] == [name]


def test_a_token_from_another_query_is_refused() -> None:
    account = SyntheticAccount()
    first = ok(account, "ListCandidatesForAutoMLJob", AutoMLJobName="churn-2026", MaxResults=1)
    status, body = account.answer("ListCandidatesForAutoMLJob", {
        "AutoMLJobName": "churn-2026", "MaxResults": 1, "SortBy": "Status",
        "NextToken": first["NextToken"]})
    assert (status, body["__type"]) == (400, "ValidationException")
    assert "NextToken" in body["Message"]
    status, body = account.answer("ListAutoMLJobs", {"NextToken": "not-a-token"})
    assert (status, body["__type"]) == (400, "ValidationException")


def test_v2_only_jobs_pass_through_pre_training_and_v1_points_at_v2() -> None:
    account = SyntheticAccount()
    seen = [ok(account, "DescribeAutoMLJobV2", AutoMLJobName="textgen-support")
            ["AutoMLJobSecondaryStatus"] for _ in range(8)]
    assert seen[0] == "Starting" and "PreTraining" in seen and seen[-1] == "Completed"
    status, body = account.answer("DescribeAutoMLJob", {"AutoMLJobName": "textgen-support"})
    assert status == 400 and "DescribeAutoMLJobV2" in body["Message"]
    forecast = ok(account, "DescribeAutoMLJobV2", AutoMLJobName="forecast-demand")
    assert forecast["AutoMLProblemTypeConfigName"] == "TimeSeriesForecasting"


def test_list_jobs_knows_seeds_created_and_described_jobs_with_their_last_status() -> None:
    account = SyntheticAccount(clock=Clock())
    ok(account, "CreateAutoMLJob", **tabular_request("made-here"))
    for _ in range(3):
        shown = ok(account, "DescribeAutoMLJob", AutoMLJobName="lifecycle-listed")
    summaries = {s["AutoMLJobName"]: s for s in ok(account, "ListAutoMLJobs", MaxResults=100)
                 ["AutoMLJobSummaries"]}
    assert set(summaries) == {*SEED_JOBS, "made-here", "lifecycle-listed"}
    assert summaries["lifecycle-listed"]["AutoMLJobSecondaryStatus"] == \
        shown["AutoMLJobSecondaryStatus"]
    failed = ok(account, "ListAutoMLJobs", StatusEquals="Failed", NameContains="CHURN")
    assert [s["AutoMLJobName"] for s in failed["AutoMLJobSummaries"]] == ["failed-churn"]
    names = [s["AutoMLJobName"] for s in ok(account, "ListAutoMLJobs", SortOrder="Ascending",
                                            MaxResults=100)["AutoMLJobSummaries"]]
    assert names == sorted(names)


# --------------------------------------------------------------------- create, time, stop


def test_a_created_job_runs_its_lifecycle_in_scaled_time() -> None:
    clock = Clock()
    account = SyntheticAccount(clock=clock, time_scale=600)
    arn = ok(account, "CreateAutoMLJob", **tabular_request("churn-pipeline"))["AutoMLJobArn"]
    statuses = []
    while True:
        job = ok(account, "DescribeAutoMLJob", AutoMLJobName="churn-pipeline")
        statuses.append(job["AutoMLJobSecondaryStatus"])
        if job["AutoMLJobStatus"] == "Completed":
            break
        clock.now += 1
        assert len(statuses) < 200
    assert job["AutoMLJobArn"] == arn
    assert statuses[0] == "Starting" and statuses[-1] == "Completed"
    assert job["CreationTime"] == pytest.approx(1_800_000_000.0)
    assert job["LastModifiedTime"] <= clock.now
    # what the request said is what the job shows; metrics follow its objective
    assert job["InputDataConfig"] == tabular_request("x")["InputDataConfig"]
    assert job["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["MetricName"] == "F1"
    assert all(c["ModelDataUrl"].startswith("s3://sagemaker-us-east-1-000000000001/churn/output")
               for c in job["BestCandidate"]["InferenceContainers"])
    status, body = account.answer("CreateAutoMLJob", tabular_request("churn-pipeline"))
    assert (status, body["__type"]) == (400, "ResourceInUse")


def test_create_v2_makes_the_same_kind_of_job_in_its_v2_shape() -> None:
    account = SyntheticAccount(clock=Clock())
    ok(account, "CreateAutoMLJobV2", **tabular_v2_request("tabular-v2"))
    v2 = ok(account, "DescribeAutoMLJobV2", AutoMLJobName="tabular-v2")
    v1 = ok(account, "DescribeAutoMLJob", AutoMLJobName="tabular-v2")
    assert v2["AutoMLProblemTypeConfig"]["TabularJobConfig"]["ProblemType"] == \
        v1["ProblemType"] == "BinaryClassification"
    ok(account, "CreateAutoMLJobV2", **text_generation_request("llm-v2"))
    llm = ok(account, "DescribeAutoMLJobV2", AutoMLJobName="llm-v2")
    assert llm["AutoMLProblemTypeConfig"]["TextGenerationJobConfig"]["BaseModelName"] == \
        "Falcon7BInstruct"


def test_stop_moves_a_running_job_to_stopping_then_stopped() -> None:
    clock = Clock()
    account = SyntheticAccount(clock=clock)
    ok(account, "CreateAutoMLJob", **tabular_request("to-stop"))
    clock.now += 2
    assert ok(account, "StopAutoMLJob", AutoMLJobName="to-stop") == {}
    clock.now += 600  # however late the next look, it sees Stopping once
    first = ok(account, "DescribeAutoMLJob", AutoMLJobName="to-stop")
    second = ok(account, "DescribeAutoMLJobV2", AutoMLJobName="to-stop")
    assert (first["AutoMLJobStatus"], second["AutoMLJobStatus"]) == ("Stopping", "Stopped")
    assert "EndTime" in second and "EndTime" not in first
    status, body = account.answer("StopAutoMLJob", {"AutoMLJobName": "to-stop"})
    assert (status, body["__type"]) == (400, "ValidationException")

    ok(account, "StopAutoMLJob", AutoMLJobName="tuning-forever")  # a story job stops too
    assert [account.describe("tuning-forever")[1]["AutoMLJobStatus"] for _ in range(3)] == [
        "Stopping", "Stopped", "Stopped"]
    status, body = account.answer("StopAutoMLJob", {"AutoMLJobName": "missing-one"})
    assert (status, body["__type"]) == (400, "ResourceNotFound")


@pytest.mark.parametrize(("operation", "params", "says"), [
    ("CreateAutoMLJob", {"AutoMLJobName": "x"}, "required member InputDataConfig"),
    ("CreateAutoMLJob", {**tabular_request("x"), "ProblemType": "Ranking"},
     "'Ranking' is not a value of enum ProblemType"),
    ("CreateAutoMLJobV2", {**tabular_v2_request("x"), "AutoMLProblemTypeConfig": {}},
     "union AutoMLProblemTypeConfig must have exactly one member set"),
    ("StopAutoMLJob", {"AutoMLJobName": "x" * 40}, "length 40 is outside 1..32"),
    ("ListCandidatesForAutoMLJob", {"AutoMLJobName": "x", "MaxResults": 301},
     "301 is outside 1..300"),
    ("CreateAutoMLJob", {**tabular_request("x"), "ProblemType": "Regression"},
     "objective metric F1 does not fit problem type Regression"),
])
def test_what_the_model_refuses_is_a_validation_exception(operation: str, params: dict[str, Any],
                                                          says: str) -> None:
    status, body = SyntheticAccount().answer(operation, params)
    assert (status, body["__type"]) == (400, "ValidationException")
    assert says in body["Message"]


def test_state_is_bounded() -> None:
    account = SyntheticAccount(max_jobs=3, clock=Clock())
    ok(account, "CreateAutoMLJob", **tabular_request("created-first"))
    for index in range(10):
        account.describe(f"churn-{index}")
    assert len(account) == 3
    # the created job was forgotten: its name is a story job again, and free to create
    ok(account, "CreateAutoMLJob", **tabular_request("created-first"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=job_names(), operation=st.sampled_from(
    ["DescribeAutoMLJob", "DescribeAutoMLJobV2", "ListCandidatesForAutoMLJob",
     "StopAutoMLJob"]), calls=st.integers(1, 4))
def test_every_answer_is_spec_valid(name: str, operation: str, calls: int) -> None:
    assert operation in OPERATIONS
    account = SyntheticAccount(clock=Clock())
    for _ in range(calls):
        answer = account.answer(operation, {"AutoMLJobName": name})
        if not name.startswith("drifted-"):
            spec_valid(operation, answer)
    spec_valid("ListAutoMLJobs", account.answer("ListAutoMLJobs", {}))
