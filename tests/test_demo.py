"""`aws-replay demo` (replay.demo): the whole loop, on this machine, with no AWS account."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from replay import demo
from replay.cassette.read import read_cassette
from replay.cli.app import main as cli
from replay.core.errors import ConfigError


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path, dict[str, str]]:
    """One demo run, shared: it records, runs pytest twice and takes a few seconds."""
    folder = tmp_path_factory.mktemp("demo") / "out"
    environment = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    result = CliRunner().invoke(cli, ["demo", "--output", str(folder)])
    return result, folder, environment


def test_the_demo_succeeds_step_by_step(ran: tuple[Result, Path, dict[str, str]]) -> None:
    result, folder, _ = ran
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == f"Everything is written to {folder}"
    headers = [line for line in lines if line.startswith("[")]
    assert headers == [
        "[1/7] A local SageMaker endpoint (aws-replay serve --synthetic)",
        "[2/7] Record jobs through boto3 (aws-replay record --endpoint-url URL)",
        "[3/7] Sanitize (aws-replay sanitize --check)",
        "[4/7] Scan for secrets and account ids (aws-replay scan)",
        "[5/7] Check every response against botocore's model (aws-replay check)",
        "[6/7] Replay them in pytest (generated suite, plugin aws_replay)",
        "[7/7] The API drifts: catch it (aws-replay diff, check, and the plugin)",
    ]
    assert "UNEXPECTED" not in result.output
    assert lines[-1].startswith("Everything behaved as expected (")
    assert lines[-1].endswith(f"The files are in {folder} (see README.txt there).")


def test_the_demo_reports_what_each_step_found(ran: tuple[Result, Path, dict[str, str]]) -> None:
    output = ran[0].output
    for expected in (
        "recorded: churn-demo -> cassettes/churn-demo.yaml (1 exchange(s), Completed)",
        "not-found: missing-demo -> cassettes/missing-demo.yaml (1 exchange(s), "
        "ResourceNotFound)",
        "recorded: lifecycle-demo with --follow --with v2,candidates -> "
        "cassettes/lifecycle-demo.yaml",
        "recorded: lifecycle-demo with --follow --with v2,candidates -> "
        "cassettes/lifecycle-demo.v2.yaml (1 exchange(s), Completed)",
        "cassettes/lifecycle-demo.candidates.yaml (1 exchange(s), ",
        "sanitize --check: 0 cassette(s) would change, 6 already clean",
        "0 leak(s) in 6 cassette(s)",
        "0 finding(s) in 6 cassette(s)",
        "python -m pytest tests: 4 passed",
        "enum-value-new  $.BestCandidate.FinalAutoMLJobObjectiveMetric.MetricName",
        "member-added    $.AutoMLProblemTypeConfigName: 'Tabular'",
        "unknown-member  $.AutoMLProblemTypeConfigName: 'Tabular'",
        "python -m pytest tests --aws-replay-cassette-dir later: 1 failed, 3 deselected",
        "test_completed_job_has_a_best_candidate failed, as it should: replayed responses "
        "drifted from botocore",
    ):
        assert expected in output


def test_the_demo_leaves_a_folder_a_user_can_explore(
        ran: tuple[Result, Path, dict[str, str]]) -> None:
    _, folder, _ = ran
    assert sorted(p.name for p in (folder / "cassettes").iterdir()) == [
        "churn-demo.yaml", "failed-demo.yaml", "lifecycle-demo.candidates.yaml",
        "lifecycle-demo.v2.yaml", "lifecycle-demo.yaml", "missing-demo.yaml"]
    lifecycle = read_cassette(folder / "cassettes" / "lifecycle-demo.yaml")
    assert lifecycle.meta["source"] == "local-endpoint"
    assert [i.response.json()["AutoMLJobSecondaryStatus"]
            for i in lifecycle.interactions][::len(lifecycle.interactions) - 1] == [
        "Starting", "Completed"]
    assert (folder / "later" / "churn-demo.yaml").is_file()
    assert (folder / "tests" / "test_replay_demo.py").is_file()
    readme = (folder / "README.txt").read_text()
    assert "aws-replay diff cassettes/churn-demo.yaml later/churn-demo.yaml" in readme


def test_the_demo_gives_the_environment_back(ran: tuple[Result, Path, dict[str, str]]) -> None:
    assert {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"} == ran[2]


def test_a_folder_with_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["demo", "--output", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == (
        f"aws-replay: error: --output {tmp_path} is not empty and holds no earlier demo; give a "
        "new or empty folder so nothing of yours is overwritten\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_an_earlier_demo_folder_or_a_new_one_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("Written by `aws-replay demo`.")
    assert demo._folder(tmp_path) == tmp_path
    assert demo._folder(tmp_path / "new" / "deeper").is_dir()
    created = demo._folder(None)
    try:
        assert created.name.startswith("aws-replay-demo-") and not any(created.iterdir())
    finally:
        created.rmdir()
    with pytest.raises(ConfigError, match="is a file"):
        demo._folder(tmp_path / "README.txt")


def test_a_step_that_misbehaves_makes_the_demo_fail(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    broken = demo._SUITE.replace('assert job["AutoMLJobStatus"] == "Failed"',
                                 'assert job["AutoMLJobStatus"] == "Completed"')
    assert broken != demo._SUITE
    monkeypatch.setattr(demo, "_SUITE", broken)
    result = CliRunner().invoke(cli, ["demo", "--output", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "UNEXPECTED: the generated suite did not pass:" in result.output
    assert result.output.splitlines()[-1].startswith(
        "1 step(s) did not behave as expected (")
