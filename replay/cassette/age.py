"""How old a cassette is, and which cassettes are older than a ``--max-age``.

A cassette's age is its ``meta.recorded_at``. vcrpy's own cassettes have no ``meta``: for those
the file's last commit date stands in when the file is in a git repository (``git log -1
--format=%cI -- FILE``); otherwise the age is unknown, and said so. A cassette recorded longer
ago than the maximum age is a ``stale-cassette`` finding at ``info``: the API may have moved on
since, so re-record it (``aws-replay drift --update`` refreshes cassettes whose answers it
confirmed live).

Example::

    findings = stale_findings(find_cassettes([Path("cassettes")]), parse_max_age("90d"))
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from replay.cassette.model import Cassette
from replay.cassette.read import load_cassette
from replay.core.errors import ConfigError
from replay.core.findings import Finding, Severity

_MAX_AGE = re.compile(r"^\s*(\d+)\s*([hdwy]?)\s*$", re.IGNORECASE)
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1),
         "y": timedelta(days=365), "": timedelta(days=1)}


def parse_max_age(text: str, source: str = "--max-age") -> timedelta:
    """``90d`` (days; a bare number is days too), ``12w``, ``36h`` or ``1y`` as a timedelta."""
    match = _MAX_AGE.match(str(text))
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(f"{source} {text!r} is not an age; write it like 90d, 12w, 36h or 1y")
    return int(match.group(1)) * _UNIT[match.group(2).lower()]


def format_age(age: timedelta) -> str:
    """An age in the largest whole unit that reads well: ``400 days``, ``5 hours``."""
    if age >= timedelta(days=2):
        return f"{age.days} days"
    hours = int(age.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _as_datetime(value: Any) -> datetime | None:
    # YAML reads an unquoted timestamp as a datetime (or a date), a quoted one as a string.
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def git_commit_date(path: Path) -> datetime | None:
    """When ``path`` was last committed, or ``None`` (not in git, never committed, no git)."""
    try:
        done = subprocess.run(["git", "log", "-1", "--format=%cI", "--", path.name],
                              cwd=path.parent, capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return _as_datetime(done.stdout.strip()) if done.returncode == 0 else None


@dataclass(frozen=True)
class CassetteAge:
    """When a cassette was recorded, and how that is known (``recorded_at``, ``git`` or
    ``None`` when it is not)."""

    path: Path | None
    when: datetime | None
    source: str | None

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else "<memory>"


def cassette_age(cassette: Cassette) -> CassetteAge:
    """The age of a loaded cassette: ``meta.recorded_at``, else its file's last commit date."""
    recorded = _as_datetime(cassette.meta.get("recorded_at")) if cassette.meta else None
    if recorded is not None:
        return CassetteAge(cassette.path, recorded, "recorded_at")
    if cassette.path is not None:
        committed = git_commit_date(cassette.path)
        if committed is not None:
            return CassetteAge(cassette.path, committed, "git")
    return CassetteAge(cassette.path, None, None)


def age_finding(age: CassetteAge, max_age: timedelta, now: datetime,
                limit_text: str | None = None) -> Finding | None:
    """The ``stale-cassette`` finding of one cassette older than ``max_age`` at ``now`` (an
    ``unknown-age`` one when its age cannot be told); ``None`` when it is young enough."""
    limit = limit_text or f"{max_age.days}d"
    if age.when is None:
        return Finding("unknown-age", Severity.INFO, "$",
                       f"the cassette's age is unknown (no meta.recorded_at, and the file is not "
                       f"committed to git), so the maximum age {limit} cannot be checked; "
                       "record it again with aws-replay", expected=limit, cassette=age.name)
    elapsed = now - age.when
    if elapsed <= max_age:
        return None
    how = "recorded" if age.source == "recorded_at" else "last committed (no meta.recorded_at)"
    return Finding("stale-cassette", Severity.INFO, "$",
                   f"{how} {age.when.strftime('%Y-%m-%d')}, {format_age(elapsed)} ago: older "
                   f"than the maximum age {limit}; the API may have changed since: record it "
                   "again, or refresh it with `aws-replay drift --update`",
                   expected=limit, actual=age.when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   cassette=age.name)


def stale_findings(files: Iterable[Path], max_age: timedelta, *, now: datetime | None = None,
                   limit_text: str | None = None) -> list[Finding]:
    """A finding for each cassette file older than ``max_age`` (or of unknown age)."""
    moment = now or datetime.now(UTC)
    findings = []
    for path in files:
        found = age_finding(cassette_age(load_cassette(path)), max_age, moment, limit_text)
        if found is not None:
            findings.append(found)
    return findings
