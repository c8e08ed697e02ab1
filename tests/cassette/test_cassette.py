"""Cassette files: vcrpy's own (``!!binary``) and ours, clear errors, atomic writes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import vcr
import yaml

from replay.cassette.read import find_cassettes, load_cassette, parse_cassette, read_cassette
from replay.cassette.write import atomic_writer, write_cassette
from replay.core.errors import CassetteError, CassetteNotFoundError
from replay.spec.check import check_cassette
from tests.support.cassettes import make_cassette
from tests.support.stub_sagemaker import StubSageMaker


def test_vcrpy_recorded_cassette_is_read_and_checked(
        tmp_path: Path, stub_sagemaker: StubSageMaker,
        sagemaker_client: Callable[[str], Any], full_body: dict[str, Any]) -> None:
    path = tmp_path / "vcr.yaml"
    client = sagemaker_client(stub_sagemaker.url)
    with vcr.VCR().use_cassette(str(path)):
        client.describe_auto_ml_job(AutoMLJobName=full_body["AutoMLJobName"])
    assert "!!binary" in path.read_text()  # vcrpy hides boto3's header values as base64

    cassette = read_cassette(path)
    request = cassette.interactions[0].request
    assert request.header("X-Amz-Target") == "SageMaker.DescribeAutoMLJob"
    assert (request.header("Authorization") or "").startswith("AWS4-HMAC-SHA256 Credential=")
    assert cassette.interactions[0].response.json() == full_body
    assert check_cassette(cassette) == []


def test_written_cassette_is_readable_text_and_plain_vcrpy_replays_it(
        tmp_path: Path, full_body: dict[str, Any],
        sagemaker_client: Callable[[str], Any]) -> None:
    path = tmp_path / "ours.yaml"
    write_cassette(path, make_cassette(full_body, full_body["AutoMLJobName"]))
    text = path.read_text()
    assert "!!binary" not in text
    assert '    "AutoMLJobName": "churn-automl-2026",\n' in text  # pretty JSON, literal block
    # each header, the status and meta's sanitizer on one line (flow style, still vcrpy's YAML)
    assert "      Content-Type: [application/x-amz-json-1.1]\n" in text
    assert "    status: {code: 200, message: OK}\n" in text
    data = yaml.safe_load(text)
    body = data["interactions"][0]["response"]["body"]["string"]
    assert data["interactions"][0]["response"]["headers"]["Content-Length"] == [
        str(len(body.encode()))]
    assert list(data) == ["meta", "interactions", "version"]

    client = sagemaker_client("https://api.sagemaker.us-east-1.amazonaws.com")
    with vcr.VCR(record_mode="none").use_cassette(str(path)):
        job = client.describe_auto_ml_job(AutoMLJobName=full_body["AutoMLJobName"])
    assert job["BestCandidate"]["CandidateName"] == full_body["BestCandidate"]["CandidateName"]


def test_round_trip_keeps_epoch_timestamps_as_numbers(tmp_path: Path,
                                                      full_body: dict[str, Any]) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, make_cassette(full_body))
    again = read_cassette(path)
    assert again.interactions[0].response.json()["CreationTime"] == full_body["CreationTime"]
    assert again.meta == {"source": "synthetic"}


def test_json_cassettes_are_read_and_written(tmp_path: Path, full_body: dict[str, Any]) -> None:
    path = tmp_path / "c.json"
    write_cassette(path, make_cassette(full_body))
    assert json.loads(path.read_text())["version"] == 1
    assert read_cassette(path).interactions[0].response.json() == full_body


BAD_CASSETTES = [
    pytest.param("", "is empty; record it again or delete it", id="empty"),
    pytest.param("interactions:\n- request: {method: POST, uri: 'http",
                 "is not valid YAML at line", id="truncated"),
    pytest.param("\tinteractions: [", "is not valid YAML", id="not-yaml"),
    pytest.param("meta: {recorded_at: 2026-13-45}\ninteractions: []\n",
                 "is not valid YAML (month must be in 1..12)", id="yaml-bad-date"),
    pytest.param("just a string\n", "is not a cassette (no top-level 'interactions' list)",
                 id="not-a-mapping"),
    pytest.param("interactions: []\nversion: 2\n", "has cassette format version 2",
                 id="wrong-version"),
    pytest.param("interactions: {a: 1}\n", "'interactions' is not a list", id="interactions"),
    pytest.param("interactions: {}\n", "'interactions' is not a list", id="interactions-map"),
    pytest.param("interactions:\n- request: {method: POST}\n  response: {status: {code: 200}}\n",
                 "interaction 0 request has no 'uri'", id="no-uri"),
    pytest.param("interactions:\n- request: {method: POST, uri: /}\n  response: {}\n",
                 "interaction 0 response has no integer status code", id="no-status"),
    pytest.param("interactions:\n- 5\n", "interaction 0 is not a mapping", id="not-interaction"),
    pytest.param("interactions: []\nversion: 1\nmeta: [1]\n", "'meta' is not a mapping",
                 id="meta"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CASSETTES)
def test_bad_cassettes_give_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CassetteError) as caught:
        read_cassette(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_cassette_is_not_treated_like_an_empty_one(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError, match="no such cassette; record it with"):
        read_cassette(tmp_path / "nope.yaml")


def test_binary_garbage_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CassetteError, match="is not UTF-8 text"):
        read_cassette(path)


def test_failed_write_leaves_the_previous_cassette_intact(tmp_path: Path,
                                                         full_body: dict[str, Any]) -> None:
    path = tmp_path / "keep.yaml"
    write_cassette(path, make_cassette(full_body))
    before = path.read_bytes()
    with pytest.raises(RuntimeError), atomic_writer(path) as handle:
        handle.write("interactions: [half")
        raise RuntimeError("disk full")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.yaml"]


def test_load_cassette_parses_once_until_the_file_changes(tmp_path: Path,
                                                          full_body: dict[str, Any]) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, make_cassette(full_body))
    first = load_cassette(path)
    assert load_cassette(path) is first
    relative = Path(os.path.relpath(path))
    assert load_cassette(relative).path == relative  # shared content, the caller's own name
    assert load_cassette(relative).interactions is first.interactions
    write_cassette(path, make_cassette(full_body, "other-job"))
    assert load_cassette(path) is not first
    assert load_cassette(path).interactions[0].request.json() == {"AutoMLJobName": "other-job"}


def test_find_cassettes_walks_folders_and_skips_non_cassettes(tmp_path: Path,
                                                              full_body: dict[str, Any]) -> None:
    write_cassette(tmp_path / "a" / "one.yaml", make_cassette(full_body))
    write_cassette(tmp_path / "a" / "b" / "two.json", make_cassette(full_body))
    (tmp_path / "a" / "spec.lock.json").write_text('{"operations": {}}')
    (tmp_path / "a" / "notes.txt").write_text("hi")
    (tmp_path / "a" / ".hidden").mkdir()
    write_cassette(tmp_path / "a" / ".hidden" / "x.yaml", make_cassette(full_body))
    found = find_cassettes([tmp_path / "a"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a/b/two.json", "a/one.yaml"]
    with pytest.raises(CassetteNotFoundError, match="no such file or folder"):
        find_cassettes([tmp_path / "missing"])


def test_parse_accepts_headers_given_as_plain_strings() -> None:
    cassette = parse_cassette(
        "interactions:\n- request: {method: post, uri: /, headers: {X-Amz-Target: A.B}}\n"
        "  response: {status: {code: 200, message: OK}, body: {string: '{}'}}\n")
    assert cassette.interactions[0].request.headers == {"X-Amz-Target": ["A.B"]}
    assert cassette.interactions[0].request.method == "POST"
