"""The replay engine without pytest's plugin machinery: serving, drift, recording,
credentials, guard (settings: test_replay_settings.py; the botocore hook: test_botocore_hook.py)."""

from __future__ import annotations

import gc
import json
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from replay.cassette.model import Cassette
from replay.cassette.read import CassetteCache, read_cassette
from replay.cassette.write import write_cassette
from replay.core.bounded import BoundedCache
from replay.core.errors import CassetteError
from replay.plugin import botocore_hook, engine
from replay.plugin.engine import ActiveCassette, DriftCache, RequestNotRecorded
from replay.plugin.netguard import NetworkBlocked, NetworkGuard, host_allowed
from replay.plugin.recording import cassette_lock
from replay.plugin.settings import ReplaySettings
from tests.support.cassettes import (
    JOB,
    NO_RETRY,
    active_for,
    client,
    describe_interaction,
    drifted_body,
    full_body,
    lifecycle,
    write_job_cassette,
)
from tests.support.stub_sagemaker import StubSageMaker

# ------------------------------------------------------------------------------- serving


def test_polling_plays_the_lifecycle_then_stays_on_the_last(tmp_path: Path, aws: None) -> None:
    write_job_cassette(tmp_path / "job.yaml", lifecycle())
    active = active_for(tmp_path, ["job"])
    with active.activate():
        sm = client()
        statuses = [sm.describe_auto_ml_job(AutoMLJobName=JOB)["AutoMLJobSecondaryStatus"]
                    for _ in range(5)]
    assert statuses == ["Starting", "CandidateDefinitionsGenerated", "Completed", "Completed",
                        "Completed"]
    assert active.play_counts == [[1, 1, 3]]
    assert active.findings == []


def test_served_response_is_parsed_by_botocore(tmp_path: Path, aws: None) -> None:
    write_job_cassette(tmp_path / "job.yaml", [full_body()])
    with active_for(tmp_path, ["job"]).activate():
        job = client().describe_auto_ml_job(AutoMLJobName=JOB)
    assert job["BestCandidate"]["CandidateName"] == full_body()["BestCandidate"]["CandidateName"]
    assert job["CreationTime"].timestamp() == full_body()["CreationTime"]
    assert job["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_region_endpoint_and_key_order_do_not_prevent_a_match(tmp_path: Path,
                                                              aws: None) -> None:
    write_job_cassette(tmp_path / "job.yaml", [full_body()])
    with active_for(tmp_path, ["job"]).activate():
        job = client("ap-southeast-2", "https://sagemaker.internal.example").describe_auto_ml_job(
            AutoMLJobName=JOB)
    assert job["AutoMLJobStatus"] == "Completed"


def test_match_host_opt_in_tells_hosts_apart(tmp_path: Path, aws: None) -> None:
    write_job_cassette(tmp_path / "job.yaml", [full_body()])
    with active_for(tmp_path, ["job"], match_host=True).activate(), \
            pytest.raises(RequestNotRecorded) as caught:
        client("eu-west-1").describe_auto_ml_job(AutoMLJobName=JOB)
    assert ("host: recorded api.sagemaker.us-east-1.amazonaws.com, request goes to "
            "api.sagemaker.eu-west-1.amazonaws.com") in str(caught.value)


def test_error_responses_replay_as_client_errors(tmp_path: Path, aws: None) -> None:
    missing = {"__type": "ResourceNotFound", "Message": "Could not find AutoML job with name x"}
    write_cassette(tmp_path / "gone.yaml",
                   Cassette((describe_interaction("x", missing, status=400),)))
    with active_for(tmp_path, ["gone"]).activate():
        sm = client()
        with pytest.raises(sm.exceptions.ResourceNotFound):
            sm.describe_auto_ml_job(AutoMLJobName="x")


def test_a_miss_fails_at_once_with_the_closest_recorded_request(tmp_path: Path,
                                                                 aws: None) -> None:
    write_job_cassette(tmp_path / "job.yaml", [full_body()])
    active = active_for(tmp_path, ["job"])
    started = time.monotonic()
    with active.activate(), pytest.raises(RequestNotRecorded) as caught:
        client().describe_auto_ml_job(AutoMLJobName="other-job")
    assert time.monotonic() - started < 5
    assert str(caught.value) == (
        'aws-replay: no recorded interaction in job.yaml matches SageMaker.DescribeAutoMLJob '
        '{"AutoMLJobName":"other-job"}\n'
        '  closest: interaction 0: SageMaker.DescribeAutoMLJob '
        '{"AutoMLJobName":"churn-automl-2026"}\n'
        '    - $.AutoMLJobName: recorded "churn-automl-2026", request has "other-job"\n'
        "to record it: pytest --aws-replay-mode=new_episodes tests/test_jobs.py::test_job")
    assert active.failures == [caught.value]


def test_a_missing_cassette_says_how_to_record_it(tmp_path: Path, aws: None) -> None:
    with active_for(tmp_path, ["absent"]).activate(), \
            pytest.raises(RequestNotRecorded) as caught:
        client().describe_auto_ml_job(AutoMLJobName=JOB)
    assert str(caught.value) == (
        f"aws-replay: cassette {tmp_path / 'absent.yaml'} does not exist, and mode 'none' "
        "only replays; "
        'SageMaker.DescribeAutoMLJob {"AutoMLJobName":"churn-automl-2026"} was not sent\n'
        "to record it: pytest --aws-replay-mode=once tests/test_jobs.py::test_job")


def test_an_s3_call_not_in_the_cassette_is_a_miss_naming_the_operation(
        tmp_path: Path, aws: None) -> None:
    write_job_cassette(tmp_path / "job.yaml", [full_body()])
    with active_for(tmp_path, ["job"]).activate(), \
            pytest.raises(RequestNotRecorded) as caught:
        boto3.client("s3", region_name="us-east-1", config=NO_RETRY).get_object(
            Bucket="models", Key="churn/model.tar.gz")
    message = str(caught.value)
    assert message.startswith("aws-replay: no recorded interaction in job.yaml matches "
                              's3.GetObject {"Bucket":"models",'
                              '"Key":"churn/model.tar.gz"}')
    assert "operation: recorded SageMaker.DescribeAutoMLJob, request calls s3.GetObject" in message


def test_several_cassettes_are_searched_in_order(tmp_path: Path, aws: None) -> None:
    write_job_cassette(tmp_path / "a.yaml", [full_body()], name="a")
    write_job_cassette(tmp_path / "b.yaml", [dict(full_body(), AutoMLJobName="b")], name="b")
    active = active_for(tmp_path, ["a", "b"])
    with active.activate():
        assert client().describe_auto_ml_job(AutoMLJobName="b")["AutoMLJobName"] == "b"
    assert active.play_counts == [[0], [1]]
    assert active.unused() == [("a.yaml", 0)]


def test_a_cassette_is_parsed_once_per_version(tmp_path: Path, aws: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import replay.cassette.read

    parsed: list[Path] = []
    real = replay.cassette.read.read_cassette

    def counting(path: Path) -> Cassette:
        parsed.append(path)
        return real(path)

    monkeypatch.setattr(replay.cassette.read, "read_cassette", counting)
    path = write_job_cassette(tmp_path / "job.yaml", [full_body()])
    for _ in range(3):
        with active_for(tmp_path, ["job"]).activate():
            client().describe_auto_ml_job(AutoMLJobName=JOB)
    assert len(parsed) == 1
    write_job_cassette(path, [dict(full_body(), AutoMLJobName="changed")], name=JOB)
    with active_for(tmp_path, ["job"]).activate():
        assert client().describe_auto_ml_job(AutoMLJobName=JOB)["AutoMLJobName"] == "changed"
    assert len(parsed) == 2


def test_a_corrupt_cassette_is_named_as_the_user_names_it(tmp_path: Path) -> None:
    (tmp_path / "cut.yaml").write_text("interactions:\n- request: {method: POST, uri: 'http")
    with pytest.raises(CassetteError) as caught:
        active_for(tmp_path, ["cut"])
    assert str(caught.value).startswith("cut.yaml: is not valid YAML at line 2")
    assert str(tmp_path) not in str(caught.value)


# --------------------------------------------------------------------------------- drift


def test_drift_is_checked_once_per_interaction_per_session(tmp_path: Path, aws: None,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           ) -> None:
    import replay.spec.check

    calls: list[int] = []
    real = replay.spec.check.check_body

    def counting(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(replay.spec.check, "check_body", counting)
    write_job_cassette(tmp_path / "drift.yaml", [drifted_body()])
    drift = DriftCache()
    for _ in range(3):  # three tests replaying the same cassette
        active = ActiveCassette([tmp_path / "drift.yaml"], ReplaySettings(), test_id="t",
                                rootdir=tmp_path, drift=drift)
        with active.activate():
            client().describe_auto_ml_job(AutoMLJobName=JOB)
            client().describe_auto_ml_job(AutoMLJobName=JOB)
        assert [(f.cassette, f.interaction, f.operation, f.path, f.kind)
                for f in active.findings] == [
            ("drift.yaml", 0, "sagemaker:DescribeAutoMLJob", "$.AutoMLJobSecondaryStatus", "enum"),
            ("drift.yaml", 0, "sagemaker:DescribeAutoMLJob", "$.ModelInsights",
             "unknown-member")]
    assert len(calls) == 1


def test_a_long_session_holds_a_bounded_number_of_cassettes(
        tmp_path: Path, aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_shown", CassetteCache(maxsize=2))
    monkeypatch.setattr(engine, "_playbacks", BoundedCache(maxsize=2))
    drift = DriftCache(maxsize=2)
    alive: list[weakref.ref[Cassette]] = []
    for index in range(6):  # six tests, each with its own drifted cassette
        write_job_cassette(tmp_path / f"job{index}.yaml", [drifted_body()])
        active = ActiveCassette([tmp_path / f"job{index}.yaml"], ReplaySettings(),
                                test_id=f"t{index}", rootdir=tmp_path, drift=drift)
        with active.activate():
            client().describe_auto_ml_job(AutoMLJobName=JOB)
        assert {f.kind for f in active.findings} == {"enum", "unknown-member"}
        alive.append(weakref.ref(active.cassettes[0]))
        del active
    gc.collect()
    assert len(drift) == 2 and len(engine._playbacks) == 2 and len(engine._shown) == 2
    assert [ref() is not None for ref in alive] == [False] * 4 + [True] * 2


def test_drift_off_checks_nothing(tmp_path: Path, aws: None) -> None:
    write_job_cassette(tmp_path / "drift.yaml", [drifted_body()])
    active = active_for(tmp_path, ["drift"], drift="off")
    with active.activate():
        client().describe_auto_ml_job(AutoMLJobName=JOB)
    assert active.findings == []


# ----------------------------------------------------------------------------- recording


def test_new_episodes_replays_hits_and_appends_misses(tmp_path: Path, aws: None,
                                                      stub_sagemaker: StubSageMaker) -> None:
    stub_sagemaker.jobs["second"] = dict(full_body(), AutoMLJobName="second")
    path = write_job_cassette(tmp_path / "job.yaml", [full_body()])
    active = active_for(tmp_path, ["job"], mode="new_episodes")
    with active.activate():
        sm = client(endpoint_url=stub_sagemaker.url)
        sm.describe_auto_ml_job(AutoMLJobName=JOB)
        assert active.recorded == []
        sm.describe_auto_ml_job(AutoMLJobName="second")
        assert [json.loads(i.request.body) for i in active.recorded] == [
            {"AutoMLJobName": "second"}]
    assert [r["params"]["AutoMLJobName"] for r in stub_sagemaker.requests] == ["second"]
    names = [json.loads(i.request.body)["AutoMLJobName"] for i in read_cassette(path).interactions]
    assert names == [JOB, "second"]
    assert read_cassette(path).meta["source"] == "local-endpoint"


def test_rewrite_replaces_once_per_run_then_appends(tmp_path: Path, aws: None,
                                                    stub_sagemaker: StubSageMaker) -> None:
    path = write_job_cassette(tmp_path / "job.yaml", [full_body()], name="old")
    os.utime(path, ns=(1, 1))  # written by an earlier run
    started = time.time_ns()
    for _ in range(2):
        active = ActiveCassette([path], ReplaySettings(mode="rewrite"), test_id="t",
                                rootdir=tmp_path, drift=DriftCache(), run_started_ns=started)
        with active.activate():
            client(endpoint_url=stub_sagemaker.url).describe_auto_ml_job(AutoMLJobName=JOB)
    names = [json.loads(i.request.body)["AutoMLJobName"] for i in read_cassette(path).interactions]
    assert names == [JOB, JOB]


def test_once_records_a_missing_cassette_and_leaves_an_existing_one(
        tmp_path: Path, aws: None, stub_sagemaker: StubSageMaker) -> None:
    for _ in range(2):
        with active_for(tmp_path, ["new"], mode="once").activate():
            client(endpoint_url=stub_sagemaker.url).describe_auto_ml_job(AutoMLJobName=JOB)
    assert len(stub_sagemaker.requests) == 1
    assert len(read_cassette(tmp_path / "new.yaml").interactions) == 1


def test_a_test_that_records_nothing_writes_no_cassette(tmp_path: Path, aws: None) -> None:
    with active_for(tmp_path, ["nothing"], mode="all").activate():
        pass
    assert not (tmp_path / "nothing.yaml").exists()


def test_cassette_lock_serializes_writers(tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    order: list[str] = []
    holding = threading.Event()

    def second() -> None:
        holding.wait()
        with cassette_lock(path):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with cassette_lock(path):
        holding.set()
        time.sleep(0.2)
        order.append("first")
    thread.join()
    assert order == ["first", "second"]


# --------------------------------------------------------------------------- credentials


def test_replay_needs_no_credentials_and_never_reads_home_aws(
        tmp_path: Path, no_aws_env: Path) -> None:
    write_job_cassette(tmp_path / "job.yaml", [full_body()])
    botocore_hook.install()
    with active_for(tmp_path, ["job"], region="eu-central-1").activate():
        sm = boto3.client("sagemaker")  # no region, no credentials, a profile that is absent
        assert sm.meta.region_name == "eu-central-1"
        assert sm.describe_auto_ml_job(AutoMLJobName=JOB)["AutoMLJobStatus"] == "Completed"
    assert os.environ["AWS_PROFILE"] == "production"
    assert "AWS_ACCESS_KEY_ID" not in os.environ
    assert "AWS_CONFIG_FILE" not in os.environ


# ----------------------------------------------------------------------------- the guard


@pytest.mark.parametrize(("host", "allowed"), [
    ("localhost", True), ("127.0.0.1", True), ("127.5.6.7", True), ("::1", True),
    ("[::1]", True), ("db.localhost", True), (None, True),
    ("api.sagemaker.us-east-1.amazonaws.com", False), ("10.0.0.1", False),
    ("proxy.corp.example", True), ("a.b.internal", True), ("internal", False),
])
def test_host_allowed(host: str | None, allowed: bool) -> None:
    assert host_allowed(host, ["proxy.corp.example", "*.internal"]) is allowed


@given(st.ip_addresses())
def test_an_address_passes_the_guard_exactly_when_it_is_loopback(address: Any) -> None:
    assert host_allowed(str(address), []) is address.is_loopback
    assert host_allowed(f"[{address}]" if address.version == 6 else str(address),
                        [str(address)]) is True


@pytest.fixture
def guard() -> Iterator[NetworkGuard]:
    with NetworkGuard([], lambda host, port: f"blocked {host}:{port}") as active:
        yield active


def test_guard_blocks_name_resolution_before_any_timeout(guard: NetworkGuard) -> None:
    started = time.monotonic()
    with pytest.raises(NetworkBlocked, match=r"^blocked sagemaker\.example:443$"):
        socket.create_connection(("sagemaker.example", 443), timeout=30)
    assert time.monotonic() - started < 1
    assert [b.host for b in guard.blocked] == ["sagemaker.example"]


def test_guard_blocks_the_old_resolver_calls_too(guard: NetworkGuard) -> None:
    with pytest.raises(NetworkBlocked):
        socket.gethostbyname("sagemaker.example")
    with pytest.raises(NetworkBlocked):
        socket.gethostbyname_ex("sagemaker.example")
    assert socket.gethostbyname("localhost").startswith("127.")
    assert [b.host for b in guard.blocked] == ["sagemaker.example", "sagemaker.example"]


def test_guard_blocks_connect_to_a_remote_address(guard: NetworkGuard) -> None:
    with socket.socket() as sock, pytest.raises(NetworkBlocked) as caught:
        sock.connect(("10.255.255.1", 80))
    assert str(caught.value) == "blocked 10.255.255.1:80"


def test_guard_lets_loopback_through(guard: NetworkGuard, stub_sagemaker: StubSageMaker) -> None:
    port = stub_sagemaker.url.rsplit(":", 1)[1]
    socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()
    assert guard.blocked == []


def test_guard_restores_the_socket_module() -> None:
    def current() -> tuple[Any, ...]:
        return (socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex,
                socket.socket.connect, socket.socket.connect_ex)

    real = current()
    with NetworkGuard([], lambda host, port: "blocked"):
        assert all(a is not b for a, b in zip(current(), real, strict=True))
    assert current() == real
