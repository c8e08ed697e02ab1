"""Benchmark: the strict, bounded body parser against plain ``json.loads``.

Run: ``python bench/bench_jsonbody.py``. Everything is measured in this one run; each line is
the parser's time per body over ``json.loads``'s (1.0 = no cost; the baseline is json.loads on
the same bytes, measured in the same run). Bodies: a full DescribeAutoMLJob response, a request
body, a ListCandidates-sized page, and the hostile ones (refused, so their line is the cost of
saying no; json.loads raises or is slow on them).
"""

from __future__ import annotations

import contextlib
import json
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replay.core.jsonbody import JsonBodyError, parse_json_body  # noqa: E402

FULL = (ROOT / "tests" / "data" / "describe_auto_ml_job_full.json").read_bytes()
PAGE = json.dumps({"Candidates": [json.loads(FULL)] * 50}).encode()
BODIES = {
    "DescribeAutoMLJob response": FULL,
    "request": b'{"AutoMLJobName": "my-job"}',
    "50-candidate page": PAGE,
}
HOSTILE = {
    "100k-deep array": b"[" * 100_000 + b"]" * 100_000,
    "4,000-digit integer": b'{"n": ' + b"9" * 4000 + b"}",
}


def _best(statement: object, number: int) -> float:
    return min(timeit.repeat(statement, number=number, repeat=5)) / number  # type: ignore[arg-type]


def _refused(body: bytes) -> None:
    with contextlib.suppress(JsonBodyError):
        parse_json_body(body)


def _loads_or_fail(body: bytes) -> None:
    with contextlib.suppress(ValueError, RecursionError):
        json.loads(body)


def main() -> None:
    for name, body in BODIES.items():
        number = max(10, 200_000 // len(body))
        base = _best(lambda b=body: json.loads(b), number)
        ours = _best(lambda b=body: parse_json_body(b), number)
        print(f"{name:30} {len(body):>9} bytes  parse_json_body / json.loads = {ours / base:5.2f}")
    for name, body in HOSTILE.items():
        base = _best(lambda b=body: _loads_or_fail(b), 20)
        ours = _best(lambda b=body: _refused(b), 20)
        print(f"{name:30} {len(body):>9} bytes  refusing / json.loads failing = {ours / base:5.2f}")


if __name__ == "__main__":
    main()
