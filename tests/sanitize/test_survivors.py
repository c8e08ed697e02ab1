"""What used to survive ``sanitize`` and ``scan``: each hostile cassette is found by ``scan``
before sanitizing; ``sanitize`` rewrites it; afterwards ``scan`` is clean, the planted value is
nowhere in the file, the cassette parses, ``Content-Length`` is true, and it still replays."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import urllib.parse
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from click.testing import CliRunner

from replay.cassette.model import header_value
from replay.cassette.read import read_cassette
from replay.cli.app import main as cli
from replay.sanitize.decoders import brotli_available, compress, decompress
from replay.sanitize.files import sanitize_paths
from replay.sanitize.sanitizer import Sanitizer
from replay.sanitize.scan import scan_file
from replay.serve.server import start_server
from tests.support.planted import rng_secret

JOB = "survivor-job"


def vcrpy_text(body: bytes | str, *, response_headers: dict[str, list[str]] | None = None,
               uri: str = "https://api.sagemaker.us-east-1.amazonaws.com/") -> str:
    """A cassette as vcrpy writes it (PyYAML's safe dumper: bytes as !!binary)."""
    raw = body if isinstance(body, bytes) else body.encode()
    headers = {"Content-Type": ["application/x-amz-json-1.1"],
               "Content-Length": [str(len(raw))], **(response_headers or {})}
    data: dict[str, Any] = {"interactions": [{
        "request": {"method": "POST", "uri": uri, "body": json.dumps({"AutoMLJobName": JOB}),
                    "headers": {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
                                "Content-Type": ["application/x-amz-json-1.1"]}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": headers,
                     "body": {"string": body}},
    }], "version": 1}
    return str(yaml.safe_dump(data, sort_keys=False))


def job_body(**extra: Any) -> str:
    return json.dumps({"AutoMLJobName": JOB, "AutoMLJobArn":
                       "arn:aws:sagemaker:us-east-1:000000000001:automl-job/survivor-job",
                       "AutoMLJobStatus": "Completed", **extra})


def gzip_body(secret: str) -> str:
    return vcrpy_text(gzip.compress(job_body(Environment={"KEY": secret}).encode(), mtime=0),
                      response_headers={"Content-Encoding": ["gzip"]})


def deflate_body(secret: str) -> str:
    return vcrpy_text(zlib.compress(job_body(Environment={"KEY": secret}).encode()),
                      response_headers={"Content-Encoding": ["deflate"]})


def brotli_body(secret: str) -> str:
    return vcrpy_text(compress(job_body(Environment={"KEY": secret}).encode(), "br"),
                      response_headers={"Content-Encoding": ["br"]})


def hex_key(secret: str) -> str:
    return vcrpy_text(job_body(Environment={"KEY_HEX": secret.encode().hex()}))


def double_base64_key(secret: str) -> str:
    twice = base64.b64encode(base64.b64encode(secret.encode())).decode()
    return vcrpy_text(job_body(Environment={"KEY_B64B64": twice}))


def folded_key(secret: str) -> str:
    """A double-quoted scalar folded with an escaped line break (as PyYAML folds long ones):
    the key is split over two lines of the file and whole in the value."""
    body = job_body(Environment={"KEY": secret})
    text = vcrpy_text(body)
    quoted = json.dumps(body)  # a JSON string is a valid YAML double-quoted scalar
    cut = quoted.index(secret) + 9
    folded = f"{quoted[:cut]}\\\n        {quoted[cut:]}"
    start = text.index("      string: ") + len("      string: ")
    end = text.index("\nversion: 1")
    return text[:start] + folded + text[end:]


def account_after_letters(account: str) -> str:
    return vcrpy_text(job_body(OutputDataConfig={"S3OutputPath": f"s3://out/acct{account}x/"},
                               Tag=f"acct{account}"))


def key_as_header_name(secret: str) -> str:
    return vcrpy_text(job_body(), response_headers={secret: ["1"]})


def url_encoded_arn(account: str) -> str:
    role = f"arn:aws-us-gov:iam::{account}:role/x"
    return vcrpy_text(job_body(),
                      uri="https://api.sagemaker.us-east-1.amazonaws.com/?role="
                          + role.replace(":", "%3A").replace("/", "%2F"))


def aws_cn_arn(account: str) -> str:
    return vcrpy_text(job_body(RoleArn=f"arn:aws-cn:iam::{account}:role/x"))


CASES: list[tuple[str, str, Callable[[str], str]]] = [
    ("gzip body (!!binary, Content-Encoding: gzip)", "access-key", gzip_body),
    ("gzip body, account id", "account", lambda a: gzip_body(f"arn:aws:iam::{a}:role/x")),
    ("deflate body", "access-key", deflate_body),
    ("hex-encoded key id", "access-key", hex_key),
    ("double-base64 key id", "access-key", double_base64_key),
    ("key split across a folded YAML scalar", "access-key", folded_key),
    ("account id adjacent to letters", "account", account_after_letters),
    ("key used as a header name", "access-key", key_as_header_name),
    ("URL-encoded aws-us-gov ARN in the URI", "account", url_encoded_arn),
    ("aws-cn ARN", "account", aws_cn_arn),
]
if brotli_available():
    CASES.append(("brotli body (Content-Encoding: br)", "access-key", brotli_body))


def plant(kind: str, build: Callable[[str], str], seed: int) -> tuple[str, str]:
    secret = rng_secret(kind, seed)
    return secret, build(secret)


@pytest.mark.parametrize(("name", "kind", "build"), CASES, ids=[c[0] for c in CASES])
def test_scan_finds_it_sanitize_removes_it_and_the_cassette_still_replays(
        name: str, kind: str, build: Callable[[str], str], tmp_path: Path) -> None:
    secret, text = plant(kind, build, seed=len(name))
    path = tmp_path / "job.yaml"
    path.write_text(text)
    before = scan_file(path, Sanitizer.default())
    assert secret in {leak.value for leak in before}, name

    run = sanitize_paths([path], Sanitizer.default())
    assert run.changed == [path]
    assert run.survivors == []
    assert scan_file(path, Sanitizer.default()) == []
    written = path.read_text()
    assert secret not in written
    cassette = read_cassette(path)
    response = cassette.interactions[0].response
    assert header_value(response.headers, "Content-Length") == str(len(response.body))
    encoding = header_value(response.headers, "Content-Encoding")
    body = decompress(response.body, encoding) if encoding else response.body
    assert body is not None and json.loads(body)["AutoMLJobName"] == JOB
    assert secret not in body.decode()

    with start_server([path]) as server:
        if encoding:  # botocore does not inflate: what a client gets must inflate itself
            answer = raw_describe(server.url)
            wire = answer.read()
            assert wire == response.body
            assert len(wire) == int(answer.getheader("Content-Length") or -1)
            assert decompress(wire, encoding) == body
        else:
            client = boto3.client("sagemaker", endpoint_url=server.url, region_name="us-east-1",
                                  aws_access_key_id="testing", aws_secret_access_key="testing")
            job = client.describe_auto_ml_job(AutoMLJobName=JOB)
            assert job["AutoMLJobStatus"] == "Completed"


def raw_describe(url: str) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request("POST", "/", body=json.dumps({"AutoMLJobName": JOB}),
                       headers={"X-Amz-Target": "SageMaker.DescribeAutoMLJob",
                                "Content-Type": "application/x-amz-json-1.1"})
    return connection.getresponse()


def test_a_second_sanitize_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(gzip_body(rng_secret("access-key", 3)))
    sanitize_paths([path], Sanitizer.default())
    once = path.read_bytes()
    run = sanitize_paths([path], Sanitizer.default())
    assert run.changed == [] and run.survivors == [] and path.read_bytes() == once


def test_a_thirteen_digit_run_is_not_an_account(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(vcrpy_text(job_body(Build="build-9876543210045-run",
                                        Metric="0.912345678901")))
    assert scan_file(path, Sanitizer.default()) == []
    assert sanitize_paths([path], Sanitizer.default()).changed == []


def test_what_survives_sanitizing_is_exit_1_with_file_line_and_detector(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A gap in the sanitizer (here: one that changes nothing) is caught by the scan that ends
    every sanitize: file, line and detector named, the value masked, exit 1, the file as the
    scan found it."""
    account, key = rng_secret("account", 7), rng_secret("access-key", 8)
    path = tmp_path / "job.yaml"
    path.write_text(vcrpy_text(job_body(RoleArn=f"arn:aws:iam::{account}:role/x", Key=key)))
    before = path.read_bytes()
    monkeypatch.setattr(Sanitizer, "sanitize_interaction", lambda self, i: i)

    result = CliRunner().invoke(cli, ["sanitize", str(path)])
    assert result.exit_code == 1, result.output
    assert account not in result.output and key not in result.output
    lines = result.output.splitlines()
    assert f"survived sanitizing: {path}:22: account-id: {account[:4]}********" in lines
    assert f"survived sanitizing: {path}:23: access-key-id: {key[:4]}{'*' * 16}" in lines
    assert lines[-1].startswith("aws-replay: 2 value(s) in 1 cassette(s) survived sanitizing")
    assert path.read_bytes() == before


def test_a_placeholder_inside_base64_keeps_its_number_on_the_next_run(tmp_path: Path) -> None:
    first, second = rng_secret("access-key", 11), rng_secret("access-key", 12)
    path = tmp_path / "b-job.yaml"
    path.write_text(double_base64_key(first))
    sanitize_paths([path], Sanitizer.default())
    text = path.read_text()
    other = tmp_path / "a-other.yaml"  # sanitized first, but after every file's reservation
    other.write_text(vcrpy_text(job_body(Key=second)))
    sanitize_paths([other, path], Sanitizer.default())
    assert path.read_text() == text
    assert "AKIAREDACTED00000002" in other.read_text()  # 00000001 is taken inside the base64


def test_a_key_split_by_a_fold_yaml_reads_as_a_space_is_reported_not_hidden(
        tmp_path: Path) -> None:
    """A folded block (``>``) reads its line break as a space: the value holds ``AKIA… …``,
    which no rule may rewrite as a key, but a reader joins it again. scan reports it; sanitize
    cannot rewrite it and says so (exit 1), leaving the file as it was."""
    key = rng_secret("access-key", 13)
    text = vcrpy_text(job_body()).replace(
        "    body:\n      string: ",
        f"    body:\n      note: >\n        token {key[:10]}\n        {key[10:]} end\n"
        "      string: ")
    path = tmp_path / "job.yaml"
    path.write_text(text)
    [leak] = scan_file(path, Sanitizer.default())
    assert (leak.value, leak.decoded_from) == (key, "YAML folded lines")
    result = CliRunner().invoke(cli, ["sanitize", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(
        "0 cassette(s) sanitized, 0 already clean, 1 unchanged but not clean\n")
    assert f"survived sanitizing: {path}:22: access-key-id: {key[:4]}" in result.output
    assert path.read_text() == text


def test_a_plain_body_under_a_stale_content_encoding_is_sanitized_as_text(
        tmp_path: Path) -> None:
    key = rng_secret("access-key", 14)
    path = tmp_path / "job.yaml"
    path.write_text(vcrpy_text(job_body(Key=key), response_headers={"Content-Encoding": ["gzip"]}))
    assert sanitize_paths([path], Sanitizer.default()).survivors == []
    assert key not in path.read_text()


def test_a_corrupt_compressed_body_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(vcrpy_text(b"\x1f\x8b\x08\x00garbage\xff\xfe",
                               response_headers={"Content-Encoding": ["gzip"]}))
    result = CliRunner().invoke(cli, ["sanitize", str(path)])
    assert result.exit_code == 2
    assert result.output == (f"aws-replay: error: {path}: a response body says Content-Encoding: "
                             "gzip but does not inflate (corrupt, or over the size limit); "
                             "re-record it\n")


def test_a_brotli_body_without_the_brotli_package_is_exit_2_naming_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(vcrpy_text(b"\x8b\x02\x80compressed?", response_headers={
        "Content-Encoding": ["br"]}))
    monkeypatch.setattr("replay.sanitize.decoders._brotli_module", None)
    result = CliRunner().invoke(cli, ["sanitize", str(path)])
    assert result.exit_code == 2
    assert result.output == (f"aws-replay: error: {path}: a response body is brotli-compressed "
                             "(Content-Encoding: br) and the brotli package is not installed; "
                             "pip install brotli, then sanitize again\n")


def test_the_meta_block_is_sanitized_too(tmp_path: Path) -> None:
    account = rng_secret("account", 15)
    path = tmp_path / "job.yaml"
    path.write_text(f"meta:\n  note: recorded in account {account}\n" + vcrpy_text(job_body()))
    run = sanitize_paths([path], Sanitizer.default())
    assert run.changed == [path] and run.survivors == []
    assert account not in path.read_text()
    assert read_cassette(path).meta["note"] == "recorded in account 000000000002"


def test_a_shadowed_duplicate_interactions_key_is_not_called_clean(tmp_path: Path) -> None:
    """YAML keeps the last of two ``interactions:`` keys; the first, shadowed, still holds a
    key on disk. Sanitizing sees only the last; its closing scan reads the file and says so."""
    key = rng_secret("access-key", 16)
    clean = vcrpy_text(job_body())
    shadowed = vcrpy_text(job_body(Key=key)).replace("version: 1\n", "")
    path = tmp_path / "job.yaml"
    path.write_text(shadowed + clean)
    result = CliRunner().invoke(cli, ["sanitize", str(path)])
    # exit 1 naming the survivor; or exit 2 where duplicate keys are refused on reading
    assert result.exit_code in (1, 2), result.output
    assert key not in result.output and "1 already clean" not in result.output
    if result.exit_code == 1:
        assert f"access-key-id: {key[:4]}{'*' * 16}" in result.output
