"""render is the redaction gate of every report: what a finding quotes is masked in every format,
before a format cuts a long value short, and the file a finding names is still located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from replay.core.findings import Finding, Severity, summarize
from replay.core.redaction import mask
from replay.report.render import FORMATS, render, render_json
from tests.support.planted import rng_secret

KEY, ASIA = rng_secret("access-key", 31), "ASIA" + rng_secret("access-key", 32)[4:]
SECRET, ACCOUNT = rng_secret("secret-key", 33), rng_secret("account", 34)
PLANTED = (KEY, ASIA, SECRET, ACCOUNT)


def leaky_findings(cassette: str) -> list[Finding]:
    return [
        Finding(kind="enum", severity=Severity.BREAKING, path="$.AutoMLJobStatus",
                message=f"{KEY!r} is not a value of enum AutoMLJobStatus", expected=["Completed"],
                actual=KEY, cassette=cassette, interaction=0, operation="DescribeAutoMLJob"),
        Finding(kind="value-changed", severity=Severity.INFO, path="$.FailureReason",
                message="FailureReason changed", expected=f"denied for {ASIA}",
                actual=("x" * 60) + f" AccountId={ACCOUNT} " + ("y" * 60),  # cut at 80 and 120
                cassette=cassette, interaction=0, operation="DescribeAutoMLJob"),
        Finding(kind="unknown-member", severity=Severity.ADDITIVE, path=f"$['{SECRET}']",
                message=f"member {SECRET} is not in the model",
                actual={"AWS_SECRET_ACCESS_KEY": SECRET},
                cassette=cassette, interaction=0, operation="DescribeAutoMLJob"),
        Finding(kind="type", severity=Severity.BREAKING, path="$.RoleArn",
                message="RoleArn expects a string",
                actual=f"arn:aws-cn:iam::{ACCOUNT}:role/x", cassette=cassette, interaction=0),
    ]


@pytest.fixture
def cassette(tmp_path: Path) -> str:
    path = tmp_path / "job.yaml"
    body = json.dumps({"AutoMLJobStatus": KEY, "RoleArn": 1}, indent=2).encode()
    write_cassette(path, Cassette((Interaction(
        RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                        {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]}, "{}"),
        RecordedResponse(200, "OK", {}, body)),)))
    return str(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_prints_a_value_a_detector_finds(fmt: str, cassette: str) -> None:
    findings = leaky_findings(cassette)
    text = render(findings, summarize(findings), fmt, fail_on=Severity.INFO)
    assert [value for value in PLANTED if value in text] == []
    assert mask(KEY) in text
    assert not any(value[:8] in text for value in PLANTED)  # no cut-off prefix either


def test_sarif_still_locates_the_finding_in_its_cassette(cassette: str) -> None:
    findings = leaky_findings(cassette)[:1]
    document = json.loads(render(findings, summarize(findings), "sarif"))
    [result] = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] > 1
    assert result["properties"]["actual"] == mask(KEY)


def test_the_json_renderer_the_plugin_calls_is_gated_too(cassette: str) -> None:
    findings = leaky_findings(cassette)
    text = render_json(findings, summarize(findings))
    assert [value for value in PLANTED if value in text] == []
    assert json.loads(text)["findings"][0]["actual"] == mask(KEY)


def test_clean_findings_render_as_before(cassette: str) -> None:
    finding = Finding(kind="enum", severity=Severity.BREAKING, path="$.AutoMLJobStatus",
                      message="'Paused' is not a value", actual="Paused",
                      expected="arn:aws:iam::000000000001:role/x", cassette=cassette,
                      interaction=0)
    text = render([finding], summarize([finding]), "json")
    assert json.loads(text)["findings"][0]["expected"] == "arn:aws:iam::000000000001:role/x"
