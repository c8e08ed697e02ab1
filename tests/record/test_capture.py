"""Recording through boto3 + vcrpy against a real local HTTP server: capture, save, end to end
(no planted secret survives, scan clean, spec clean, plain vcrpy replays), crash safety
(record_jobs' own behaviour: test_record_jobs.py).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from deepdiff import DeepDiff

from replay.cassette.read import read_cassette
from replay.core.errors import CassetteError, ConfigError
from replay.record.capture import capture_exchanges, save_recording, source_for_endpoint
from replay.record.jobs import record_jobs
from replay.sanitize.files import sanitize_paths
from replay.sanitize.sanitizer import Sanitizer
from replay.sanitize.scan import scan_paths
from replay.spec.check import check_cassette
from tests.support.planted import rng_secret
from tests.support.recording import old_cassette, quick
from tests.support.stub_sagemaker import StubSageMaker

ROOT = Path(__file__).resolve().parents[2]




@pytest.fixture
def secrets() -> dict[str, str]:
    return {"account": rng_secret("account", 31), "access-key": rng_secret("access-key", 31),
            "secret-key": rng_secret("secret-key", 31),
            "session-token": rng_secret("session-token", 31)}


@pytest.fixture
def leaky_body(full_body: dict[str, Any], secrets: dict[str, str]) -> dict[str, Any]:
    """The full job as a real account would answer it, with credentials in its Environment."""
    text = json.dumps(full_body)
    text = text.replace("arn:aws:iam::000000000001", f"arn:aws:iam::{secrets['account']}")
    text = text.replace("sagemaker-us-east-1-000000000001",
                        f"sagemaker-us-east-1-{secrets['account']}")
    body: dict[str, Any] = json.loads(text)
    environment = body["BestCandidate"]["InferenceContainers"][1]["Environment"]
    environment["AWS_SECRET_ACCESS_KEY"] = secrets["secret-key"]
    environment["AWS_SESSION_TOKEN"] = secrets["session-token"]
    environment["CONFIG"] = json.dumps({"aws": {"access_key_id": secrets["access-key"]}})
    return body


@pytest.fixture
def leaky_stub(leaky_body: dict[str, Any]) -> Iterator[StubSageMaker]:
    with StubSageMaker({leaky_body["AutoMLJobName"]: leaky_body}) as stub:
        yield quick(stub)


def decoded_forms(text: str) -> str:
    """The text plus what base64 / URL-encoding / JSON escapes in it decode to."""
    forms = [text, urllib.parse.unquote(text)]
    with contextlib.suppress(UnicodeError):
        forms.append(text.encode("latin-1", "replace").decode("unicode_escape"))
    for word in text.split():
        with contextlib.suppress(ValueError):
            forms.append(base64.b64decode(word + "=" * (-len(word) % 4)).decode("latin-1"))
    return "\n".join(forms)


# ------------------------------------------------------------------------ capture


def test_capture_keeps_only_sagemaker_exchanges_sanitized_in_memory(
        sagemaker_client: Callable[[str], Any], leaky_stub: StubSageMaker,
        leaky_body: dict[str, Any], secrets: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    client = sagemaker_client(leaky_stub.url)
    host, port = leaky_stub.url.removeprefix("http://").split(":")
    with capture_exchanges(Sanitizer.default()) as captured:
        answer = client.describe_auto_ml_job(AutoMLJobName=leaky_body["AutoMLJobName"])
        # A credential service's JSON call and a plain request: neither may be captured.
        connection = http.client.HTTPConnection(host, int(port))
        connection.request("POST", "/", body=b"{}", headers={
            "X-Amz-Target": "AWSCognitoIdentityService.GetCredentialsForIdentity"})
        connection.getresponse().read()
        connection.close()
    assert list(tmp_path.iterdir()) == []  # nothing reached disk
    assert len(captured) == 1
    exchange = captured[0]
    assert exchange.request.header("X-Amz-Target") == "SageMaker.DescribeAutoMLJob"
    assert (exchange.request.header("Authorization") or "").startswith(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/")
    assert (exchange.request.header("Authorization") or "").endswith("Signature=" + "0" * 64)
    body = exchange.response.body.decode()
    for secret in secrets.values():
        assert secret not in body
    # boto3 itself got the real answer: recording never changes what the caller sees.
    env = answer["BestCandidate"]["InferenceContainers"][1]["Environment"]
    assert env["AWS_SECRET_ACCESS_KEY"] == secrets["secret-key"]


def test_capture_under_threads_keeps_every_exchange_with_one_numbering(
        sagemaker_client: Callable[[str], Any], leaky_stub: StubSageMaker,
        leaky_body: dict[str, Any], secrets: dict[str, str]) -> None:
    client = sagemaker_client(leaky_stub.url)
    job = leaky_body["AutoMLJobName"]
    with capture_exchanges(Sanitizer.default()) as captured:
        threads = [threading.Thread(target=lambda: [client.describe_auto_ml_job(
            AutoMLJobName=job) for _ in range(5)]) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(captured) == 40 == len(leaky_stub.requests)
    bodies = {exchange.response.body for exchange in captured}
    assert len(bodies) == 1  # the same account got the same placeholder in every thread
    assert secrets["account"] not in bodies.pop().decode()


def test_source_follows_the_endpoint() -> None:
    assert source_for_endpoint(None) == "live"
    assert source_for_endpoint("https://api.sagemaker.eu-west-1.amazonaws.com") == "live"
    assert source_for_endpoint("http://127.0.0.1:8080") == "local-endpoint"


# ------------------------------------------------------------------------ save_recording


def _one_exchange(sagemaker_client: Callable[[str], Any], stub: StubSageMaker,
                  job: str, sanitizer: Sanitizer) -> list[Any]:
    with capture_exchanges(sanitizer) as captured:
        sagemaker_client(stub.url).describe_auto_ml_job(AutoMLJobName=job)
    return captured


def test_save_recording_refuses_to_replace_then_overwrites_or_appends(
        sagemaker_client: Callable[[str], Any], stub_sagemaker: StubSageMaker,
        full_body: dict[str, Any], tmp_path: Path) -> None:
    sanitizer = Sanitizer.default()
    job = full_body["AutoMLJobName"]
    exchanges = _one_exchange(sagemaker_client, stub_sagemaker, job, sanitizer)
    path = tmp_path / "deep" / "job.yaml"
    save_recording(path, exchanges, source="local-endpoint", sanitizer=sanitizer)
    before = path.read_bytes()
    with pytest.raises(CassetteError) as refused:
        save_recording(path, exchanges, source="local-endpoint", sanitizer=sanitizer)
    assert str(refused.value) == (f"{path}: already exists and was left as it is; pass "
                                  "--overwrite to replace it")
    assert path.read_bytes() == before
    save_recording(path, exchanges, source="local-endpoint", sanitizer=sanitizer, append=True)
    assert len(read_cassette(path).interactions) == 2
    save_recording(path, exchanges, source="local-endpoint", sanitizer=sanitizer, overwrite=True)
    cassette = read_cassette(path)
    assert len(cassette.interactions) == 1
    assert cassette.meta["source"] == "local-endpoint"
    assert cassette.meta["sanitizer"] == sanitizer.meta()
    assert "!!binary" not in path.read_text()


def test_save_recording_rejects_an_unknown_source_and_an_empty_recording(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown recording source 'aws'"):
        save_recording(tmp_path / "x.yaml", [object()], source="aws",  # type: ignore[list-item]
                       sanitizer=Sanitizer.default())
    with pytest.raises(CassetteError, match="nothing was recorded, so nothing was written"):
        save_recording(tmp_path / "x.yaml", [], source="live", sanitizer=Sanitizer.default())
    assert not (tmp_path / "x.yaml").exists()


# ------------------------------------------------------------------------ end to end


def test_record_end_to_end_no_secret_scan_clean_spec_clean_and_plain_vcrpy_replays(
        aws_env: None, sagemaker_client: Callable[[str], Any], leaky_stub: StubSageMaker,
        leaky_body: dict[str, Any], secrets: dict[str, str], tmp_path: Path) -> None:
    import vcr

    job = leaky_body["AutoMLJobName"]
    summary = record_jobs([job], endpoint_url=leaky_stub.url, cassette_dir=tmp_path)
    path = tmp_path / f"{job}.yaml"
    assert [(r.outcome, r.path, r.status) for r in summary.jobs] == [
        ("recorded", path, "Completed")]
    text = path.read_text()
    everything = decoded_forms(text)
    for secret in secrets.values():
        assert secret not in everything
    assert scan_paths([path], Sanitizer.default()).leaks == []
    assert check_cassette(read_cassette(path)) == []
    assert read_cassette(path).meta["source"] == "local-endpoint"
    assert "683313688378.dkr.ecr.us-east-1.amazonaws.com" in text  # AWS-owned: kept
    stored = read_cassette(path).interactions[0].response.body.decode()
    assert stored == json.dumps(json.loads(stored), indent=2, ensure_ascii=False)  # reviewable
    assert "body:\n      string: |" in text

    client = sagemaker_client(leaky_stub.url)
    original = client.describe_auto_ml_job(AutoMLJobName=job)
    served = len(leaky_stub.requests)
    with vcr.VCR(record_mode="none").use_cassette(str(path)):
        replayed = client.describe_auto_ml_job(AutoMLJobName=job)
    assert len(leaky_stub.requests) == served  # answered from the cassette, not the server
    original.pop("ResponseMetadata")
    replayed.pop("ResponseMetadata")
    changes = DeepDiff(original, replayed).get("values_changed", {})
    diff = DeepDiff(original, replayed)
    assert set(diff) == {"values_changed"}
    for change in changes.values():
        old = str(change["old_value"])
        assert any(secret in old for secret in secrets.values()), old


def test_a_secret_hidden_in_base64_is_sanitized_inside_it(
        aws_env: None, full_body: dict[str, Any], tmp_path: Path) -> None:
    key = rng_secret("access-key", 51)
    blob = base64.b64encode(json.dumps({"aws_access_key_id": key}).encode()).decode()
    body = json.loads(json.dumps(full_body))
    body["BestCandidate"]["InferenceContainers"][0]["Environment"]["CONFIG_B64"] = blob
    job = body["AutoMLJobName"]
    with StubSageMaker({job: body}) as stub:
        record_jobs([job], endpoint_url=quick(stub).url, cassette_dir=tmp_path)
    text = (tmp_path / f"{job}.yaml").read_text()
    assert key not in text and blob not in text
    written = json.loads(read_cassette(tmp_path / f"{job}.yaml").interactions[0].response.body)
    environment = written["BestCandidate"]["InferenceContainers"][0]["Environment"]
    assert json.loads(base64.b64decode(environment["CONFIG_B64"])) == {
        "aws_access_key_id": "AKIAREDACTED00000001"}


# ------------------------------------------------------------------------ vcrpy's own cassettes


def test_a_plain_vcrpy_cassette_is_sanitized_and_still_replays(
        sagemaker_client: Callable[[str], Any], leaky_stub: StubSageMaker,
        leaky_body: dict[str, Any], secrets: dict[str, str], tmp_path: Path) -> None:
    import vcr

    path = tmp_path / "plain.yaml"
    client = sagemaker_client(leaky_stub.url)
    with vcr.VCR().use_cassette(str(path)):
        client.describe_auto_ml_job(AutoMLJobName=leaky_body["AutoMLJobName"])
    assert "!!binary" in path.read_text()  # vcrpy hides boto3's headers from a grep
    assert scan_paths([path], Sanitizer.default()).leaks != []
    sanitize_paths([path], Sanitizer.default())
    text = path.read_text()
    assert "!!binary" not in text
    for secret in secrets.values():
        assert secret not in decoded_forms(text)
    assert scan_paths([path], Sanitizer.default()).leaks == []
    with vcr.VCR(record_mode="none").use_cassette(str(path)):
        answer = client.describe_auto_ml_job(AutoMLJobName=leaky_body["AutoMLJobName"])
    # 000000000001 is already a placeholder elsewhere in this job, so the real account gets 02.
    assert answer["RoleArn"].startswith("arn:aws:iam::000000000002:role/")


# ------------------------------------------------------------------------ crash safety




@pytest.fixture
def hanging_server() -> Iterator[tuple[str, threading.Event]]:
    """Accepts connections, reads the request, never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)
            connection.recv(65536)
            accepted.set()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    listener.close()
    for connection in held:
        connection.close()


def test_killing_a_recording_midway_leaves_the_old_cassette_byte_for_byte(
        aws_env: None, full_body: dict[str, Any], tmp_path: Path,
        hanging_server: tuple[str, threading.Event]) -> None:
    url, accepted = hanging_server
    job = full_body["AutoMLJobName"]
    path = tmp_path / f"{job}.yaml"
    before = old_cassette(path, full_body)
    process = subprocess.Popen(
        [sys.executable, "-m", "replay.cli", "record", job, "--endpoint-url", url,
         "--cassette-dir", str(tmp_path), "--overwrite"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert accepted.wait(30), "the recording never reached the server"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
