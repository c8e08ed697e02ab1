"""Requests per second of `aws-replay serve` against a minimal http.server, side by side.

Both servers run as their own processes on 127.0.0.1 and return the same DescribeAutoMLJob
body (the full job of tests/data, pretty-printed as a cassette stores it):

- baseline: a minimal ``http.server`` (ThreadingHTTPServer, HTTP/1.1 keep-alive) whose
  handler reads the request body and returns that fixed body, with TCP_NODELAY. Without it
  (http.server's default) the body waits for the client's delayed ACK after the headers and
  the baseline crawls at ~25 requests/s; that variant is measured too, briefly, for the record,
  but the goal is held against the fast one;
- ours: ``aws-replay serve CASSETTE`` as a user runs it, matching the request on its
  X-Amz-Target and JSON parameters.

The same client (one keep-alive ``http.client`` connection sending a request shaped like
botocore's, signature headers included) measures each server in alternating rounds. On a shared
machine the load drifts between rounds, so the ratio reported is the median of the paired
ratios (ours / baseline, round by round), besides each server's median round. The goal is
>= 0.66.

Run: ``.venv/bin/python bench/bench_serve.py [--requests 3000] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse  # noqa: E402
from replay.cassette.write import normalize_interaction, write_cassette  # noqa: E402

GOAL = 0.66

BASELINE = textwrap.dedent('''
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    BODY = open(sys.argv[1], "rb").read()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = sys.argv[2] == "nodelay"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"baseline at http://127.0.0.1:{server.server_address[1]} ready", flush=True)
    server.serve_forever()
''')


def start(command: list[str]) -> tuple[subprocess.Popen[str], str, int]:
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    url = line.split(" at ", 1)[1].split()[0]
    host, port = url.removeprefix("http://").split(":")
    return process, host, int(port)


def request_headers(body: bytes) -> dict[str, str]:
    """What botocore sends for DescribeAutoMLJob (values made up, shapes real)."""
    return {
        "X-Amz-Target": "SageMaker.DescribeAutoMLJob",
        "Content-Type": "application/x-amz-json-1.1",
        "User-Agent": "Boto3/1.44.0 md/Botocore#1.44.0 ua/2.1 os/linux lang/python#3.11",
        "X-Amz-Date": "20261130T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/"
                         "us-east-1/sagemaker/aws4_request, SignedHeaders=content-type;host;"
                         "x-amz-date;x-amz-target, Signature=" + "0" * 64,
        "amz-sdk-invocation-id": str(uuid.uuid4()),
        "amz-sdk-request": "attempt=1; max=1",
        "Content-Length": str(len(body)),
    }


def measure(host: str, port: int, body: bytes, expected: bytes, requests: int,
            warm_up: int = 50) -> float:
    """Requests per second over one keep-alive connection; every answer is checked."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    headers = request_headers(body)
    for _ in range(warm_up):  # threads, caches, the connection
        connection.request("POST", "/", body=body, headers=headers)
        connection.getresponse().read()
    started = time.perf_counter()
    for _ in range(requests):
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200 or data != expected:
            raise SystemExit(f"wrong answer from {host}:{port}: {response.status} {data[:200]!r}")
    elapsed = time.perf_counter() - started
    connection.close()
    return requests / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=15, help="rounds per server")
    options = parser.parse_args()

    job = json.loads((ROOT / "tests" / "data" / "describe_auto_ml_job_full.json").read_text())
    params = json.dumps({"AutoMLJobName": job["AutoMLJobName"]}).encode()
    interaction = normalize_interaction(Interaction(
        request=RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                                {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]},
                                params.decode()),
        response=RecordedResponse(200, "OK", {
            "Content-Type": ["application/x-amz-json-1.1"],
            "x-amzn-RequestId": ["00000000-0000-4000-8000-000000000001"]},
            json.dumps(job).encode())))
    body = interaction.response.body

    with tempfile.TemporaryDirectory() as folder:
        cassette = Path(folder) / "job.yaml"
        write_cassette(cassette, Cassette(interactions=(interaction,)))
        body_file = Path(folder) / "body.json"
        body_file.write_bytes(body)
        servers = {
            "baseline": start([sys.executable, "-c", BASELINE, str(body_file), "nodelay"]),
            "ours": start([sys.executable, "-m", "cli", "serve", str(cassette), "--port", "0",
                           "--quiet"]),
        }
        servers["default"] = start([sys.executable, "-c", BASELINE, str(body_file), "default"])
        rates: dict[str, list[float]] = {name: [] for name in servers}
        try:
            for _ in range(options.rounds):
                for name in ("baseline", "ours"):
                    _, host, port = servers[name]
                    rates[name].append(measure(host, port, params, body, options.requests))
            _, host, port = servers["default"]
            rates["default"].append(measure(host, port, params, body, 50, warm_up=5))
        finally:
            for process, _, _ in servers.values():
                process.terminate()
                process.wait(timeout=10)

    baseline = statistics.median(rates["baseline"])
    ours = statistics.median(rates["ours"])
    print(f"DescribeAutoMLJob, {len(body)}-byte body, one keep-alive client, "
          f"{options.rounds} alternating rounds of {options.requests} requests (median round)")
    print(f"  minimal http.server, TCP_NODELAY: {baseline:8.0f} requests/s  "
          f"(rounds {min(rates['baseline']):.0f} to {max(rates['baseline']):.0f})")
    print(f"  aws-replay serve (cassette):      {ours:8.0f} requests/s  "
          f"(rounds {min(rates['ours']):.0f} to {max(rates['ours']):.0f})")
    print(f"  (http.server's default, Nagle on: {rates['default'][0]:8.0f} requests/s over 50 "
          "requests; not the baseline)")
    ratio = statistics.median(mine / theirs
                              for mine, theirs in zip(rates["ours"], rates["baseline"],
                                                      strict=True))
    print(f"  ratio ours/baseline (median of paired rounds): {ratio:.2f}x (goal >= {GOAL}x: "
          f"{'met' if ratio >= GOAL else 'NOT met'})")


if __name__ == "__main__":
    main()
