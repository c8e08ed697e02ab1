"""sanitize + scan of a 1,000-interaction cassette (~6 MB), against plain cassette I/O measured
in the same run.

    .venv/bin/python bench/bench_sanitize_scan.py [--interactions 1000] [--repeat 3]

The cassette holds spec-valid DescribeAutoMLJob bodies (``replay.synth.jobs``) from a real-looking
account, with access keys, secret keys and session tokens planted in 1 body of 10, written with
vcrpy-style request headers (SigV4 Authorization, security token). Prints the best of
``--repeat`` runs for:
- ``io``: ``read_cassette`` + ``write_cassette`` of the same file (the floor any rewrite pays);
- ``sanitize``: ``sanitize_paths`` on the leaky file (read, reserve, sanitize, atomic write);
- ``scan``: ``scan_paths`` on the sanitized file (parse check + every decoder);
and the ratios sanitize/io, scan/io and (sanitize + scan) against the 3 s budget of issue 3.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import string
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse  # noqa: E402
from replay.cassette.read import read_cassette  # noqa: E402
from replay.cassette.write import write_cassette  # noqa: E402
from replay.sanitize.files import sanitize_paths  # noqa: E402
from replay.sanitize.sanitizer import Sanitizer  # noqa: E402
from replay.sanitize.scan import scan_paths  # noqa: E402
from replay.synth.jobs import synthetic_response  # noqa: E402

KINDS = ["completed", "failed", "deploying", "training", "candidates", "stopped", "tuning"]


def leaky_cassette(path: Path, count: int) -> None:
    rng = random.Random(7)
    account = str(rng.randint(10**11, 10**12 - 1))
    interactions = []
    for n in range(count):
        name = f"{KINDS[n % len(KINDS)]}-job-{n:05d}"
        status, body = synthetic_response(name)
        text = json.dumps(body).replace("000000000001", account)
        if n % 10 == 0:
            body = json.loads(text)
            key = "AKIA" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=16))
            secret = "".join(rng.choices(string.ascii_letters + string.digits, k=37)) + "aZ7"
            token = "IQoJb3JpZ2luX2Vj" + "".join(rng.choices(string.ascii_letters, k=300))
            body["FailureReason"] = f"leaked {key} {secret} {token}"
            text = json.dumps(body)
        signature = "".join(rng.choices("0123456789abcdef", k=64))
        request = RecordedRequest(
            "POST", "https://api.sagemaker.us-east-1.amazonaws.com/", {
                "X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
                "Content-Type": ["application/x-amz-json-1.1"],
                "Authorization": [f"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/"
                                  f"us-east-1/sagemaker/aws4_request, SignedHeaders=host, "
                                  f"Signature={signature}"],
                "X-Amz-Date": ["20261130T004512Z"],
            }, json.dumps({"AutoMLJobName": name}))
        response = RecordedResponse(status, "OK", {
            "x-amzn-RequestId": [f"{rng.getrandbits(128):032x}"],
            "Content-Type": ["application/x-amz-json-1.1"]}, text.encode())
        interactions.append(Interaction(request, response))
    write_cassette(path, Cassette(tuple(interactions)))


def best(function, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        original = Path(folder) / "original.yaml"
        leaky_cassette(original, args.interactions)
        work = Path(folder) / "work.yaml"
        size = original.stat().st_size

        def io() -> None:
            write_cassette(work, read_cassette(original))

        def sanitize() -> None:
            shutil.copyfile(original, work)
            result = sanitize_paths([work], Sanitizer.default())
            assert result.changed == [work]

        def scan() -> None:
            run = scan_paths([work], Sanitizer.default())
            assert run.leaks == [], run.leaks[:3]

        io_time = best(io, args.repeat)
        sanitize_time = best(sanitize, args.repeat)
        scan_time = best(scan, args.repeat)
        shutil.copyfile(original, work)
        leaks = len(scan_paths([work], Sanitizer.default()).leaks)
    print(f"cassette: {args.interactions} interactions, {size / 1e6:.1f} MB, "
          f"{leaks} leaks before sanitizing")
    print(f"  io (read + write)   {io_time:6.3f} s")
    print(f"  sanitize            {sanitize_time:6.3f} s   ratio to io "
          f"{sanitize_time / io_time:.2f}")
    print(f"  scan                {scan_time:6.3f} s   ratio to io {scan_time / io_time:.2f}")
    total = sanitize_time + scan_time
    print(f"  sanitize + scan     {total:6.3f} s   ratio to the 3 s budget {total / 3:.2f}")


if __name__ == "__main__":
    main()
