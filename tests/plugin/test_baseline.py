"""The plugin and the baseline: accepted drift never fails a test; new drift names the command
that accepts it. Whole pytest sessions, run with pytester."""

from __future__ import annotations

import json
import shlex
import textwrap
from pathlib import Path

# Imported here so in-process pytester runs share them (see test_pytest_plugin.py).
import boto3  # noqa: F401
import hypothesis  # noqa: F401
import pytest
from click.testing import CliRunner

from replay.cli.app import main
from tests.support.cassettes import drifted_body, full_body, write_job_cassette

CASSETTE = "cassettes/automl/drifted.yaml"
TEST = """
import pytest

@pytest.mark.aws_replay("automl/drifted")
def test_status(sagemaker):
    job = sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
    assert job["AutoMLJobStatus"] == "Completed"
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A downstream project replaying a cassette whose status the model does not list."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyprojecttoml("[project]\nname = 'downstream'\n")
    write_job_cassette(pytester.path / CASSETTE,
                       [dict(full_body(), AutoMLJobSecondaryStatus="MergingAutoMLTaskReports")])
    pytester.makepyfile(test_drift=TEST)
    return pytester


def accept(*args: str) -> None:
    result = CliRunner().invoke(main, ["accept", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def accept_lines(result: pytest.RunResult) -> list[str]:
    return [line.strip() for line in result.outlines
            if line.strip().startswith("aws-replay accept ")]


def test_drift_that_is_not_accepted_names_the_command_that_accepts_it(
        project: pytest.Pytester) -> None:
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    assert accept_lines(result) == [
        f"aws-replay accept {CASSETTE} --path '$.AutoMLJobSecondaryStatus'"]
    text = result.stdout.str()
    assert text.index("aws-replay accept ") < text.index("--aws-replay-drift=warn")


def test_running_the_named_command_makes_the_suite_pass(project: pytest.Pytester) -> None:
    [command] = accept_lines(project.runpytest())
    accept(*shlex.split(command)[2:])
    assert (project.path / "aws-replay-baseline.json").is_file()
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    text = result.stdout.str()
    assert "aws-replay drift summary" not in text
    assert "aws-replay: 1 replayed finding(s) accepted by the baseline aws-replay-baseline.json" \
        in result.outlines


def test_accepted_drift_never_fails_even_at_fail_on_info(project: pytest.Pytester) -> None:
    accept(CASSETTE)
    project.runpytest("--aws-replay-drift-fail-on=info").assert_outcomes(passed=1)


def test_a_new_value_fails_with_only_its_own_accept_command(project: pytest.Pytester) -> None:
    accept(CASSETTE)
    body = drifted_body()  # the accepted status, and a ModelInsights member
    body["ProblemType"] = "Clustering"
    write_job_cassette(project.path / CASSETTE, [body])
    result = project.runpytest("--aws-replay-drift-fail-on=additive")
    result.assert_outcomes(failed=1)
    assert accept_lines(result) == [
        f"aws-replay accept {CASSETTE} --path '$.ProblemType' --path '$.ModelInsights'"]
    # the accepted status is neither in the failure's findings nor in its command
    assert "MergingAutoMLTaskReports" not in result.stdout.str()


def test_the_option_and_the_ini_setting_name_another_baseline(project: pytest.Pytester) -> None:
    accept(CASSETTE, "--baseline", "ci/accepted.json")
    project.runpytest().assert_outcomes(failed=1)  # the default file does not exist
    project.runpytest("--aws-replay-baseline=ci/accepted.json").assert_outcomes(passed=1)
    project.makeini("[pytest]\naws_replay_baseline = ci/accepted.json\n")
    project.runpytest().assert_outcomes(passed=1)


def test_the_failure_names_the_baseline_it_was_given(project: pytest.Pytester) -> None:
    (project.path / "ci").mkdir()
    (project.path / "ci" / "accepted.json").write_text('{"version": 1, "accepted": []}')
    result = project.runpytest("--aws-replay-baseline=ci/accepted.json")
    assert accept_lines(result) == [
        f"aws-replay accept {CASSETTE} --baseline ci/accepted.json "
        "--path '$.AutoMLJobSecondaryStatus'"]


@pytest.mark.parametrize("text", ["[]", '{"version": 3, "accepted": []}'])
def test_a_bad_baseline_stops_the_run_with_one_line(project: pytest.Pytester, text: str) -> None:
    (project.path / "aws-replay-baseline.json").write_text(text)
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if "aws-replay-baseline.json" in line]
    assert len(errors) == 1 and "Traceback" not in result.stderr.str()


def test_the_session_report_marks_accepted_findings(project: pytest.Pytester) -> None:
    accept(CASSETTE, "--reason", "handled")
    project.runpytest("--aws-replay-report=drift.json").assert_outcomes(passed=1)
    [finding] = json.loads(Path(project.path / "drift.json").read_text())["findings"]
    assert (finding["accepted"], finding["accepted_reason"]) == (True, "handled")


def test_accepted_drift_under_xdist(project: pytest.Pytester) -> None:
    accept(CASSETTE)
    project.makepyfile(test_more=textwrap.dedent(TEST).replace("test_status", "test_again"))
    project.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider").assert_outcomes(passed=2)
