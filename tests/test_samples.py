"""The sample cassettes (cassettes/) and their recipe (replay.samples)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replay.cassette.read import read_cassette
from replay.cli.app import main as cli
from replay.samples import (
    all_samples,
    comparable,
    index_text,
    main,
    offline_aws_environment,
    record_samples,
    regenerate,
)
from replay.spec.check import check_paths
from replay.synth.jobs import DRIFT_MEMBER

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
RELATIVE = [path for sample in all_samples() for path in sample.relative_paths]


def bodies(relative: str) -> list[Any]:
    return [i.response.json() for i in read_cassette(CASSETTES / relative).interactions]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh recording of every sample, shared by the tests that need one."""
    target = tmp_path_factory.mktemp("fresh-samples")
    record_samples(target)
    return target


def test_the_committed_samples_are_what_the_recipe_records(fresh: Path) -> None:
    stale = [path for path in RELATIVE
             if comparable(CASSETTES / path) != comparable(fresh / path)]
    assert stale == [], "stale samples: run `python -m replay.samples` and commit the result"
    assert (CASSETTES / "README.md").read_text(encoding="utf-8") == index_text()


def test_every_sample_file_is_in_the_recipe() -> None:
    listed = {CASSETTES / path for path in RELATIVE}
    assert set(CASSETTES.rglob("*.yaml")) == listed


def test_check_is_clean_except_drifted() -> None:
    clean = check_paths([CASSETTES / "automl"])
    assert clean.findings == []
    assert clean.cassettes == len(RELATIVE) - 1
    drifted = check_paths([CASSETTES / "drifted"])
    assert {(f.kind, f.path, f.severity.value) for f in drifted.findings} == {
        ("unknown-member", f"$.{DRIFT_MEMBER}", "additive"),
        ("enum", "$.BestCandidate.FinalAutoMLJobObjectiveMetric.MetricName", "breaking"),
    }


def test_scan_and_check_commands_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    scan = runner.invoke(cli, ["scan", "cassettes"])
    assert scan.exit_code == 0, scan.output
    assert scan.output.endswith(f"0 leak(s) in {len(RELATIVE)} cassette(s)\n")
    check = runner.invoke(cli, ["check", "cassettes/automl"])
    assert check.exit_code == 0, check.output
    assert runner.invoke(cli, ["check", "cassettes/drifted"]).exit_code == 1


def test_samples_say_how_they_were_made() -> None:
    for path in RELATIVE:
        meta = read_cassette(CASSETTES / path).meta
        assert meta["source"] == "local-endpoint"
        assert meta["sanitizer"]["rules"]


def test_each_sample_shows_its_story() -> None:
    [completed] = bodies("automl/completed-job.yaml")
    assert completed["AutoMLJobStatus"] == "Completed"
    assert completed["BestCandidate"]["InferenceContainers"]

    lifecycle = [b["AutoMLJobSecondaryStatus"] for b in bodies("automl/lifecycle-job.yaml")]
    assert lifecycle[0] == "Starting" and lifecycle[-1] == "Completed"
    assert len(lifecycle) == len(set(lifecycle)) >= 5

    [failed] = bodies("automl/failed-job.yaml")
    assert failed["AutoMLJobStatus"] == "Failed"
    assert failed["FailureReason"] and failed["PartialFailureReasons"]

    [stopped] = bodies("automl/stopped-job.yaml")
    assert (stopped["AutoMLJobStatus"], stopped["AutoMLJobSecondaryStatus"]) == (
        "Stopped", "Stopped")

    missing = read_cassette(CASSETTES / "automl/missing-job.yaml").interactions[0].response
    assert missing.status == 400
    assert missing.json()["__type"] == "ResourceNotFound"

    running = {b["AutoMLJobSecondaryStatus"] for p in (CASSETTES / "automl/running").glob("*")
               for b in bodies(str(p.relative_to(CASSETTES)))}
    assert running == {"Starting", "AnalyzingData", "FeatureEngineering", "ModelTuning",
                       "TrainingModels", "GeneratingExplainabilityReport",
                       "GeneratingModelInsightsReport", "DeployingModel", "Stopping"}


def targets(relative: str) -> list[str]:
    return [i.request.header("X-Amz-Target") or ""
            for i in read_cassette(CASSETTES / relative).interactions]


def test_the_family_samples_describe_one_job_consistently() -> None:
    [v1] = bodies("automl/completed-job.yaml")
    [v2] = bodies("automl/completed-job.v2.yaml")
    pages = bodies("automl/completed-job.candidates.yaml")
    assert (v2["AutoMLJobArn"], v2["BestCandidate"]) == (v1["AutoMLJobArn"], v1["BestCandidate"])
    assert v2["AutoMLProblemTypeConfigName"] == "Tabular"
    assert v2["AutoMLProblemTypeConfig"]["TabularJobConfig"]["TargetAttributeName"] == \
        v1["InputDataConfig"][0]["TargetAttributeName"]
    listed = [c for page in pages for c in page["Candidates"]]
    assert v1["BestCandidate"] in listed and len(listed) > 1

    created = bodies("automl/family/created-job.yaml")
    assert targets("automl/family/created-job.yaml")[0] == "SageMaker.CreateAutoMLJob"
    statuses = [b["AutoMLJobStatus"] for b in created if "AutoMLJobStatus" in b]
    assert statuses[0] == "InProgress" and statuses[-1] == "Completed"
    best = next(b for b in reversed(created) if "BestCandidate" in b)["BestCandidate"]
    assert best in [c for b in created for c in b.get("Candidates", [])]

    stopped = [b.get("AutoMLJobSecondaryStatus") for b in
               bodies("automl/family/stopped-v2-job.yaml")]
    assert "SageMaker.StopAutoMLJob" in targets("automl/family/stopped-v2-job.yaml")
    assert stopped[-2:] == ["Stopping", "Stopped"]

    llm = [b.get("AutoMLJobSecondaryStatus") for b in bodies("automl/family/textgen-job.yaml")]
    assert "PreTraining" in llm and llm[-1] == "Completed"

    listings = bodies("automl/family/list-jobs.yaml")
    assert len(listings) > 1 and all(len(page["AutoMLJobSummaries"]) <= 2 for page in listings)
    assert "NextToken" not in listings[-1]


def test_the_sanitizer_did_its_work_on_the_samples() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in CASSETTES.rglob("*.yaml"))
    assert "!!binary" not in text
    assert "Signature=" + "0" * 64 in text
    # Synthetic jobs carry random-looking VPC ids; the sanitizer numbers them.
    assert "sg-00000000000000001" in text


def test_check_mode_reports_stale_and_missing_and_regenerating_mends_only_those(
        tmp_path: Path) -> None:
    copy = tmp_path / "cassettes"
    shutil.copytree(CASSETTES, copy)
    tampered = copy / "automl/failed-job.yaml"
    tampered.write_text(tampered.read_text().replace('"Failed"', '"Completed"', 1))
    (copy / "automl/running/tuning-job.yaml").unlink()
    untouched = copy / "automl/completed-job.yaml"
    before = (untouched.read_bytes(), untouched.stat().st_mtime_ns)

    missing = copy / "automl/running/tuning-job.yaml"
    states = {s.path: s.state for s in regenerate(copy, check=True)}
    assert states[tampered] == "stale"
    assert states[missing] == "missing"
    assert {s for p, s in states.items() if p not in (tampered, missing)} == {"fresh"}
    assert not missing.exists()  # --check writes nothing

    states = {s.path: s.state for s in regenerate(copy)}
    assert states[tampered] == "updated"
    assert states[missing] == "created"
    assert (untouched.read_bytes(), untouched.stat().st_mtime_ns) == before
    assert comparable(missing) == comparable(CASSETTES / "automl/running/tuning-job.yaml")
    assert comparable(tampered) == comparable(CASSETTES / "automl/failed-job.yaml")


def test_the_module_command_exits_1_when_stale(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), "--check"]) == 1
    captured = capsys.readouterr()
    assert f"missing: {tmp_path / 'automl/completed-job.yaml'}" in captured.out
    assert "regenerate them with: python -m replay.samples" in captured.err


def test_offline_environment_restores_the_callers_settings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "someone")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    with offline_aws_environment():
        assert "AWS_PROFILE" not in os.environ
        assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAIOSFODNN7EXAMPLE"
    assert os.environ["AWS_PROFILE"] == "someone"
    assert "AWS_ACCESS_KEY_ID" not in os.environ


def test_plain_vcrpy_replays_a_sample_to_boto3(sagemaker_client: Any) -> None:
    import vcr

    sample = CASSETTES / "automl/completed-job.yaml"
    recorded = read_cassette(sample).interactions[0]
    # vcrpy ignores the meta block and matches on method and URI by default.
    with vcr.use_cassette(str(sample), record_mode="none"):
        client = sagemaker_client(recorded.request.uri)
        job = client.describe_auto_ml_job(AutoMLJobName="completed-job")
    assert job["AutoMLJobArn"] == recorded.response.json()["AutoMLJobArn"]
    assert job["BestCandidate"]["InferenceContainers"]
