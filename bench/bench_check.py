"""Benchmark: the spec checker against fastjsonschema and jsonschema, and `aws-replay check`.

Run: ``python bench/bench_check.py`` (``python bench/bench_check.py baseline``: only the
baseline's cost; ``python bench/bench_check.py fleet``: only the fleet figures). Everything is
measured in this one run and printed as ratios (a ratio > 1 means aws-replay is faster).
Goals from the issues: check throughput >= fastjsonschema (which stops at the first error while
aws-replay reports all; keep >= 1.4x), >= 15x jsonschema, and ``aws-replay check`` over 1,000
cassettes in under 5 s; checking 1,000 cassettes with a 1,000-entry baseline costs <= 1.1x
checking them without one. Fleet scale (issue 14): peak RSS of ``check`` over 10,000 cassettes
<= 1.3x that over 1,000; ``check --jobs 2`` <= 0.6x the wall time of ``--jobs 1`` over 10,000;
a cassette read <= 2x ``json.loads`` of the same cassette written as JSON (measured on a lean
synthetic cassette and on five recorded samples from ``cassettes/automl``, whose meta block and
full headers are most of their lines); ``aws-replay check ONE.yaml`` (a recorded sample) <= 1.0x
``python -c "import boto3"``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse  # noqa: E402
from replay.cassette.write import write_cassette  # noqa: E402
from replay.spec.check import checker_for  # noqa: E402
from replay.spec.operations import operation_ref  # noqa: E402

BODY = json.loads((ROOT / "tests" / "data" / "describe_auto_ml_job_full.json").read_text())


def json_schema_for(shape: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    """An equivalent JSON Schema (draft 7) of a botocore shape: the same constraints."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        ref = {"$ref": f"#/definitions/{shape.name}"}
        if shape.name in definitions:
            return ref
        definitions[shape.name] = {}
        definitions[shape.name] = {
            "type": "object",
            "properties": {n: json_schema_for(m, definitions) for n, m in shape.members.items()},
            "required": list(shape.required_members),
            "additionalProperties": False,
        }
        return ref
    if kind == "list":
        schema: dict[str, Any] = {"type": "array", "items": json_schema_for(shape.member,
                                                                              definitions)}
        if "min" in meta:
            schema["minItems"] = meta["min"]
        if "max" in meta:
            schema["maxItems"] = meta["max"]
        return schema
    if kind == "map":
        schema = {"type": "object",
                  "additionalProperties": json_schema_for(shape.value, definitions),
                  "propertyNames": json_schema_for(shape.key, definitions)}
        if "min" in meta:
            schema["minProperties"] = meta["min"]
        if "max" in meta:
            schema["maxProperties"] = meta["max"]
        return schema
    if kind == "string":
        schema = {"type": "string"}
        if getattr(shape, "enum", None):
            schema["enum"] = list(shape.enum)
        if "min" in meta:
            schema["minLength"] = meta["min"]
        if "max" in meta:
            schema["maxLength"] = meta["max"]
        if "pattern" in meta:
            schema["pattern"] = meta["pattern"]
        return schema
    if kind in ("integer", "long"):
        schema = {"type": "integer"}
    elif kind in ("float", "double", "timestamp"):
        schema = {"type": "number"}
    elif kind == "boolean":
        return {"type": "boolean"}
    else:
        return {}
    if "min" in meta:
        schema["minimum"] = meta["min"]
    if "max" in meta:
        schema["maximum"] = meta["max"]
    return schema


def per_second(function: Any, seconds: float) -> float:
    """Calls per second of ``function()`` over about ``seconds``."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(20):
            function()
        count += 20
    return count / elapsed


def paired(ours: Any, baseline: Any, rounds: int = 15,
           seconds: float = 0.2) -> tuple[float, float, float]:
    """Median rates of both and the median of per-round ratios, the two measured alternately
    round by round so that load on a shared machine hits them alike."""
    for _ in range(30):
        ours()
        baseline()
    ours_rates, base_rates = [], []
    for _ in range(rounds):
        ours_rates.append(per_second(ours, seconds))
        base_rates.append(per_second(baseline, seconds))
    ratios = [a / b for a, b in zip(ours_rates, base_rates, strict=True)]
    return (statistics.median(ours_rates), statistics.median(base_rates),
            statistics.median(ratios))


def write_cassettes(folder: Path, count: int, body: dict[str, Any] | None = None) -> None:
    request = RecordedRequest(
        "POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
        {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
         "Content-Type": ["application/x-amz-json-1.1"]},
        json.dumps({"AutoMLJobName": BODY["AutoMLJobName"]}))
    response = RecordedResponse(200, "OK", {"Content-Type": ["application/x-amz-json-1.1"],
                                            "Content-Length": ["0"]},
                                json.dumps(body or BODY).encode())
    cassette = Cassette((Interaction(request, response),), {"source": "synthetic"})
    write_cassette(folder / "c0000.yaml", cassette)
    text = (folder / "c0000.yaml").read_bytes()
    for index in range(1, count):
        (folder / f"c{index:04d}.yaml").write_bytes(text)


def drifted_body() -> dict[str, Any]:
    """The benchmark body with the three real values no model lists: three findings a body."""
    body = json.loads(json.dumps(BODY))
    body["AutoMLJobSecondaryStatus"] = "MergingAutoMLTaskReports"
    body["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["MetricName"] = "validation:accuracy"
    body["BestCandidate"]["CandidateProperties"]["CandidateMetrics"][0]["MetricName"] = "LogLoss"
    return body


def baseline_of(size: int) -> Any:
    """A ``size``-entry baseline: the three real facts and ``size - 3`` that match nothing."""
    from replay.core.baseline import Baseline, BaselineEntry
    from replay.core.findings import Finding, Severity

    operation = "sagemaker:DescribeAutoMLJob"
    facts = [("$.AutoMLJobSecondaryStatus", "MergingAutoMLTaskReports"),
             ("$.BestCandidate.FinalAutoMLJobObjectiveMetric.MetricName", "validation:accuracy"),
             ("$.BestCandidate.CandidateProperties.CandidateMetrics[0].MetricName", "LogLoss")]
    facts += [(f"$.Member{index % 50}.Values[{index}].Name", f"value-{index}")
              for index in range(size - len(facts))]
    return Baseline(BaselineEntry.for_finding(
        Finding("enum", Severity.BREAKING, path, "", None, value, operation=operation), "bench",
        "2026-01-01T00:00:00Z") for path, value in facts)


def bench_baseline(seconds_rounds: int = 7) -> None:
    """Checking 1,000 drifted cassettes with a 1,000-entry baseline vs without (goal <= 1.1x)."""
    from replay.core.baseline import read_baseline, write_baseline
    from replay.core.findings import recount
    from replay.spec.check import check_paths

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cassettes"
        folder.mkdir()
        write_cassettes(folder, 1000, drifted_body())
        baseline_file = Path(tmp) / "aws-replay-baseline.json"
        write_baseline(baseline_of(1000), baseline_file)

        def without() -> int:
            run = check_paths([folder])
            return len(run.findings)

        def with_baseline() -> int:
            run = check_paths([folder])
            marked = read_baseline(baseline_file).apply(run.findings)
            recount(run.summary, marked)
            return sum(f.accepted for f in marked)

        assert without() == 3000 and with_baseline() == 3000, "every finding is accepted"
        plain, based = [], []
        for _ in range(seconds_rounds):  # alternating, so load on a shared machine hits both
            start = time.perf_counter()
            without()
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            with_baseline()
            based.append(time.perf_counter() - start)
        ratio = statistics.median(b / p for b, p in zip(based, plain, strict=True))
        print(f"check of 1,000 cassettes (3,000 findings) in process: "
              f"{statistics.median(plain):.2f} s without a baseline, "
              f"{statistics.median(based):.2f} s with a 1,000-entry one: ratio {ratio:.3f}x "
              f"(goal <= 1.1)")

        def command(*extra: str) -> float:
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import cli; cli.main()", "check", str(folder),
                            "--format", "json", *extra], capture_output=True, cwd=ROOT,
                           check=False)
            return time.perf_counter() - started

        cli_plain, cli_based = [], []
        for _ in range(3):
            cli_plain.append(command("--no-baseline"))
            cli_based.append(command("--baseline", str(baseline_file)))
        cli_ratio = statistics.median(b / p for b, p in zip(cli_based, cli_plain, strict=True))
        print(f"aws-replay check --format json, same cassettes: "
              f"{statistics.median(cli_plain):.2f} s vs {statistics.median(cli_based):.2f} s "
              f"with the baseline: ratio {cli_ratio:.3f}x (goal <= 1.1)")


def _peak_rss_mb(command: list[str]) -> float:
    """Peak RSS (MB) of ``command``'s largest process (workers included), in a fresh wrapper."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], "
             f"cwd={str(ROOT)!r}, capture_output=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip()) / 1024


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, cwd=ROOT, check=False)
    return time.perf_counter() - start


def _variants(text: str, count: int) -> list[str]:
    """``count`` copies of a cassette as a fleet holds them: one layout, but each with its own
    recording time and job name in the request (lines no cache has seen before)."""
    found = re.search(r"""body: '\{"AutoMLJobName": "([^"]+)"\}'""", text)
    copies = []
    for index in range(count):
        copy = re.sub(r"recorded_at: '[^']*'", f"recorded_at: '2026-01-01T00:00:00.{index:06d}Z'",
                      text, count=1)
        if "recorded_at:" not in text and text.startswith("meta:\n"):
            copy = f"meta:\n  recorded_at: '{index}'\n" + copy[len("meta:\n"):]
        if found is not None:
            name = found.group(1)
            copy = copy.replace(f"""body: '{{"AutoMLJobName": "{name}"}}'""",
                                f"""body: '{{"AutoMLJobName": "{name}-{index}"}}'""", 1)
        copies.append(copy)
    return copies


@contextlib.contextmanager
def _fleet_caches(first: str) -> Iterator[None]:
    """The fast path's caches as a big fleet leaves them: holding what one cassette taught them
    (the lines every cassette shares: meta rules, header names, content types) and full, so
    that no cassette's own lines are ever cached. Restored afterwards."""
    from replay.cassette import fastyaml

    caches = (fastyaml._LINES, fastyaml._SEEN_VALUES, fastyaml._SEEN_KEYS,
              fastyaml._LINES_ONCE.once, fastyaml._VALUES_ONCE.once)
    saved = (dict(fastyaml._LINES), dict(fastyaml._SEEN_VALUES), set(fastyaml._SEEN_KEYS),
             set(fastyaml._LINES_ONCE.once), set(fastyaml._VALUES_ONCE.once))
    for cache in caches:
        cache.clear()
    for _ in range(2):  # a line (or value) is remembered when it is read a second time
        fastyaml.load(first)
    for index in range(fastyaml._SEEN_MAX):  # padding no real line or value can match
        fastyaml._LINES.setdefault(f"\x00{index}", (fastyaml._NEVER_IN_PLACE, None, None, 0,
                                                    False, None, 0))
        fastyaml._SEEN_VALUES.setdefault(f"\x00{index}", None)
        fastyaml._SEEN_KEYS.add(f"\x00{index}")
    try:
        yield
    finally:
        for cache, old in zip(caches, saved, strict=True):
            cache.clear()
            cache.update(old)


def _print_read_ratios(label: str, text: str, loader: Any) -> None:
    """Reading a fleet of cassettes of ``text``'s layout, one after another, against
    ``json.loads`` of the same cassettes written as JSON."""
    import yaml

    from replay.cassette.read import load_document, parse_cassette
    from replay.cassette.write import dump_cassette

    texts = _variants(text, 512)
    jsons = [dump_cassette(parse_cassette(t, "c.yaml"), as_json=True) for t in texts]
    next_text, next_json = itertools.cycle(texts[1:]).__next__, itertools.cycle(jsons[1:]).__next__
    with _fleet_caches(texts[0]):
        _, _, document = paired(lambda: json.loads(next_json()),
                                lambda: load_document(next_text(), "c.yaml"), rounds=9)
        _, _, ours = paired(lambda: json.loads(next_json()),
                            lambda: parse_cassette(next_text(), "c.yaml"), rounds=9)
    _, _, libyaml = paired(lambda: json.loads(next_json()),
                           lambda: yaml.load(next_text(), Loader=loader), rounds=9)
    print(f"cassette read, {label} ({len(text)} bytes, each read a different cassette of that "
          f"layout): the document {document:.2f}x the time of json.loads of the same "
          f"cassettes as JSON (goal <= 2); into Cassette models {ours:.2f}x; libyaml's safe "
          f"loader {libyaml:.2f}x")


def _print_late_layout() -> None:
    """A fleet's later layout: S3 pipeline cassettes read after 3,000 SageMaker ones (each with
    lines of its own), against the same S3 cassettes read first. The fast path's caches must
    still learn the later layout's lines."""
    from replay.cassette import fastyaml

    sagemaker = _variants((ROOT / "cassettes" / "automl" / "completed-job.yaml").read_text(), 3000)
    s3 = _variants((ROOT / "tests" / "downstream" / "cassettes" / "test_model_pipeline" /
                    "test_a_missing_object_arrives_as_no_such_key.yaml").read_text(), 302)
    caches: tuple[Any, ...] = (fastyaml._LINES, fastyaml._SEEN_VALUES, fastyaml._SEEN_KEYS,
                               fastyaml._LINES_ONCE.once, fastyaml._VALUES_ONCE.once)
    saved = [cache.copy() for cache in caches]

    def read_s3(after: list[str]) -> float:
        for cache in caches:
            cache.clear()
        for text in after + s3[:2]:
            fastyaml.load(text)
        start = time.perf_counter()
        for text in s3[2:]:
            fastyaml.load(text)
        return (time.perf_counter() - start) / (len(s3) - 2)

    try:
        late = statistics.median(read_s3(sagemaker) for _ in range(3))
        first = statistics.median(read_s3([]) for _ in range(3))
    finally:
        for cache, old in zip(caches, saved, strict=True):
            cache.clear()
            cache.update(old)
    print(f"cassette read, S3 pipeline cassettes after 3,000 SageMaker ones: {late * 1e6:.0f} us "
          f"each, {first * 1e6:.0f} us when read first: ratio {late / first:.2f}x (the caches "
          "learn a layout met late)")


def bench_fleet() -> None:
    """Memory, --jobs, read cost and start-up of ``aws-replay check`` (issue 14)."""
    import yaml

    check = [sys.executable, "-c", "import cli; cli.main()", "check"]
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "1000", Path(tmp) / "10000"
        small.mkdir()
        large.mkdir()
        write_cassettes(small, 1000)
        write_cassettes(large, 10000)
        for jobs in ("1", "2"):
            rss_small = _peak_rss_mb([*check, str(small), "--jobs", jobs])
            rss_large = _peak_rss_mb([*check, str(large), "--jobs", jobs])
            print(f"peak RSS of check --jobs {jobs}: {rss_large:.0f} MB over 10,000 cassettes, "
                  f"{rss_small:.0f} MB over 1,000: ratio {rss_large / rss_small:.2f}x "
                  "(goal <= 1.3)")
        serial, parallel = [], []
        for _ in range(3):  # alternating, so load on a shared machine hits both
            serial.append(_wall([*check, str(large), "--jobs", "1"]))
            parallel.append(_wall([*check, str(large), "--jobs", "2"]))
        ratio = statistics.median(p / s for p, s in zip(parallel, serial, strict=True))
        print(f"check over 10,000 cassettes: {statistics.median(serial):.2f} s with --jobs 1, "
              f"{statistics.median(parallel):.2f} s with --jobs 2: ratio {ratio:.2f}x "
              "(goal <= 0.6)")

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        lean = (small / "c0000.yaml").read_text()
        samples = [("a lean one (2 headers each way, meta: source only)", lean)] + [
            (f"{name}, recorded", (ROOT / "cassettes" / "automl" / name).read_text())
            for name in ("completed-job.yaml", "lifecycle-job.yaml", "stopped-job.yaml",
                         "failed-job.yaml", "missing-job.yaml")]
        for label, text in samples:
            _print_read_ratios(label, text, loader)
        _print_late_layout()
        # An installed package has its bytecode (pip compiles it); a checkout run with
        # PYTHONDONTWRITEBYTECODE=1 would compile every module from source on every run.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "replay"),
                        str(ROOT / "cli.py")], check=True, env={**os.environ,
                                                                "PYTHONDONTWRITEBYTECODE": ""})
        one = str(ROOT / "cassettes" / "automl" / "completed-job.yaml")  # a recorded one
        boto3_times, check_times = [], []
        for _ in range(9):
            boto3_times.append(_wall([sys.executable, "-c", "import boto3"]))
            check_times.append(_wall([str(ROOT / ".venv" / "bin" / "aws-replay"), "check", one]))
        ratio = statistics.median(c / b for c, b in zip(check_times, boto3_times, strict=True))
        print(f"aws-replay check ONE.yaml: {statistics.median(check_times) * 1e3:.0f} ms, "
              f"python -c 'import boto3': {statistics.median(boto3_times) * 1e3:.0f} ms: ratio "
              f"{ratio:.2f}x (goal <= 1.0)")


def main() -> None:
    if sys.argv[1:] == ["baseline"]:
        bench_baseline()
        return
    if sys.argv[1:] == ["fleet"]:
        bench_fleet()
        return
    operation = operation_ref("sagemaker", "DescribeAutoMLJob").model
    definitions: dict[str, Any] = {}
    root = json_schema_for(operation.output_shape, definitions)
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", **root,
              "definitions": definitions}
    fast = fastjsonschema.compile(schema)
    slow = jsonschema.Draft7Validator(schema)
    checker = checker_for(operation)
    raw = json.dumps(BODY)
    assert checker.check_value(BODY) == [], "the benchmark body must be clean"
    fast(BODY)
    assert not list(slow.iter_errors(BODY))

    print(f"body: {len(raw)} bytes of JSON, every member present; medians of "
          "15 alternating rounds")
    ours, fast_rate, vs_fast = paired(lambda: checker.check_value(BODY), lambda: fast(BODY))
    _, _, vs_fast_raw = paired(lambda: checker.check_value(json.loads(raw)),
                               lambda: fast(json.loads(raw)))
    _, slow_rate, vs_slow = paired(lambda: checker.check_value(BODY),
                                   lambda: list(slow.iter_errors(BODY)), rounds=7)
    print(f"aws-replay check_value (all findings): {ours:9.0f} bodies/s")
    print(f"fastjsonschema (first error only):     {fast_rate:9.0f} bodies/s")
    print(f"jsonschema Draft7 (all errors):        {slow_rate:9.0f} bodies/s")
    print(f"ratio vs fastjsonschema (parsed body):      {vs_fast:.2f}x (goal: keep >= 1.4)")
    print(f"ratio vs fastjsonschema (incl. json.loads): {vs_fast_raw:.2f}x")
    print(f"ratio vs jsonschema:                        {vs_slow:.1f}x (goal >= 15)")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_cassettes(folder, 1000)
        command = [sys.executable, "-c", "import cli; cli.main()", "check", str(folder)]
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        elapsed = time.perf_counter() - start
        print(f"aws-replay check over 1,000 cassettes: {elapsed:.2f} s (goal < 5 s; "
              f"{elapsed / 5:.2f}x the budget), exit {result.returncode}: "
              f"{result.stdout.strip().splitlines()[-1]}")
    bench_baseline()
    bench_fleet()


if __name__ == "__main__":
    main()
