"""The baseline on the command line: ``aws-replay accept``, and the ``--baseline``,
``--no-baseline`` and ``--show-accepted`` options every checking command shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from replay.core.findings import Finding

F = TypeVar("F", bound=Callable[..., Any])


def baseline_options(command: F) -> F:
    """``--baseline FILE``, ``--no-baseline`` and ``--show-accepted``."""
    command = click.option(
        "--show-accepted", is_flag=True,
        help="List accepted findings in the text report too (the summary counts them always).",
    )(command)
    command = click.option(
        "--no-baseline", is_flag=True,
        help="Ignore the baseline: every finding counts at its own severity.",
    )(command)
    return click.option(
        "--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path),
        help="The baseline of accepted findings (default: aws-replay-baseline.json beside "
             "pyproject.toml, or baseline = \"PATH\" in [tool.aws-replay]; read when it exists).",
    )(command)


def with_baseline(findings: Sequence[Finding], summary: dict[str, Any],
                  baseline_file: Path | None, no_baseline: bool,
                  ) -> tuple[list[Finding], dict[str, Any]]:
    """``findings`` marked by the baseline in force, and ``summary`` counted again.

    ``--no-baseline`` also drops the marks findings arrived with (a merged report's).
    """
    from dataclasses import replace

    from replay.core.baseline import load_baseline
    from replay.core.findings import recount

    baseline = load_baseline(baseline_file, disabled=no_baseline)
    if baseline is None:
        if no_baseline and any(f.accepted for f in findings):
            unmarked = [replace(f, accepted=False, accepted_reason=None) for f in findings]
            return unmarked, recount(summary, unmarked)
        return list(findings), summary
    marked = baseline.apply(findings)
    counted = recount(summary, marked)
    counted["baseline"] = _shown(baseline.path) if baseline.path is not None else None
    return marked, counted


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The baseline to add to (default: aws-replay-baseline.json beside "
                   "pyproject.toml, or baseline = \"PATH\" in [tool.aws-replay]).")
@click.option("--reason", help="Why these findings are fine (kept in each entry).")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Accept only findings of this kind (repeatable).")
@click.option("--path", "json_paths", multiple=True, metavar="JSONPATH",
              help="Accept only findings at this JSONPath; [*], .* and .. allowed "
                   "(repeatable).")
@click.option("--prune", is_flag=True,
              help="Also remove baseline entries that match no finding under PATHS.")
def accept(paths: tuple[Path, ...], baseline_file: Path | None, reason: str | None,
           kinds: tuple[str, ...], json_paths: tuple[str, ...], prune: bool) -> None:
    """Check PATHS and accept their findings into the baseline.

    Each entry accepts a fact about the API (operation, path with list indices as [*], kind,
    and the value for value kinds such as enum), in every cassette: a different value at the
    same path still fails. check, diff, drift, report merge and the pytest plugin honour the
    baseline. Values are scanned first: one that looks like a secret is refused (exit 2).
    """
    from replay.core.baseline import KNOWN_KINDS
    from replay.core.errors import ConfigError
    from replay.drift.accept import accept_paths

    unknown = sorted(set(kinds) - KNOWN_KINDS)
    if unknown:
        raise ConfigError(f"--kind {unknown[0]!r} is not a finding kind a baseline can hold; "
                          f"known: {', '.join(sorted(KNOWN_KINDS))}")
    run = accept_paths(paths, baseline=baseline_file, reason=reason, kinds=kinds,
                       json_paths=json_paths, prune=prune)
    for entry, finding in run.added:
        where = f"{finding.cassette} interaction {finding.interaction}"
        click.echo(f"accepted: {entry.describe()} (from {where})")
    for entry in run.pruned:
        click.echo(f"pruned: {entry.describe()} (matches nothing under "
                   f"{', '.join(str(p) for p in paths)})")
    if not run.findings:
        click.echo(f"nothing to accept: no findings under {', '.join(str(p) for p in paths)}")
    already = f", {run.already} finding(s) already accepted" if run.already else ""
    pruned = f", {len(run.pruned)} pruned" if prune else ""
    state = "written" if run.changed else "unchanged"
    click.echo(f"{len(run.added)} fact(s) accepted{already}{pruned}; baseline {state}: "
               f"{_shown(run.baseline)}")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
