"""A small real HTTP server on 127.0.0.1 that speaks SageMaker's JSON 1.1 protocol, for tests.

It is the "AWS" that recording, drift and plugin tests talk to through boto3 (``endpoint_url``
and dummy credentials). Jobs are plain dicts; a job given as a list of bodies answers them in
order and then stays on the last (a lifecycle). Unknown jobs answer ``ResourceNotFound`` the way
SageMaker does. Tests can change answers while it runs, make it drop a connection, and read the
requests it saw.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_server import LocalServer


class StubSageMaker(LocalServer):
    def __init__(self, jobs: dict[str, Any] | None = None) -> None:
        self.jobs: dict[str, Any] = dict(jobs or {})
        self.requests: list[dict[str, Any]] = []
        self.drop_connection_for: set[str] = set()
        self.throttle_next = 0
        self._served: dict[str, int] = {}
        self._serve(self._handler())

    def answer(self, target: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        operation = target.rpartition(".")[2]
        if operation == "DescribeAutoMLJob":
            name = params.get("AutoMLJobName", "")
            job = self.jobs.get(name)
            if job is None:
                return 400, {"__type": "ResourceNotFound",
                             "Message": f"Could not find AutoML job with name {name}"}
            if isinstance(job, list):
                served = self._served.get(name, 0)
                self._served[name] = served + 1
                return 200, job[min(served, len(job) - 1)]
            return 200, job
        if operation == "ListAutoMLJobs":
            names = sorted(self.jobs)
            start = int(params.get("NextToken") or 0)
            size = int(params.get("MaxResults") or 100)
            page = names[start:start + size]
            summaries = []
            for name in page:
                job = self.jobs[name]
                latest = job[-1] if isinstance(job, list) else job
                summaries.append({key: latest[key] for key in (
                    "AutoMLJobName", "AutoMLJobArn", "AutoMLJobStatus",
                    "AutoMLJobSecondaryStatus", "CreationTime", "LastModifiedTime")
                    if key in latest})
            result: dict[str, Any] = {"AutoMLJobSummaries": summaries}
            if start + size < len(names):
                result["NextToken"] = str(start + size)
            return 200, result
        return 400, {"__type": "UnknownOperationException", "message": f"unknown {target}"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each keep-alive answer waits for a delayed ACK

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                target = self.headers.get("X-Amz-Target", "")
                params = json.loads(raw or b"{}")
                stub.requests.append({"target": target, "params": params,
                                      "headers": dict(self.headers.items())})
                if params.get("AutoMLJobName") in stub.drop_connection_for:
                    self.close_connection = True
                    self.connection.close()
                    return
                status, body = stub.answer(target, params)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", "11111111-2222-4333-8444-555555555555")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
