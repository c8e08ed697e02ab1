"""The model history: built from (tiny, synthetic) botocore wheels, read, and told in findings."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import botocore
import pytest
from click.testing import CliRunner

from replay.cli.app import main
from replay.core.findings import Finding, Severity
from replay.spec.check import check_body
from replay.spec.history import (
    explain,
    extend_history,
    history_from_document,
    load_history,
    member_story,
    normalize_member_path,
    read_history,
)
from replay.spec.history_build import build, facts_of_model, sample_releases
from replay.spec.operations import operation_ref

STATUS_1_20 = ["Completed", "InProgress"]


def _model(statuses: list[str], *, hint: bool = False, name_max: int = 32) -> dict[str, Any]:
    """A sagemaker model with just DescribeAutoMLJob, small enough to build in a test."""
    members: dict[str, Any] = {"AutoMLJobName": {"shape": "AutoMLJobName"},
                               "AutoMLJobStatus": {"shape": "AutoMLJobStatus"},
                               "Steps": {"shape": "Steps"}}
    if hint:
        members["AutoMLJobV2Hint"] = {"shape": "AutoMLJobName"}
    return {
        "version": "2.0",
        "metadata": {"apiVersion": "2017-07-24", "endpointPrefix": "api.sagemaker",
                     "jsonVersion": "1.1", "protocol": "json", "serviceId": "SageMaker",
                     "signatureVersion": "v4", "targetPrefix": "SageMaker"},
        "operations": {"DescribeAutoMLJob": {
            "name": "DescribeAutoMLJob", "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "DescribeAutoMLJobRequest"},
            "output": {"shape": "DescribeAutoMLJobResponse"}}},
        "shapes": {
            "DescribeAutoMLJobRequest": {"type": "structure", "required": ["AutoMLJobName"],
                                         "members": {"AutoMLJobName": {"shape": "AutoMLJobName"}}},
            "DescribeAutoMLJobResponse": {"type": "structure", "required": ["AutoMLJobName"],
                                          "members": members},
            "AutoMLJobName": {"type": "string", "min": 1, "max": name_max},
            "AutoMLJobStatus": {"type": "string", "enum": statuses},
            "Steps": {"type": "list", "member": {"shape": "Step"}},
            "Step": {"type": "structure", "members": {"Status": {"shape": "AutoMLJobStatus"}}},
        },
    }


def _wheel(folder: Path, version: str, model: dict[str, Any], gz: bool = True) -> Path:
    """A botocore wheel holding only the sagemaker model (gzipped like today's, or plain like
    old releases')."""
    path = folder / f"botocore-{version}-py3-none-any.whl"
    name = "botocore/data/sagemaker/2017-07-24/service-2.json"
    raw = json.dumps(model).encode()
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo(name + (".gz" if gz else ""), date_time=(2024, 1, 15, 12, 0, 0))
        archive.writestr(info, gzip.compress(raw) if gz else raw)
        archive.writestr("botocore/__init__.py", f"__version__ = '{version}'\n")
    return path


RELEASES = ["1.20.0", "1.20.1", "1.20.2", "1.20.3", "1.20.4", "1.21.0"]


@pytest.fixture
def wheels(tmp_path: Path) -> dict[str, Path]:
    """Six releases; ``PreTraining`` and the ``AutoMLJobV2Hint`` member arrive in 1.20.3, the
    name's max grows in 1.21.0, ``InProgress`` goes away in 1.21.0."""
    made = {}
    for version in RELEASES:
        new = version >= "1.20.3"
        statuses = [*STATUS_1_20, "PreTraining"] if new else list(STATUS_1_20)
        if version == "1.21.0":
            statuses.remove("InProgress")
        made[version] = _wheel(tmp_path, version,
                               _model(statuses, hint=new, name_max=64 if version == "1.21.0"
                                      else 32), gz=version != "1.20.0")
    return made


def _build(tmp_path: Path, wheels: dict[str, Path], **options: Any) -> tuple[dict[str, Any],
                                                                              list[str]]:
    fetched: list[str] = []

    def fetch(version: str) -> Path:
        fetched.append(version)
        return wheels[version]

    document = build(tmp_path / "history.json", releases=RELEASES, fetch=fetch,
                     installed="1.20.0", log=lambda line: None, **options)
    return document, fetched


def test_the_sample_is_the_first_and_latest_patch_of_each_minor_and_the_installed() -> None:
    releases = ["1.19.9", "1.20.0", "1.20.1", "1.20.7", "1.21.0", "1.21.3", "1.22.0"]
    assert sample_releases(releases, "1.20.1") == ["1.20.0", "1.20.1", "1.20.7", "1.21.0",
                                                   "1.21.3", "1.22.0"]


def test_bisection_pins_a_value_to_the_release_that_added_it(tmp_path: Path,
                                                              wheels: dict[str, Path]) -> None:
    document, fetched = _build(tmp_path, wheels)
    history = history_from_document(document)
    operation = "sagemaker:DescribeAutoMLJob"
    assert history.value_since(operation, "$.AutoMLJobStatus", "PreTraining") == "1.20.3"
    assert history.value_since(operation, "$.Steps[*].Status", "PreTraining") == "1.20.3"
    assert history.member_since(operation, "$.AutoMLJobV2Hint") == "1.20.3"
    assert history.value_since(operation, "$.AutoMLJobStatus", "Paused") is None
    assert history.entry(operation, "$.AutoMLJobStatus")["enum"]["InProgress"] == [  # type: ignore[index]
        ["1.20.0", "1.21.0"]]
    assert document["exact"] is True
    assert set(fetched) < set(RELEASES)  # bisected, not every release read
    assert [v for v, _ in document["versions"]] == sorted(fetched, key=RELEASES.index)
    written = json.loads((tmp_path / "history.json").read_text())
    assert written == json.loads(json.dumps(document))


def test_without_bisection_a_change_is_dated_to_the_first_sampled_release(
        tmp_path: Path, wheels: dict[str, Path]) -> None:
    document, fetched = _build(tmp_path, wheels, exact=False)
    assert fetched == ["1.20.0", "1.20.4", "1.21.0"]
    history = history_from_document(document)
    assert history.value_since("sagemaker:DescribeAutoMLJob", "$.AutoMLJobStatus",
                               "PreTraining") == "1.20.4"
    assert "first sampled release" in document["covers"]


def _history(tmp_path: Path, wheels: dict[str, Path]) -> Any:
    return history_from_document(_build(tmp_path, wheels)[0])


def test_an_enum_finding_names_the_release_that_knows_the_value(
        tmp_path: Path, wheels: dict[str, Path]) -> None:
    history = _history(tmp_path, wheels)
    finding = Finding("enum", Severity.BREAKING, "$.Steps[3].Status",
                      "'PreTraining' is not a value of enum AutoMLJobStatus in the model",
                      actual="PreTraining")
    told = explain(finding, "sagemaker:DescribeAutoMLJob", history, installed="1.20.1")
    assert told.known_since == "1.20.3"
    assert told.message.endswith("; `PreTraining` is in botocore >= 1.20.3 (2024-01-15); the "
                                 "installed 1.20.1 does not know it: upgrade botocore")
    assert told.to_dict()["known_since"] == "1.20.3"
    assert Finding.from_dict(told.to_dict()) == told


def test_a_value_no_release_listed_says_so(tmp_path: Path, wheels: dict[str, Path]) -> None:
    history = _history(tmp_path, wheels)
    finding = Finding("enum", Severity.BREAKING, "$.AutoMLJobStatus", "not in the enum",
                      actual="MergingAutoMLTaskReports")
    told = explain(finding, "sagemaker:DescribeAutoMLJob", history, installed="1.21.0")
    assert told.known_since is None
    assert told.message == ("not in the enum; no botocore release from 1.20.0 to 1.21.0 ever "
                            "had it")


def test_a_removed_value_and_a_new_member(tmp_path: Path, wheels: dict[str, Path]) -> None:
    history = _history(tmp_path, wheels)
    gone = explain(Finding("enum", Severity.BREAKING, "$.AutoMLJobStatus", "not in the enum",
                           actual="InProgress"),
                   "sagemaker:DescribeAutoMLJob", history, installed="1.21.0")
    assert gone.message.endswith("; `InProgress` was in botocore 1.20.0 to 1.20.4, gone since "
                                 "1.21.0 (2024-01-15)")
    member = explain(Finding("unknown-member", Severity.ADDITIVE, "$.AutoMLJobV2Hint",
                             "member AutoMLJobV2Hint is not in the model"),
                     "sagemaker:DescribeAutoMLJob", history, installed="1.20.0")
    assert member.known_since == "1.20.3"
    assert "member `AutoMLJobV2Hint` is in botocore >= 1.20.3" in member.message


def test_the_story_of_a_member(tmp_path: Path, wheels: dict[str, Path]) -> None:
    story = member_story("Steps[0].Status", history=_history(tmp_path, wheels))
    assert "sagemaker:DescribeAutoMLJob output $.Steps[*].Status" in story
    assert "PreTraining: added in 1.20.3 (2024-01-15)" in story
    assert "InProgress: present in 1.20.0 (the oldest release read), removed in 1.21.0" in story
    name = member_story("$.AutoMLJobName", history=_history(tmp_path, wheels))
    assert "max 32: present in 1.20.0 (the oldest release read), removed in 1.21.0" in name
    assert "max 64: added in 1.21.0" in name
    assert "type string: present in 1.20.0" in name


def test_member_paths_are_normalized() -> None:
    assert normalize_member_path("BestCandidate.CandidateSteps[2].CandidateStepType") == \
        "$.BestCandidate.CandidateSteps[*].CandidateStepType"


# ------------------------------------------------------------------ the shipped index


def test_a_newer_installed_botocore_extends_the_history(tmp_path: Path,
                                                       wheels: dict[str, Path]) -> None:
    history = _history(tmp_path, wheels)
    operation = "sagemaker:DescribeAutoMLJob"
    newer = _model(["Completed", "PreTraining", "Paused"], hint=False, name_max=64)
    extended = extend_history(history, "1.22.5", facts_of_model(newer))
    assert extended.newest == "1.22.5" and extended.covers_version("1.22.5")
    assert extended.value_since(operation, "$.AutoMLJobStatus", "Paused") == "1.22.5"
    assert extended.value_since(operation, "$.AutoMLJobStatus", "PreTraining") == "1.20.3"
    assert extended.entry(operation, "$.AutoMLJobV2Hint")["in"] == [  # type: ignore[index]
        ["1.20.3", "1.22.5"]]
    assert "extended by the installed botocore 1.22.5" in extended.covers
    assert history.value_since(operation, "$.AutoMLJobStatus", "Paused") is None  # unchanged
    assert extend_history(history, "1.20.2", facts_of_model(newer)) is history


def test_the_shipped_index_covers_the_installed_botocore() -> None:
    shipped = read_history()
    history = load_history()
    assert history.spans(botocore.__version__)
    assert not history.spans("1.19.0") and not history.spans("9.0.0")
    assert history.versions[:len(shipped.versions)] == shipped.versions
    assert history.oldest.startswith("1.20.")
    minors = {tuple(v.split(".")[:2]) for v, _ in history.versions}
    newest_minor = int(history.newest.split(".")[1])
    assert {("1", str(m)) for m in range(20, newest_minor + 1)} <= minors
    assert "sagemaker:DescribeAutoMLJobV2" in history.operations


def test_a_checked_body_tells_when_botocore_learned_a_value() -> None:
    history = load_history()
    operation = "sagemaker:DescribeAutoMLJob"
    since = history.value_since(operation, "$.AutoMLJobSecondaryStatus",
                                "MaxAutoMLJobRuntimeReached")
    assert since is not None
    body = json.dumps({"AutoMLJobName": "j", "AutoMLJobSecondaryStatus": "NotAStatusEver"})
    findings = [f for f in check_body(operation_ref("sagemaker", "DescribeAutoMLJob").model,
                                      body) if f.kind == "enum"]
    assert [f.known_since for f in findings] == [None]
    assert findings[0].message.endswith(
        f"; no botocore release from {history.oldest} to {history.newest} ever had it")


def test_spec_history_command_prints_the_story() -> None:
    result = CliRunner().invoke(main, ["spec", "history", "$.AutoMLJobSecondaryStatus",
                                       "--operation", "DescribeAutoMLJob"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sagemaker:DescribeAutoMLJob output "
                                    "$.AutoMLJobSecondaryStatus\n")
    assert "MaxCandidatesReached: " in result.output


def test_spec_history_of_an_unknown_member_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(main, ["spec", "history", "$.NoSuchMember"])
    assert result.exit_code == 2
    assert result.output.startswith("aws-replay: error: no member $.NoSuchMember")
    assert "Traceback" not in result.output
