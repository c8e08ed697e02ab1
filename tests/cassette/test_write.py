"""JSON cassettes (``cassette_format = "json"``): written where the setting says, read back the
same, and replayed by plain vcrpy's json serializer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import vcr

from replay.cassette.read import read_cassette
from replay.cassette.write import cassette_suffix, dump_cassette, write_cassette
from replay.core.errors import ConfigError
from tests.support.cassettes import make_cassette


@pytest.mark.parametrize(("setting", "suffix"), [
    ("", ".yaml"), ('cassette_format = "yaml"\n', ".yaml"), ('cassette_format = "json"\n', ".json"),
])
def test_the_setting_picks_the_suffix(tmp_path: Path, setting: str, suffix: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.aws-replay]\n" + setting)
    (tmp_path / "cassettes").mkdir()
    assert cassette_suffix(tmp_path / "cassettes") == suffix


def test_an_unknown_format_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.aws-replay]\ncassette_format = "toml"\n')
    with pytest.raises(ConfigError, match="cassette_format = 'toml': choose"):
        cassette_suffix(tmp_path)


def test_a_json_cassette_reads_back_what_the_yaml_one_does(
        tmp_path: Path, full_body: dict[str, Any]) -> None:
    cassette = make_cassette(full_body, full_body["AutoMLJobName"])
    write_cassette(tmp_path / "job.json", cassette)
    write_cassette(tmp_path / "job.yaml", cassette)
    assert (tmp_path / "job.json").read_text() == dump_cassette(cassette, as_json=True)
    assert read_cassette(tmp_path / "job.json").interactions == \
        read_cassette(tmp_path / "job.yaml").interactions


def test_plain_vcrpy_replays_a_json_cassette(
        tmp_path: Path, full_body: dict[str, Any],
        sagemaker_client: Callable[[str], Any]) -> None:
    path = tmp_path / "job.json"
    write_cassette(path, make_cassette(full_body, full_body["AutoMLJobName"]))
    client = sagemaker_client("https://api.sagemaker.us-east-1.amazonaws.com")
    with vcr.VCR(record_mode="none", serializer="json").use_cassette(str(path)):
        job = client.describe_auto_ml_job(AutoMLJobName=full_body["AutoMLJobName"])
    assert job["BestCandidate"]["CandidateName"] == full_body["BestCandidate"]["CandidateName"]


def test_the_yaml_layout_keeps_small_collections_and_long_values_on_one_line(
        tmp_path: Path, full_body: dict[str, Any]) -> None:
    cassette = make_cassette(full_body, full_body["AutoMLJobName"])
    long_value = "AWS4-HMAC-SHA256 Credential=x/y, SignedHeaders=" + ";".join(["h"] * 60)
    request = cassette.interactions[0].request
    request = replace(request, headers={**request.headers, "Authorization": [long_value]})
    meta = {"source": "synthetic", "sanitizer": {"version": 1, "rules": ["a-rule", "b-rule"]}}
    cassette = replace(cassette, meta=meta,
                       interactions=(replace(cassette.interactions[0], request=request),))
    write_cassette(tmp_path / "job.yaml", cassette)
    lines = (tmp_path / "job.yaml").read_text().splitlines()
    assert "  sanitizer: {version: 1, rules: [a-rule, b-rule]}" in lines
    assert f"      Authorization: ['{long_value}']" in lines  # quoted (", "), never folded
    assert read_cassette(tmp_path / "job.yaml").interactions[0].request.header(
        "Authorization") == long_value
    assert read_cassette(tmp_path / "job.yaml").meta == meta
