"""Work over many files on every core: consecutive chunks in forked processes, results in the
order a serial run gives them, and the first error (in that order) raised as a serial run
would raise it.

Example::

    parts = ordered_map(check_chunk, files, jobs=available_cpus(), shared=models)
    findings = [finding for part in parts for finding in part]
"""

from __future__ import annotations

import gc
import itertools
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

PARALLEL_MIN_ITEMS = 200
"""Below this many items a run stays in one process (starting workers costs more)."""


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity), at least 1."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def _spans(count: int, jobs: int) -> list[tuple[int, int]]:
    """Consecutive chunks of ``count`` items, as (start, stop), that shrink toward the end
    (guided scheduling): each about a ``4 * jobs``-th of what is left, between 10 and 250
    items. The last ones, which one process may finish alone while the others idle, take a few
    milliseconds, not a whole chunk's time."""
    spans = []
    start = 0
    while start < count:
        size = max(10, min(250, (count - start) // (jobs * 4)))
        spans.append((start, min(start + size, count)))
        start += size
    return spans


# what the forked workers of the running ordered_map inherit (set before they fork): the items
# and what ``work`` is handed with each chunk of them; a chunk is sent as its span alone
_inherited: list[Any] = []


def _run_inherited(work: Callable[[Sequence[T], Any], R], span: tuple[int, int]) -> R:
    items, shared = _inherited
    return work(items[span[0]:span[1]], shared)


def ordered_map(work: Callable[[Sequence[T], S], R], items: Sequence[T], jobs: int | None = None,
                *, shared: S, min_items: int | None = None) -> list[R]:
    """``work(chunk, shared)`` over consecutive chunks of ``items``, results in order.

    The first item runs here first (it loads the models and warms the caches the workers
    inherit); the rest is spread over ``jobs`` forked processes (default: the CPUs) when there
    are at least ``min_items`` (default :data:`PARALLEL_MIN_ITEMS`). ``items`` and ``shared``
    (models, a sanitizer, settings) reach the workers by the fork, never pickled (a chunk is
    sent as its span; only results come back pickled); ``work`` must be
    picklable by name (a module-level function). Where ``fork`` is not available the run stays
    serial.
    """
    jobs = available_cpus() if jobs is None else jobs
    min_items = PARALLEL_MIN_ITEMS if min_items is None else min_items
    parts = [work(items[:1], shared)] if items else []
    rest = items[1:]
    if not rest:
        return parts
    if jobs <= 1 or len(rest) < min_items:
        parts.append(work(rest, shared))
        return parts
    import multiprocessing  # only here: its import costs ~6 ms of every run's start-up

    if "fork" not in multiprocessing.get_all_start_methods():
        parts.append(work(rest, shared))
        return parts
    from concurrent.futures import ProcessPoolExecutor

    spans = _spans(len(rest), jobs)
    # what the workers inherit (the items, models, compiled checks) is moved out of the
    # collector's reach, so that its passes do not write to (and so copy) every inherited page
    # in each worker; the items are never pickled
    _inherited[:] = [rest, shared]
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, 32),
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            try:
                parts.extend(pool.map(_run_inherited, itertools.repeat(work), spans))
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        gc.unfreeze()
        _inherited.clear()
    return parts
