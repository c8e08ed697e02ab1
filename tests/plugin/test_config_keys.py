"""The ``aws_replay_config`` keys beyond the basics: ignore_parameters, match_on, sanitize,
allow_playback_repeats; whole pytest sessions run with pytester."""

from __future__ import annotations

import json
import textwrap

# Imported here so in-process pytester runs share them (see test_pytest_plugin).
import boto3  # noqa: F401
import hypothesis  # noqa: F401
import pytest

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.read import read_cassette
from replay.cassette.write import write_cassette
from tests.support.cassettes import JOB, full_body, write_job_cassette
from tests.support.stub_sagemaker import StubSageMaker

BEST = full_body()["BestCandidate"]["CandidateName"]


def list_jobs_interaction(params: dict[str, object]) -> Interaction:
    return Interaction(
        request=RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                                {"X-Amz-Target": ["SageMaker.ListAutoMLJobs"]},
                                json.dumps(params)),
        response=RecordedResponse(200, "OK", {"Content-Type": ["application/x-amz-json-1.1"]},
                                  b'{"AutoMLJobSummaries": []}'))


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-credentials"))
    write_job_cassette(pytester.path / "cassettes" / "job.yaml", [full_body()])
    write_cassette(pytester.path / "cassettes" / "listed.yaml", Cassette(
        (list_jobs_interaction({"MaxResults": 5, "NameContains": "churn"}),)))
    return pytester


def module(suite: pytest.Pytester, source: str) -> None:
    suite.makepyfile(test_keys=textwrap.dedent(source))


def test_ignored_parameters_do_not_take_part_in_matching(suite: pytest.Pytester) -> None:
    module(suite, """
        import pytest

        def call(sagemaker):
            return sagemaker.list_auto_ml_jobs(MaxResults=7, NameContains="churn")

        @pytest.mark.aws_replay("listed", ignore_parameters={"ListAutoMLJobs": ["$.MaxResults"]})
        def test_ignored(sagemaker):
            assert call(sagemaker)["AutoMLJobSummaries"] == []

        @pytest.mark.aws_replay("listed", ignore_parameters={"*": ["$.NameContains"]})
        def test_other_path_ignored(sagemaker):
            call(sagemaker)
    """)
    result = suite.runpytest("test_keys.py")
    result.assert_outcomes(passed=1, failed=1)
    assert "$.MaxResults: recorded 5, request has 7" in result.stdout.str()


def test_match_on_region_tells_regions_apart(suite: pytest.Pytester) -> None:
    module(suite, f"""
        import boto3
        import pytest

        def describe():
            client = boto3.client("sagemaker", region_name="eu-west-1")
            return client.describe_auto_ml_job(AutoMLJobName="{JOB}")

        @pytest.mark.aws_replay("job")
        def test_any_region(sagemaker):
            assert describe()["AutoMLJobStatus"] == "Completed"

        @pytest.mark.aws_replay("job", match_on=["region"])
        def test_same_region_only(sagemaker):
            describe()
    """)
    result = suite.runpytest("test_keys.py")
    result.assert_outcomes(passed=1, failed=1)
    assert "region: recorded us-east-1, request goes to eu-west-1" in result.stdout.str()


def test_playback_repeats_can_be_turned_off(suite: pytest.Pytester) -> None:
    suite.makeconftest("""
        import pytest

        @pytest.fixture
        def aws_replay_config():
            return {"allow_playback_repeats": False}
    """)
    module(suite, f"""
        import pytest

        @pytest.mark.aws_replay("job")
        def test_once_is_fine(sagemaker):
            sagemaker.describe_auto_ml_job(AutoMLJobName="{JOB}")

        @pytest.mark.aws_replay("job")
        def test_twice_is_not(sagemaker):
            for _ in range(2):
                sagemaker.describe_auto_ml_job(AutoMLJobName="{JOB}")
    """)
    result = suite.runpytest("test_keys.py")
    result.assert_outcomes(passed=1, failed=1)
    assert "was played (1) and allow_playback_repeats is off" in result.stdout.str()


def test_unknown_and_bad_keys_are_clear_errors(suite: pytest.Pytester) -> None:
    module(suite, """
        import pytest

        @pytest.mark.aws_replay("job", match_on=["body"])
        def test_bad_match_on(sagemaker):
            pass

        @pytest.mark.aws_replay("job", sanitize={"patterns": ["("]})
        def test_bad_rule(sagemaker):
            pass

        @pytest.mark.aws_replay("job", ignore_params={"A": []})
        def test_unknown(sagemaker):
            pass
    """)
    result = suite.runpytest("test_keys.py")
    result.assert_outcomes(errors=3)
    text = result.stdout.str()
    assert "aws-replay match_on body cannot be matched on" in text
    assert "aws-replay sanitize patterns[0] is not a valid regular expression" in text
    assert "unknown aws-replay setting 'ignore_params'" in text


def test_a_test_can_add_sanitize_rules_for_what_it_records(
        suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        stub_sagemaker: StubSageMaker) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", stub_sagemaker.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    module(suite, f"""
        import pytest

        @pytest.mark.aws_replay("scrubbed",
                                sanitize={{"json_paths": ["$.BestCandidate.CandidateName"]}})
        def test_scrubbed(sagemaker):
            sagemaker.describe_auto_ml_job(AutoMLJobName="{JOB}")

        @pytest.mark.aws_replay("plain")
        def test_plain(sagemaker):
            sagemaker.describe_auto_ml_job(AutoMLJobName="{JOB}")
    """)
    suite.runpytest("test_keys.py", "--aws-replay-mode=once").assert_outcomes(passed=2)
    def best_name(name: str) -> str:
        [interaction] = read_cassette(suite.path / "cassettes" / f"{name}.yaml").interactions
        return str(interaction.response.json()["BestCandidate"]["CandidateName"])

    assert (best_name("scrubbed"), best_name("plain")) == ("REDACTED", BEST)
