"""`aws-replay check`: exit codes, formats, and one clear line on bad input."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replay.cassette.write import write_cassette
from replay.cli.app import main
from replay.spec.history import load_history
from tests.support.cassettes import make_cassette

COVERED = f"{load_history().oldest} to {load_history().newest}"
"""The botocore releases the model history covers, as findings name them."""


@pytest.fixture
def folder(tmp_path: Path, full_body: dict[str, Any]) -> Path:
    write_cassette(tmp_path / "good.yaml", make_cassette(full_body))
    drifted = copy.deepcopy(full_body)
    drifted["AutoMLJobSecondaryStatus"] = "MergingAutoMLTaskReports"
    drifted["BrandNewMember"] = {"x": 1}
    write_cassette(tmp_path / "drift" / "drifted.yaml", make_cassette(drifted))
    return tmp_path


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_clean_cassette_exits_0(folder: Path) -> None:
    result = run("check", str(folder / "good.yaml"))
    assert result.exit_code == 0
    assert result.output == (
        "0 finding(s) in 1 cassette(s), 1 interaction(s): 0 breaking, 0 additive, 0 info\n")


def test_text_groups_findings_per_cassette_and_interaction(folder: Path) -> None:
    result = run("check", str(folder))
    assert result.exit_code == 1
    drifted = folder / "drift" / "drifted.yaml"
    lines = result.output.splitlines()
    assert lines[0] == f"{drifted} interaction 0 (sagemaker:DescribeAutoMLJob)"
    assert lines[1] == (
        "  breaking  $.AutoMLJobSecondaryStatus  enum: 'MergingAutoMLTaskReports' is not a value "
        f"of enum AutoMLJobSecondaryStatus in the model; no botocore release from {COVERED} "
        "ever had it; seen in real SageMaker output since 2020; no botocore model lists it: code "
        "written against the enum must handle it (expected one of 19 values (Starting, "
        "MaxCandidatesReached, Failed, ...), found 'MergingAutoMLTaskReports')")
    assert lines[2] == (
        "  additive  $.BrandNewMember  unknown-member: member BrandNewMember is not in the model "
        f"of DescribeAutoMLJobResponse; botocore drops it silently; no botocore release from "
        f"{COVERED} ever had it (found {{\"x\": 1}})")
    assert lines[3] == (
        "2 finding(s) in 2 cassette(s), 2 interaction(s): 1 breaking, 1 additive, 0 info")
    assert len(lines) == 4


def test_info_findings_fail_only_with_fail_on_info(tmp_path: Path,
                                                  full_body: dict[str, Any]) -> None:
    cassette = make_cassette(full_body)
    throttled = replace(cassette.interactions[0].response, status=400, reason="Bad Request",
                        body=b'{"__type": "ThrottlingException", "message": "Rate exceeded"}')
    write_cassette(tmp_path / "c.yaml", replace(cassette, interactions=(
        replace(cassette.interactions[0], response=throttled),)))
    assert run("check", str(tmp_path)).exit_code == 0
    assert run("check", str(tmp_path), "--fail-on", "additive").exit_code == 0
    assert run("check", str(tmp_path), "--fail-on", "info").exit_code == 1


def test_additive_only_passes_the_default_threshold(tmp_path: Path,
                                                    full_body: dict[str, Any]) -> None:
    body = copy.deepcopy(full_body)
    body["NewMember"] = 1
    write_cassette(tmp_path / "c.yaml", make_cassette(body))
    assert run("check", str(tmp_path)).exit_code == 0
    assert run("check", str(tmp_path), "--fail-on", "additive").exit_code == 1


def test_json_format_has_the_stable_field_names(folder: Path) -> None:
    result = run("check", str(folder), "--format", "json")
    document = json.loads(result.output)
    assert list(document) == ["findings", "summary"]
    first = document["findings"][0]
    assert list(first) == ["cassette", "interaction", "operation", "path", "kind", "severity",
                           "message", "expected", "actual", "known_since"]
    assert (first["interaction"], first["kind"], first["path"]) == (
        0, "enum", "$.AutoMLJobSecondaryStatus")
    assert document["summary"]["by_severity"] == {"breaking": 1, "additive": 1, "info": 0}
    assert document["summary"]["cassettes"] == 2


def test_output_file_gets_the_report_and_stdout_a_summary(folder: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.json"
    result = run("check", str(folder), "--format", "json", "--output", str(report))
    assert result.exit_code == 1
    assert result.output == (f"2 finding(s) in 2 cassette(s), 2 interaction(s): 1 breaking, "
                             f"1 additive, 0 info; report written to {report}\n")
    assert len(json.loads(report.read_text())["findings"]) == 2


@pytest.mark.parametrize(("content", "message"), [
    ("interactions: [", "is not valid YAML"),
    ("", "is empty"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aws-replay: error: ") and message in lines[0]
    assert path.read_bytes() == before


def test_an_operation_botocore_lacks_is_one_unchecked_finding(tmp_path: Path) -> None:
    path = tmp_path / "new-op.yaml"
    path.write_text("interactions:\n- request: {method: POST, uri: /, headers: {X-Amz-Target: "
                    "[SageMaker.Nope]}}\n  response: {status: {code: 200}, body: {string: '{}'}}\n")
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json"])
    assert result.exit_code == 0  # info: fails only with --fail-on info
    [finding] = json.loads(result.output)["findings"]
    assert (finding["kind"], finding["severity"]) == ("unchecked", "info")
    assert "operation 'Nope' is not in botocore" in finding["message"]


def test_missing_path_and_bad_option_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["check", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert result.output == (f"aws-replay: error: no cassettes (*.yaml, *.yml, *.json) under "
                             f"{tmp_path / 'empty'}; check the path\n")
    assert CliRunner().invoke(main, ["check", str(tmp_path), "--fail-on", "x"]).exit_code == 2


def test_check_does_not_depend_on_the_users_aws_config(folder: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "aws-config"
    broken.write_text("[broken\n")
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(broken))
    assert run("check", str(folder / "good.yaml")).exit_code == 0
