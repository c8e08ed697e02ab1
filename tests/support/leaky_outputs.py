"""Secrets of every detector planted into a cassette, and every command run over it in every
format: the harness of the output-gate property (``tests/cli/test_output_gate.py``) and of its
figures (``bench/bench_output_gate.py``).

Nothing credential-shaped is in the source: the values come from ``tests.support.planted``.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import strategies as st

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.read import read_cassette
from replay.cassette.write import write_cassette
from replay.cli.app import main
from replay.synth.jobs import synthetic_response
from tests.support.planted import (
    BASE64_CHARS,
    UPPER_DIGITS,
    access_keys,
    account_ids,
    rng_secret,
    secret_keys,
    session_tokens,
    signatures,
)
from tests.support.stub_sagemaker import StubSageMaker

JOB = "leaky-job"
FORMATS = ("text", "json", "junit", "markdown", "sarif")
COMMANDS = ("check", "diff", "drift", "scan", "report merge")
DUMMY_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
             "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
             "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None, "AWS_ENDPOINT_URL": None,
             "AWS_ENDPOINT_URL_SAGEMAKER": None, "NO_COLOR": "1"}


@dataclass(frozen=True)
class Planted:
    """One secret per detector (the keys name them)."""

    values: dict[str, str]

    def in_context(self, name: str) -> str:
        """The value as it would be written where it is found (a signature after
        ``Signature=``, an account id in its ARN)."""
        value = self.values[name]
        return {
            "sigv4-signature": f"Signature={value}",
            "presigned-url token": f"https://x/?X-Amz-Security-Token={value}",
            "account-id in aws ARN": f"arn:aws:iam::{value}:role/x",
            "account-id in aws-cn ARN": f"arn:aws-cn:iam::{value}:role/x",
            "account-id in aws-us-gov ARN": f"arn:aws-us-gov:iam::{value}:role/x",
            "account-id after letters": f"acct{value}",
            "account-id in a bucket name": f"s3://sagemaker-us-east-1-{value}/x",
        }.get(name, value)

    def found_in(self, data: bytes) -> list[str]:
        """The detectors whose planted value appears in ``data``."""
        return [name for name, value in self.values.items() if value.encode() in data]


@st.composite
def planted_secrets(draw: st.DrawFn) -> Planted:
    """A secret of every detector, drawn by hypothesis (distinct account ids)."""
    accounts = draw(st.lists(account_ids, min_size=5, max_size=5, unique=True))
    keys = draw(st.lists(access_keys, min_size=2, max_size=2, unique=True))
    return Planted({
        "access-key-id AKIA": "AKIA" + keys[0][4:],
        "access-key-id ASIA": "ASIA" + keys[1][4:],
        "secret-access-key": draw(secret_keys),
        "session-token": draw(session_tokens),
        "presigned-url token": draw(session_tokens),
        "sigv4-signature": draw(signatures),
        "account-id in aws ARN": accounts[0],
        "account-id in aws-cn ARN": accounts[1],
        "account-id in aws-us-gov ARN": accounts[2],
        "account-id after letters": accounts[3],
        "account-id in a bucket name": accounts[4],
    })


def planted_from_seed(seed: int) -> Planted:
    """A fresh secret of every detector from a seeded generator."""
    rng = random.Random(seed)

    def account() -> str:
        return rng_secret("account", rng.randrange(10**6))

    return Planted({
        "access-key-id AKIA": rng_secret("access-key", rng.randrange(10**6)),
        "access-key-id ASIA": "ASIA" + "".join(rng.choices(UPPER_DIGITS, k=16)),
        "secret-access-key": rng_secret("secret-key", rng.randrange(10**6)),
        "session-token": rng_secret("session-token", rng.randrange(10**6)),
        "presigned-url token": "IQoJb3JpZ2luX2Vj" + "".join(rng.choices(BASE64_CHARS, k=60)),
        "sigv4-signature": rng_secret("signature", rng.randrange(10**6)),
        "account-id in aws ARN": account(),
        "account-id in aws-cn ARN": account(),
        "account-id in aws-us-gov ARN": account(),
        "account-id after letters": account(),
        "account-id in a bucket name": account(),
    })


def leaky_body(planted: Planted) -> dict[str, Any]:
    """A DescribeAutoMLJob answer where every planted value sits in a member a check quotes."""
    v = planted.values
    body: dict[str, Any] = json.loads(json.dumps(synthetic_response("completed-" + JOB)[1]))
    body["AutoMLJobName"] = JOB
    body["AutoMLJobStatus"] = v["access-key-id AKIA"]  # an enum finding quotes it
    body["AutoMLJobSecondaryStatus"] = f"Signature={v['sigv4-signature']}"
    body["FailureReason"] = (f"denied for {v['access-key-id ASIA']} in "
                             f"acct{v['account-id after letters']}")
    body["CreationTime"] = f"arn:aws-us-gov:iam::{v['account-id in aws-us-gov ARN']}:role/x"
    body["RoleArn"] = f"arn:aws-cn:iam::{v['account-id in aws-cn ARN']}:role/x"
    body["AutoMLJobArn"] = 7  # a type finding
    body["OutputDataConfig"] = {"S3OutputPath": 12, "KmsKeyId":
                                f"arn:aws:kms:us-east-1:{v['account-id in aws ARN']}:key/x"}
    body["ModelDeployResult"] = {"EndpointName": 5, "Note":
                                 f"s3://sagemaker-us-east-1-{v['account-id in a bucket name']}/x"}
    body[v["secret-access-key"]] = {"AWS_SECRET_ACCESS_KEY": v["secret-access-key"],
                                    "Token": v["session-token"]}  # unknown member, by name
    body["ResolvedAttributes"] = {"CompletionCriteria": {
        "MaxCandidates": f"https://x/?X-Amz-Security-Token={v['presigned-url token']}"}}
    return body


def interaction(body: dict[str, Any], planted: Planted | None) -> Interaction:
    request_headers = {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
                       "Content-Type": ["application/x-amz-json-1.1"]}
    response_headers = {"Content-Type": ["application/x-amz-json-1.1"]}
    if planted is not None:
        v = planted.values
        request_headers["Authorization"] = [
            f"AWS4-HMAC-SHA256 Credential={v['access-key-id AKIA']}/20261201/us-east-1/"
            f"sagemaker/aws4_request, SignedHeaders=host, Signature={v['sigv4-signature']}"]
        request_headers["X-Amz-Security-Token"] = [v["session-token"]]
        response_headers[v["access-key-id ASIA"]] = [v["secret-access-key"]]
    return Interaction(
        RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/", request_headers,
                        json.dumps({"AutoMLJobName": JOB})),
        RecordedResponse(200, "OK", response_headers, json.dumps(body).encode()))


def write_cassettes(folder: Path, planted: Planted) -> tuple[Path, Path]:
    """(clean, leaky): the same job, answered plainly and with every secret planted; neither
    sanitized (the leaky one is what a user hands ``check`` before sanitizing)."""
    clean_body = json.loads(json.dumps(synthetic_response("completed-" + JOB)[1]))
    clean_body["AutoMLJobName"] = JOB
    clean, leaky = folder / "clean" / "job.yaml", folder / "leaky" / "job.yaml"
    write_cassette(clean, Cassette((interaction(clean_body, None),), {"source": "synthetic"}))
    write_cassette(leaky, Cassette((interaction(leaky_body(planted), planted),),
                                   {"source": "synthetic"}))
    return clean, leaky


def leaky_report(path: Path, planted: Planted) -> Path:
    """A JSON report (as a CI cell might have written it before the gate) quoting every value."""
    findings = [{"kind": "enum", "severity": "breaking", "path": f"$.{name.split()[0]}",
                 "message": f"value {planted.in_context(name)} is not in the enum",
                 "expected": ["A", "B"], "actual": planted.in_context(name),
                 "cassette": "cassettes/job.yaml", "interaction": 0,
                 "operation": "DescribeAutoMLJob"} for name in planted.values]
    summary = {"total": len(findings), "by_severity": {"breaking": len(findings)},
               "cassettes": 1, "interactions": 1}
    path.write_text(json.dumps({"findings": findings, "summary": summary}))
    return path


def run_every_command(folder: Path, planted: Planted) -> dict[str, bytes]:
    """Every command in every format, to stdout and to ``--output``: what each put out (stdout,
    stderr and the report file together), by ``"<command> <format> <stdout|file>"``."""
    clean, leaky = write_cassettes(folder, planted)
    merged = leaky_report(folder / "cell.json", planted)
    runner = CliRunner()
    outputs: dict[str, bytes] = {}
    clean_body = json.loads(read_cassette(clean).interactions[0].response.body)
    old_cwd = Path.cwd()
    os.chdir(folder)  # no pyproject.toml above: default settings, no baseline
    try:
        with StubSageMaker({JOB: clean_body}) as stub:
            arguments = {
                "check": ["check", str(leaky)],
                "diff": ["diff", str(clean), str(leaky)],
                "drift": ["drift", str(leaky), "--endpoint-url", stub.url, "--max-attempts",
                          "1"],
                "scan": ["scan", str(leaky)],
                "report merge": ["report", "merge", str(merged)],
            }
            for command, args in arguments.items():
                for fmt in FORMATS:
                    for where in ("stdout", "file"):
                        report = folder / f"out-{command.replace(' ', '-')}-{fmt}.{where}"
                        extra = ["--output", str(report)] if where == "file" else []
                        result = runner.invoke(main, [*args, "--format", fmt, *extra],
                                               env=DUMMY_ENV)
                        data = result.stdout_bytes + result.stderr_bytes
                        if report.exists():
                            data += report.read_bytes()
                        if result.exit_code not in (0, 1):
                            raise AssertionError(f"{command} {fmt}: exit {result.exit_code}: "
                                                 f"{result.output}")
                        outputs[f"{command} {fmt} {where}"] = data
        baseline = folder / "baseline.json"
        result = runner.invoke(main, ["accept", str(leaky), "--baseline", str(baseline)],
                               env=DUMMY_ENV)
        outputs["accept text stdout"] = (result.stdout_bytes + result.stderr_bytes
                                         + (baseline.read_bytes() if baseline.exists() else b""))
        missing = folder / f"acct{planted.values['account-id after letters']}-" \
                           f"{planted.values['access-key-id AKIA']}.yaml"
        result = runner.invoke(main, ["check", str(missing)], env=DUMMY_ENV)
        outputs["error message text stdout"] = result.stdout_bytes + result.stderr_bytes
    finally:
        os.chdir(old_cwd)
    return outputs
