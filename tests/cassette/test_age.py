"""Cassette age: meta.recorded_at, else the file's last commit, against a --max-age."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replay.cassette.age import (
    cassette_age,
    parse_max_age,
    stale_findings,
)
from replay.cassette.read import read_cassette
from replay.cassette.write import build_meta, write_cassette
from replay.cli.app import main
from replay.core.errors import ConfigError
from tests.support.cassettes import make_cassette

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _cassette(path: Path, body: dict[str, Any], recorded_at: datetime | None) -> Path:
    cassette = make_cassette(body)
    meta = build_meta("live", recorded_at=recorded_at) if recorded_at else {}
    write_cassette(path, replace(cassette, meta=meta))
    return path


@pytest.mark.parametrize(("text", "age"), [("90d", timedelta(days=90)), ("90", timedelta(days=90)),
                                            ("12w", timedelta(weeks=12)),
                                            ("36h", timedelta(hours=36)),
                                            ("1y", timedelta(days=365))])
def test_max_age_forms(text: str, age: timedelta) -> None:
    assert parse_max_age(text) == age


@pytest.mark.parametrize("text", ["", "0d", "90x", "d90", "-5d", "ninety"])
def test_bad_max_age_is_one_clear_error(text: str) -> None:
    with pytest.raises(ConfigError, match="is not an age; write it like 90d, 12w, 36h or 1y"):
        parse_max_age(text)


def test_a_cassette_older_than_the_max_age_is_stale(tmp_path: Path,
                                                    full_body: dict[str, Any]) -> None:
    old = _cassette(tmp_path / "old.yaml", full_body, NOW - timedelta(days=91))
    young = _cassette(tmp_path / "young.yaml", full_body, NOW - timedelta(days=89))
    findings = stale_findings([old, young], timedelta(days=90), now=NOW, limit_text="90d")
    assert [(f.cassette, f.kind, f.severity.value) for f in findings] == [
        (str(old), "stale-cassette", "info")]
    assert findings[0].message.startswith("recorded 2026-09-01, 91 days ago: older than the "
                                          "maximum age 90d;")
    assert "aws-replay drift --update" in findings[0].message
    later = stale_findings([young], timedelta(days=90), now=NOW + timedelta(days=2))
    assert [f.cassette for f in later] == [str(young)]


def _git(folder: Path, *args: str, when: str | None = None) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "PATH": "/usr/bin:/bin", "HOME": str(folder)}
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True)


def test_a_vcrpy_cassette_is_as_old_as_its_last_commit(tmp_path: Path,
                                                       full_body: dict[str, Any]) -> None:
    path = _cassette(tmp_path / "vcrpy.yaml", full_body, None)
    assert read_cassette(path).meta == {}
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "vcrpy.yaml")
    _git(tmp_path, "commit", "-q", "-m", "cassette", when="2026-06-01T10:00:00+00:00")
    age = cassette_age(read_cassette(path))
    assert (age.source, age.when) == ("git", datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    findings = stale_findings([path], timedelta(days=90), now=NOW)
    assert findings[0].message.startswith("last committed (no meta.recorded_at) 2026-06-01, "
                                          "183 days ago")


def test_an_uncommitted_vcrpy_cassette_has_an_unknown_age(tmp_path: Path,
                                                          full_body: dict[str, Any]) -> None:
    path = _cassette(tmp_path / "vcrpy.yaml", full_body, None)
    findings = stale_findings([path], timedelta(days=90), now=NOW)
    assert [(f.kind, f.severity.value) for f in findings] == [("unknown-age", "info")]
    assert "age is unknown (no meta.recorded_at, and the file is not committed to git)" in \
        findings[0].message


def test_check_max_age_reports_and_fails_only_on_info(tmp_path: Path,
                                                      full_body: dict[str, Any]) -> None:
    _cassette(tmp_path / "old.yaml", full_body, datetime(2020, 1, 1, tzinfo=UTC))
    _cassette(tmp_path / "new.yaml", full_body, datetime.now(UTC))
    runner = CliRunner()
    plain = runner.invoke(main, ["check", str(tmp_path), "--max-age", "90d"])
    assert plain.exit_code == 0, plain.output
    assert f"{tmp_path / 'old.yaml'}\n  info      $  stale-cassette: recorded 2020-01-01" in \
        plain.output
    assert "new.yaml" not in plain.output
    strict = runner.invoke(main, ["check", str(tmp_path), "--max-age", "90d", "--fail-on",
                                  "info"])
    assert strict.exit_code == 1
    assert runner.invoke(main, ["check", str(tmp_path), "--fail-on", "info"]).exit_code == 0


def test_check_bad_max_age_is_exit_2(tmp_path: Path, full_body: dict[str, Any]) -> None:
    _cassette(tmp_path / "old.yaml", full_body, NOW)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--max-age", "soon"])
    assert result.exit_code == 2
    assert result.output == ("aws-replay: error: --max-age 'soon' is not an age; write it like "
                             "90d, 12w, 36h or 1y\n")
