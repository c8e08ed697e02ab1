"""Benchmark: replaying a DescribeAutoMLJob cassette to boto3, ours against two baselines.

Run: ``python bench/bench_replay.py`` (``--no-suite`` skips the pytest runs). Everything is
measured in this one run; the figures that matter are the printed ratios.

Per test (enter the cassette + one ``describe_auto_ml_job`` with a client from a shared session):

- A, the floor: a botocore ``before-send`` hook returning the cassette body (signing,
  serialization and parsing still happen; nothing else does).
- B: plain vcrpy, ``vcr.use_cassette(path)`` + the call, on the same cassette file.
- ours: what the plugin does per test: an ``ActiveCassette`` (cached cassette, Playback, dummy
  credentials, network guard, the drift check cached per interaction) activated + the call.

Each is measured with one shared client, and with a new client per test from the shared
session. The three are interleaved test by test so load on a shared machine hits them alike;
the ratio printed is the median of the paired per-test ratios. Goals: ours <= 1.3x A and
<= 0.5x B.

Per call (inside one replayed test, the cassette active): a 1 MB S3 ``GetObject`` with its
``Body`` read (rest-xml, keyed on bucket + key from the URI) and a ``describe_auto_ml_job``
(JSON), each against baseline A's hook returning the same bytes to a client that has only that
hook. Calls are interleaved one by one; goal: ours <= 1.3x A for each.

Then a generated suite of 1,000 replayed tests is run by pytest serially and with ``-n 2``
(goal: the parallel wall time under 0.65x the serial one), plus the same suite with baseline A's
hook in a fixture instead of the plugin, for the plugin's whole per-test cost in pytest.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                   "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                   "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                   "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
os.environ.pop("AWS_PROFILE", None)

from replay.cassette.model import (  # noqa: E402
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    text_headers,
)
from replay.cassette.read import load_cassette  # noqa: E402
from replay.cassette.write import write_cassette  # noqa: E402
from replay.plugin import botocore_hook  # noqa: E402
from replay.plugin.engine import ActiveCassette, DriftCache  # noqa: E402
from replay.plugin.settings import ReplaySettings  # noqa: E402
from tests.support.cassettes import JOB, full_body, write_job_cassette  # noqa: E402

botocore_hook.install()

import boto3  # noqa: E402
import vcr  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402


def per_test(function: Callable[[], None], count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def micro(folder: Path, rounds: int, count: int) -> None:
    path = write_job_cassette(folder / "cassettes" / "job.yaml", [full_body()])
    recorded = load_cassette(path).interactions[0].response
    headers = {name: values[0] for name, values in recorded.headers.items()}
    session = boto3.Session()
    drift = DriftCache()
    settings = ReplaySettings()

    class Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_: Any) -> Any:
            yield self.body

    def floor_hook(request: Any, **_: Any) -> Any:
        return AWSResponse(request.url, recorded.status, headers, Raw(recorded.body))

    def hooked(client: Any) -> Any:
        client.meta.events.register_first("before-send", floor_hook, unique_id="bench-floor")
        return client

    shared = {"A": hooked(session.client("sagemaker")), "B": session.client("sagemaker"),
              "ours": session.client("sagemaker")}
    recorder = vcr.VCR(record_mode="none")

    def run_a(client: Any) -> None:
        client.describe_auto_ml_job(AutoMLJobName=JOB)

    def run_b(client: Any) -> None:
        with recorder.use_cassette(str(path)):
            client.describe_auto_ml_job(AutoMLJobName=JOB)

    def run_ours(client: Any) -> None:
        active = ActiveCassette([path], settings, test_id="bench", rootdir=folder, drift=drift)
        with active.activate():
            client.describe_auto_ml_job(AutoMLJobName=JOB)

    variants: dict[str, dict[str, Callable[[], None]]] = {
        "shared client": {
            "A": lambda: run_a(shared["A"]),
            "B": lambda: run_b(shared["B"]),
            "ours": lambda: run_ours(shared["ours"]),
        },
        "client per test": {
            "A": lambda: run_a(hooked(session.client("sagemaker"))),
            "B": lambda: run_b(session.client("sagemaker")),
            "ours": lambda: run_ours(session.client("sagemaker")),
        },
    }
    for name, runs in variants.items():
        for run in runs.values():  # warm up: models, caches, the drift check
            per_test(run, 20)
        times: dict[str, list[float]] = {key: [] for key in runs}
        keys = list(runs)
        # Interleaved test by test, in a rotating order, so a burst of load from elsewhere on
        # the machine hits all three alike; ratios are medians of the paired per-test ratios.
        for index in range(rounds * count):
            for key in keys[index % 3:] + keys[:index % 3]:
                start = time.perf_counter()
                runs[key]()
                times[key].append(time.perf_counter() - start)
        median = {key: statistics.median(values) * 1e6 for key, values in times.items()}
        paired = {other: statistics.median(o / a for o, a in zip(times["ours"], times[other],
                                                                  strict=True))
                  for other in ("A", "B")}
        print(f"per test, {name} ({rounds * count} interleaved tests each):")
        for key, label in (("A", "A before-send floor"), ("B", "B plain vcrpy"),
                           ("ours", "aws-replay")):
            print(f"  {label:<22} median {median[key]:9.1f} us")
        print(f"  ratio ours/A = {paired['A']:.3f}   (goal <= 1.3; ratio of medians "
              f"{median['ours'] / median['A']:.3f})")
        print(f"  ratio ours/B = {paired['B']:.3f}   (goal <= 0.5; ratio of medians "
              f"{median['ours'] / median['B']:.3f})")


class FloorBody(io.BytesIO):
    """What baseline A hands botocore: the recorded bytes, readable and streamable."""

    def stream(self, amt: int = 65536, **_: Any) -> Any:
        while chunk := self.read(amt):
            yield chunk


def recorded_from(client: Any, call: Callable[[Any], Any], response: RecordedResponse,
                  path: Path) -> RecordedResponse:
    """Write a cassette of one call as ``client`` sends it, answered by ``response``."""
    sent: list[Any] = []

    def capture(request: Any, **_: Any) -> Any:
        sent.append(request)
        headers = {name: values[0] for name, values in response.headers.items()}
        return AWSResponse(request.url, response.status, headers, FloorBody(response.body))

    client.meta.events.register_first("before-send", capture, unique_id="bench-capture")
    call(client)
    client.meta.events.unregister("before-send", unique_id="bench-capture")
    request = sent[0]
    body = request.body or b""
    recorded = RecordedRequest(method=request.method, uri=request.url,
                               headers=text_headers(dict(request.headers)),
                               body=body.decode() if isinstance(body, bytes) else str(body))
    write_cassette(path, Cassette((Interaction(recorded, response),)))
    return load_cassette(path).interactions[0].response


def floor_client(session: Any, service: str, response: RecordedResponse) -> Any:
    """A client answered by baseline A's hook only (the plugin's own hook taken off)."""
    headers = {name: values[0] for name, values in response.headers.items()}

    def floor(request: Any, **_: Any) -> Any:
        return AWSResponse(request.url, response.status, headers, FloorBody(response.body))

    client = session.client(service)
    client.meta.events.unregister("before-send", unique_id="aws-replay-before-send")
    client.meta.events.register_first("before-send", floor, unique_id="bench-floor")
    return client


def per_call(folder: Path, rounds: int, count: int) -> None:
    session = boto3.Session()
    artefact = random.Random(2026).randbytes(1024 * 1024)
    s3_response = RecordedResponse(
        status=200, reason="OK", body=artefact,
        headers={"Content-Type": ["binary/octet-stream"], "Content-Length": [str(len(artefact))],
                 "ETag": ['"1ab5dd15c09c33bf77f1af600a13abdf"'],
                 "x-amz-request-id": ["00000000-0000-4000-8000-000000000001"]})
    job_response = load_cassette(write_job_cassette(folder / "cassettes" / "call-job.yaml",
                                                    [full_body()])).interactions[0].response

    def get_object(client: Any) -> None:
        body = client.get_object(Bucket="churn-models", Key="churn/model.tar.gz")["Body"].read()
        assert len(body) == len(artefact)

    def describe(client: Any) -> None:
        client.describe_auto_ml_job(AutoMLJobName=JOB)

    cases = (("S3 GetObject 1 MB, Body read", "s3", get_object, s3_response),
             ("SageMaker describe_auto_ml_job", "sagemaker", describe, job_response))
    print("per call, inside one replayed test (cassette active; calls interleaved):")
    for label, service, call, response in cases:
        path = folder / "cassettes" / f"call-{service}.yaml"
        recorded = recorded_from(floor_client(session, service, response), call, response, path)
        floor = floor_client(session, service, recorded)
        ours = session.client(service)
        active = ActiveCassette([path], ReplaySettings(), test_id="bench", rootdir=folder,
                                drift=DriftCache())
        times: dict[str, list[float]] = {"A": [], "ours": []}
        with active.activate():
            for _ in range(20):  # warm up: models, caches, the drift check
                call(floor)
                call(ours)
            for index in range(rounds * count):
                order = (("A", floor), ("ours", ours))
                for key, client in order if index % 2 else order[::-1]:
                    start = time.perf_counter()
                    call(client)
                    times[key].append(time.perf_counter() - start)
        assert not active.failures, active.failures
        median = {key: statistics.median(values) * 1e6 for key, values in times.items()}
        paired = statistics.median(o / a for o, a in zip(times["ours"], times["A"], strict=True))
        print(f"  {label} ({rounds * count} calls each):")
        print(f"    A before-send floor    median {median['A']:9.1f} us")
        print(f"    aws-replay             median {median['ours']:9.1f} us")
        print(f"    ratio ours/A = {paired:.3f}   (goal <= 1.3; ratio of medians "
              f"{median['ours'] / median['A']:.3f})")


SUITE_CONFTEST = """
import boto3
import pytest
from botocore.awsrequest import AWSResponse

SESSION = boto3.Session(region_name="us-east-1")


@pytest.fixture(scope="session")
def client():
    return SESSION.client("sagemaker")
"""

FLOOR_CONFTEST = SUITE_CONFTEST + """
from replay.cassette.read import load_cassette

RECORDED = load_cassette(__import__("pathlib").Path(__file__).parent
                         / "cassettes" / "job.yaml").interactions[0].response


class Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **_):
        yield self.body


def floor_hook(request, **_):
    headers = {name: values[0] for name, values in RECORDED.headers.items()}
    return AWSResponse(request.url, RECORDED.status, headers, Raw(RECORDED.body))


@pytest.fixture(autouse=True)
def floor(client):
    client.meta.events.register_first("before-send", floor_hook, unique_id="floor")
    yield
    client.meta.events.unregister("before-send", unique_id="floor")
"""

SUITE_TEST = """
import pytest

@pytest.mark.parametrize("n", range({size}))
{marker}
def test_job(client, n):
    assert client.describe_auto_ml_job(AutoMLJobName="{job}")["AutoMLJobStatus"] == "Completed"
"""


def run_suite(folder: Path, extra: list[str]) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-p", "no:hypothesispytest", *extra]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"suite failed in {folder}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def suite(folder: Path, size: int) -> None:
    plugin = folder / "plugin-suite"
    floor = folder / "floor-suite"
    for project, conftest, marker in ((plugin, SUITE_CONFTEST,
                                       '@pytest.mark.aws_replay("job")'),
                                      (floor, FLOOR_CONFTEST, "")):
        write_job_cassette(project / "cassettes" / "job.yaml", [full_body()])
        (project / "conftest.py").write_text(textwrap.dedent(conftest))
        (project / "test_jobs.py").write_text(SUITE_TEST.format(size=size, marker=marker,
                                                                job=JOB))
        (project / "pytest.ini").write_text("[pytest]\n")
    run_suite(plugin, [])  # warm the file system cache and .pyc files
    serial = run_suite(plugin, [])
    parallel = run_suite(plugin, ["-n", "2"])
    floor_serial = run_suite(floor, ["-p", "no:aws_replay"])
    floor_parallel = run_suite(floor, ["-p", "no:aws_replay", "-n", "2"])
    print(f"a generated suite of {size} replayed tests (pytest wall time, subprocess):")
    print(f"  aws-replay serial          {serial:7.2f} s")
    print(f"  aws-replay -n 2            {parallel:7.2f} s")
    print(f"  A floor hook, serial       {floor_serial:7.2f} s")
    print(f"  A floor hook, -n 2         {floor_parallel:7.2f} s")
    print(f"  ratio -n 2 / serial = {parallel / serial:.3f}   (goal < 0.65; the same ratio "
          f"without the plugin: {floor_parallel / floor_serial:.3f})")
    print(f"  ratio ours / floor = {serial / floor_serial:.3f} serial, "
          f"{parallel / floor_parallel:.3f} with -n 2   (whole pytest run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tests", type=int, default=100, help="tests per round and variant")
    parser.add_argument("--suite-size", type=int, default=1000)
    parser.add_argument("--no-suite", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        micro(Path(folder), args.rounds, args.tests)
        per_call(Path(folder), args.rounds, args.tests)
        if not args.no_suite:
            suite(Path(folder), args.suite_size)


if __name__ == "__main__":
    main()
