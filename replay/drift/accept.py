"""``aws-replay accept``: check cassettes and add what they show to the baseline.

Every finding under the given paths (or those ``--kind`` and ``--path`` select) becomes one
entry of the baseline, a fact about the API (:mod:`replay.core.baseline`). Nothing secret is
ever written: the values come from sanitized cassettes, and each new entry is run through the
leak scanner first; a flagged value stops the whole run (exit 2) before the file is touched.
``prune`` removes the entries that match no finding under the paths.

Example::

    run = accept_paths([Path("cassettes/automl")], reason="handled in pipeline v2")
    for entry, finding in run.added:
        print(entry.describe())
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from replay.core.baseline import (
    Baseline,
    BaselineEntry,
    default_baseline_path,
    read_baseline,
    write_baseline,
)
from replay.core.config import load_settings
from replay.core.errors import ConfigError, ReplayError
from replay.core.findings import Finding
from replay.core.jsonpath import PathSet, compile_path, parse_json_path
from replay.sanitize.sanitizer import Sanitizer
from replay.sanitize.scan import scan_text
from replay.spec.check import check_paths
from replay.spec.observed import observed_for, observed_note
from replay.spec.servicemodel import ServiceModel

DEFAULT_REASON = "accepted with aws-replay accept"


@dataclass
class AcceptRun:
    """What ``accept`` did to the baseline at ``baseline``."""

    baseline: Path
    findings: int
    added: list[tuple[BaselineEntry, Finding]] = field(default_factory=list)
    already: int = 0
    pruned: list[BaselineEntry] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.pruned)


def _selector(json_paths: Sequence[str]) -> PathSet | None:
    for pattern in json_paths:
        compile_path(pattern, "--path")  # names the option in the error
    return PathSet(json_paths) if json_paths else None


def _selected(findings: Iterable[Finding], kinds: Sequence[str],
              selector: PathSet | None) -> list[Finding]:
    chosen = []
    for finding in findings:
        if kinds and finding.kind not in kinds:
            continue
        if selector is not None:
            steps = parse_json_path(finding.path)
            if steps is None or not selector.matches(steps):
                continue
        chosen.append(finding)
    return chosen


def _reason_for(finding: Finding, reason: str | None) -> str:
    if reason:
        return reason
    observed = observed_for(finding)
    if observed is None:
        return DEFAULT_REASON
    return observed_note(observed).partition(";")[0] + " (aws-replay's observed values)"


def _refuse_secrets(entries: Sequence[tuple[BaselineEntry, Finding]], target: Path) -> None:
    """Stop before writing when the scanner would flag a new entry (the cassette it came from
    was not sanitized)."""
    sanitizer = Sanitizer.from_settings(load_settings())
    for entry, finding in entries:
        text = json.dumps(entry.to_dict(), ensure_ascii=False, indent=2)
        leaks = scan_text(text, target, sanitizer)
        if leaks:
            leak = leaks[0]
            raise ReplayError(
                f"refusing to write {target}: the value at {finding.path} in "
                f"{finding.cassette} interaction {finding.interaction} holds what the scanner "
                f"flags as {leak.kind} ({leak.redacted}); run `aws-replay sanitize "
                f"{finding.cassette}` and accept again")


def accept_paths(paths: Sequence[Path], *, baseline: Path | None = None,
                 reason: str | None = None, kinds: Sequence[str] = (),
                 json_paths: Sequence[str] = (), prune: bool = False,
                 models: dict[str, ServiceModel] | None = None) -> AcceptRun:
    """Check ``paths`` and add their findings (those selected) to the baseline.

    ``baseline`` defaults to :func:`replay.core.baseline.default_baseline_path`; it is created
    when missing. ``kinds`` and ``json_paths`` (JSONPath patterns, wildcards allowed) select
    findings; a selection that matches nothing is bad input. ``prune`` removes entries that
    match no finding under ``paths``. The file is written only when it changes.
    """
    target = baseline or default_baseline_path()
    current = read_baseline(target) if target.exists() else Baseline(path=target)
    selector = _selector(json_paths)
    findings = check_paths(paths, models=models).findings
    chosen = _selected(findings, kinds, selector)
    if (kinds or json_paths) and findings and not chosen:
        wanted = " ".join([*(f"--kind {k}" for k in kinds), *(f"--path {p}" for p in json_paths)])
        found = sorted({f"{f.path} ({f.kind})" for f in findings})
        more = f", and {len(found) - 8} more" if len(found) > 8 else ""
        raise ConfigError(f"no finding under {', '.join(str(p) for p in paths)} matches "
                          f"{wanted}; found: {', '.join(found[:8])}{more}")
    run = AcceptRun(baseline=target, findings=len(findings))
    fresh: dict[tuple[object, ...], tuple[BaselineEntry, Finding]] = {}
    for finding in chosen:
        if current.match(finding) is not None:
            run.already += 1
            continue
        entry = BaselineEntry.for_finding(finding, _reason_for(finding, reason))
        fresh.setdefault(entry.key, (entry, finding))
    _refuse_secrets(list(fresh.values()), target)
    for entry, finding in fresh.values():
        current.add(entry)
        run.added.append((entry, finding))
    if prune:
        run.pruned = current.unmatched(findings)
        current.remove(run.pruned)
    if run.changed:
        write_baseline(current, target)
    return run
