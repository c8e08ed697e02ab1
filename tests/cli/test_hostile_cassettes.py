"""Hostile cassettes (an alias bomb as a body, a shadowed duplicate key, truncated YAML) through
every command that reads cassettes: exit 2, one line on stderr, no traceback, file unchanged.
Each bomb is a few hundred bytes; read naively it would expand into gigabytes (never finish)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replay.cli.app import main
from tests.support.cassettes import full_body, write_job_cassette

REQUEST = ("method: POST\n    uri: https://api.sagemaker.us-east-1.amazonaws.com/\n"
           "    headers:\n      X-Amz-Target:\n      - SageMaker.DescribeAutoMLJob\n")
RESPONSE = "status:\n      code: 200\n      message: OK\n    headers: {}\n"


def _bomb() -> str:
    levels = ['  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for this, below in zip("bcdefghi", "abcdefgh", strict=True):
        levels.append(f"  {this}: &{this} [" + ",".join([f"*{below}"] * 9) + "]")
    return "meta:\n" + "\n".join(levels) + "\n"


HOSTILE = {
    "alias bomb as the response body": (
        _bomb() + "interactions:\n- request:\n    " + REQUEST + "    body: '{}'\n  response:\n    "
        + RESPONSE + "    body:\n      string: *i\nversion: 1\n", "uses a YAML alias"),
    "alias bomb as the request body": (
        _bomb() + "interactions:\n- request:\n    " + REQUEST + "    body: *i\n  response:\n    "
        + RESPONSE + "    body:\n      string: '{}'\nversion: 1\n", "uses a YAML alias"),
    "a shadowed duplicate interactions key": (
        "interactions:\n- request:\n    " + REQUEST + "    body: '{}'\n  response:\n    "
        + RESPONSE + "    body:\n      string: '{}'\ninteractions: []\nversion: 1\n",
        "has the key 'interactions' twice in one mapping (line 16)"),
    "a duplicate key in a request": (
        "interactions:\n- request:\n    " + REQUEST + "    body: '{}'\n    body: '{\"x\": 1}'\n"
        "  response:\n    " + RESPONSE + "    body:\n      string: '{}'\nversion: 1\n",
        "has the key 'body' twice in one mapping (line 9)"),
    "a duplicate key in a response": (
        "interactions:\n- request:\n    " + REQUEST + "    body: '{}'\n  response:\n    "
        + RESPONSE + "    headers: {}\n    body:\n      string: '{}'\nversion: 1\n",
        "has the key 'headers' twice in one mapping (line 14)"),
    "truncated YAML": ("interactions:\n- request:\n    method: POST\n    uri: 'https://api.sa",
                       "is not valid YAML"),
}

COMMANDS = {
    "check": ["check", "{f}"],
    "scan": ["scan", "{f}"],
    "sanitize": ["sanitize", "{f}"],
    "sanitize --check": ["sanitize", "--check", "{f}"],
    "diff NEW": ["diff", "{clean}", "{f}"],
    "diff OLD": ["diff", "{f}", "{clean}"],
}


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return write_job_cassette(tmp_path / "clean.yaml", [full_body()])


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_cassette_is_one_line_and_exit_2(tmp_path: Path, clean: Path, case: str,
                                                   command: str) -> None:
    text, problem = HOSTILE[case]
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(text, encoding="utf-8")
    args = [arg.format(f=hostile, clean=clean) for arg in COMMANDS[command]]
    result: Any = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{hostile}: {problem}" in result.stderr
    assert "Traceback" not in result.output
    assert hostile.read_text(encoding="utf-8") == text


def test_the_bomb_is_small() -> None:
    assert len(HOSTILE["alias bomb as the response body"][0]) < 900
