"""`aws-replay serve` under load: 50 concurrent boto3 clients for a minute, no failed request.

The server runs as users run it (the CLI, its own process) on 127.0.0.1; 50 threads, each with
its own boto3 client and keep-alive connection, call DescribeAutoMLJob in a loop for
``AWS_REPLAY_LOAD_SECONDS`` (default 60, as the issue asks; set it lower for a quick local
run). Retries are off, so a dropped connection or a timeout is a failure, not a silent retry.
Every answer is checked, and the server's own count of requests must equal the clients'.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from tests.conftest import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 50
SECONDS = float(os.environ.get("AWS_REPLAY_LOAD_SECONDS", "60"))
DESCRIBE = "SageMaker.DescribeAutoMLJob"


def recorded(name: str, body: dict[str, Any], status: int = 200) -> Interaction:
    return Interaction(
        request=RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                                {"X-Amz-Target": [DESCRIBE]},
                                json.dumps({"AutoMLJobName": name})),
        response=RecordedResponse(status, "OK" if status == 200 else "Bad Request",
                                  {"Content-Type": ["application/x-amz-json-1.1"]},
                                  json.dumps(body, indent=2).encode()))


def write_cassettes(folder: Path, job: dict[str, Any]) -> None:
    polled = {**job, "AutoMLJobName": "polled", "AutoMLJobStatus": "InProgress"}
    write_cassette(folder / "jobs.yaml", Cassette(interactions=(
        recorded(job["AutoMLJobName"], job),
        recorded("gone", {"__type": "ResourceNotFound", "Message": "Could not find it"}, 400),
    )))
    write_cassette(folder / "lifecycle.yaml", Cassette(interactions=(
        recorded("polled", polled),
        recorded("polled", {**polled, "AutoMLJobStatus": "Completed"}),
    )))


def check_one(client: Any, step: int, job_name: str) -> str:
    """One request, chosen by ``step``; the kind of answer, or raises on a wrong one."""
    choice = step % 10
    if choice < 7:
        answer = client.describe_auto_ml_job(AutoMLJobName=job_name)
        assert answer["AutoMLJobName"] == job_name
        assert answer["AutoMLJobStatus"] == "Completed"
        return "job"
    if choice < 8:
        answer = client.describe_auto_ml_job(AutoMLJobName="polled")
        assert answer["AutoMLJobStatus"] in ("InProgress", "Completed")
        return "lifecycle"
    try:
        client.describe_auto_ml_job(AutoMLJobName="gone" if choice == 8 else f"other-{step}")
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        assert code == ("ResourceNotFound" if choice == 8 else "NoMatchingInteraction"), code
        return "not-found" if choice == 8 else "unmatched"
    raise AssertionError("an error was expected")


def test_fifty_concurrent_clients_for_a_minute_without_a_failed_request(
        tmp_path: Path, full_body: dict[str, Any]) -> None:
    write_cassettes(tmp_path, full_body)
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", str(tmp_path), "--port", "0", "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert server.stdout is not None
    try:
        url = server.stdout.readline().split(" at ", 1)[1].split()[0]
        session = boto3.session.Session(aws_access_key_id=DUMMY_ACCESS_KEY,
                                        aws_secret_access_key=DUMMY_SECRET_KEY,
                                        region_name="us-east-1")
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=30,
                        max_pool_connections=1)
        clients = [session.client("sagemaker", endpoint_url=url, config=config)
                   for _ in range(CLIENTS)]

        answers: list[Counter[str]] = [Counter() for _ in range(CLIENTS)]
        failures: list[str] = []
        start_line = threading.Barrier(CLIENTS, timeout=60)
        deadline = 0.0

        def run(index: int) -> None:
            start_line.wait()
            step = index
            while time.monotonic() < deadline and not failures:
                try:
                    answers[index][check_one(clients[index], step, full_body["AutoMLJobName"])] += 1
                except Exception as exc:  # every kind of failure is the finding
                    failures.append(f"client {index}, request {step}: {type(exc).__name__}: {exc}")
                step += 1

        deadline = time.monotonic() + SECONDS
        threads = [threading.Thread(target=run, args=(index,), daemon=True)
                   for index in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 120)

        assert failures == []
        assert not any(thread.is_alive() for thread in threads)
        assert server.poll() is None, "the server died under load"
        assert all(sum(counts.values()) > 0 for counts in answers), "a client was starved"
        total = sum(sum(counts.values()) for counts in answers)
        kinds = sum(answers, Counter())
        assert set(kinds) == {"job", "lifecycle", "not-found", "unmatched"}
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)

    assert server.returncode == 0, err
    summary = out.splitlines()[-1]
    print(f"{CLIENTS} clients, {SECONDS:.0f} s: {total} requests ({total / SECONDS:.0f}/s), "
          f"{dict(kinds)}; server: {summary}")
    assert summary.startswith(f"aws-replay serve: stopped after {total} requests ("), summary
