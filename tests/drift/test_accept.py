"""``accept_paths``: findings under cassettes become baseline entries; secrets never do."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from replay.core.baseline import read_baseline
from replay.core.errors import ConfigError, ReplayError
from replay.drift.accept import DEFAULT_REASON, accept_paths
from replay.spec.check import check_paths
from tests.support.cassettes import full_body, write_job_cassette
from tests.support.planted import rng_secret

STATUS = "$.AutoMLJobSecondaryStatus"
METRICS = "$.BestCandidate.CandidateProperties.CandidateMetrics"


def body(status: str = "MergingAutoMLTaskReports", metric_at: int = 5,
         **members: Any) -> dict[str, Any]:
    made = copy.deepcopy(full_body())
    made["AutoMLJobSecondaryStatus"] = status
    made["BestCandidate"]["CandidateProperties"]["CandidateMetrics"][metric_at][
        "MetricName"] = "LogLoss"
    made.update(members)
    return made


@pytest.fixture
def cassettes(tmp_path: Path) -> Path:
    folder = tmp_path / "cassettes"
    write_job_cassette(folder / "a.yaml", [body()])
    write_job_cassette(folder / "b.yaml", [body(metric_at=2)])  # LogLoss at another index
    return folder


def test_accept_then_check_accepts_everything_it_saw(cassettes: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    run = accept_paths([cassettes], baseline=baseline, reason="handled since v2")
    # one fact per (path with [*], value), however many cassettes and indices show it
    assert sorted(entry.describe() for entry, _ in run.added) == [
        f"sagemaker:DescribeAutoMLJob {STATUS} enum 'MergingAutoMLTaskReports'",
        f"sagemaker:DescribeAutoMLJob {METRICS}[*].MetricName enum 'LogLoss'",
    ]
    assert run.findings == 4
    marked = read_baseline(baseline).apply(check_paths([cassettes]).findings)
    assert all(f.accepted and f.accepted_reason == "handled since v2" for f in marked)


def test_accepting_again_adds_nothing_and_leaves_the_file(cassettes: Path,
                                                         tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    accept_paths([cassettes], baseline=baseline)
    before = baseline.read_bytes()
    again = accept_paths([cassettes], baseline=baseline, reason="other")
    assert (again.added, again.already, again.changed) == ([], 4, False)
    assert baseline.read_bytes() == before


def test_a_new_value_at_an_accepted_path_is_not_accepted(cassettes: Path,
                                                         tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    accept_paths([cassettes], baseline=baseline)
    write_job_cassette(cassettes / "c.yaml", [body(status="SomethingNew")])
    findings = read_baseline(baseline).apply(check_paths([cassettes / "c.yaml"]).findings)
    assert [(f.path, f.actual, f.accepted) for f in findings if f.path == STATUS] == [
        (STATUS, "SomethingNew", False)]


def test_selection_by_path_and_kind(cassettes: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    run = accept_paths([cassettes], baseline=baseline, json_paths=[f"{METRICS}[5].MetricName"])
    assert [e.value for e, _ in run.added] == ["LogLoss"]
    wildcard = accept_paths([cassettes], baseline=tmp_path / "w.json", json_paths=["$..MetricName"],
                            kinds=["enum"])
    assert [e.value for e, _ in wildcard.added] == ["LogLoss"]


def test_a_selection_that_matches_nothing_is_bad_input(cassettes: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        accept_paths([cassettes], baseline=tmp_path / "b.json", json_paths=["$.Nope"])
    assert "matches --path $.Nope; found: $.AutoMLJobSecondaryStatus (enum)" in str(raised.value)
    assert not (tmp_path / "b.json").exists()
    with pytest.raises(ConfigError, match="--path 'Nope' is not a JSONPath"):
        accept_paths([cassettes], baseline=tmp_path / "b.json", json_paths=["Nope"])


def test_prune_removes_entries_that_match_nothing_and_says_which(cassettes: Path,
                                                                tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    accept_paths([cassettes], baseline=baseline)
    write_job_cassette(cassettes / "a.yaml", [body(status="Completed")])
    write_job_cassette(cassettes / "b.yaml", [body(status="Completed")])
    kept = accept_paths([cassettes], baseline=baseline)  # without --prune: stale stays
    assert kept.pruned == [] and len(read_baseline(baseline)) == 2
    run = accept_paths([cassettes], baseline=baseline, prune=True)
    assert [e.value for e in run.pruned] == ["MergingAutoMLTaskReports"]
    assert [e.value for e in read_baseline(baseline).entries] == ["LogLoss"]


def test_default_reason_names_what_is_known_about_the_value(cassettes: Path,
                                                           tmp_path: Path) -> None:
    write_job_cassette(cassettes / "c.yaml", [body(status="Invented")])
    run = accept_paths([cassettes], baseline=tmp_path / "b.json")
    reasons = {entry.value: entry.reason for entry, _ in run.added}
    assert reasons["Invented"] == DEFAULT_REASON
    assert reasons["MergingAutoMLTaskReports"] == (
        "seen in real SageMaker output since 2020 (aws-replay's observed values)")


def test_a_value_the_scanner_would_flag_is_refused_and_nothing_is_written(
        cassettes: Path, tmp_path: Path) -> None:
    account = rng_secret("account")
    write_job_cassette(cassettes / "leaky.yaml",
                       [body(status=f"arn:aws:iam::{account}:role/Leaked")])
    baseline = tmp_path / "baseline.json"
    with pytest.raises(ReplayError) as raised:
        accept_paths([cassettes], baseline=baseline)
    message = str(raised.value)
    assert message.startswith(f"refusing to write {baseline}: the value at {STATUS} in ")
    assert "holds what the scanner flags as account-id" in message
    assert account not in message
    assert not baseline.exists()


def test_the_baseline_written_holds_no_cassette_names(cassettes: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    accept_paths([cassettes], baseline=baseline)
    text = baseline.read_text()
    assert "a.yaml" not in text and "b.yaml" not in text  # facts about the API, not cassettes
    assert json.loads(text)["version"] == 1
