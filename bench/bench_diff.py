"""Benchmark of ``aws-replay diff`` (recording vs recording), baseline and ours in one run.

Generates, in a temporary folder, OLD and NEW folders of N cassettes each (default 10,000):
every NEW cassette is the OLD one re-recorded an hour later (timestamps, candidate and step
names, metric values and artifact keys changed: volatile, so no drift), and 1% of them also
drifted for real (a new enum value and a new member). Then it measures:

1. the whole folder diff (``replay.drift.diff.diff_paths``, and the ``aws-replay diff`` command in a
   fresh process, start-up included) against the naive baseline: parse both cassettes and run
   deepdiff on every pair (timed on a sample, scaled to N);
2. re-recorded finished jobs, where NEW differs from OLD only in its ``meta`` block (when it
   was recorded): ``diff_paths`` in one process, against the same with that shortcut turned off
   (both files parsed and their bodies compared, as before the shortcut);
3. one equal (volatile-only) pair: ``diff_interactions`` against one ``DeepDiff`` of the same
   two already-parsed bodies.

Run: ``.venv/bin/python bench/bench_diff.py [N]``. Wanted: folder diff under 10 s for 10,000
pairs; an equal pair under 0.1x of a deepdiff run.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deepdiff import DeepDiff  # noqa: E402

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse  # noqa: E402
from replay.cassette.read import read_cassette  # noqa: E402
from replay.cassette.write import dump_cassette  # noqa: E402
from replay.drift import diff as drift  # noqa: E402
from replay.drift.diff import diff_interactions, diff_paths  # noqa: E402
from replay.drift.volatile import DriftSettings  # noqa: E402

JOB = "churn-automl-2026"  # 17 characters, like every generated name below


def _cassette_text(body: dict[str, Any], meta: dict[str, Any] | None = None) -> str:
    request = RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                              {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
                               "Content-Type": ["application/x-amz-json-1.1"]},
                              json.dumps({"AutoMLJobName": body["AutoMLJobName"]}))
    response = RecordedResponse(200, "OK", {"Content-Type": ["application/x-amz-json-1.1"]},
                                json.dumps(body).encode())
    return dump_cassette(Cassette((Interaction(request, response),), meta or {"tool": "bench"}))


def _rerecorded(body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    new = json.loads(json.dumps(body))
    for key in ("CreationTime", "LastModifiedTime", "EndTime"):
        new[key] = body[key] + 3600
    best = new["BestCandidate"]
    best["CandidateName"] += "-r"
    best["FinalAutoMLJobObjectiveMetric"]["Value"] = round(rng.random(), 4)
    for step in best["CandidateSteps"]:
        step["CandidateStepName"] += "-r"
        step["CandidateStepArn"] += "-r"
    for container in best["InferenceContainers"]:
        container["ModelDataUrl"] += ".r"
    return new


def _generate(base: Path, count: int, body: dict[str, Any]) -> int:
    rng = random.Random(7)
    old_text = _cassette_text(body)
    new_text = _cassette_text(_rerecorded(body, rng))
    drifted = dict(_rerecorded(body, rng), AutoMLJobSecondaryStatus="MergingAutoMLTaskReports",
                   AutoMLJobV2Hint="use DescribeAutoMLJobV2")
    drift_text = _cassette_text(drifted)
    changed = set(rng.sample(range(count), count // 100))
    for folder in ("old", "new"):
        (base / folder).mkdir()
    for index in range(count):
        name = f"churn-automl-{index:04d}"[:17] if count <= 10_000 else f"job-{index}"
        old = old_text.replace(JOB, name)
        new = (drift_text if index in changed else new_text).replace(JOB, name)
        (base / "old" / f"{name}.yaml").write_text(old)
        (base / "new" / f"{name}.yaml").write_text(new)
    return len(changed)


def _generate_meta_only(base: Path, count: int, body: dict[str, Any]) -> None:
    old_text = _cassette_text(body, {"tool": "bench", "recorded_at": "2026-11-01T00:00:00Z"})
    new_text = _cassette_text(body, {"tool": "bench", "recorded_at": "2026-12-01T00:00:00Z"})
    for folder in ("meta-old", "meta-new"):
        (base / folder).mkdir()
    for index in range(count):
        name = f"churn-automl-{index:04d}"[:17] if count <= 10_000 else f"job-{index}"
        (base / "meta-old" / f"{name}.yaml").write_text(old_text.replace(JOB, name))
        (base / "meta-new" / f"{name}.yaml").write_text(new_text.replace(JOB, name))


def _best_of(repeat: int, action: Callable[[], Any]) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    body = json.loads((ROOT / "tests" / "data" / "describe_auto_ml_job_full.json").read_text())
    settings = DriftSettings()
    with tempfile.TemporaryDirectory(prefix="aws-replay-bench-") as tmp:
        base = Path(tmp)
        start = time.perf_counter()
        drifted = _generate(base, count, body)
        print(f"generated 2 x {count} cassettes ({drifted} drifted) in "
              f"{time.perf_counter() - start:.1f} s")

        start = time.perf_counter()
        run = diff_paths(base / "old", base / "new", settings)
        ours = time.perf_counter() - start
        pairs_with_findings = len({f.cassette for f in run.findings})
        assert pairs_with_findings == drifted, (pairs_with_findings, drifted)

        start = time.perf_counter()
        diff_paths(base / "old", base / "new", settings, workers=1)
        single = time.perf_counter() - start

        def command_line(*extra: str) -> float:
            start = time.perf_counter()
            process = subprocess.run(
                [str(ROOT / ".venv" / "bin" / "aws-replay"), "diff", str(base / "old"),
                 str(base / "new"), "--format", "json", "--output", str(base / "report.json"),
                 *extra], capture_output=True, text=True, check=False, cwd=base)
            assert process.returncode == 1, process.stderr  # the drifted 1% are breaking
            return time.perf_counter() - start

        command = command_line()
        command_single = command_line("--jobs", "1")

        sample = sorted((base / "old").iterdir())[: min(200, count)]
        start = time.perf_counter()
        for old_file in sample:
            old_body = read_cassette(old_file).interactions[0].response.json()
            new_body = read_cassette(base / "new" / old_file.name).interactions[0] \
                .response.json()
            DeepDiff(old_body, new_body)
        naive = (time.perf_counter() - start) / len(sample) * count

        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"\nfolder diff, {count} pairs, {drifted} drifted ({os.cpu_count()} CPUs, load "
              f"average now {load}):")
        print(f"  ours (diff_paths, in process)      {ours:7.2f} s   "
              f"({ours / count * 1e3:.3f} ms/pair)")
        print(f"  ours (diff_paths, one process)     {single:7.2f} s")
        print(f"  ours (aws-replay diff, new process) {command:7.2f} s   (wanted < 10 s)")
        print(f"  ours (aws-replay diff --jobs 1)     {command_single:7.2f} s")
        print(f"  baseline (parse + deepdiff each)    {naive:7.2f} s   (from {len(sample)} "
              f"pairs, scaled)")
        print(f"  ratio ours/baseline                 {ours / naive:7.3f}x (in process), "
              f"{command / naive:.3f}x (aws-replay diff)")

        _generate_meta_only(base, count, body)
        meta_old, meta_new = base / "meta-old", base / "meta-new"
        start = time.perf_counter()
        run = diff_paths(meta_old, meta_new, settings, workers=1)
        meta_ours = time.perf_counter() - start
        assert run.findings == [] and run.cassettes == count
        shortcut = drift._same_but_meta
        drift._same_but_meta = lambda *args: False
        try:
            start = time.perf_counter()
            run = diff_paths(meta_old, meta_new, settings, workers=1)
            meta_both = time.perf_counter() - start
        finally:
            drift._same_but_meta = shortcut
        assert run.findings == []
        print(f"\nre-recorded finished jobs, {count} pairs, only the meta block differs (one "
              "process):")
        print(f"  ours (OLD not parsed)               {meta_ours:7.2f} s")
        print(f"  both parsed and compared            {meta_both:7.2f} s")
        print(f"  ratio                               {meta_ours / meta_both:7.3f}x")

        rng = random.Random(3)
        old_body = body
        new_body = _rerecorded(body, rng)
        old_i = Interaction(RecordedRequest("POST", "https://x/", {
            "X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]}, "{}"), RecordedResponse(
            200, "OK", {}, json.dumps(old_body).encode()))
        new_i = Interaction(old_i.request, RecordedResponse(200, "OK", {},
                                                            json.dumps(new_body).encode()))
        diff_interactions(old_i, new_i, settings)  # warm caches (model, path automaton)
        loops = 200
        equal = statistics.median(
            _best_of(1, lambda: diff_interactions(old_i, new_i, settings)) for _ in range(loops))
        deep = statistics.median(
            _best_of(1, lambda: DeepDiff(old_body, new_body)) for _ in range(loops // 10))
        assert diff_interactions(old_i, new_i, settings) == []
        print("\none equal pair (volatile values differ only):")
        print(f"  ours (parse, normalise, compare)    {equal * 1e3:7.3f} ms")
        print(f"  deepdiff on the parsed bodies       {deep * 1e3:7.3f} ms")
        print(f"  ratio ours/deepdiff                 {equal / deep:7.3f}x   (wanted < 0.1x)")


if __name__ == "__main__":
    main()
