"""An example downstream suite: how a team tests its SageMaker code with aws-replay.

The plugin is active as soon as aws-replay is installed. Tests marked
``@pytest.mark.aws_replay("automl/completed-job")`` get ``cassettes/automl/completed-job.yaml``
(relative to the rootdir; ``aws_replay_cassette_dir`` in the ini file changes the folder)
played to every boto3 client they create; nothing reaches the network and no credentials are
needed. The ``sagemaker`` fixture is a ready client.
"""

from __future__ import annotations

import pytest


class Sleeps(list[float]):
    """Stands in for time.sleep: a replayed job needs no waiting, but the waits are kept."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
