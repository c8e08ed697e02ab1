"""The output gate as a property: secrets of every detector planted into the bodies and headers
of a cassette never appear in any byte a command puts out (stdout, stderr, --output files), in
any format; nor in serve's answers and log, nor in the pytest plugin's failure messages."""

from __future__ import annotations

import http.client
import json
import tempfile
import textwrap
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

# Imported here so in-process pytester runs share them (see test_pytest_plugin.py).
import boto3  # noqa: F401
import pytest
from hypothesis import HealthCheck, given, settings

from replay.cassette.model import Cassette
from replay.cassette.write import write_cassette
from replay.serve.server import start_server
from tests.support.leaky_outputs import (
    COMMANDS,
    FORMATS,
    JOB,
    Planted,
    interaction,
    leaky_body,
    planted_from_seed,
    planted_secrets,
    run_every_command,
    write_cassettes,
)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted=planted_secrets())
def test_no_planted_secret_reaches_any_output_of_any_command(planted: Planted) -> None:
    with tempfile.TemporaryDirectory() as folder:
        outputs = run_every_command(Path(folder), planted)
        leaky = (Path(folder) / "leaky" / "job.yaml").read_bytes()
    assert planted.found_in(leaky) == list(planted.values)  # every one was there to leak
    assert {key.rsplit(" ", 2)[0] for key in outputs} >= set(COMMANDS)
    assert len(outputs) == len(COMMANDS) * len(FORMATS) * 2 + 2
    leaked = {where: planted.found_in(data) for where, data in outputs.items()}
    assert {where: names for where, names in leaked.items() if names} == {}


def test_without_the_gate_the_same_run_leaks(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    """The property can fail: with the gate's detectors switched off, values come through."""

    def nothing(text: str, allowed: object = None) -> Iterator[object]:
        return iter(())

    monkeypatch.setattr("replay.core.redaction.detect", nothing)
    planted = planted_from_seed(3)
    outputs = run_every_command(tmp_path, planted)
    assert "access-key-id AKIA" in planted.found_in(outputs["check text stdout"])
    assert "account-id after letters" in planted.found_in(outputs["error message text stdout"])


# ------------------------------------------------------------------------------ serve


def post(url: str, target: str, body: bytes) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request("POST", "/", body=body, headers={
        "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    answer = connection.getresponse()
    return answer.status, answer.read()


def test_serve_masks_what_the_client_sent_in_its_answer_and_its_log(tmp_path: Path) -> None:
    planted = planted_from_seed(5)
    clean, _ = write_cassettes(tmp_path, planted)
    v = planted.values
    name = f"job-acct{v['account-id after letters']}-{v['access-key-id AKIA']}"
    lines: list[str] = []
    with start_server([clean], log=lines.append, verbose=True) as server:
        status, answer = post(server.url, "SageMaker.DescribeAutoMLJob",
                              json.dumps({"AutoMLJobName": name,
                                          "RoleArn": planted.in_context(
                                              "account-id in aws-cn ARN")}).encode())
        bad_status, bad = post(server.url, f"SageMaker.{v['access-key-id ASIA']}", b"{")
    assert status == 400 and b"NoMatchingInteraction" in answer
    assert bad_status == 400
    log = "\n".join(lines).encode()
    assert b"-acct0000000000" in answer  # the sanitizer's placeholder, before the gate
    assert planted.found_in(answer) == planted.found_in(bad) == planted.found_in(log) == []


# ------------------------------------------------------------------------------ the plugin

SUITE = """
import pytest

@pytest.mark.aws_replay("leaky")
def test_status(sagemaker):
    sagemaker.describe_auto_ml_job(AutoMLJobName="{job}")


@pytest.mark.aws_replay("leaky")
def test_unrecorded(sagemaker):
    sagemaker.describe_auto_ml_job(AutoMLJobName="{missing}")
"""


def test_plugin_failure_and_drift_messages_are_masked(pytester: pytest.Pytester,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER"):
        monkeypatch.delenv(name, raising=False)
    planted = planted_from_seed(9)
    v = planted.values
    pytester.makepyprojecttoml("[project]\nname = 'downstream'\n")
    write_cassette(pytester.path / "cassettes" / "leaky.yaml",
                   Cassette((interaction(leaky_body(planted), planted),)))
    missing = f"job-{v['access-key-id ASIA']}-acct{v['account-id after letters']}"
    pytester.makepyfile(test_leaky=textwrap.dedent(SUITE.format(job=JOB, missing=missing)))
    report = pytester.path / "drift.json"
    result = pytester.runpytest("--aws-replay-drift=error", f"--aws-replay-report={report}")
    result.assert_outcomes(failed=2)
    output = (result.stdout.str() + result.stderr.str()).encode()
    assert b"AKIA****************" in output  # the drifted status, masked
    assert planted.found_in(output) == []
    assert planted.found_in(report.read_bytes()) == []
