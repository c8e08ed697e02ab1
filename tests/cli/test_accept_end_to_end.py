"""The whole accept workflow on answers shaped like real SageMaker ones: record them from
``aws-replay serve`` on 127.0.0.1, check fails, accept, check passes, a planted new value fails,
and the pytest plugin agrees at every step."""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Iterator
from typing import Any

# Imported here so in-process pytester runs share them (see tests/plugin/test_pytest_plugin.py).
import boto3  # noqa: F401
import hypothesis  # noqa: F401
import pytest
from click.testing import CliRunner, Result

from replay.cassette.model import Cassette
from replay.cli.app import main
from replay.serve.server import RunningServer, start_server
from tests.support.cassettes import describe_interaction
from tests.support.real_shaped import (
    CANDIDATE_METRIC,
    FINAL_METRIC,
    SECONDARY_STATUS,
    completed,
    real_jobs,
)

REPLAYING = """
@pytest.mark.aws_replay("recorded/{job}")
def test_{name}(sagemaker):
    assert sagemaker.describe_auto_ml_job(AutoMLJobName="{job}")["AutoMLJobName"] == "{job}"
"""


def replaying(jobs: list[str]) -> str:
    """A downstream test module: one replayed test per job."""
    return "import pytest\n" + "".join(REPLAYING.format(job=job, name=job.replace("-", "_"))
                                       for job in jobs)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def served(jobs: dict[str, dict[str, Any]]) -> RunningServer:
    """``aws-replay serve`` on 127.0.0.1, answering each job from a cassette."""
    cassette = Cassette(tuple(describe_interaction(name, body) for name, body in jobs.items()))
    return start_server([cassette], host="127.0.0.1")


@pytest.fixture
def project(pytester: pytest.Pytester, aws_env: None) -> Iterator[pytest.Pytester]:
    """A downstream project (the working folder) whose cassettes were recorded from serve."""
    pytester.makepyprojecttoml("[project]\nname = 'downstream'\n")
    with served(real_jobs()) as server:
        result = run("record", *real_jobs(), "--endpoint-url", server.url,
                     "--cassette-dir", "cassettes/recorded")
    assert result.exit_code == 0, result.output
    yield pytester


def findings(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = run("check", "cassettes", "--format", "json", *args)
    return result.exit_code, json.loads(result.output)["findings"]


def test_record_check_accept_check_plant(project: pytest.Pytester) -> None:
    # 1. the recorded answers carry what AWS really sends: check fails on each, and says so
    code, found = findings()
    assert code == 1
    assert sorted((f["path"], f["actual"]) for f in found) == sorted([
        (FINAL_METRIC, "validation:accuracy"), (CANDIDATE_METRIC.format(5), "LogLoss"),
        (FINAL_METRIC, "validation:binary_classification_accuracy"),
        (CANDIDATE_METRIC.format(2), "LogLoss"),
        (FINAL_METRIC, "validation:f1"), (CANDIDATE_METRIC.format(0), "LogLoss"),
        (SECONDARY_STATUS, "MergingAutoMLTaskReports")])
    assert all("seen in real SageMaker output since 2020" in f["message"] for f in found)
    assert {f["severity"] for f in found} == {"breaking"}

    # 2. the plugin agrees: every replayed job fails
    project.makepyfile(test_jobs=replaying(sorted(real_jobs())))
    project.runpytest().assert_outcomes(failed=4)

    # 3. accept once: five facts (LogLoss is one fact at three indices)
    accepted = run("accept", "cassettes", "--reason", "our pipeline maps these")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output.splitlines()[-1] == (
        "5 fact(s) accepted; baseline written: aws-replay-baseline.json")
    code, found = findings()
    assert code == 0 and all(f["accepted"] for f in found)
    project.runpytest().assert_outcomes(passed=4)

    # 4. a new value, recorded from serve like the rest, still fails, alone
    planted = completed("churn-recall", "validation:recall")
    with served({"churn-recall": planted}) as server:
        assert run("record", "churn-recall", "--endpoint-url", server.url,
                   "--cassette-dir", "cassettes/recorded").exit_code == 0
    code, found = findings()
    assert code == 1
    assert [(f["path"], f["actual"]) for f in found if not f.get("accepted")] == [
        (FINAL_METRIC, "validation:recall")]

    # 5. the plugin agrees, and names the command that accepts exactly that value
    project.makepyfile(test_jobs=replaying([*sorted(real_jobs()), "churn-recall"]))
    result = project.runpytest()
    result.assert_outcomes(passed=4, failed=1)
    commands = [line.strip() for line in result.outlines
                if line.strip().startswith("aws-replay accept ")]
    assert commands == [f"aws-replay accept cassettes/recorded/churn-recall.yaml --path "
                        f"'{FINAL_METRIC}'"]
    assert run(*shlex.split(commands[0])[1:]).exit_code == 0
    project.runpytest().assert_outcomes(passed=5)
    assert findings()[0] == 0


def test_the_baseline_travels_with_the_cassettes(project: pytest.Pytester,
                                                 tmp_path_factory: pytest.TempPathFactory,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # accepted once in one checkout, honoured in another (a fact about the API, no local paths)
    run("accept", "cassettes")
    other = tmp_path_factory.mktemp("other-checkout")
    shutil.copytree(project.path / "cassettes", other / "cassettes")
    shutil.copy(project.path / "aws-replay-baseline.json", other)
    shutil.copy(project.path / "pyproject.toml", other)
    monkeypatch.chdir(other)
    assert findings()[0] == 0
    assert str(project.path) not in (other / "aws-replay-baseline.json").read_text()
