"""Synthetic jobs (replay.synth.jobs): deterministic per name, spec-valid, realistic lifecycles."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import botocore.parsers
import pytest
from botocore.model import Shape
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.core.errors import ConfigError
from replay.spec.check import check_body
from replay.spec.operations import operation_from_name
from replay.synth.jobs import (
    ACCOUNT_ID,
    DRIFT_MEMBER,
    DRIFT_SECONDARY_STATUS,
    FINAL_STATES,
    SyntheticJobs,
    drifted_body,
    is_valid_job_name,
    job_kind,
    synthetic_lifecycle,
    synthetic_response,
)
from tests.support.models import botocore_output
from tests.support.stub_sagemaker import StubSageMaker

OPERATION = operation_from_name("DescribeAutoMLJob").model
KINDS = ["", "lifecycle-", *(f"{kind}-" for kind in FINAL_STATES)]
TERMINAL = {"Completed", "Failed", "Stopped"}


def names(count: int) -> Iterator[str]:
    for index in range(count):
        for kind in KINDS:
            yield f"{kind}job{index}"


def paths_of(value: Any, path: str = "$") -> Iterator[str]:
    """Member paths present in a body; list items as [*], map entries as .*."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from paths_of(item, f"{path}[*]")


def model_paths(shape: Shape, path: str = "$") -> Iterator[tuple[str, bool]]:
    """(member path, required) for every member the model describes."""
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            child = f"{path}.{name}"
            yield child, name in shape.required_members
            yield from model_paths(member, child)
    elif shape.type_name == "list":
        yield from model_paths(shape.member, f"{path}[*]")


def parse(body: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = botocore.parsers.create_parser("json").parse(
        {"body": json.dumps(body).encode(), "headers": {}, "status_code": 200},
        botocore_output("sagemaker", "DescribeAutoMLJob"))
    return parsed


# ------------------------------------------------------------------------- determinism


@settings(max_examples=40, deadline=None)
@given(st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", fullmatch=True))
def test_a_name_always_gives_the_same_job(name: str) -> None:
    assert synthetic_response(name) == synthetic_response(name)
    assert synthetic_lifecycle(name) == synthetic_lifecycle(name)


def test_different_names_give_different_jobs() -> None:
    bodies = [json.dumps(synthetic_response(f"churn-{index}")[1]) for index in range(20)]
    assert len(set(bodies)) == 20
    assert synthetic_response("churn-1", "eu-west-1") != synthetic_response("churn-1")


def test_the_job_does_not_change_between_releases_silently() -> None:
    # The sample cassettes are built from these; a change here must be a deliberate one.
    status, body = synthetic_response("churn-2026")
    assert status == 200
    assert body["AutoMLJobArn"] == (
        "arn:aws:sagemaker:us-east-1:000000000001:automl-job/churn-2026")
    assert (body["AutoMLJobStatus"], body["AutoMLJobSecondaryStatus"]) == (
        "Completed", "Completed")
    assert body["BestCandidate"]["InferenceContainers"][0]["Image"].startswith(
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/")


# --------------------------------------------------------------------- stories by name


@pytest.mark.parametrize(("kind", "final"), [
    *FINAL_STATES.items(), ("", ("Completed", "Completed")),
    ("lifecycle", ("Completed", "Completed")), ("drifted", ("Completed", "Completed")),
])
def test_the_first_word_of_the_name_decides_the_final_state(
        kind: str, final: tuple[str, str]) -> None:
    for index in range(15):
        status, body = synthetic_response(f"{kind}-x{index}" if kind else f"x{index}")
        assert status == 200
        assert (body["AutoMLJobStatus"], body["AutoMLJobSecondaryStatus"]) == final


def test_a_completed_job_has_a_best_candidate_with_inference_containers() -> None:
    for index in range(30):
        body = synthetic_response(f"churn-{index}")[1]
        candidate = body["BestCandidate"]
        assert candidate["InferenceContainers"], body["AutoMLJobName"]
        assert candidate["CandidateStatus"] == "Completed"
        assert body["EndTime"] >= candidate["EndTime"]


def test_a_failed_job_says_why() -> None:
    for index in range(15):
        body = synthetic_response(f"failed-{index}")[1]
        assert body["FailureReason"]
        assert 1 <= len(body["PartialFailureReasons"]) <= 5
        assert all(r["PartialFailureMessage"] for r in body["PartialFailureReasons"])
        assert "BestCandidate" not in body


def test_a_missing_job_is_resource_not_found() -> None:
    status, body = synthetic_response("missing-churn")
    assert status == 400
    assert body == {"__type": "ResourceNotFound",
                    "Message": "Could not find AutoML job with name missing-churn."}
    assert check_body(OPERATION, json.dumps(body), status=400) == []
    assert synthetic_lifecycle("missing-churn") == []


@pytest.mark.parametrize("name", ["", "-lead", "trail-", "under_score", "x" * 33, "ünï"])
def test_a_name_sagemaker_rejects_is_a_validation_error(name: str) -> None:
    assert not is_valid_job_name(name)
    status, body = synthetic_response(name)
    assert status == 400
    assert body["__type"] == "ValidationException"
    assert body["message"].startswith(f"1 validation error detected: Value '{name}' at "
                                      "'autoMLJobName' failed to satisfy constraint")
    assert synthetic_lifecycle(name) == []


def test_job_kind_is_the_word_before_the_first_hyphen() -> None:
    assert job_kind("Failed-churn-2") == "failed"
    assert job_kind("churn") == ""


# --------------------------------------------------------------------- spec validity


def test_every_step_of_every_story_is_spec_valid_and_parses_whole() -> None:
    for name in names(12):
        for body in synthetic_lifecycle(name):
            assert check_body(OPERATION, json.dumps(body)) == [], (name, body)
            parsed = parse(body)
            # botocore drops what its model does not know: nothing may be dropped here.
            assert set(parsed) - {"ResponseMetadata"} == set(body)


def test_every_member_of_the_model_appears_and_every_optional_one_is_sometimes_absent() -> None:
    present: Counter[str] = Counter()
    bodies = 0
    for name in names(40):
        for body in synthetic_lifecycle(name):
            bodies += 1
            present.update(set(paths_of(body)))
    expected = dict(model_paths(OPERATION.output_shape))
    # Map entries are free-form (environment variables, CPU/GPU), so paths stop at the map.
    seen = {re.sub(r"\.(Environment|InferenceContainerDefinitions)\..*", r".\1", p)
            for p in present}
    assert set(expected) - seen == set()
    top_optional = [p for p, required in expected.items() if not required and p.count(".") == 1]
    always = [p for p in top_optional if present[p] == bodies]
    assert always == []


def test_no_account_id_but_the_placeholder_and_aws_owned_registries() -> None:
    owned = {"683313688378", "763104351884"}
    for name in names(10):
        for body in synthetic_lifecycle(name):
            text = json.dumps(body)
            ids = set(re.findall(r"(?<!\d)\d{12}(?!\d)", text))
            assert ids <= {ACCOUNT_ID} | owned, (name, ids)


def test_drifted_job_carries_an_undocumented_member_and_unknown_enum_values() -> None:
    steps = synthetic_lifecycle("drifted-churn")
    findings = {(f.kind, f.path, f.severity.value) for f in check_body(
        OPERATION, json.dumps(steps[-1]))}
    assert findings == {
        ("unknown-member", f"$.{DRIFT_MEMBER}", "additive"),
        ("enum", "$.BestCandidate.FinalAutoMLJobObjectiveMetric.MetricName", "breaking"),
    }
    assert steps[-1]["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["MetricName"].startswith(
        "validation:")
    merging = [s for s in steps if s["AutoMLJobSecondaryStatus"] == DRIFT_SECONDARY_STATUS]
    assert len(merging) == 1
    assert [f.path for f in check_body(OPERATION, json.dumps(merging[0]))] == [
        "$.AutoMLJobSecondaryStatus"]
    # Only the end drifts: earlier steps are clean.
    assert all(check_body(OPERATION, json.dumps(s)) == [] for s in steps[:-2])


# --------------------------------------------------------------------------- lifecycles


def test_lifecycles_go_the_way_real_jobs_go() -> None:
    for name in names(15):
        steps = synthetic_lifecycle(name)
        states = [(s["AutoMLJobStatus"], s["AutoMLJobSecondaryStatus"]) for s in steps]
        assert states[0] == ("InProgress", "Starting")
        assert all(status in ("InProgress", "Stopping") for status, _ in states[:-1]), states
        created = steps[0]["CreationTime"]
        modified = [s["LastModifiedTime"] for s in steps]
        assert all(s["CreationTime"] == created for s in steps)
        assert created < modified[0] and modified == sorted(set(modified))
        for index, step in enumerate(steps):
            terminal = step["AutoMLJobStatus"] in TERMINAL
            assert ("EndTime" in step) == terminal
            if terminal:
                assert step["EndTime"] == step["LastModifiedTime"]
            # What data analysis produces appears only once the data was analysed.
            if index < 2:
                assert "ResolvedAttributes" not in step and "AutoMLJobArtifacts" not in step
        with_candidate = ["BestCandidate" in s for s in steps]
        if states[-1][0] != "Failed":
            # Once a best candidate exists it stays.
            assert with_candidate == sorted(with_candidate), name


def test_the_follow_lifecycle_runs_from_starting_to_completed() -> None:
    states = [s["AutoMLJobSecondaryStatus"] for s in synthetic_lifecycle("lifecycle-churn")]
    assert states[0] == "Starting" and states[-1] == "Completed"
    assert "AnalyzingData" in states and len(states) >= 5
    assert synthetic_response("lifecycle-churn", poll=0)[1]["AutoMLJobSecondaryStatus"] == (
        "Starting")
    assert synthetic_response("lifecycle-churn", poll=99)[1]["AutoMLJobStatus"] == "Completed"
    assert synthetic_response("churn", poll=0) == synthetic_response("churn")


def test_synthetic_jobs_advance_lifecycle_jobs_per_call_and_keep_others_still() -> None:
    jobs = SyntheticJobs()
    expected = synthetic_lifecycle("lifecycle-churn")
    seen = [jobs.describe("lifecycle-churn")[1] for _ in range(len(expected) + 2)]
    assert seen == [*expected, expected[-1], expected[-1]]
    first = jobs.describe("churn")
    assert jobs.describe("churn")[1] is first[1]  # computed once, shared
    assert jobs.describe("missing-x")[0] == 400
    jobs.reset("lifecycle-churn")
    assert jobs.describe("lifecycle-churn")[1] == expected[0]


def test_synthetic_jobs_serve_each_lifecycle_step_once_under_concurrent_polls() -> None:
    jobs = SyntheticJobs()
    steps = synthetic_lifecycle("lifecycle-busy")
    calls = len(steps) * 4
    seen: list[str] = []
    lock = threading.Lock()

    def poll() -> None:
        for _ in range(4):
            status = jobs.describe("lifecycle-busy")[1]["AutoMLJobSecondaryStatus"]
            with lock:
                seen.append(status)

    threads = [threading.Thread(target=poll) for _ in range(len(steps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == calls
    counts = Counter(seen)
    for step in steps[:-1]:
        assert counts[step["AutoMLJobSecondaryStatus"]] == 1
    assert counts["Completed"] == calls - len(steps) + 1


def test_a_boto3_poller_sees_the_lifecycle(
        aws_env: None, sagemaker_client: Callable[[str], Any]) -> None:
    steps = synthetic_lifecycle("lifecycle-poll")
    with StubSageMaker({"lifecycle-poll": steps}) as stub:
        client = sagemaker_client(stub.url)
        statuses: list[str] = []
        while not statuses or statuses[-1] == "InProgress":
            statuses.append(client.describe_auto_ml_job(
                AutoMLJobName="lifecycle-poll")["AutoMLJobStatus"])
    assert statuses == ["InProgress"] * (len(steps) - 1) + ["Completed"]


# ------------------------------------------------------------------------------ regions


def test_another_region_names_its_arns_and_its_own_image_registries() -> None:
    body = synthetic_response("churn-1", "eu-west-1")[1]
    assert ":eu-west-1:" in body["AutoMLJobArn"]
    images = {c["Image"] for c in body["BestCandidate"]["InferenceContainers"]}
    assert all(".dkr.ecr.eu-west-1.amazonaws.com/" in image for image in images)
    assert all(image.split(".")[0] in {"141502667606", "763104351884"} for image in images)
    china = synthetic_response("churn-1", "cn-north-1")[1]
    assert china["AutoMLJobArn"].startswith("arn:aws-cn:sagemaker:cn-north-1:")
    assert check_body(OPERATION, json.dumps(china)) == []


def test_an_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"^region 'mars-east-1' has no SageMaker Autopilot "
                                          r"image registry in aws-replay's list; use one of: "):
        synthetic_response("churn-1", "mars-east-1")


def test_drifted_body_is_a_drifted_copy_of_any_completed_job() -> None:
    body = synthetic_response("churn-7")[1]
    drifted = drifted_body(body)
    assert "validation:" not in json.dumps(body)  # the original is untouched
    assert {(f.kind, f.path) for f in check_body(OPERATION, json.dumps(drifted))} == {
        ("unknown-member", f"$.{DRIFT_MEMBER}"),
        ("enum", "$.BestCandidate.FinalAutoMLJobObjectiveMetric.MetricName"),
    }
    assert drifted_body(drifted) == drifted


def test_reported_metrics_agree_with_each_other_and_with_the_objective() -> None:
    for index in range(40):
        body = synthetic_response(f"metrics-{index}")[1]
        candidate = body["BestCandidate"]
        final = candidate["FinalAutoMLJobObjectiveMetric"]
        metrics = {m["StandardMetricName"]: m["Value"]
                   for m in candidate.get("CandidateProperties", {}).get("CandidateMetrics", [])}
        if metrics:
            assert metrics[final["MetricName"]] == final["Value"]
        if "RMSE" in metrics:
            assert metrics["MSE"] == round(metrics["RMSE"] ** 2, 2)
            assert metrics["MAE"] <= metrics["RMSE"]
        if final.get("Type"):
            minimized = final["MetricName"] in {"MSE", "RMSE", "MAE"}
            assert final["Type"] == ("Minimize" if minimized else "Maximize")
