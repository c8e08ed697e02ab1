"""The shipped GitHub Actions workflows: valid YAML, the promised triggers and permissions, and
every ``aws-replay`` command line in them accepted by the real CLI parser."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from replay.cli.app import main

EXAMPLES = Path(__file__).parent.parent / "examples"
WORKFLOWS = sorted(EXAMPLES.glob("*.yml"))


def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    # YAML 1.1 reads the bare key `on` as a boolean; GitHub reads it as the string
    if True in document:
        document["on"] = document.pop(True)
    return document


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job["steps"]]


def _commands(document: dict[str, Any]) -> list[list[str]]:
    """Every `aws-replay ...` invocation in run steps, shell-split, before `||` or `>>`."""
    found = []
    for step in _steps(document):
        script = step.get("run", "").replace("\\\n", " ")
        for line in script.splitlines():
            line = line.strip()
            if not line.startswith("aws-replay "):
                continue
            for stop in ("||", ">>"):
                line = line.split(stop)[0]
            found.append(shlex.split(line)[1:])
    return found


def test_both_workflows_are_shipped() -> None:
    assert [p.name for p in WORKFLOWS] == ["drift-scheduled.yml", "drift-static.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_runs_on_a_schedule_and_uploads_sarif(path: Path) -> None:
    document = _load(path)
    crons = [entry["cron"] for entry in document["on"]["schedule"]]
    assert crons and all(len(cron.split()) == 5 for cron in crons)
    assert document["permissions"]["security-events"] == "write"
    uses = [step.get("uses", "") for step in _steps(document)]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    checking_job = next(iter(document["jobs"].values()))
    scripts = " ".join(step.get("run", "") for step in checking_job["steps"])
    assert '--format markdown --output "$GITHUB_STEP_SUMMARY"' in scripts
    assert "--format sarif" in scripts
    # the last step fails the job on breaking findings only
    assert scripts.rstrip().endswith("aws-replay report merge reports/*.json --fail-on breaking")


def test_scheduled_workflow_uses_oidc_and_live_drift() -> None:
    document = _load(EXAMPLES / "drift-scheduled.yml")
    assert document["permissions"]["id-token"] == "write"
    credentials = next(step for step in _steps(document)
                       if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert "role-to-assume" in credentials["with"]
    assert "aws-access-key-id" not in credentials["with"]
    names = [command[0] for command in _commands(document)]
    assert {"drift", "check", "spec", "report"} <= set(names)
    check = next(c for c in _commands(document) if c[0] == "check")
    assert "--spec-lock" in check


def test_scheduled_workflow_merges_the_matrix_into_one_summary() -> None:
    document = _load(EXAMPLES / "drift-scheduled.yml")
    summary = document["jobs"]["summary"]
    assert summary["needs"] == "drift" and summary["if"] == "always()"
    assert len(document["jobs"]["drift"]["strategy"]["matrix"]["region"]) > 1
    runs = " ".join(step.get("run", "") for step in summary["steps"])
    assert "aws-replay report merge all-reports/*/*.json --format markdown" in runs


def test_static_workflow_needs_no_aws_credentials() -> None:
    document = _load(EXAMPLES / "drift-static.yml")
    assert "id-token" not in document["permissions"]
    text = (EXAMPLES / "drift-static.yml").read_text()
    assert "configure-aws-credentials" not in text
    assert "drift" not in [command[0] for command in _commands(document)]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_aws_replay_command_line_parses(path: Path) -> None:
    commands = _commands(_load(path))
    assert commands
    for args in commands:
        # the real parser: an unknown command, option or choice raises a UsageError here
        command: click.Command = main
        parent = click.Context(main, info_name="aws-replay")
        while isinstance(command, click.Group):
            sub = command.get_command(parent, args[0])
            assert sub is not None, args
            command, args = sub, args[1:]
            parent = click.Context(command, info_name=command.name, parent=parent)
        command.make_context(command.name, list(args), parent=parent.parent)
