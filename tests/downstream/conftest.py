"""An example downstream suite: how a team tests its SageMaker code with aws-replay.

The plugin is active as soon as aws-replay is installed. Tests marked
``@pytest.mark.aws_replay("automl/completed-job")`` get ``automl/completed-job.yaml`` from the
cassette folder played to every boto3 client they create; nothing reaches the network and no
credentials are needed. The ``sagemaker`` fixture is a ready client.

The cassette folder is ``cassettes/`` beside the test module by default (pytest-recording's
place); this suite replays the repository's sample cassettes instead, so its
``aws_replay_config`` names the folder (relative to the rootdir), as a suite written for the
old default (``<rootdir>/cassettes``) can.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest


class Sleeps(list[float]):
    """Stands in for time.sleep: a replayed job needs no waiting, but the waits are kept."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@functools.cache
def xml_responses_checked() -> bool:
    """Whether the spec check reads XML responses yet (query, rest-xml): until it does, it
    takes every non-JSON body for broken JSON, so a suite replaying S3 or STS turns the drift
    check off and ``aws-replay check`` reports those interactions."""
    from replay.spec.check import check_body
    from replay.spec.operations import service_model

    operation = service_model("sts").operation_model("GetCallerIdentity")
    body = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            b"<GetCallerIdentityResult><Account>000000000001</Account>"
            b"</GetCallerIdentityResult></GetCallerIdentityResponse>")
    return not any(f.severity == "breaking" for f in check_body(operation, body))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def aws_replay_config() -> dict[str, Any]:
    return {"cassette_dir": "cassettes"}
