"""Model vs model: two spec locks compared per member path, classified; spec diff."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replay.cli.app import main
from replay.core.findings import Severity
from replay.spec.lock import lock_document, lock_from_document
from replay.spec.lockdiff import diff_locks
from tests.support.models import edited_lock, old_shapes, thing_service

# ----------------------------------------------------------------- small models, inline


def _lock(shapes: dict[str, Any], output: str = "DescribeThingResponse") -> Any:
    document = lock_document({"things": thing_service(shapes, output)},
                             [("things", "DescribeThing")], "test")
    return lock_from_document(json.loads(json.dumps(document)), Path("old.lock.json"))


def _kinds(findings: list[Any]) -> list[tuple[str, str, Severity]]:
    return sorted((f.kind, f.path, f.severity) for f in findings)


def test_identical_locks_have_no_difference() -> None:
    assert diff_locks(_lock(old_shapes()), _lock(old_shapes())) == []


def test_added_member_tightened_length_and_new_enum_value_are_classified() -> None:
    new = copy.deepcopy(old_shapes())
    new["DescribeThingResponse"]["members"]["Colour"] = {"shape": "Text"}
    new["ThingName"]["max"] = 32
    new["ThingStatus"]["enum"].append("Archived")
    found = diff_locks(_lock(old_shapes()), _lock(new))
    assert _kinds(found) == [
        ("constraint-tightened", "$.Name", Severity.INFO),
        ("enum-value-added", "$.Status", Severity.ADDITIVE),
        ("member-added", "$.Colour", Severity.ADDITIVE),
    ]
    tightened = next(f for f in found if f.kind == "constraint-tightened")
    assert (tightened.expected, tightened.actual) == (64, 32)
    assert tightened.message == "max 64 became 32"
    assert tightened.cassette == "old.lock.json"
    assert tightened.operation == "things:DescribeThing"


def test_renamed_shapes_with_an_identical_wire_are_no_finding() -> None:
    renamed = copy.deepcopy(old_shapes())
    renamed["ThingDescription"] = renamed.pop("DescribeThingResponse")
    renamed["Component"] = renamed.pop("Part")
    renamed["Parts"]["member"] = {"shape": "Component"}
    renamed["ThingState"] = renamed.pop("ThingStatus")
    renamed["ThingDescription"]["members"]["Status"] = {"shape": "ThingState"}
    assert diff_locks(_lock(old_shapes()), _lock(renamed, output="ThingDescription")) == []


def test_removed_member_required_change_type_change_and_loosening() -> None:
    new = copy.deepcopy(old_shapes())
    del new["Part"]["members"]["Size"]
    new["DescribeThingResponse"]["required"] = ["Status"]
    new["ThingName"]["min"] = 0
    new["ThingStatus"] = {"type": "integer"}
    found = _kinds(diff_locks(_lock(old_shapes()), _lock(new)))
    assert found == [
        ("constraint-loosened", "$.Name", Severity.ADDITIVE),
        ("member-removed", "$.Parts[*].Size", Severity.BREAKING),
        ("required-added", "$.Status", Severity.INFO),
        ("required-removed", "$.Name", Severity.BREAKING),
        ("type-changed", "$.Status", Severity.BREAKING),
    ]


def test_only_the_top_of_an_added_subtree_is_reported() -> None:
    new = copy.deepcopy(old_shapes())
    new["DescribeThingResponse"]["members"]["Owner"] = {"shape": "Owner"}
    new["Owner"] = {"type": "structure", "members": {"Name": {"shape": "Text"},
                                                     "Tags": {"shape": "Tags"}}}
    new["Tags"] = {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Text"}}
    assert _kinds(diff_locks(_lock(old_shapes()), _lock(new))) == [
        ("member-added", "$.Owner", Severity.ADDITIVE)]


def test_enum_value_removed_and_error_member_changes() -> None:
    new = copy.deepcopy(old_shapes())
    new["ThingStatus"]["enum"] = ["Active"]
    service = thing_service(new)
    service["shapes"]["ThingNotFound"]["members"]["Code"] = {"shape": "Text"}
    document = lock_document({"things": service}, [("things", "DescribeThing")], "t")
    found = diff_locks(_lock(old_shapes()), lock_from_document(document))
    assert _kinds(found) == [("enum-value-removed", "$.Status", Severity.INFO),
                             ("member-added", "$.Code", Severity.ADDITIVE)]
    assert next(f for f in found if f.path == "$.Code").message.startswith(
        "error ThingNotFound: new member")


# ------------------------------------------------------------------- the installed model


def test_spec_diff_cli_against_the_installed_botocore(tmp_path: Path) -> None:
    lock = edited_lock(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["spec", "diff", str(lock), "--format", "json"])
    assert result.exit_code == 0, result.output  # a value added to an enum is additive
    found = json.loads(result.output)["findings"]
    assert [(f["kind"], f["path"], f["actual"]) for f in found] == [
        ("enum-value-added", "$.AutoMLJobStatus", "Completed")]
    assert runner.invoke(main, ["spec", "diff", str(lock), "--fail-on",
                                "additive"]).exit_code == 1
    fresh = tmp_path / "fresh.lock.json"
    assert runner.invoke(main, ["spec", "lock", "-o", str(fresh)]).exit_code == 0
    back = runner.invoke(main, ["spec", "diff", str(fresh), str(lock)])
    assert back.exit_code == 0
    assert "enum-value-removed" in back.output


def test_spec_diff_sarif_points_at_the_lock_line(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lock = edited_lock(tmp_path)
    lock.write_text(json.dumps(json.loads(lock.read_text()), indent=1))
    result = CliRunner().invoke(main, ["spec", "diff", lock.name, "--format", "sarif"])
    located = json.loads(result.output)["runs"][0]["results"][0]["locations"][0]
    assert located["physicalLocation"]["artifactLocation"]["uri"] == "spec.lock.json"
    line = lock.read_text().splitlines()[located["physicalLocation"]["region"]["startLine"] - 1]
    assert '"$.AutoMLJobStatus"' in line
