"""The engine of ``aws-replay record``: following lifecycles, listing jobs, what happened."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from replay.cassette.read import read_cassette
from replay.core.errors import ConfigError, EndpointError
from replay.record.jobs import JobRecording, RecordSummary, describe_result, record_jobs
from replay.spec.check import check_cassette
from tests.support.recording import old_cassette, quick
from tests.support.stub_sagemaker import StubSageMaker

# ------------------------------------------------------------------------ recording jobs


def test_record_follow_records_the_lifecycle_in_order(
        aws_env: None, full_body: dict[str, Any], tmp_path: Path) -> None:
    steps = [dict(full_body, AutoMLJobStatus="InProgress", AutoMLJobSecondaryStatus=s)
             for s in ("Starting", "Starting", "AnalyzingData", "TrainingModels")]
    job = full_body["AutoMLJobName"]
    naps: list[float] = []
    with StubSageMaker({job: [*steps, full_body]}) as stub:
        summary = record_jobs([job], endpoint_url=stub.url, cassette_dir=tmp_path, follow=True,
                              interval=5, sleep=naps.append)
    assert naps == [5, 5, 5, 5]
    assert summary.jobs[0].status == "Completed"
    statuses = [json.loads(i.response.body)["AutoMLJobSecondaryStatus"]
                for i in read_cassette(tmp_path / f"{job}.yaml").interactions]
    # Identical consecutive polls are kept once: replay still walks every state in order.
    assert statuses == ["Starting", "AnalyzingData", "TrainingModels", "Completed"]


def test_record_follow_stops_at_the_timeout_and_keeps_what_it_saw(
        aws_env: None, full_body: dict[str, Any], tmp_path: Path) -> None:
    job = full_body["AutoMLJobName"]
    running = dict(full_body, AutoMLJobStatus="InProgress", AutoMLJobSecondaryStatus="Starting")
    with StubSageMaker({job: [running]}) as stub:
        summary = record_jobs([job], endpoint_url=stub.url, cassette_dir=tmp_path, follow=True,
                              interval=0.001, timeout=0.05, sleep=time.sleep)
    result = summary.jobs[0]
    assert result.status == "InProgress"
    assert "stopped following after 0.05 s (status InProgress)" in result.message
    assert (tmp_path / f"{job}.yaml").exists()


def test_a_missing_job_records_its_resource_not_found_answer(
        aws_env: None, stub_sagemaker: StubSageMaker, tmp_path: Path) -> None:
    summary = record_jobs(["no-such-job"], endpoint_url=stub_sagemaker.url,
                          cassette_dir=tmp_path)
    result = summary.jobs[0]
    assert result.outcome == "not-found"
    assert "job not found; recorded the ResourceNotFound answer" in result.message
    cassette = read_cassette(tmp_path / "no-such-job.yaml")
    assert cassette.interactions[0].response.status == 400
    assert cassette.interactions[0].response.json()["__type"] == "ResourceNotFound"
    assert check_cassette(cassette) == []


def test_a_throttled_attempt_is_not_kept_when_the_retry_answered(
        aws_env: None, stub_sagemaker: StubSageMaker, full_body: dict[str, Any],
        tmp_path: Path) -> None:
    stub_sagemaker.throttle_next = 1
    record_jobs([full_body["AutoMLJobName"]], endpoint_url=stub_sagemaker.url,
                cassette_dir=tmp_path)
    assert len(stub_sagemaker.requests) == 2
    cassette = read_cassette(tmp_path / f"{full_body['AutoMLJobName']}.yaml")
    assert [i.response.status for i in cassette.interactions] == [200]


def test_all_lists_every_page_and_skips_existing_cassettes(
        aws_env: None, full_body: dict[str, Any], tmp_path: Path) -> None:
    jobs = {f"job-{n:03d}": dict(full_body, AutoMLJobName=f"job-{n:03d}") for n in range(105)}
    (tmp_path / "job-000.yaml").write_text("kept")
    with StubSageMaker(jobs) as stub:
        quick(stub)
        known: list[int] = []
        summary = record_jobs([], all_jobs=True, endpoint_url=stub.url, cassette_dir=tmp_path,
                              on_jobs_known=known.append)
    assert known == [105]
    assert summary.count("recorded") == 104 and summary.count("skipped") == 1
    assert (tmp_path / "job-000.yaml").read_text() == "kept"
    assert summary.line() == "105 job(s): 104 recorded, 1 skipped"


# ------------------------------------------------------------------------ crash safety


def test_a_dropped_connection_leaves_the_old_cassette_intact(
        aws_env: None, stub_sagemaker: StubSageMaker, full_body: dict[str, Any],
        tmp_path: Path) -> None:
    job = full_body["AutoMLJobName"]
    path = tmp_path / f"{job}.yaml"
    before = old_cassette(path, full_body)
    stub_sagemaker.drop_connection_for.add(job)
    with pytest.raises(EndpointError) as caught:
        record_jobs([job], endpoint_url=stub_sagemaker.url, cassette_dir=tmp_path,
                    overwrite=True)
    assert f"recording {job}: cannot reach {stub_sagemaker.url}" in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


# ------------------------------------------------------------------------ reporting


@pytest.mark.parametrize(("result", "line"), [
    (JobRecording("job", Path("c/job.yaml"), "recorded", 3, "Completed"),
     "recorded: job -> c/job.yaml [3 exchange(s), status Completed]"),
    (JobRecording("gone", Path("c/gone.yaml"), "not-found", 1, None, "job not found"),
     "not-found: gone -> c/gone.yaml [1 exchange(s)] (job not found)"),
    (JobRecording("bad", Path("c/bad.yaml"), "error", 1, None, "recorded the X error answer"),
     "error: bad -> c/bad.yaml [1 exchange(s)] (recorded the X error answer)"),
    (JobRecording("old", Path("c/old.yaml"), "skipped", message="c/old.yaml exists"),
     "skipped: old (c/old.yaml exists)"),
])
def test_describe_result(result: JobRecording, line: str) -> None:
    assert describe_result(result) == line


@pytest.mark.parametrize(("outcomes", "line"), [
    ([], "0 job(s): nothing to do"),
    (["skipped", "recorded", "error", "recorded"], "4 job(s): 2 recorded, 1 error, 1 skipped"),
    (["not-found"], "1 job(s): 1 not-found"),
])
def test_summary_line_counts_outcomes_in_a_fixed_order(outcomes: list[str], line: str) -> None:
    summary = RecordSummary([JobRecording(f"j{i}", Path(f"j{i}.yaml"), outcome)
                             for i, outcome in enumerate(outcomes)])
    assert summary.line() == line


@pytest.mark.parametrize(("jobs", "options", "message"), [
    ([], {}, "name at least one JOB, or pass --all"),
    (["job"], {"interval": -1}, r"--interval must be >= 0 and --timeout > 0 \(seconds\)"),
    (["job"], {"timeout": 0}, r"--interval must be >= 0 and --timeout > 0 \(seconds\)"),
    (["a/b"], {}, "job name 'a/b' cannot name a cassette file"),
    ([".hidden"], {}, "job name '.hidden' cannot name a cassette file"),
])
def test_bad_arguments_are_refused_before_anything_is_sent(
        aws_env: None, stub_sagemaker: StubSageMaker, tmp_path: Path, jobs: list[str],
        options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        record_jobs(jobs, endpoint_url=stub_sagemaker.url, cassette_dir=tmp_path, **options)
    assert stub_sagemaker.requests == []
    assert list(tmp_path.iterdir()) == []
