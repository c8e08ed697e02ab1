"""kill -9 during ``record --overwrite`` and ``sanitize``: the old cassette byte for byte or
the new one complete, never half of one; and no temporary file survives the next run.

Each command runs as a subprocess killed after a delay spread over one measured run (the
writes happen near its end, so later delays are denser). The loop is bounded; the delays are
where to aim, not expectations.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from replay.cassette.read import read_cassette
from tests.conftest import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY
from tests.support.cassettes import full_body, write_job_cassette
from tests.support.planted import rng_secret
from tests.support.stub_sagemaker import StubSageMaker

FRACTIONS = (0.2, 0.5, 0.7, 0.8, 0.88, 0.93, 0.96, 0.98, 1.0, 1.05)
HANG_GUARD = 120


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=DUMMY_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=DUMMY_SECRET_KEY,
               AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=str(tmp_path / "absent"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "absent"))
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "replay.cli", *args]


def _timed_run(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.monotonic()
    run = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                         timeout=HANG_GUARD)
    assert run.returncode == 0, run.stderr
    return time.monotonic() - started


def _kill_after(command: list[str], env: dict[str, str], cwd: Path, delay: float) -> None:
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=HANG_GUARD)


def _temps(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def _big_job(name: str, marker: str) -> dict[str, Any]:
    # Long enough that writing takes a noticeable part of the run.
    body = full_body()
    body["AutoMLJobName"] = name
    body["FailureReason"] = marker + " " + "x" * 200_000
    return body


def test_kill_during_record_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "cassettes"
    env = _env(tmp_path)
    with StubSageMaker({"crash-job": _big_job("crash-job", "old")}) as stub:
        command = _command("record", "crash-job", "--overwrite", "--endpoint-url", stub.url,
                           "--cassette-dir", str(folder))
        _timed_run(command, env, tmp_path)
        path = folder / "crash-job.yaml"
        old = path.read_bytes()
        stub.jobs["crash-job"] = _big_job("crash-job", "new")
        duration = _timed_run(command, env, tmp_path)
        path.write_bytes(old)
        outcomes = set()
        for fraction in FRACTIONS:
            _kill_after(command, env, tmp_path, duration * fraction)
            if path.read_bytes() == old:
                outcomes.add("old")
                continue
            reason = json.loads(read_cassette(path).interactions[-1].response.body)
            assert reason["FailureReason"].startswith("new "), "a cassette neither old nor new"
            outcomes.add("new")
            path.write_bytes(old)
        _timed_run(command, env, tmp_path)
    assert _temps(folder) == []
    assert outcomes  # every kill left one of the two


def test_kill_during_sanitize(tmp_path: Path) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    path = folder / "dirty.yaml"
    account = rng_secret("account", seed=7)
    body = _big_job("dirty-job", "old")
    body["RoleArn"] = f"arn:aws:iam::{account}:role/crash-test"
    write_job_cassette(path, [body], name="dirty-job")
    dirty = path.read_bytes()
    env = _env(tmp_path)
    command = _command("sanitize", str(path))
    duration = _timed_run(command, env, tmp_path)
    assert account.encode() not in path.read_bytes()
    for fraction in FRACTIONS:
        path.write_bytes(dirty)
        _kill_after(command, env, tmp_path, duration * fraction)
        now = path.read_bytes()
        if now != dirty:
            assert account.encode() not in now
            assert read_cassette(path).interactions, "a sanitized cassette that is not whole"
    path.write_bytes(dirty)
    _timed_run(command, env, tmp_path)
    assert _temps(folder) == []
    assert account.encode() not in path.read_bytes()


@pytest.mark.parametrize("command", ["record", "sanitize"])
def test_a_temp_left_by_a_killed_run_is_swept_by_the_next(tmp_path: Path, command: str) -> None:
    # The kill above may miss the writer's window: the state it leaves is planted here too.
    folder = tmp_path / "cassettes"
    folder.mkdir()
    left = folder / ".job.yaml.a1b2c3d4.tmp"
    left.write_text("half a cassette")
    os.utime(left, (time.time() - 5, time.time() - 5))
    env = _env(tmp_path)
    if command == "sanitize":
        write_job_cassette(folder / "job.yaml",
                           [dict(full_body(), RoleArn=f"arn:aws:iam::{rng_secret('account')}"
                                                      ":role/x")])
        _timed_run(_command("sanitize", str(folder / "job.yaml")), env, tmp_path)
    else:
        with StubSageMaker({"job": dict(full_body(), AutoMLJobName="job")}) as stub:
            _timed_run(_command("record", "job", "--endpoint-url", stub.url,
                                "--cassette-dir", str(folder)), env, tmp_path)
    assert _temps(folder) == []
    assert (folder / "job.yaml").exists()
