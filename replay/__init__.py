"""aws-replay: record, sanitize, replay and spec-check AWS JSON-protocol exchanges.

The packages follow the data flow, each importing only those below it (see ARCHITECTURE in the
README)::

    core <- cassette <- spec | sanitize | report <- match | record | synth
         <- drift | plugin | serve <- cli | demo | samples

The public names below are re-exported here, imported on first use so ``import replay`` stays
cheap: ``from replay import start_server, automl_jobs, check_body``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
"""The distribution's version (pyproject.toml's; tests/test_public_api.py keeps them equal):
a constant, so no command pays for importlib.metadata at start-up."""

TOOL_NAME = f"aws-replay {__version__}"

_PUBLIC = {
    "AwsReplayWarning": "replay.core.errors",
    "ReplayError": "replay.core.errors",
    "Finding": "replay.core.findings",
    "Severity": "replay.core.findings",
    "Cassette": "replay.cassette.model",
    "read_cassette": "replay.cassette.read",
    "write_cassette": "replay.cassette.write",
    "check_body": "replay.spec.check",
    "check_paths": "replay.spec.check",
    "Sanitizer": "replay.sanitize.sanitizer",
    "scan_paths": "replay.sanitize.scan",
    "diff_paths": "replay.drift.diff",
    "start_server": "replay.serve.server",
    "SyntheticAccount": "replay.synth.account",
    "SyntheticJobs": "replay.synth.jobs",
    "synthetic_response": "replay.synth.jobs",
    "synthetic_lifecycle": "replay.synth.jobs",
    "automl_jobs": "replay.synth.strategies",
    "automl_lifecycles": "replay.synth.strategies",
    "describe_auto_ml_job_bodies": "replay.synth.strategies",
    "describe_auto_ml_job_v2_bodies": "replay.synth.strategies",
    "list_auto_ml_jobs_bodies": "replay.synth.strategies",
    "list_candidates_bodies": "replay.synth.strategies",
    "create_auto_ml_job_bodies": "replay.synth.strategies",
    "automl_v2_jobs": "replay.synth.strategies",
    "automl_candidate_lists": "replay.synth.strategies",
    "job_names": "replay.synth.strategies",
    "output_bodies": "replay.synth.strategies",
    "shape_values": "replay.synth.strategies",
    "to_boto3": "replay.synth.strategies",
}

__all__ = ["TOOL_NAME", "__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'replay' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
