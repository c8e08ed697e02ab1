"""Live drift against a real HTTP server on 127.0.0.1 whose answers changed since recording."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from replay.cassette.read import read_cassette
from replay.cli.app import main
from replay.core.errors import CredentialsError, EndpointError
from replay.drift.live import live_drift
from replay.record.capture import capture_exchanges, save_recording
from replay.sanitize.sanitizer import Sanitizer
from tests.conftest import DUMMY_ACCESS_KEY
from tests.support.stub_sagemaker import StubSageMaker

JOB = "churn-automl-2026"


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stub_sagemaker: StubSageMaker,
             sagemaker_client: Callable[[str], Any]) -> Iterator[Path]:
    """cassettes/job.yaml recorded from the stub through boto3; the working folder has no
    pyproject.toml, so the default settings apply."""
    monkeypatch.chdir(tmp_path)
    sanitizer = Sanitizer.default()
    with capture_exchanges(sanitizer) as exchanges:
        sagemaker_client(stub_sagemaker.url).describe_auto_ml_job(AutoMLJobName=JOB)
    path = tmp_path / "cassettes" / "job.yaml"
    save_recording(path, exchanges, source="local-endpoint", sanitizer=sanitizer)
    yield path


def _drift(stub: StubSageMaker, *args: str) -> Result:
    return CliRunner().invoke(main, ["drift", "cassettes", "--endpoint-url", stub.url, *args])


def _answer(stub: StubSageMaker, change: Callable[[dict[str, Any]], None]) -> None:
    body = copy.deepcopy(stub.jobs[JOB])
    change(body)
    stub.jobs[JOB] = body


def _kinds(result: Result) -> list[tuple[str, str, str]]:
    return sorted((f["kind"], f["severity"], f["path"])
                  for f in json.loads(result.output)["findings"])


def test_unchanged_server_exits_0(recorded: Path, stub_sagemaker: StubSageMaker) -> None:
    result = _drift(stub_sagemaker)
    assert result.exit_code == 0, result.output
    assert result.output == ("0 finding(s) in 1 cassette(s), 1 interaction(s): 0 breaking, "
                             "0 additive, 0 info\n")


def test_requests_are_signed_afresh(recorded: Path, stub_sagemaker: StubSageMaker) -> None:
    zeros = "Signature=" + "0" * 64
    stored = read_cassette(recorded).interactions[0].request.header("Authorization") or ""
    assert stored.endswith(zeros)  # the cassette holds a blanked signature, unusable
    before = len(stub_sagemaker.requests)
    assert _drift(stub_sagemaker).exit_code == 0
    sent = stub_sagemaker.requests[before:]
    assert [r["params"] for r in sent] == [{"AutoMLJobName": JOB}]
    authorization = sent[0]["headers"]["Authorization"]
    assert f"Credential={DUMMY_ACCESS_KEY}/" in authorization
    assert "Signature=" in authorization and not authorization.endswith(zeros)


def test_new_member_is_additive(recorded: Path, stub_sagemaker: StubSageMaker) -> None:
    _answer(stub_sagemaker, lambda body: body.update(AutoMLJobV2Hint="use V2"))
    result = _drift(stub_sagemaker, "--format", "json")
    assert result.exit_code == 0, result.output
    assert _kinds(result) == [("member-added", "additive", "$.AutoMLJobV2Hint"),
                              ("unknown-member", "additive", "$.AutoMLJobV2Hint")]


def test_removed_member_is_breaking(recorded: Path, stub_sagemaker: StubSageMaker) -> None:
    _answer(stub_sagemaker, lambda body: body.pop("RoleArn"))
    result = _drift(stub_sagemaker, "--format", "json")
    assert result.exit_code == 1
    assert _kinds(result) == [("member-removed", "breaking", "$.RoleArn"),
                              ("missing-required", "breaking", "$.RoleArn")]


def test_new_enum_value_is_breaking(recorded: Path, stub_sagemaker: StubSageMaker) -> None:
    _answer(stub_sagemaker,
            lambda body: body.update(AutoMLJobSecondaryStatus="MergingAutoMLTaskReports"))
    result = _drift(stub_sagemaker, "--format", "json")
    assert result.exit_code == 1
    assert _kinds(result) == [("enum", "breaking", "$.AutoMLJobSecondaryStatus"),
                              ("enum-value-new", "breaking", "$.AutoMLJobSecondaryStatus")]


def test_type_change_is_breaking(recorded: Path, stub_sagemaker: StubSageMaker) -> None:
    def retype(body: dict[str, Any]) -> None:
        body["AutoMLJobConfig"]["CompletionCriteria"]["MaxCandidates"] = "10"

    _answer(stub_sagemaker, retype)
    result = _drift(stub_sagemaker, "--format", "json")
    assert result.exit_code == 1
    path = "$.AutoMLJobConfig.CompletionCriteria.MaxCandidates"
    assert _kinds(result) == [("type", "breaking", path), ("type-changed", "breaking", path)]


def test_volatile_changes_are_no_drift(recorded: Path, stub_sagemaker: StubSageMaker) -> None:
    def later(body: dict[str, Any]) -> None:
        body["LastModifiedTime"] += 60
        body["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["Value"] = 0.42

    _answer(stub_sagemaker, later)
    assert _drift(stub_sagemaker).exit_code == 0


def test_nothing_changes_on_disk_without_update(recorded: Path,
                                                stub_sagemaker: StubSageMaker) -> None:
    before = recorded.read_bytes()
    _answer(stub_sagemaker, lambda body: body.update(Extra="x"))
    assert _drift(stub_sagemaker).exit_code == 0
    assert recorded.read_bytes() == before


def test_update_rewrites_changed_cassettes_sanitized(recorded: Path,
                                                     stub_sagemaker: StubSageMaker) -> None:
    account = "4" + "".join(random.choices("0123456789", k=11))
    real_role = f"arn:aws:iam::{account}:role/service-role/Drift"

    def change(body: dict[str, Any]) -> None:
        body["Extra"] = "x"
        body["RoleArn"] = real_role

    _answer(stub_sagemaker, change)
    result = _drift(stub_sagemaker, "--update")
    assert result.exit_code == 0, result.output
    assert f"updated: {Path('cassettes/job.yaml')}" in result.output
    text = recorded.read_text()
    assert account not in text
    body = read_cassette(recorded).interactions[0].response.json()
    assert body["Extra"] == "x"
    assert body["RoleArn"].startswith("arn:aws:iam::00000000")
    again = _drift(stub_sagemaker, "--format", "json")
    assert [f["kind"] for f in json.loads(again.output)["findings"]] == ["unknown-member"]


def test_throttling_is_retried_then_reported(recorded: Path,
                                             stub_sagemaker: StubSageMaker) -> None:
    stub_sagemaker.throttle_next = 1
    assert _drift(stub_sagemaker, "--max-attempts", "2").exit_code == 0
    assert stub_sagemaker.throttle_next == 0
    stub_sagemaker.throttle_next = 5
    result = _drift(stub_sagemaker, "--max-attempts", "1", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert [(f["kind"], f["message"]) for f in report["findings"]] == [
        ("throttled", "throttled (ThrottlingException) after 1 attempt(s)")]
    assert report["summary"]["not_compared"] == 1


def test_unreachable_endpoint_is_one_line_exit_2(recorded: Path) -> None:
    with StubSageMaker({}) as stub:
        url = stub.url  # a port that was just free and is closed again below
    result = CliRunner().invoke(main, ["drift", "cassettes", "--endpoint-url", url,
                                       "--max-attempts", "1"])
    assert result.exit_code == 2
    assert result.output == (f"aws-replay: error: cannot reach {url} "
                             "(EndpointConnectionError) after 1 attempt(s); check "
                             "--endpoint-url, --region and the network, or try again later\n")


def test_missing_credentials_is_one_line_exit_2(recorded: Path, stub_sagemaker: StubSageMaker,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = _drift(stub_sagemaker)
    assert result.exit_code == 2
    assert result.output.startswith("aws-replay: error: no AWS credentials found; ")
    assert len(stub_sagemaker.requests) == 1  # only the recording's request
    with pytest.raises(CredentialsError):
        live_drift([recorded], endpoint_url=stub_sagemaker.url, settings={})


def test_recorded_errors_are_compared_too(recorded: Path, stub_sagemaker: StubSageMaker,
                                         sagemaker_client: Callable[[str], Any]) -> None:
    from botocore.exceptions import ClientError

    sanitizer = Sanitizer.default()
    with capture_exchanges(sanitizer) as exchanges, pytest.raises(ClientError):
        sagemaker_client(stub_sagemaker.url).describe_auto_ml_job(AutoMLJobName="gone-job")
    save_recording(recorded.parent / "gone.yaml", exchanges, source="local-endpoint",
                   sanitizer=sanitizer)
    assert _drift(stub_sagemaker).exit_code == 0  # still not found: no drift
    stub_sagemaker.jobs["gone-job"] = dict(stub_sagemaker.jobs[JOB], AutoMLJobName="gone-job")
    result = _drift(stub_sagemaker, "--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.output)["findings"]
    assert [(f["kind"], f["expected"], f["actual"]) for f in found] == [
        ("status-changed", 400, 200)]


def test_unknown_profile_is_one_line_exit_2(recorded: Path,
                                           stub_sagemaker: StubSageMaker) -> None:
    result = _drift(stub_sagemaker, "--profile", "no-such-profile")
    assert result.exit_code == 2
    assert result.output == ("aws-replay: error: AWS profile 'no-such-profile' is not in your "
                             "AWS config; check --profile (or AWS_PROFILE) and ~/.aws/config\n")


def test_a_run_cut_short_reports_what_it_compared(recorded: Path, tmp_path: Path,
                                                  stub_sagemaker: StubSageMaker,
                                                  full_body: dict[str, Any]) -> None:
    second = tmp_path / "cassettes" / "z-other.yaml"
    other = dict(full_body, AutoMLJobName="other-job")
    stub_sagemaker.jobs["other-job"] = other
    text = recorded.read_text().replace(JOB, "other-job")
    second.write_text(text)
    stub_sagemaker.drop_connection_for.add("other-job")
    result = CliRunner().invoke(main, ["drift", "cassettes", "--endpoint-url",
                                       stub_sagemaker.url, "--max-attempts", "1"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == ("0 finding(s) in 1 cassette(s), 1 interaction(s): 0 breaking, "
                        "0 additive, 0 info")
    assert lines[1].startswith("aws-replay: error: run stopped early: ")
    assert lines[1].endswith(f"{stub_sagemaker.url} dropped the connection or did not answer "
                             "(ConnectionClosedError) after 1 attempt(s); try again later")
    stub_sagemaker.drop_connection_for.clear()
    with pytest.raises(EndpointError):  # nothing compared at all: a plain error
        stub_sagemaker.drop_connection_for.add(JOB)
        live_drift([recorded], endpoint_url=stub_sagemaker.url, max_attempts=1, settings={})


def test_sarif_of_a_drift_points_at_the_cassette_line(recorded: Path,
                                                      stub_sagemaker: StubSageMaker) -> None:
    _answer(stub_sagemaker, lambda body: body.update(AutoMLJobStatus="Paused"))
    result = _drift(stub_sagemaker, "--format", "sarif")
    assert result.exit_code == 1
    results = json.loads(result.output)["runs"][0]["results"]
    lines = recorded.read_text().splitlines()
    for item in results:
        region = item["locations"][0]["physicalLocation"]["region"]
        assert '"AutoMLJobStatus":' in lines[region["startLine"] - 1]


def test_update_refreshes_a_stale_cassette_the_live_api_confirmed(
        recorded: Path, stub_sagemaker: StubSageMaker) -> None:
    from dataclasses import replace

    from replay.cassette.write import write_cassette

    cassette = read_cassette(recorded)
    write_cassette(recorded, replace(cassette, meta={**cassette.meta,
                                                     "recorded_at": "2020-01-01T00:00:00Z"}))
    stale = CliRunner().invoke(main, ["check", "cassettes", "--max-age", "90d", "--fail-on",
                                      "info"])
    assert stale.exit_code == 1 and "stale-cassette" in stale.output
    result = _drift(stub_sagemaker, "--update")
    assert result.exit_code == 0, result.output
    assert f"refreshed: {Path('cassettes/job.yaml')} (answers unchanged" in result.output
    fresh = read_cassette(recorded)
    assert fresh.interactions == cassette.interactions
    assert fresh.meta["recorded_at"] != "2020-01-01T00:00:00Z"
    again = CliRunner().invoke(main, ["check", "cassettes", "--max-age", "90d", "--fail-on",
                                      "info"])
    assert again.exit_code == 0, again.output
