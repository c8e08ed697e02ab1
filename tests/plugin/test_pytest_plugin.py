"""The pytest plugin as a downstream suite meets it: whole pytest sessions run with pytester."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Imported here so in-process pytester runs share them: the snapshot pytester restores would
# drop and re-import them for every inner session (hypothesis's plugin imports it, ~3 s).
import boto3
import hypothesis  # noqa: F401
import pytest

from tests.support.cassettes import (
    JOB,
    POLLING_MODULE,
    drifted_body,
    full_body,
    lifecycle,
    write_job_cassette,
)
from tests.support.stub_sagemaker import StubSageMaker


def lines_in(output: Sequence[str], expected: Sequence[str]) -> None:
    """``expected`` appears in ``output`` as consecutive, exactly equal lines."""
    for start in range(len(output) - len(expected) + 1):
        if list(output[start:start + len(expected)]) == list(expected):
            return
    raise AssertionError("lines not found in output:\n" + "\n".join(expected)
                         + "\n--- output ---\n" + "\n".join(output))


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A downstream project: a polling test module and a lifecycle cassette; no AWS set up,
    and a ``~/.aws/config`` that would break any code that read it."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
                 "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(name, raising=False)
    home = pytester.path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[profile broken\nthis is not ini\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_PROFILE", "production")
    write_job_cassette(pytester.path / "cassettes" / "automl" / "completed-job.yaml",
                       lifecycle())
    pytester.makepyfile(test_jobs=POLLING_MODULE)
    return pytester


def add_test(pytester: pytest.Pytester, name: str, source: str) -> None:
    pytester.makepyfile(**{name: textwrap.dedent(source)})


# ------------------------------------------------------------------------------- replay


def test_downstream_suite_replays_offline_without_credentials(suite: pytest.Pytester) -> None:
    result = suite.runpytest()
    result.assert_outcomes(passed=2)
    assert "aws-replay drift summary" not in result.stdout.str()


def test_module_level_client_and_class_marker(suite: pytest.Pytester,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A client made at import time is made outside any test: like any boto3 client it needs
    # credentials and config at creation (CI would set dummy ones); replay then serves it.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(suite.path / "no-aws-config"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_PROFILE")
    add_test(suite, "test_class", """
        import boto3
        import pytest

        CLIENT = boto3.client("sagemaker", region_name="us-west-2")


        @pytest.mark.aws_replay("automl/completed-job")
        class TestJob:
            def test_first_poll(self):
                job = CLIENT.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
                assert job["AutoMLJobSecondaryStatus"] == "Starting"

            def test_each_test_starts_the_lifecycle_again(self):
                job = CLIENT.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
                assert job["AutoMLJobSecondaryStatus"] == "Starting"
    """)
    suite.runpytest("test_class.py").assert_outcomes(passed=2)


def test_default_cassette_name_and_several_names(suite: pytest.Pytester) -> None:
    write_job_cassette(suite.path / "cassettes" / "test_names" / "test_default.yaml",
                       [dict(full_body(), AutoMLJobName="default")], name="default")
    write_job_cassette(suite.path / "cassettes" / "other.yaml",
                       [dict(full_body(), AutoMLJobName="other")], name="other")
    add_test(suite, "test_names", """
        import pytest

        @pytest.mark.aws_replay
        def test_default(sagemaker):
            assert sagemaker.describe_auto_ml_job(AutoMLJobName="default")

        @pytest.mark.aws_replay("automl/completed-job", "other")
        def test_two(sagemaker, aws_replay_cassette):
            sagemaker.describe_auto_ml_job(AutoMLJobName="other")
            assert aws_replay_cassette.play_counts == [[0, 0, 0], [1]]
            assert [p.name for p in aws_replay_cassette.paths] == [
                "completed-job.yaml", "other.yaml"]
    """)
    suite.runpytest("test_names.py").assert_outcomes(passed=2)


def test_a_swallowed_miss_still_fails_the_test(suite: pytest.Pytester) -> None:
    add_test(suite, "test_swallow", """
        import pytest

        @pytest.mark.aws_replay("automl/completed-job")
        def test_swallow(sagemaker):
            try:
                sagemaker.describe_auto_ml_job(AutoMLJobName="other-job")
            except Exception:
                pass
    """)
    result = suite.runpytest("test_swallow.py")
    result.assert_outcomes(failed=1)
    assert ("aws-replay: no recorded interaction in cassettes/automl/completed-job.yaml matches "
            'SageMaker.DescribeAutoMLJob {"AutoMLJobName":"other-job"}') in result.outlines


def test_aws_replay_cassette_without_a_marker_says_what_to_do(suite: pytest.Pytester) -> None:
    add_test(suite, "test_unmarked", """
        def test_unmarked(aws_replay_cassette):
            pass
    """)
    result = suite.runpytest("test_unmarked.py")
    result.assert_outcomes(errors=1)
    assert ("aws_replay_cassette needs a replayed test: mark it with @pytest.mark.aws_replay"
            in result.outlines)


# ---------------------------------------------------------------------- pinned failures


def test_miss_failure_text(suite: pytest.Pytester) -> None:
    add_test(suite, "test_miss", """
        import pytest

        @pytest.mark.aws_replay("automl/completed-job")
        def test_other_job(sagemaker):
            sagemaker.describe_auto_ml_job(AutoMLJobName="other-job")
    """)
    result = suite.runpytest("test_miss.py")
    result.assert_outcomes(failed=1)
    lines_in(result.outlines, [
        "aws-replay: no recorded interaction in cassettes/automl/completed-job.yaml matches "
        'SageMaker.DescribeAutoMLJob {"AutoMLJobName":"other-job"}',
        '  closest: interaction 0: SageMaker.DescribeAutoMLJob '
        '{"AutoMLJobName":"churn-automl-2026"}',
        '    - $.AutoMLJobName: recorded "churn-automl-2026", request has "other-job"',
        "to record it: pytest --aws-replay-mode=new_episodes test_miss.py::test_other_job",
    ])
    assert "botocore/" not in result.stdout.str()  # the message, not a botocore traceback


def test_missing_cassette_failure_text(suite: pytest.Pytester) -> None:
    add_test(suite, "test_missing", """
        import pytest

        @pytest.mark.aws_replay("automl/never-recorded")
        def test_new_job(sagemaker):
            sagemaker.describe_auto_ml_job(AutoMLJobName="new-job")
    """)
    result = suite.runpytest("test_missing.py")
    result.assert_outcomes(failed=1)
    lines_in(result.outlines, [
        f"aws-replay: cassette {suite.path / 'cassettes/automl/never-recorded.yaml'} (chosen by "
        "@pytest.mark.aws_replay('automl/never-recorded') in the default folder: cassettes/ "
        "beside the test module) does not exist, and mode 'none' only replays; "
        "SageMaker.DescribeAutoMLJob {\"AutoMLJobName\":\"new-job\"} was not sent",
        "to record it: pytest --aws-replay-mode=once test_missing.py::test_new_job",
    ])


def test_network_attempt_failure_text(suite: pytest.Pytester) -> None:
    add_test(suite, "test_network", """
        import urllib.request
        import pytest

        @pytest.mark.aws_replay("automl/completed-job")
        def test_reaches_out():
            urllib.request.urlopen("https://status.example.com/health", timeout=30)
    """)
    result = suite.runpytest("test_network.py")
    result.assert_outcomes(failed=1)
    lines_in(result.outlines, [
        "aws-replay: network access blocked in replayed test test_network.py::test_reaches_out: "
        "status.example.com:443 (mode 'none' never reaches the network)",
        "to allow it: @pytest.mark.aws_replay(allowed_hosts=['status.example.com']) or "
        "--aws-replay-allowed-hosts=status.example.com; to record AWS calls instead: "
        "pytest --aws-replay-mode=new_episodes test_network.py::test_reaches_out",
    ])


def test_allowed_hosts_let_a_host_through_the_guard(suite: pytest.Pytester) -> None:
    add_test(suite, "test_allowed", """
        import socket
        import pytest

        @pytest.mark.aws_replay("automl/completed-job", allowed_hosts=["status.example.com"])
        def test_resolves():
            try:
                socket.getaddrinfo("status.example.com", 443)
            except socket.gaierror:
                pass  # no DNS here; what matters is that the guard let it try
    """)
    suite.runpytest("test_allowed.py").assert_outcomes(passed=1)


@pytest.fixture
def drifted(suite: pytest.Pytester) -> pytest.Pytester:
    write_job_cassette(suite.path / "cassettes" / "automl" / "drifted.yaml", [drifted_body()])
    add_test(suite, "test_drift", """
        import pytest

        @pytest.mark.aws_replay("automl/drifted")
        def test_status(sagemaker):
            job = sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
            assert job["AutoMLJobStatus"] == "Completed"
    """)
    return suite


DRIFT_LINES = [
    "aws-replay: replayed responses drifted from botocore {botocore}'s model (drift mode "
    "'{mode}'):",
    "cassettes/automl/drifted.yaml interaction 0 (sagemaker:DescribeAutoMLJob)",
    "  breaking  $.AutoMLJobSecondaryStatus  enum: 'MergingAutoMLTaskReports' is not a value "
    "of enum AutoMLJobSecondaryStatus in the model; no botocore release from {history} ever "
    "had it; seen in real SageMaker output since 2020; no botocore model lists it: code written "
    "against the enum must handle it (expected one of 19 values (Starting, MaxCandidatesReached, "
    "Failed, ...), found "
    "'MergingAutoMLTaskReports')",
    "  additive  $.ModelInsights  unknown-member: member ModelInsights is not in the model of "
    "DescribeAutoMLJobResponse; botocore drops it silently; no botocore release from {history} "
    "ever had it (found {\"Enabled\": true})",
    "2 finding(s): 1 breaking, 1 additive, 0 info",
]


def drift_lines(mode: str) -> list[str]:
    import botocore

    from replay.spec.history import load_history

    history = load_history()
    covered = f"{history.oldest} to {history.newest}"
    return [line.replace("{botocore}", botocore.__version__).replace("{mode}", mode)
            .replace("{history}", covered) for line in DRIFT_LINES]


def test_drift_finding_failure_text(drifted: pytest.Pytester) -> None:
    result = drifted.runpytest("test_drift.py")
    result.assert_outcomes(failed=1)
    lines_in(result.outlines, [
        *drift_lines("error"),
        "if the code handles it, accept it (a fact about the API, in every cassette):",
        "  aws-replay accept cassettes/automl/drifted.yaml --path '$.AutoMLJobSecondaryStatus'",
        "or re-record the cassette and update the code that reads it; --aws-replay-drift=warn "
        "reports drift as warnings, =off skips the check",
    ])


def test_drift_summary_paragraph(drifted: pytest.Pytester) -> None:
    import botocore

    result = drifted.runpytest("test_drift.py", "test_jobs.py")
    lines_in(result.outlines, [
        f"Replayed responses drifted from botocore {botocore.__version__}'s model: 2 finding(s) "
        "in 1 cassette(s): 1 breaking, 1 additive, 0 info. cassettes/automl/drifted.yaml "
        "interaction 0 $.AutoMLJobSecondaryStatus (enum, breaking); "
        "cassettes/automl/drifted.yaml interaction 0 $.ModelInsights (unknown-member, "
        "additive). The recorded API no longer matches the installed model (or the cassette "
        "was edited): see `aws-replay check cassettes/automl/drifted.yaml` for the full report.",
    ])
    lines_in_sep(result, "drift summary")


def lines_in_sep(result: pytest.RunResult, title: str) -> str:
    matching = [line for line in result.outlines if f" aws-replay {title} " in line]
    assert len(matching) == 1, result.outlines
    return matching[0]


def test_drift_warn_passes_with_a_warning(drifted: pytest.Pytester) -> None:
    result = drifted.runpytest("test_drift.py", "--aws-replay-drift=warn")
    result.assert_outcomes(passed=1, warnings=1)
    assert ("test_drift.py:3: AwsReplayWarning: aws-replay: replayed responses drifted from "
            "botocore") in result.stdout.str()
    lines_in_sep(result, "drift summary")


def test_the_cassette_fixture_shows_findings_as_they_happen(drifted: pytest.Pytester) -> None:
    add_test(drifted, "test_fixture", """
        import pytest

        @pytest.mark.aws_replay("automl/drifted", drift="warn")
        def test_sees_its_findings(sagemaker, aws_replay_cassette):
            assert aws_replay_cassette.findings == []
            assert len(aws_replay_cassette.interactions) == 1
            sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
            assert [(f.kind, f.severity.value) for f in aws_replay_cassette.findings] == [
                ("enum", "breaking"), ("unknown-member", "additive")]
            assert aws_replay_cassette.play_counts == [[1]]
    """)
    drifted.runpytest("test_fixture.py").assert_outcomes(passed=1, warnings=1)


def test_additive_drift_only_warns_unless_fail_on_is_lowered(drifted: pytest.Pytester) -> None:
    write_job_cassette(drifted.path / "cassettes" / "automl" / "drifted.yaml",
                       [dict(full_body(), ModelInsights={"Enabled": True})])
    drifted.runpytest("test_drift.py").assert_outcomes(passed=1, warnings=1)
    drifted.runpytest("test_drift.py", "--aws-replay-drift-fail-on=additive").assert_outcomes(
        failed=1)


def test_drift_off_checks_nothing(drifted: pytest.Pytester) -> None:
    result = drifted.runpytest("test_drift.py", "--aws-replay-drift=off")
    result.assert_outcomes(passed=1)
    assert "aws-replay drift summary" not in result.stdout.str()


def test_report_has_the_shape_of_check_json(drifted: pytest.Pytester,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    result = drifted.runpytest("test_drift.py", "test_jobs.py", "--aws-replay-drift=warn",
                               "--aws-replay-report=reports/drift.json")
    result.assert_outcomes(passed=3, warnings=1)
    ours = json.loads((drifted.path / "reports" / "drift.json").read_text())
    monkeypatch.setenv("AWS_CONFIG_FILE", str(drifted.path / "no-aws-config"))
    monkeypatch.delenv("AWS_PROFILE")
    # A process of its own: in this one the cassette is already loaded (and cached) by path.
    checked = subprocess.run([sys.executable, "-m", "replay.cli", "check",
                              "cassettes/automl/drifted.yaml", "--format", "json"],
                             capture_output=True, text=True, cwd=drifted.path, check=False)
    assert checked.returncode == 1, checked.stderr
    theirs = json.loads(checked.stdout)
    assert ours["findings"] == theirs["findings"]
    assert set(ours["summary"]) == set(theirs["summary"])
    assert ours["summary"]["cassettes"] == 2  # the lifecycle cassette was replayed too
    assert ours["summary"]["by_severity"] == {"breaking": 1, "additive": 1, "info": 0}


# ------------------------------------------------------------------------------- unused


@pytest.mark.parametrize(("mode", "exit_code"), [("warn", 0), ("error", 1)])
def test_unused_interactions_are_listed(suite: pytest.Pytester, mode: str,
                                        exit_code: int) -> None:
    write_job_cassette(suite.path / "cassettes" / "two-jobs.yaml",
                       [dict(full_body(), AutoMLJobName="a")], name="a")
    add_test(suite, "test_unused", """
        import pytest

        @pytest.mark.aws_replay("automl/completed-job")
        def test_first_state_only(sagemaker):
            sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
    """)
    result = suite.runpytest("test_unused.py", f"--aws-replay-unused={mode}")
    assert result.ret == exit_code
    lines_in(result.outlines, [
        "2 recorded interaction(s) no test of this session played (a cassette nothing consumes "
        "is dead weight; delete them or add the tests):",
        "  cassettes/automl/completed-job.yaml interaction 1",
        "  cassettes/automl/completed-job.yaml interaction 2",
    ])


def test_unused_off_by_default_and_a_full_poll_uses_everything(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--aws-replay-unused=error")
    assert result.ret == 0
    assert "aws-replay unused interactions" not in result.stdout.str()


# ------------------------------------------------------------------------------- config


PRECEDENCE_TEST = """
    import pytest

    @pytest.mark.aws_replay("automl/drifted", drift="error")
    def test_status(sagemaker):
        sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
"""


@pytest.mark.parametrize(("ini", "fixture", "args", "outcome"), [
    (None, None, [], "failed"),                                  # the marker's error
    (None, {"drift": "off"}, [], "passed"),                      # fixture beats marker
    ("warn", {"drift": "error"}, [], "passed"),                  # ini beats fixture
    ("off", None, ["--aws-replay-drift=error"], "failed"),       # command line beats ini
])
def test_settings_precedence(drifted: pytest.Pytester, ini: str | None,
                             fixture: dict[str, Any] | None, args: list[str],
                             outcome: str) -> None:
    add_test(drifted, "test_drift", PRECEDENCE_TEST)
    if ini:
        drifted.makeini(f"[pytest]\naws_replay_drift = {ini}\n")
    if fixture:
        drifted.makeconftest(f"""
import pytest

@pytest.fixture
def aws_replay_config():
    return {fixture!r}
""")
    result = drifted.runpytest("test_drift.py", "-W", "ignore::UserWarning", *args)
    result.assert_outcomes(**{outcome: 1})


def test_cassette_dir_from_ini(suite: pytest.Pytester) -> None:
    (suite.path / "cassettes").rename(suite.path / "recorded")
    suite.makeini("[pytest]\naws_replay_cassette_dir = recorded\n")
    suite.runpytest().assert_outcomes(passed=2)


def test_a_bad_option_is_a_usage_error(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--aws-replay-mode=replay")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert ("ERROR: command line: aws-replay mode 'replay' is not one of none, once, "
            "new_episodes, all, rewrite") in result.errlines


def test_a_bad_marker_setting_errors_the_test(suite: pytest.Pytester) -> None:
    add_test(suite, "test_bad_marker", """
        import pytest

        @pytest.mark.aws_replay("automl/completed-job", record_mode="once")
        def test_bad(sagemaker):
            pass
    """)
    result = suite.runpytest("test_bad_marker.py")
    result.assert_outcomes(errors=1)
    assert ("@pytest.mark.aws_replay on test_bad_marker.py::test_bad: unknown aws-replay "
            "setting 'record_mode'; known: mode, drift, drift_fail_on, match_host, "
            "allowed_hosts, region, cassette_dir, ignore_parameters, match_on, sanitize, "
            "allow_playback_repeats, record_failed") in result.outlines


def test_a_corrupt_cassette_errors_the_test_in_one_line(suite: pytest.Pytester) -> None:
    (suite.path / "cassettes" / "automl" / "completed-job.yaml").write_text(
        "interactions:\n- request: {method: POST, uri: 'http")
    result = suite.runpytest("test_jobs.py")
    result.assert_outcomes(errors=2)
    assert sum(line.startswith("cassettes/automl/completed-job.yaml: is not valid YAML at line 2")
               for line in result.outlines) == 2
    assert "Traceback" not in result.stdout.str()


def test_a_config_fixture_that_is_not_a_dict(suite: pytest.Pytester) -> None:
    suite.makeconftest("""
import pytest

@pytest.fixture
def aws_replay_config():
    return ["drift", "off"]
""")
    result = suite.runpytest("test_jobs.py")
    result.assert_outcomes(errors=2)
    assert ("aws_replay_config fixture: aws-replay settings must be a dict, got list"
            in result.outlines)


def test_marker_is_registered(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--markers")
    assert any(line.startswith("@pytest.mark.aws_replay(*names, **settings):")
               for line in result.outlines)


# ------------------------------------------------------------------------------ recording


@pytest.fixture
def recording(suite: pytest.Pytester, stub_project: pytest.Pytester,
              stub_sagemaker: StubSageMaker) -> StubSageMaker:
    """The suite's boto3 clients talk to a local SageMaker, with dummy credentials."""
    add_test(suite, "test_record", """
        import pytest

        @pytest.mark.aws_replay("recorded/jobs")
        def test_two_jobs(sagemaker):
            for name in ("churn-automl-2026", "second-job"):
                assert sagemaker.describe_auto_ml_job(AutoMLJobName=name)["AutoMLJobStatus"]
    """)
    return stub_sagemaker


def recorded_names(path: Path) -> list[str]:
    from replay.cassette.read import read_cassette

    return [json.loads(i.request.body)["AutoMLJobName"] for i in read_cassette(path).interactions]


def test_once_records_then_replays(suite: pytest.Pytester, recording: StubSageMaker) -> None:
    cassette = suite.path / "cassettes" / "recorded" / "jobs.yaml"
    suite.runpytest("test_record.py", "--aws-replay-mode=once").assert_outcomes(passed=1)
    assert recorded_names(cassette) == [JOB, "second-job"]
    assert len(recording.requests) == 2
    for mode in ("once", "none"):
        suite.runpytest("test_record.py", f"--aws-replay-mode={mode}").assert_outcomes(passed=1)
    assert len(recording.requests) == 2


def test_new_episodes_records_only_what_is_missing(suite: pytest.Pytester,
                                                   recording: StubSageMaker) -> None:
    cassette = write_job_cassette(suite.path / "cassettes" / "recorded" / "jobs.yaml",
                                  [full_body()])
    suite.runpytest("test_record.py", "--aws-replay-mode=new_episodes").assert_outcomes(passed=1)
    assert [r["params"]["AutoMLJobName"] for r in recording.requests] == ["second-job"]
    assert recorded_names(cassette) == [JOB, "second-job"]


def test_all_appends_and_rewrite_replaces(suite: pytest.Pytester,
                                          recording: StubSageMaker) -> None:
    cassette = write_job_cassette(suite.path / "cassettes" / "recorded" / "jobs.yaml",
                                  [dict(full_body(), AutoMLJobName="old")], name="old")
    suite.runpytest("test_record.py", "--aws-replay-mode=all").assert_outcomes(passed=1)
    assert recorded_names(cassette) == ["old", JOB, "second-job"]
    suite.runpytest("test_record.py", "--aws-replay-mode=rewrite").assert_outcomes(passed=1)
    assert recorded_names(cassette) == [JOB, "second-job"]
    assert len(recording.requests) == 4


@pytest.mark.parametrize(("mode", "requests", "interactions"), [
    ("none", 0, 3), ("once", 0, 3), ("new_episodes", 0, 3),
    # the local SageMaker walks the lifecycle once: 3 polls, then Completed at once
    ("all", 4, 7), ("rewrite", 4, 4),
])
def test_the_polling_suite_in_every_mode(suite: pytest.Pytester, recording: StubSageMaker,
                                         mode: str, requests: int, interactions: int) -> None:
    recording.jobs[JOB] = lifecycle()
    cassette = suite.path / "cassettes" / "automl" / "completed-job.yaml"
    os.utime(cassette, ns=(1, 1))  # recorded by an earlier run
    suite.makeconftest("""
import pytest

@pytest.fixture
def aws_replay_config():
    return {"region": "eu-west-1"}
""")
    suite.runpytest("test_jobs.py", f"--aws-replay-mode={mode}").assert_outcomes(passed=2)
    assert len(recording.requests) == requests
    assert recorded_names(cassette) == [JOB] * interactions
    suite.runpytest("test_jobs.py").assert_outcomes(passed=2)  # and it replays offline
    assert len(recording.requests) == requests


def test_recorded_cassettes_are_sanitized(suite: pytest.Pytester, recording: StubSageMaker,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    alphabet = string.ascii_uppercase + string.digits
    key_id = "AKIA" + "".join(random.choices(alphabet, k=16))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # one made earlier caches other keys
    suite.runpytest("test_record.py", "--aws-replay-mode=once").assert_outcomes(passed=1)
    assert any(key_id in str(r["headers"]) for r in recording.requests)  # it was really used
    text = (suite.path / "cassettes" / "recorded" / "jobs.yaml").read_text()
    assert key_id not in text
    assert "!!binary" not in text
    assert "source: local-endpoint" in text


# ------------------------------------------------------------------------ other plugins


# A test module's head: a plain (non-AWS) HTTP call that the vcr plugins record and replay.
PLAIN_HTTP_MODULE = """
import json
import os
import urllib.request

import pytest


def plain_http():
    request = urllib.request.Request(
        os.environ["PLAIN_HTTP_URL"], data=b'{"AutoMLJobName": "churn-automl-2026"}',
        headers={"X-Amz-Target": "SageMaker.DescribeAutoMLJob"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["AutoMLJobName"]
"""


def test_coexists_with_pytest_recording(suite: pytest.Pytester, stub_sagemaker: StubSageMaker,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pytest_recording")
    monkeypatch.setenv("PLAIN_HTTP_URL", stub_sagemaker.url)
    add_test(suite, "test_both", PLAIN_HTTP_MODULE + textwrap.dedent("""

        @pytest.mark.vcr
        def test_vcr_only():
            assert plain_http() == "churn-automl-2026"


        @pytest.mark.vcr("plain")
        @pytest.mark.aws_replay("automl/completed-job")
        def test_both_markers(sagemaker):
            assert plain_http() == "churn-automl-2026"
            job = sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
            assert job["AutoMLJobSecondaryStatus"] == "Starting"
    """))
    help_text = suite.runpytest("--help").stdout.str()
    assert "--record-mode" in help_text
    assert "--aws-replay-mode" in help_text
    suite.runpytest("test_both.py", "--record-mode=once").assert_outcomes(passed=2)
    assert len(stub_sagemaker.requests) == 2  # only pytest-recording's plain HTTP calls
    assert (suite.path / "cassettes" / "test_both" / "test_vcr_only.yaml").exists()
    # replayed by both plugins, with pytest-recording's own network block on
    suite.runpytest("test_both.py", "--block-network").assert_outcomes(passed=2)
    assert len(stub_sagemaker.requests) == 2


@pytest.fixture(scope="session")
def pytest_vcr_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest-vcr, installed into a folder of its own: pytest-recording (a dev dependency)
    refuses to start when pytest-vcr is installed beside it, so it cannot live in the venv."""
    target = tmp_path_factory.mktemp("pytest-vcr")
    try:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--disable-pip-version-check", "--target", str(target),
                        "pytest-vcr==1.0.2"], check=True, capture_output=True, timeout=180)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"pytest-vcr could not be installed from the package index: {exc}")
    return target


def test_coexists_with_pytest_vcr(suite: pytest.Pytester, stub_sagemaker: StubSageMaker,
                                  pytest_vcr_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAIN_HTTP_URL", stub_sagemaker.url)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(pytest_vcr_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    add_test(suite, "test_both", PLAIN_HTTP_MODULE + textwrap.dedent("""

        @pytest.mark.vcr
        @pytest.mark.aws_replay("automl/completed-job")
        def test_both_markers(sagemaker, vcr):
            assert plain_http() == "churn-automl-2026"
            job = sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
            assert job["AutoMLJobSecondaryStatus"] == "Starting"
    """))
    # pytest-vcr loads through its own entry point (its dist-info is on PYTHONPATH)
    plugins = ["-p", "no:recording"]
    help_text = suite.runpytest_subprocess(*plugins, "--help").stdout.str()
    assert "--vcr-record" in help_text and "--aws-replay-mode" in help_text
    suite.runpytest_subprocess(*plugins, "test_both.py", "--vcr-record=once").assert_outcomes(
        passed=1)
    assert len(stub_sagemaker.requests) == 1  # only pytest-vcr's plain HTTP call went out
    assert (suite.path / "cassettes" / "test_both_markers.yaml").exists()
    suite.runpytest_subprocess(*plugins, "test_both.py", "--vcr-record=none").assert_outcomes(
        passed=1)
    assert len(stub_sagemaker.requests) == 1  # replayed by both plugins
