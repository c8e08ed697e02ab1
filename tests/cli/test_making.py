"""The record, sanitize and scan commands: output, exit codes, one-line errors, settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from replay.cli.app import main
from tests.support.planted import rng_secret
from tests.support.stub_sagemaker import StubSageMaker

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def one_error_line(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test in its own folder, so no pyproject.toml above it changes the rules."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'user-project'\n")
    return tmp_path


def leaky_cassette(path: Path, account: str) -> None:
    write_cassette(path, Cassette((Interaction(
        RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                        {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]},
                        '{"AutoMLJobName": "job"}'),
        RecordedResponse(200, "OK", {}, json.dumps(
            {"RoleArn": f"arn:aws:iam::{account}:role/x"}).encode())),)))


# ------------------------------------------------------------------------ record


def test_record_prints_each_job_and_a_summary(aws_env: None, stub_sagemaker: StubSageMaker,
                                             full_body: dict[str, Any], tmp_path: Path) -> None:
    job = full_body["AutoMLJobName"]
    result = run("record", job, "gone-job", "--endpoint-url", stub_sagemaker.url)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"recorded: {job} -> cassettes/{job}.yaml [1 exchange(s), status Completed]",
        "not-found: gone-job -> cassettes/gone-job.yaml [1 exchange(s)] (job not found; "
        "recorded the ResourceNotFound answer (an error cassette is a valid fixture))",
        "2 job(s): 1 recorded, 1 not-found",
    ]
    again = run("record", job, "--endpoint-url", stub_sagemaker.url)
    assert again.output.splitlines()[0] == (
        f"skipped: {job} (cassettes/{job}.yaml exists; pass --overwrite to record it again)")


def test_record_without_credentials_is_one_line_and_exit_2(
        aws_env: None, monkeypatch: pytest.MonkeyPatch, stub_sagemaker: StubSageMaker) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    line = one_error_line(run("record", "job", "--endpoint-url", stub_sagemaker.url))
    assert line == ("aws-replay: error: no AWS credentials found (looked at --profile, AWS_* "
                    "environment variables, ~/.aws files, SSO and instance metadata); configure "
                    "some, e.g. `aws configure` or `--profile NAME`")
    assert stub_sagemaker.requests == []


def test_record_with_an_unknown_profile_is_one_line_and_exit_2(aws_env: None) -> None:
    line = one_error_line(run("record", "job", "--profile", "nope"))
    assert line == ("aws-replay: error: AWS profile 'nope' was not found in the AWS config "
                    "files; check --profile (or AWS_PROFILE)")


def test_record_against_an_unreachable_endpoint_is_one_line_and_exit_2(
        aws_env: None, tmp_path: Path) -> None:
    line = one_error_line(run("record", "job", "--endpoint-url", "http://127.0.0.1:9"))
    assert line == ("aws-replay: error: recording job: cannot reach http://127.0.0.1:9 "
                    "(EndpointConnectionError); check --endpoint-url, --region and the network; "
                    "this job's cassette was not written or changed")
    assert not (tmp_path / "cassettes" / "job.yaml").exists()


def test_record_needs_a_job_or_all(aws_env: None) -> None:
    line = one_error_line(run("record"))
    assert line == "aws-replay: error: name at least one JOB, or pass --all"


def test_record_rejected_credentials_are_one_line(aws_env: None) -> None:
    with StubSageMaker({}) as stub:
        stub.answer = lambda target, params: (  # type: ignore[method-assign]
            400, {"__type": "UnrecognizedClientException", "message": "bad token"})
        line = one_error_line(run("record", "job", "--endpoint-url", stub.url))
    assert line.startswith("aws-replay: error: recording job: AWS rejected the credentials "
                           "(UnrecognizedClientException)")


# ------------------------------------------------------------------------ sanitize


def test_sanitize_check_then_sanitize_then_clean(tmp_path: Path) -> None:
    account = rng_secret("account", 41)
    path = tmp_path / "cassettes" / "job.yaml"
    leaky_cassette(path, account)
    checked = run("sanitize", "--check", "cassettes")
    assert checked.exit_code == 1
    assert checked.output.splitlines() == ["would sanitize: cassettes/job.yaml",
                                           "1 cassette(s) would sanitize, 0 already clean"]
    assert account in path.read_text()
    done = run("sanitize", "cassettes")
    assert done.exit_code == 0
    assert done.output.splitlines()[0] == "sanitized: cassettes/job.yaml"
    assert account not in path.read_text()
    clean = run("sanitize", "--check", "cassettes")
    assert clean.exit_code == 0
    assert clean.output.splitlines() == ["0 cassette(s) would sanitize, 1 already clean"]


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "is empty; record it again or delete it"),
    (b"interactions:\n- request: {method: POST, uri: x}\n  response: {status: {code: 2",
     "is not valid YAML"),
    (b"interactions: 5\n", "'interactions' is not a list"),
    (b"version: 2\ninteractions: []\n", "has cassette format version 2"),
])
@pytest.mark.parametrize("command", ["sanitize", "scan"])
def test_corrupt_cassettes_are_one_line_and_exit_2(tmp_path: Path, content: bytes,
                                                   problem: str, command: str) -> None:
    (tmp_path / "bad.yaml").write_bytes(content)
    line = one_error_line(run(command, "bad.yaml"))
    assert line.startswith("aws-replay: error: bad.yaml: ") and problem in line
    assert (tmp_path / "bad.yaml").read_bytes() == content


def test_missing_path_is_one_line_and_exit_2() -> None:
    assert one_error_line(run("scan", "nowhere")) == \
        "aws-replay: error: nowhere: no such file or folder"


# ------------------------------------------------------------------------ scan


def test_scan_reports_file_line_kind_and_a_redacted_value(tmp_path: Path) -> None:
    account = rng_secret("account", 42)
    leaky_cassette(tmp_path / "cassettes" / "job.yaml", account)
    result = run("scan", "cassettes")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert re.fullmatch(r"cassettes/job\.yaml:\d+: account-id: \d{4}\*{8}", lines[0]), lines
    assert account not in result.output
    assert lines[-1] == "1 leak(s) in 1 cassette(s)"


def test_scan_json_uses_the_findings_shape(tmp_path: Path) -> None:
    leaky_cassette(tmp_path / "job.yaml", rng_secret("account", 43))
    result = run("scan", "--format", "json", "job.yaml")
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert list(document) == ["findings", "summary"]
    finding = document["findings"][0]
    assert list(finding) == ["cassette", "interaction", "operation", "path", "kind", "severity",
                             "message", "expected", "actual", "known_since"]
    assert (finding["cassette"], finding["kind"], finding["severity"]) == (
        "job.yaml", "account-id", "breaking")
    assert document["summary"]["cassettes"] == 1


def test_scan_sarif_points_at_the_leaking_line_and_output_writes_the_report(
        tmp_path: Path) -> None:
    account = rng_secret("account", 46)
    leaky_cassette(tmp_path / "job.yaml", account)
    leak_line = next(number for number, line in enumerate(
        (tmp_path / "job.yaml").read_text().splitlines(), 1) if account in line)
    result = run("scan", "--format", "sarif", "--output", "out/scan.sarif", "job.yaml")
    assert result.exit_code == 1
    assert result.output.endswith("; report written to out/scan.sarif\n")
    sarif_text = (tmp_path / "out" / "scan.sarif").read_text()
    assert account not in sarif_text
    location = json.loads(sarif_text)["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["region"]["startLine"] == leak_line
    text = run("scan", "--output", "leaks.txt", "job.yaml")
    assert text.exit_code == 1
    assert text.output == "1 leak(s) in 1 cassette(s); report written to leaks.txt\n"
    assert (tmp_path / "leaks.txt").read_text().startswith(f"job.yaml:{leak_line}: account-id: ")


def test_scan_is_clean_after_sanitize_and_honours_the_user_allowlist(tmp_path: Path) -> None:
    shared = rng_secret("account", 44)
    leaky_cassette(tmp_path / "job.yaml", shared)
    assert run("scan", "job.yaml").exit_code == 1
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.aws-replay.sanitize]\nallow_account_ids = [\"{shared}\"]\n")
    assert run("scan", "job.yaml").exit_code == 0
    assert run("sanitize", "--check", "job.yaml").output.startswith("0 cassette(s)")


def test_a_bad_sanitize_table_is_one_line_and_exit_2(tmp_path: Path) -> None:
    leaky_cassette(tmp_path / "job.yaml", rng_secret("account", 45))
    (tmp_path / "pyproject.toml").write_text("[tool.aws-replay.sanitize]\npatterns = ['(']\n")
    line = one_error_line(run("scan", "job.yaml"))
    assert line.startswith("aws-replay: error: pyproject.toml: [tool.aws-replay.sanitize] "
                           "patterns[0] is not a valid regular expression")


def test_the_pre_commit_hook_runs_aws_replay_scan_on_cassettes() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "aws-replay-scan")
    assert hook["entry"] == "aws-replay scan"
    files = re.compile(hook["files"])
    assert files.search("cassettes/automl/job.yaml") and files.search("tests/cassettes/a.json")
    assert not files.search("src/app.py")


# ------------------------------------------------------------- record --with and --all


def test_record_with_views_writes_them_beside_the_job(aws_env: None, tmp_path: Path) -> None:
    from replay.serve.server import start_server

    with start_server(synthetic=True) as synthetic:
        result = run("record", "churn-views", "--endpoint-url", synthetic.url,
                     "--region", "us-east-1", "--with", "v2,candidates")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "1 job(s) in 3 cassette(s): 3 recorded")
    targets = {}
    for name in ("churn-views.yaml", "churn-views.v2.yaml", "churn-views.candidates.yaml"):
        cassette = yaml.safe_load((tmp_path / "cassettes" / name).read_text())
        targets[name] = {i["request"]["headers"]["X-Amz-Target"][0]
                         for i in cassette["interactions"]}
        assert cassette["meta"]["source"] == "local-endpoint"
    assert targets == {"churn-views.yaml": {"SageMaker.DescribeAutoMLJob"},
                       "churn-views.v2.yaml": {"SageMaker.DescribeAutoMLJobV2"},
                       "churn-views.candidates.yaml": {"SageMaker.ListCandidatesForAutoMLJob"}}


def test_record_with_an_unknown_view_is_one_line_and_exit_2(aws_env: None) -> None:
    assert one_error_line(run("record", "a", "--with", "v2,history")) == (
        "aws-replay: error: --with history: not a view aws-replay records; use v2, candidates "
        "(comma-separated)")


def test_record_all_pages_through_every_listed_job(aws_env: None, tmp_path: Path) -> None:
    from replay.serve.server import start_server
    from replay.synth.account import SEED_JOBS

    with start_server(synthetic=True) as synthetic:
        extra = [f"churn-{index}" for index in range(12)]  # past ListAutoMLJobs' 10 a page
        assert run("record", *extra, "--endpoint-url", synthetic.url, "--region",
                   "us-east-1", "--cassette-dir", "first").exit_code == 0
        result = run("record", "--all", "--endpoint-url", synthetic.url, "--region",
                     "us-east-1")

    assert result.exit_code == 0, result.output
    recorded = {path.stem for path in (tmp_path / "cassettes").glob("*.yaml")}
    assert recorded == {*extra, *SEED_JOBS}
    assert result.output.splitlines()[-1] == f"{len(recorded)} job(s): {len(recorded)} recorded"
