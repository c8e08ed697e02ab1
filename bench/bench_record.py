"""Recording overhead: a DescribeAutoMLJob call against the local server, with and without
recording, measured in the same run (interleaved rounds, median of per-call times).

    .venv/bin/python bench/bench_record.py [--calls 200] [--rounds 5]

Prints the per-call medians and the ratios:
- ``capture``: the same boto3 call inside an active ``capture_exchanges`` (vcrpy patching, hooks,
  sanitizing request and response in memory);
- ``record_jobs``: ``aws-replay record``'s engine over many jobs, per job (sanitize and the
  atomic, fsynced write of one cassette per job included), against the bare call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update(AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
                  AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from replay.record.capture import capture_exchanges  # noqa: E402
from replay.record.jobs import record_jobs  # noqa: E402
from replay.sanitize.sanitizer import Sanitizer  # noqa: E402
from tests.support.stub_sagemaker import StubSageMaker  # noqa: E402


def per_call(function, calls: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    body = json.loads((ROOT / "tests/data/describe_auto_ml_job_full.json").read_text())
    job = body["AutoMLJobName"]
    names = [f"{job}-{n}" for n in range(args.calls)]
    jobs = {name: dict(body, AutoMLJobName=name) for name in [job, *names]}
    with StubSageMaker(jobs) as stub, tempfile.TemporaryDirectory() as folder:
        # The stub writes headers and body separately; without TCP_NODELAY each keep-alive call
        # waits ~40 ms for a delayed ACK, which would drown what this measures.
        stub._server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        client = boto3.client("sagemaker", endpoint_url=stub.url, region_name="us-east-1",
                              config=Config(retries={"mode": "standard", "max_attempts": 1}))
        sanitizer = Sanitizer.default()

        def bare() -> None:
            client.describe_auto_ml_job(AutoMLJobName=job)

        def many(count: int) -> list[float]:
            start = time.perf_counter()
            summary = record_jobs(names[:count], endpoint_url=stub.url, cassette_dir=Path(folder),
                                  overwrite=True, sanitizer=sanitizer)
            assert summary.count("recorded") == count
            return [(time.perf_counter() - start) / count]

        for _ in range(20):  # warm up connections, models, caches
            bare()
        many(5)
        results: dict[str, list[float]] = {"bare": [], "capture": [], "record_jobs": []}
        for _ in range(args.rounds):
            results["bare"] += per_call(bare, args.calls)
            with capture_exchanges(sanitizer) as captured:
                results["capture"] += per_call(bare, args.calls)
            assert len(captured) == args.calls
            results["record_jobs"] += many(args.calls)
    medians = {name: statistics.median(times) * 1000 for name, times in results.items()}
    print(f"DescribeAutoMLJob against the local server, {args.rounds} rounds x {args.calls} calls")
    for name, value in medians.items():
        print(f"  {name:<12} median {value:7.3f} ms/call")
    print(f"  ratio capture/bare    {medians['capture'] / medians['bare']:.3f} "
          f"(+{(medians['capture'] / medians['bare'] - 1) * 100:.1f}%)")
    print(f"  ratio record_jobs/bare {medians['record_jobs'] / medians['bare']:.3f} "
          f"(+{(medians['record_jobs'] / medians['bare'] - 1) * 100:.1f}%)")


if __name__ == "__main__":
    main()
