"""Work spread over processes comes back in serial order, errors included."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest

from replay.core.errors import CassetteError
from replay.core.parallel import available_cpus, ordered_map


def pids_and_items(items: Sequence[int]) -> list[tuple[int, int]]:
    return [(os.getpid(), item) for item in items]


def fail_at_13_and_40(items: Sequence[int]) -> list[int]:
    for item in items:
        if item in (13, 40):
            raise CassetteError(f"c{item}.yaml: is not valid YAML")
    return list(items)


def test_results_come_back_in_order_from_more_than_one_process() -> None:
    parts = ordered_map(pids_and_items, list(range(300)), 2, min_items=10)
    results = [pair for part in parts for pair in part]
    assert [item for _, item in results] == list(range(300))
    assert len({pid for pid, _ in results}) > 1


def test_the_first_error_in_serial_order_is_the_one_raised() -> None:
    with pytest.raises(CassetteError, match=r"c13\.yaml"):
        ordered_map(fail_at_13_and_40, list(range(300)), 2, min_items=10)


def test_few_items_or_one_job_stay_in_this_process() -> None:
    for jobs, items in ((1, 300), (2, 5)):
        parts = ordered_map(pids_and_items, list(range(items)), jobs, min_items=10)
        assert {pid for part in parts for pid, _ in part} == {os.getpid()}


def test_available_cpus_is_at_least_one() -> None:
    assert available_cpus() >= 1
