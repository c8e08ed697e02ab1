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

from typing import Any

import pytest


class Sleeps(list[float]):
    """Stands in for time.sleep: a replayed job needs no waiting, but the waits are kept."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def aws_replay_config() -> dict[str, Any]:
    return {"cassette_dir": "cassettes"}
