"""The sample cassettes in ``cassettes/``: the recipe that makes them, and the staleness check.

Every sample is made by the whole pipeline, as a user's would be: the local endpoint in
synthetic mode (:func:`replay.serve.server.start_server`) answers, boto3 calls it with dummy
credentials, the recorder captures the exchanges through vcrpy and the sanitizer cleans them
before :func:`replay.record.capture.save_recording` writes them (``meta.source: local-endpoint``).
Synthetic jobs are deterministic per name (:mod:`replay.synth.jobs`) and the jobs are recorded in a
fixed order with one sanitizer, so the same recipe gives the same cassettes; only what a
recording cannot help varying (the endpoint's port, the signing date, ``meta.recorded_at`` and
the versions in ``meta``) differs between runs, and :func:`comparable` leaves it out.

Regenerate (only changed samples are rewritten, atomically)::

    python -m replay.samples            # or: python -m replay.samples --check  (exit 1 if stale)
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replay.cassette.read import read_cassette
from replay.cassette.write import atomic_writer
from replay.core.errors import ReplayError

REGION = "us-east-1"
DEFAULT_DIR = Path("cassettes")

# The AWS documentation's example key pair: obviously not a credential, and boto3 signs with it.
DUMMY_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
DUMMY_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

_AWS_SETTINGS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_CA_BUNDLE")


@dataclass(frozen=True)
class Sample:
    """One sample cassette: ``<folder>/<job>.yaml``, recorded from the synthetic job ``job``
    (with ``views``, ``record --with`` writes ``<job>.<view>.yaml`` beside it too)."""

    folder: str
    job: str
    what: str
    follow: bool = False
    views: tuple[str, ...] = ()

    @property
    def relative_path(self) -> Path:
        return Path(self.folder) / f"{self.job}.yaml"

    @property
    def relative_paths(self) -> tuple[Path, ...]:
        """The cassette and its views."""
        return (self.relative_path,
                *(Path(self.folder) / f"{self.job}.{view}.yaml" for view in self.views))


@dataclass(frozen=True)
class ScenarioSample:
    """A sample recorded by a scripted pipeline (:mod:`replay.scenarios`) run as ``job``."""

    folder: str
    job: str
    what: str
    scenario: str

    @property
    def relative_paths(self) -> tuple[Path, ...]:
        return (Path(self.folder) / f"{self.job}.yaml",)


SAMPLES: tuple[Sample, ...] = (
    Sample("automl", "completed-job",
           "Completed, with a best candidate, its metrics and inference containers; `.v2`: "
           "the same job from DescribeAutoMLJobV2; `.candidates`: ListCandidatesForAutoMLJob",
           views=("v2", "candidates")),
    Sample("automl", "failed-job", "Failed, with FailureReason and PartialFailureReasons"),
    Sample("automl", "stopped-job", "Stopped by the user while building candidates"),
    Sample("automl", "candidates-job",
           "Completed/CandidateDefinitionsGenerated (GenerateCandidateDefinitionsOnly)"),
    Sample("automl", "maxcandidates-job", "Completed/MaxCandidatesReached"),
    Sample("automl", "missing-job", "HTTP 400 ResourceNotFound: the job does not exist"),
    Sample("automl", "lifecycle-job",
           "`record --follow`: every poll from Starting to Completed, in order; `.v2` and "
           "`.candidates` once it ended", follow=True, views=("v2", "candidates")),
    *(Sample("automl/running", f"{kind}-job", f"InProgress/{secondary}")
      for kind, secondary in (("starting", "Starting"), ("analyzing", "AnalyzingData"),
                              ("engineering", "FeatureEngineering"), ("tuning", "ModelTuning"),
                              ("training", "TrainingModels"),
                              ("explaining", "GeneratingExplainabilityReport"),
                              ("insights", "GeneratingModelInsightsReport"),
                              ("deploying", "DeployingModel"))),
    Sample("automl/running", "stopping-job", "Stopping/Stopping"),
    Sample("drifted", "drifted-job",
           "Deliberate drift: an undocumented member and an objective metric name the model's "
           "enum does not know (check reports both)"),
)
"""The sample set, in recording order (the order numbers the sanitizer's placeholders)."""

SCENARIOS: tuple[ScenarioSample, ...] = (
    ScenarioSample("automl/family", "created-job",
                   "CreateAutoMLJob, DescribeAutoMLJob polled to Completed (scaled time), "
                   "ListCandidatesForAutoMLJob two a page", "create_poll_and_list"),
    ScenarioSample("automl/family", "stopped-v2-job",
                   "CreateAutoMLJobV2 (tabular), StopAutoMLJob, DescribeAutoMLJobV2 through "
                   "Stopping to Stopped", "create_v2_and_stop"),
    ScenarioSample("automl/family", "textgen-job",
                   "CreateAutoMLJobV2 fine-tuning an LLM, DescribeAutoMLJobV2 through "
                   "PreTraining to Completed", "fine_tune_llm"),
    ScenarioSample("automl/family", "list-jobs",
                   "ListAutoMLJobs, every page, two a page", "list_every_job"),
)
"""Samples of the rest of the family, recorded after :data:`SAMPLES` in this order."""


def all_samples(samples: Sequence[Sample] = SAMPLES,
                scenarios: Sequence[ScenarioSample] = SCENARIOS,
                ) -> list[Sample | ScenarioSample]:
    """Every sample, in recording order."""
    return [*samples, *scenarios]


@contextlib.contextmanager
def offline_aws_environment() -> Iterator[None]:
    """Dummy credentials and region for boto3 in this process; the user's ~/.aws is not read.

    Restores the environment on exit. For talking to a local endpoint only: nothing signed
    with these keys is accepted by AWS.
    """
    saved = {name: os.environ.get(name) for name in (
        *_AWS_SETTINGS, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED")}
    absent = str(Path(tempfile.gettempdir()) / "aws-replay-no-aws-config")
    try:
        for name in _AWS_SETTINGS:
            os.environ.pop(name, None)
        os.environ.update({
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": absent,
            "AWS_SHARED_CREDENTIALS_FILE": absent, "AWS_EC2_METADATA_DISABLED": "true",
        })
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def record_samples(target: Path, samples: Sequence[Sample] = SAMPLES,
                   scenarios: Sequence[ScenarioSample] = SCENARIOS) -> list[Path]:
    """Record ``samples`` and ``scenarios`` into ``target`` through the local endpoint; their
    paths, in order."""
    from replay.record.jobs import record_jobs
    from replay.sanitize.sanitizer import Sanitizer
    from replay.scenarios import scenario_server

    sanitizer = Sanitizer.default()
    written: list[Path] = []
    with offline_aws_environment(), scenario_server() as server:
        # One `record` run per folder, follow mode and views, as a user would type them.
        for (folder, follow, views), group in itertools.groupby(
                samples, key=lambda sample: (sample.folder, sample.follow, sample.views)):
            summary = record_jobs(
                [sample.job for sample in group], endpoint_url=server.url, region=REGION,
                cassette_dir=target / folder, follow=follow, interval=0, timeout=60,
                overwrite=True, sanitizer=sanitizer, sleep=lambda _: None, views=views)
            for result in summary.jobs:
                if result.outcome not in ("recorded", "not-found"):
                    raise ReplayError(f"sample {result.path}: recording ended "
                                      f"{result.outcome} ({result.message})")
                written.append(result.path)
        for scenario in scenarios:
            written.append(_record_scenario(scenario, target, server.url, sanitizer))
    return written


def _record_scenario(scenario: ScenarioSample, target: Path, url: str,
                     sanitizer: Any) -> Path:
    import boto3

    from replay import scenarios as scripts
    from replay.record.capture import capture_exchanges, save_recording

    client = boto3.client("sagemaker", endpoint_url=url, region_name=REGION)
    path = target / scenario.relative_paths[0]
    with capture_exchanges(sanitizer, targets={"SageMaker"}) as captured:
        getattr(scripts, scenario.scenario)(client, scenario.job)
    save_recording(path, captured, source="local-endpoint", sanitizer=sanitizer, overwrite=True)
    return path


_PORT = re.compile(r"^(https?://(?:127\.0\.0\.1|localhost|\[::1\])):\d+")
_SCOPE_DATE = re.compile(r"(Credential=[^/,\s]*)/\d{8}/")
_VOLATILE_META = ("recorded_at", "tool", "botocore")


def comparable(path: Path) -> dict[str, Any]:
    """A cassette's content without what varies between two recordings of the same exchanges.

    Left out: the local endpoint's port, the SigV4 signing date (in ``Authorization`` and
    ``X-Amz-Date``), and ``meta.recorded_at``, ``meta.tool``, ``meta.botocore``. JSON bodies are
    compared parsed.
    """
    cassette = read_cassette(path)
    interactions = []
    for interaction in cassette.interactions:
        request, response = interaction.request, interaction.response
        headers = {}
        for name, values in request.headers.items():
            if name.lower() == "x-amz-date":
                continue
            headers[name] = [_SCOPE_DATE.sub(r"\1/<date>/", v) for v in values]
        try:
            body: Any = response.json()
        except ReplayError:
            body = response.text()
        interactions.append({
            "request": {"method": request.method, "uri": _PORT.sub(r"\1:<port>", request.uri),
                        "headers": headers, "body": request.json()},
            "response": {"status": response.status, "reason": response.reason,
                         "headers": response.headers, "body": body},
        })
    meta = {k: v for k, v in cassette.meta.items() if k not in _VOLATILE_META}
    return {"meta": meta, "interactions": interactions}


@dataclass(frozen=True)
class SampleState:
    """How one sample on disk compares with a fresh recording."""

    path: Path
    state: str  # "fresh", "stale" or "missing"; after regenerating: "updated" or "created"


def regenerate(cassettes: Path = DEFAULT_DIR, *, check: bool = False,
               samples: Sequence[Sample] = SAMPLES,
               scenarios: Sequence[ScenarioSample] = SCENARIOS) -> list[SampleState]:
    """Record every sample afresh and compare with ``cassettes``; unless ``check``, replace the
    stale and missing ones (atomically). Fresh ones are left untouched, so no churn."""
    states: list[SampleState] = []
    with tempfile.TemporaryDirectory(prefix="aws-replay-samples-") as scratch:
        fresh = Path(scratch)
        record_samples(fresh, samples, scenarios)
        relative = [path for sample in all_samples(samples, scenarios)
                    for path in sample.relative_paths]
        for path in relative:
            new, old = fresh / path, cassettes / path
            if not old.exists():
                state = "missing"
            elif comparable(old) == comparable(new):
                state = "fresh"
            else:
                state = "stale"
            if state != "fresh" and not check:
                with atomic_writer(old) as handle:
                    handle.write(new.read_text(encoding="utf-8"))
                state = "created" if state == "missing" else "updated"
            states.append(SampleState(old, state))
    states.append(_write_if_changed(cassettes / "README.md", index_text(samples, scenarios),
                                    check=check))
    return states


def index_text(samples: Sequence[Sample] = SAMPLES,
               scenarios: Sequence[ScenarioSample] = SCENARIOS) -> str:
    """``cassettes/README.md``: what each sample is, and how they are made."""
    rows = "\n".join(
        f"| {', '.join(f'`{path}`' for path in s.relative_paths)} | `{s.job}` | {s.what} |"
        for s in all_samples(samples, scenarios))
    return f"""# Sample cassettes

Recorded by `python -m replay.samples` through the whole pipeline: `aws-replay serve --synthetic`
answered, boto3 called it, the recorder captured and sanitized the exchanges (`meta.source:
local-endpoint`). Each job's answer is fixed by its name (see `replay/synth/jobs.py`); the
`automl/family/` samples are scripted pipelines (`replay/scenarios.py`) run against it with a
clock that ticks per look, so created jobs' timestamps repeat too. Do not edit
them by hand: change the recipe (`replay/samples.py`) and regenerate; `tests/test_samples.py`
fails when they are stale. Everything but `drifted/` passes `aws-replay check`; all of them
pass `aws-replay scan`.

| cassette | job | what it shows |
|---|---|---|
{rows}
"""


def _write_if_changed(path: Path, text: str, *, check: bool) -> SampleState:
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == text:
        return SampleState(path, "fresh")
    if check:
        return SampleState(path, "missing" if old is None else "stale")
    with atomic_writer(path) as handle:
        handle.write(text)
    return SampleState(path, "created" if old is None else "updated")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m replay.samples [--check] [DIR]``: 0 fresh (or regenerated), 1 stale, 2 error."""
    parser = argparse.ArgumentParser(prog="python -m replay.samples",
                                     description="Regenerate the sample cassettes.")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_DIR,
                        help="the cassettes folder (default: cassettes)")
    parser.add_argument("--check", action="store_true",
                        help="only report stale or missing samples (exit 1 if any)")
    args = parser.parse_args(argv)
    try:
        states = regenerate(args.folder, check=args.check)
    except ReplayError as exc:
        print(f"aws-replay samples: error: {exc}", file=sys.stderr)
        return 2
    for item in states:
        if item.state != "fresh":
            print(f"{item.state}: {item.path}")
    changed = [s for s in states if s.state != "fresh"]
    print(f"{len(states) - len(changed)} of {len(states)} sample(s) fresh"
          + (f", {len(changed)} {'stale or missing' if args.check else 'written'}"
             if changed else ""))
    if args.check and changed:
        print("regenerate them with: python -m replay.samples", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
