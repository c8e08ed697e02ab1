"""`check` and `scan` over many cassettes: each file read, used and dropped (memory stays flat
in the number of cassettes), spread over processes (``--jobs``), with the report, the exit code
and the first bad cassette exactly those of a serial run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from replay.cassette.read import find_cassettes, read_cassette
from replay.core.errors import CassetteError, CassetteNotFoundError
from replay.core.findings import Finding, FindingsRun, Subject
from replay.core.parallel import ordered_map

# What the workers need, set before they are forked (a ServiceModel or a Sanitizer is not
# something to pickle per chunk).
_state: dict[str, Any] = {}


@dataclass(frozen=True)
class FleetCheck(FindingsRun):
    """``check`` over files: findings in serial order (then the stale-cassette ones)."""

    subjects: list[Subject] = field(default_factory=list)


_CheckPart = list[tuple[list[Finding], Finding | None, int]]


def _check_chunk(files: Sequence[Path]) -> _CheckPart:
    from replay.spec.check import check_cassette

    models, oldest = _state["models"], _state["oldest"]
    part: _CheckPart = []
    for path in files:
        cassette = read_cassette(path)
        stale = None
        if oldest is not None:
            from replay.cassette.age import age_finding, cassette_age

            stale = age_finding(cassette_age(cassette), oldest, _state["now"], _state["limit"])
        part.append((check_cassette(cassette, models), stale, len(cassette.interactions)))
    return part


def check_files(paths: Sequence[Path], *, models: Mapping[str, Any] | None = None,
                jobs: int | None = None, max_age: timedelta | None = None,
                max_age_text: str | None = None) -> FleetCheck:
    """Check every cassette under ``paths`` against the model (or ``models``, a spec lock),
    on ``jobs`` processes; with ``max_age``, stale-cassette findings after the others."""
    files = find_cassettes(paths)
    if not files:
        where = ", ".join(str(p) for p in paths)
        raise CassetteNotFoundError(
            f"no cassettes (*.yaml, *.yml, *.json) under {where}; check the path")
    _state.update(models=models, oldest=max_age, limit=max_age_text, now=datetime.now(UTC))
    try:
        parts = ordered_map(_check_chunk, files, jobs)
    finally:
        _state.clear()
    results = [result for part in parts for result in part]
    findings = [finding for found, _, _ in results for finding in found]
    findings += [stale for _, stale, _ in results if stale is not None]
    subjects: list[Subject] = [(str(path), index, None)
                               for path, (_, _, count) in zip(files, results, strict=True)
                               for index in range(count)]
    return FleetCheck(findings, len(files), len(subjects), subjects)


def _scan_chunk(files: Sequence[Path]) -> list[Any]:
    from replay.sanitize.scan import scan_file

    return [leak for path in files for leak in scan_file(path, _state["sanitizer"])]


def scan_files(paths: Sequence[Path], sanitizer: Any, *, jobs: int | None = None) -> Any:
    """``aws-replay scan`` over files and folders on ``jobs`` processes: a ``ScanRun`` equal to
    :func:`replay.sanitize.scan.scan_paths`'s."""
    from replay.sanitize.scan import ScanRun

    files = find_cassettes(list(paths))
    if not files:
        raise CassetteError(f"no cassette files found in {', '.join(str(p) for p in paths)}; "
                            "point aws-replay scan at *.yaml, *.yml or *.json cassettes")
    _state.update(sanitizer=sanitizer)
    try:
        parts = ordered_map(_scan_chunk, files, jobs)
    finally:
        _state.clear()
    return ScanRun(leaks=[leak for part in parts for leak in part], files=len(files))
