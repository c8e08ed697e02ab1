"""Work spread over processes comes back in serial order, errors included."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from replay.core.errors import CassetteError
from replay.core.parallel import available_cpus, ordered_map


def pids_and_items(items: Sequence[int], _: object) -> list[tuple[int, int]]:
    return [(os.getpid(), item) for item in items]


def fail_at_13_and_40(items: Sequence[int], _: object) -> list[int]:
    for item in items:
        if item in (13, 40):
            raise CassetteError(f"c{item}.yaml: is not valid YAML")
    return list(items)


def test_results_come_back_in_order_from_more_than_one_process() -> None:
    parts = ordered_map(pids_and_items, list(range(300)), 2, shared=None, min_items=10)
    results = [pair for part in parts for pair in part]
    assert [item for _, item in results] == list(range(300))
    assert len({pid for pid, _ in results}) > 1


def test_the_first_error_in_serial_order_is_the_one_raised() -> None:
    with pytest.raises(CassetteError, match=r"c13\.yaml"):
        ordered_map(fail_at_13_and_40, list(range(300)), 2, shared=None, min_items=10)


def test_few_items_or_one_job_stay_in_this_process() -> None:
    for jobs, items in ((1, 300), (2, 5)):
        parts = ordered_map(pids_and_items, list(range(items)), jobs, shared=None,
                            min_items=10)
        assert {pid for part in parts for pid, _ in part} == {os.getpid()}


def lock_held(items: Sequence[int], lock: Any) -> list[tuple[int, bool]]:
    return [(os.getpid(), lock.locked()) for _ in items]


def test_what_work_shares_reaches_the_workers_by_the_fork_not_by_pickle() -> None:
    # a lock cannot be pickled: a model or a sanitizer should not be either, per chunk
    lock = threading.Lock()
    lock.acquire()
    try:
        parts = ordered_map(lock_held, list(range(300)), 2, shared=lock, min_items=10)
    finally:
        lock.release()
    results = [pair for part in parts for pair in part]
    assert all(held for _, held in results) and len(results) == 300
    assert len({pid for pid, _ in results}) > 1


def test_available_cpus_is_at_least_one() -> None:
    assert available_cpus() >= 1
