"""Spec locks: member views, lock files, check --spec-lock, spec show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore
import pytest
from botocore.model import ServiceModel
from click.testing import CliRunner

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from replay.cli.app import main
from replay.core.errors import ConfigError, UnknownOperationError
from replay.spec.check import check_interaction, check_paths
from replay.spec.lock import (
    member_view,
    read_lock,
    show,
    write_lock,
)
from replay.spec.lockdiff import diff_locks
from tests.support.cassettes import make_cassette
from tests.support.models import edited_lock, old_shapes, thing_service

# ----------------------------------------------------------------- small models, inline






def test_member_view_keys_are_member_paths_with_constraints() -> None:
    model = ServiceModel(thing_service(old_shapes()), service_name="things")
    view = member_view(model.operation_model("DescribeThing").output_shape)
    assert list(view) == ["$", "$.Name", "$.Status", "$.Parts", "$.Parts[*]",
                          "$.Parts[*].Size"]
    assert view["$.Name"] == {"type": "string", "shape": "ThingName", "required": True,
                              "min": 1, "max": 64}
    assert view["$.Status"]["enum"] == ["Active", "Retired"]


def test_recursive_shapes_stop_at_the_repeat() -> None:
    shapes = {"DescribeThingResponse": {"type": "structure", "members": {
        "Node": {"shape": "Node"}}},
        "Node": {"type": "structure", "members": {"Child": {"shape": "Node"}}},
        "ThingName": {"type": "string"}}
    view = member_view(ServiceModel(thing_service(shapes), service_name="things")
                       .operation_model("DescribeThing").output_shape)
    assert view["$.Node.Child"]["recursive"] is True
    assert "$.Node.Child.Child" not in view


# ------------------------------------------------------------------- the installed model


def test_lock_round_trip_rebuilds_a_working_model(tmp_path: Path) -> None:
    path = tmp_path / "spec.lock.json"
    document = write_lock(path)
    lock = read_lock(path)
    assert lock.botocore == botocore.__version__
    assert "sagemaker:DescribeAutoMLJob" in lock.operations
    assert '"interactions"' not in path.read_text()  # a folder scan must not take it for a cassette
    model = lock.models()["sagemaker"]
    operation = model.operation_model("DescribeAutoMLJob")
    assert [s.name for s in operation.error_shapes] == ["ResourceNotFound"]
    assert operation.output_shape is not None
    assert document["operations"]["sagemaker:DescribeAutoMLJob"]["output"]["$.AutoMLJobName"][
        "pattern"] == operation.output_shape.members["AutoMLJobName"].metadata["pattern"]
    assert diff_locks(lock) == []


def _job_cassette(path: Path, body: dict[str, Any]) -> Path:
    request = RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                              {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]},
                              json.dumps({"AutoMLJobName": body["AutoMLJobName"]}))
    response = RecordedResponse(200, "OK", {}, json.dumps(body).encode())
    write_cassette(path, Cassette((Interaction(request, response),), {"tool": "t"}, path))
    return path




def test_check_against_a_lock_uses_the_locked_model(tmp_path: Path,
                                                    full_body: dict[str, Any]) -> None:
    cassette = _job_cassette(tmp_path / "cassettes" / "job.yaml", full_body)
    lock = read_lock(edited_lock(tmp_path))
    assert check_paths([cassette]).findings == []
    locked = check_paths([cassette], models=lock.models()).findings
    assert [(f.kind, f.path) for f in locked] == [("enum", "$.AutoMLJobStatus")]


def test_check_cli_with_spec_lock(tmp_path: Path, full_body: dict[str, Any]) -> None:
    cassettes = tmp_path / "cassettes"
    _job_cassette(cassettes / "job.yaml", full_body)
    lock = edited_lock(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(cassettes)]).exit_code == 0
    result = runner.invoke(main, ["check", str(cassettes), "--spec-lock", str(lock)])
    assert result.exit_code == 1
    assert "$.AutoMLJobStatus  enum:" in result.output
    missing = runner.invoke(main, ["check", str(cassettes), "--spec-lock",
                                   str(tmp_path / "none.json")])
    assert missing.exit_code == 2
    assert "none.json: no such spec lock; write it with `aws-replay spec lock" in missing.output


def test_a_model_without_the_operation_names_the_lock_command_for_its_service(
        full_body: dict[str, Any]) -> None:
    # a bare operation name ("GetObject") would be looked up in SageMaker's model first
    models = {"sagemaker": ServiceModel(thing_service(old_shapes()), service_name="things")}
    interaction = make_cassette(full_body).interactions[0]
    with pytest.raises(UnknownOperationError,
                       match=r"lock it too \(aws-replay spec lock sagemaker:DescribeAutoMLJob\)"):
        check_interaction(interaction, models)


def test_spec_lock_cli_writes_the_named_operations(tmp_path: Path) -> None:
    out = tmp_path / "locks" / "spec.lock.json"
    result = CliRunner().invoke(main, ["spec", "lock", "DescribeAutoMLJob",
                                       "sagemaker:ListAutoMLJobs", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("locked 2 operation(s), ")
    assert set(read_lock(out).operations) == {"sagemaker:DescribeAutoMLJob",
                                              "sagemaker:ListAutoMLJobs"}
    unknown = CliRunner().invoke(main, ["spec", "lock", "DescribeNothing", "-o", str(out)])
    assert unknown.exit_code == 2
    assert "operation 'DescribeNothing' is not in botocore" in unknown.output


def test_spec_show_prints_a_tree_of_member_paths() -> None:
    text = show("DescribeAutoMLJob")
    lines = text.splitlines()
    assert lines[0] == f"sagemaker:DescribeAutoMLJob response (botocore {botocore.__version__})"
    assert any(line.startswith("  AutoMLJobName  string  required  length 1..32  pattern /")
               for line in lines)
    assert any(line.startswith("        CandidateStepType  string  required  one of ")
               for line in lines)
    assert "error ResourceNotFound" in lines
    result = CliRunner().invoke(main, ["spec", "show"])
    assert result.exit_code == 0 and result.output == text


@pytest.mark.parametrize(("content", "message"), [
    ("{", "is not JSON"),
    ("[]", "is not an aws-replay spec lock"),
    ('{"aws_replay_spec_lock": 9}', "has lock format 9"),
    ('{"aws_replay_spec_lock": 1, "operations": {}, "models": {}}', "has no operations"),
    ('{"aws_replay_spec_lock": 1, "operations": {"s:Op": {"output": {}}}, "models": {}}',
     "operation s:Op has no locked model"),
])
def test_bad_locks_are_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.lock.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        read_lock(path)


def test_check_against_a_lock_missing_the_cassettes_operation_is_one_clear_error(
        tmp_path: Path) -> None:
    cassette = tmp_path / "list.yaml"
    request = RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                              {"X-Amz-Target": ["SageMaker.ListAutoMLJobs"]}, "{}")
    response = RecordedResponse(200, "OK", {}, b'{"AutoMLJobSummaries": []}')
    write_cassette(cassette, Cassette((Interaction(request, response),), {}, cassette))
    lock = tmp_path / "spec.lock.json"
    write_lock(lock)
    result = CliRunner().invoke(main, ["check", str(cassette), "--spec-lock", str(lock)])
    assert result.exit_code == 2
    assert result.output == (
        f"aws-replay: error: {cassette}: interaction 0 calls sagemaker:ListAutoMLJobs, which "
        f"{lock} does not lock; add it: `aws-replay spec lock sagemaker:DescribeAutoMLJob "
        f"sagemaker:ListAutoMLJobs --output {lock}`\n")
