"""`aws-replay accept` and the baseline options of check, diff and report merge."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from replay.cli.app import main
from tests.support.cassettes import full_body, write_job_cassette
from tests.support.stub_sagemaker import StubSageMaker

STATUS = "$.AutoMLJobSecondaryStatus"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def drifted(status: str = "MergingAutoMLTaskReports") -> dict[str, Any]:
    body = copy.deepcopy(full_body())
    body["AutoMLJobSecondaryStatus"] = status
    return body


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (pyproject.toml) with one drifted cassette; the working folder."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'downstream'\n")
    write_job_cassette(tmp_path / "cassettes" / "job.yaml", [drifted()])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_fails_accept_then_check_passes(project: Path) -> None:
    assert run("check", "cassettes").exit_code == 1
    accepted = run("accept", "cassettes", "--reason", "pipeline v2 maps it")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output.splitlines() == [
        "accepted: sagemaker:DescribeAutoMLJob $.AutoMLJobSecondaryStatus enum "
        "'MergingAutoMLTaskReports' (from cassettes/job.yaml interaction 0)",
        "1 fact(s) accepted; baseline written: aws-replay-baseline.json",
    ]
    checked = run("check", "cassettes")
    assert checked.exit_code == 0
    assert checked.output == (
        "1 finding(s) in 1 cassette(s), 1 interaction(s): 0 breaking, 0 additive, 0 info, "
        "1 accepted (1 accepted not shown; --show-accepted lists them)\n")


def test_show_accepted_lists_them_with_the_reason(project: Path) -> None:
    run("accept", "cassettes", "--reason", "pipeline v2 maps it")
    lines = run("check", "cassettes", "--show-accepted").output.splitlines()
    assert lines[1].startswith("  breaking  $.AutoMLJobSecondaryStatus  enum: ")
    assert lines[1].endswith("[accepted: pipeline v2 maps it]")


def test_fail_on_info_still_sees_accepted_findings(project: Path) -> None:
    run("accept", "cassettes")
    assert run("check", "cassettes", "--fail-on", "additive").exit_code == 0
    assert run("check", "cassettes", "--fail-on", "info").exit_code == 1


def test_no_baseline_and_another_baseline(project: Path) -> None:
    run("accept", "cassettes", "--baseline", "ci/accepted.json")
    assert (project / "ci" / "accepted.json").is_file()
    assert not (project / "aws-replay-baseline.json").exists()
    assert run("check", "cassettes").exit_code == 1  # the default file does not exist
    assert run("check", "cassettes", "--baseline", "ci/accepted.json").exit_code == 0
    run("accept", "cassettes")
    assert run("check", "cassettes", "--no-baseline").exit_code == 1


def test_the_pyproject_setting_names_the_baseline(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.aws-replay]\nbaseline = "accepted.json"\n')
    (project / "sub").mkdir()
    result = run("accept", "cassettes")
    assert result.output.endswith("baseline written: accepted.json\n")
    assert run("check", str(project / "cassettes")).exit_code == 0


def test_json_report_marks_accepted_findings(project: Path) -> None:
    run("accept", "cassettes", "--reason", "handled")
    document = json.loads(run("check", "cassettes", "--format", "json").output)
    [finding] = document["findings"]
    assert (finding["kind"], finding["severity"]) == ("enum", "breaking")
    assert (finding["accepted"], finding["accepted_reason"]) == (True, "handled")
    assert document["summary"]["accepted"] == 1
    assert document["summary"]["baseline"] == "aws-replay-baseline.json"  # as the user sees it


def test_a_new_value_still_fails(project: Path) -> None:
    run("accept", "cassettes")
    write_job_cassette(project / "cassettes" / "job.yaml", [drifted("Reticulating")])
    result = run("check", "cassettes")
    assert result.exit_code == 1
    assert "'Reticulating' is not a value of enum AutoMLJobSecondaryStatus" in result.output


@pytest.mark.parametrize("text", ["[]", '{"version": 9, "accepted": []}', "{oops"])
def test_a_bad_baseline_is_one_line_and_exit_2(project: Path, text: str) -> None:
    (project / "aws-replay-baseline.json").write_text(text)
    for command in (["check", "cassettes"], ["accept", "cassettes"]):
        line = one_error_line(run(*command))
        assert line.startswith("aws-replay: error: ")
        assert "aws-replay-baseline.json: " in line


def test_a_named_baseline_that_is_missing_is_exit_2(project: Path) -> None:
    line = one_error_line(run("check", "cassettes", "--baseline", "nope.json"))
    assert "nope.json: no such baseline; create it with aws-replay accept" in line


def test_accept_refuses_an_unknown_kind_and_an_empty_selection(project: Path) -> None:
    assert "--kind 'colour' is not a finding kind" in one_error_line(
        run("accept", "cassettes", "--kind", "colour"))
    assert "matches --path $.Nothing" in one_error_line(
        run("accept", "cassettes", "--path", "$.Nothing"))
    assert not (project / "aws-replay-baseline.json").exists()


def test_accept_prune_says_what_it_removed(project: Path) -> None:
    run("accept", "cassettes")
    write_job_cassette(project / "cassettes" / "job.yaml", [full_body()])
    result = run("accept", "cassettes", "--prune")
    assert result.output.splitlines() == [
        "pruned: sagemaker:DescribeAutoMLJob $.AutoMLJobSecondaryStatus enum "
        "'MergingAutoMLTaskReports' (matches nothing under cassettes)",
        "nothing to accept: no findings under cassettes",
        "0 fact(s) accepted, 1 pruned; baseline written: aws-replay-baseline.json",
    ]
    assert json.loads((project / "aws-replay-baseline.json").read_text())["accepted"] == []


def test_diff_honours_the_baseline(project: Path) -> None:
    write_job_cassette(project / "old" / "job.yaml", [full_body()])
    assert run("diff", "old", "cassettes").exit_code == 1
    assert run("accept", "cassettes").exit_code == 0
    # check calls it enum, diff enum-value-new: one fact, one entry accepts both
    result = run("diff", "old", "cassettes")
    assert result.exit_code == 0, result.output
    assert "1 accepted" in result.output
    assert run("diff", "old", "cassettes", "--no-baseline").exit_code == 1


def test_report_merge_keeps_marks_and_no_baseline_drops_them(project: Path) -> None:
    run("accept", "cassettes")
    (project / "r.json").write_text(run("check", "cassettes", "--format", "json").output)
    (project / "aws-replay-baseline.json").unlink()
    assert run("report", "merge", "r.json").exit_code == 0  # accepted in the report itself
    assert run("report", "merge", "r.json", "--no-baseline").exit_code == 1


def test_sarif_and_junit_carry_the_acceptance(project: Path) -> None:
    run("accept", "cassettes", "--reason", "handled")
    sarif = json.loads(run("check", "cassettes", "--format", "sarif").output)
    [result] = sarif["runs"][0]["results"]
    assert result["baselineState"] == "unchanged"
    assert result["suppressions"][0]["justification"] == "handled"
    junit = run("check", "cassettes", "--format", "junit")
    assert junit.exit_code == 0
    assert '<testsuite name="aws-replay check" tests="1" failures="0" errors="0" skipped="1">' \
        in junit.output


def test_drift_honours_the_baseline(project: Path, aws_env: None) -> None:
    job = full_body()["AutoMLJobName"]
    run("accept", "cassettes")
    # the live API still answers the drifted status: the recorded answer, checked again
    with StubSageMaker({job: drifted()}) as stub:
        live = run("drift", "cassettes", "--endpoint-url", stub.url)
        assert live.exit_code == 0, live.output
        assert "1 accepted" in live.output
        assert run("drift", "cassettes", "--endpoint-url", stub.url,
                   "--no-baseline").exit_code == 1
        sent = len(stub.requests)
        (project / "aws-replay-baseline.json").write_text("[]")
        line = one_error_line(run("drift", "cassettes", "--endpoint-url", stub.url))
        assert "aws-replay-baseline.json: is array" in line
        assert len(stub.requests) == sent  # a bad baseline stops drift before any request
