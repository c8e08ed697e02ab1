"""`aws-replay check` on a cassette holding an interaction it cannot read: one `unchecked`
finding, in every report format, and the other interactions still checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from replay.cli.app import main
from tests.support.cassettes import list_jobs_interaction


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    stranger = Interaction(RecordedRequest("GET", "https://example.com/health", {}, ""),
                           RecordedResponse(200, "OK", {}, b"<ok/>"))
    path = tmp_path / "mixed.yaml"
    write_cassette(path, Cassette((stranger, list_jobs_interaction({"AutoMLJobSummaries": [],
                                                        "Extra": 1}))))
    return path


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "markdown", "sarif"])
def test_unchecked_shows_in_every_format_and_the_rest_is_checked(cassette: Path,
                                                                 fmt: str) -> None:
    result = CliRunner().invoke(main, ["check", str(cassette), "--format", fmt])
    assert result.exit_code == 0, result.output  # info and additive: below --fail-on
    assert "unchecked" in result.output
    assert "Extra" in result.output


def test_unchecked_fails_only_with_fail_on_info(cassette: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(cassette), "--fail-on", "info",
                                       "--format", "json"])
    assert result.exit_code == 1
    kinds = [f["kind"] for f in json.loads(result.output)["findings"]]
    assert kinds == ["unchecked", "unknown-member"]
