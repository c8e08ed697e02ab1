"""Merging the JSON reports of a CI matrix into one, and listing what was checked (so JUnit shows
the clean interactions too)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from replay.core.errors import ReplayError
from replay.core.findings import (
    ACCEPTED_FIELDS,
    FINDING_FIELDS,
    Finding,
    Severity,
    Subject,
    summarize,
)
from replay.core.jsonbody import FILE_LIMIT, JsonBodyError, parse_json_body


def _load_report(path: Path) -> tuple[list[Finding], dict[str, Any]]:
    try:
        document = parse_json_body(path.read_bytes(), max_bytes=FILE_LIMIT)
    except FileNotFoundError:
        raise ReplayError(f"{path}: no such report; pass JSON reports written with "
                          "--format json") from None
    except OSError as exc:
        raise ReplayError(f"{path}: cannot be read ({exc})") from None
    except JsonBodyError as exc:
        raise ReplayError(f"{path}: is not JSON ({exc}); merge reads reports written with "
                          "--format json") from None
    if (not isinstance(document, dict) or not isinstance(document.get("findings"), list)
            or not isinstance(document.get("summary"), dict)):
        raise ReplayError(f"{path}: is not an aws-replay JSON report (it needs 'findings' and "
                          "'summary'); write reports with --format json")
    findings: list[Finding] = []
    for index, raw in enumerate(document["findings"]):
        if not isinstance(raw, dict) or not {"kind", "severity", "path", "message"} <= set(raw):
            raise ReplayError(f"{path}: finding {index} lacks kind, severity, path or message")
        try:
            findings.append(Finding.from_dict({k: raw.get(k)
                                               for k in (*FINDING_FIELDS, *ACCEPTED_FIELDS)}))
        except (ValueError, TypeError):
            raise ReplayError(f"{path}: finding {index} has severity {raw.get('severity')!r}; "
                              f"expected one of {', '.join(s.value for s in Severity)}") from None
    return findings, document["summary"]


def merge_reports(paths: Sequence[Path]) -> tuple[list[Finding], dict[str, Any]]:
    """The findings of several JSON reports (a CI matrix) and one summary over all of them.

    Findings are kept as they are, duplicates included: two matrix cells (two regions) that
    find the same drift each count. Cassette and interaction totals are added up when every
    report has them; ``reports`` says how many were merged.
    """
    if not paths:
        raise ReplayError("no reports to merge; pass one or more JSON reports")
    findings: list[Finding] = []
    totals: dict[str, int] = {"cassettes": 0, "interactions": 0}
    present = {"cassettes": True, "interactions": True}
    for path in paths:
        found, summary = _load_report(path)
        findings.extend(found)
        for key in totals:
            value = summary.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                totals[key] += value
            else:
                present[key] = False
    summary = summarize(
        findings,
        cassettes=totals["cassettes"] if present["cassettes"] else None,
        interactions=totals["interactions"] if present["interactions"] else None,
    )
    summary["reports"] = len(paths)
    return findings, summary


def checked_subjects(paths: Iterable[Path]) -> list[Subject]:
    """Every (cassette, interaction) under ``paths``, so JUnit lists the clean ones too."""
    from replay.cassette.read import find_cassettes, load_cassette

    subjects: list[Subject] = []
    for path in find_cassettes(paths):
        cassette = load_cassette(path)
        subjects.extend((cassette.name, index, None)
                        for index in range(len(cassette.interactions)))
    return subjects
