"""The model history: which botocore releases know a member, an enum value, a constraint.

botocore's parser drops what its model does not know, so "``PreTraining`` is not a value of the
enum" raises one question first: is the value new in the API, or only new to the installed
botocore? The shipped index (``replay/data/botocore_history.json``, built by ``python -m
replay.spec.history build``, see :mod:`replay.spec.history_build`) answers it for the AutoML
family of SageMaker operations: per member path, the releases that had the member, each enum
value and each constraint. :func:`explain_findings` adds the answer to ``enum`` and
``unknown-member`` findings (``known_since`` and a sentence), :func:`member_story` tells a member's
history.

Example::

    history = load_history()
    history.value_since("sagemaker:DescribeAutoMLJob", "$.AutoMLJobSecondaryStatus",
                        "MaxAutoMLJobRuntimeReached")          # '1.20.0', or None
    print(member_story("$.BestCandidate.CandidateSteps[*].CandidateStepType"))
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from replay.core.errors import ConfigError, ReplayError
from replay.core.findings import Finding
from replay.core.jsonpath import member_segment, parse_json_path

INDEX_PATH = Path(__file__).resolve().parent.parent / "data" / "botocore_history.json"
_EXPLAINED_KINDS = frozenset({"enum", "unknown-member"})
_INDEX_STEP = re.compile(r"\[\d+\]")

Span = Sequence[str | None]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


@dataclass(frozen=True)
class ModelHistory:
    """A model history document, read."""

    versions: tuple[tuple[str, str], ...]
    """Every release the index read, oldest first, with its wheel's date."""
    operations: Mapping[str, Mapping[str, Mapping[str, Any]]]
    exact: bool
    covers: str

    @property
    def oldest(self) -> str:
        return self.versions[0][0]

    @property
    def newest(self) -> str:
        return self.versions[-1][0]

    def date_of(self, version: str) -> str:
        return dict(self.versions).get(version, "?")

    def covers_version(self, version: str) -> bool:
        """``version`` is one of the releases the index read."""
        return version in dict(self.versions)

    def spans(self, version: str) -> bool:
        """``version`` lies between the oldest and the newest release the index read, so every
        "since" the index gives holds for it (the releases between two read ones agree)."""
        return _version_key(self.oldest) <= _version_key(version) <= _version_key(self.newest)

    def entry(self, operation: str, path: str, part: str = "output") -> Mapping[str, Any] | None:
        """The history of member ``path`` (``[*]`` for list items, ``.*`` for map values)."""
        return self.operations.get(operation, {}).get(part, {}).get(path)

    def member_path(self, operation: str, concrete: str, part: str = "output") -> str | None:
        """The member path of a finding's concrete JSONPath (``$.A[2].B`` -> ``$.A[*].B``; a
        map key -> ``.*``), or ``None`` when no release had it."""
        paths = self.operations.get(operation, {}).get(part, {})
        steps = parse_json_path(concrete)
        if steps is None:
            return None
        current = "$"
        for step in steps:
            if isinstance(step, int):
                current += "[*]"
                continue
            named = current + member_segment(step)
            current = named if named in paths or f"{current}.*" not in paths else f"{current}.*"
        return current if current in paths else None

    def member_since(self, operation: str, path: str, part: str = "output") -> str | None:
        """The first release (of the latest run) that has member ``path``."""
        entry = self.entry(operation, path, part)
        return _since(entry.get("in", [])) if entry else None

    def value_since(self, operation: str, path: str, value: str,
                    part: str = "output") -> str | None:
        """The first release (of the latest run) whose enum at ``path`` lists ``value``."""
        entry = self.entry(operation, path, part)
        runs = (entry or {}).get("enum", {}).get(value)
        return _since(runs) if runs else None


def _since(runs: Sequence[Span]) -> str | None:
    return str(runs[-1][0]) if runs else None


def history_from_document(document: Mapping[str, Any]) -> ModelHistory:
    """A :class:`ModelHistory` from an index document (one :func:`load_history` read)."""
    if document.get("aws_replay_model_history") != 1 or not document.get("versions"):
        raise ConfigError("the model history is not an aws-replay model history of format 1; "
                          "rebuild it with `python -m replay.spec.history build`")
    versions = tuple((str(v), str(d)) for v, d in document["versions"])
    return ModelHistory(versions, document.get("operations", {}), bool(document.get("exact")),
                        str(document.get("covers", "")))


INSTALLED_DATE = "installed"
"""The date shown for the installed botocore when the history was extended by it."""


def extend_history(history: ModelHistory, version: str, facts: frozenset[str],
                   date: str = INSTALLED_DATE) -> ModelHistory:
    """``history`` with one newer release read from its facts (see
    :func:`replay.spec.history_build.facts_of_model`): what it still has stays open, what it
    dropped closes at ``version``, what it adds opens there."""
    if _version_key(version) <= _version_key(history.newest):
        return history
    operations: dict[str, dict[str, dict[str, Any]]] = json.loads(json.dumps(history.operations))
    seen: set[str] = set()

    def advance(runs: list[list[str | None]], fact: str) -> list[list[str | None]]:
        seen.add(fact)
        is_open = bool(runs) and runs[-1][1] is None
        if fact in facts and not is_open:
            return [*runs, [version, None]]
        if fact not in facts and is_open:
            return [*runs[:-1], [runs[-1][0], version]]
        return runs

    for name, parts in operations.items():
        operation = name.split(":", 1)[1]
        for part, paths in parts.items():
            for path, entry in paths.items():
                where = f"{operation}|{part}|{path}"
                entry["in"] = advance(entry.get("in", []), where)
                for value, runs in entry.get("enum", {}).items():
                    entry["enum"][value] = advance(runs, f"{where}|enum={value}")
                for what, runs in entry.get("facts", {}).items():
                    entry["facts"][what] = advance(runs, f"{where}|{what}")
    for fact in sorted(facts - seen):
        operation, part, rest = fact.split("|", 2)
        path, _, what = rest.partition("|")
        entry = operations.setdefault(f"{_service_of(history)}:{operation}", {}).setdefault(
            part, {}).setdefault(path, {})
        if not what:
            entry["in"] = [[version, None]]
        elif what.startswith("enum="):
            entry.setdefault("enum", {})[what[len("enum="):]] = [[version, None]]
        else:
            entry.setdefault("facts", {})[what] = [[version, None]]
    return replace(history, versions=(*history.versions, (version, date)),
                   operations=operations,
                   covers=f"{history.covers}; extended by the installed botocore {version}")


def _service_of(history: ModelHistory) -> str:
    return next(iter(history.operations), "sagemaker:").split(":", 1)[0]


@functools.cache
def load_history(path: Path = INDEX_PATH) -> ModelHistory:
    """The model history at ``path`` (the shipped one by default), read once. A botocore
    installed that is newer than the newest release the index read (botocore releases most
    weekdays) is added to it from its own model, so the history always reaches the model that
    checks."""
    shipped = read_history(path)
    installed = _installed()
    if _version_key(installed) <= _version_key(shipped.newest):
        return shipped
    from replay.spec.history_build import facts_of_model
    from replay.spec.operations import service_data

    return extend_history(shipped, installed, facts_of_model(service_data(_service_of(shipped))))


def read_history(path: Path = INDEX_PATH) -> ModelHistory:
    """The model history document at ``path`` as it is on disk."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no model history; build it with `python -m "
                          "replay.spec.history build`") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: the model history cannot be read ({exc}); rebuild it with "
                          "`python -m replay.spec.history build`") from None
    return history_from_document(document)


# ------------------------------------------------------------------------------ findings


def _installed() -> str:
    from replay.spec.modelfiles import botocore_version

    return botocore_version()


def _when(history: ModelHistory, version: str) -> str:
    return f"botocore >= {version} ({history.date_of(version)})"


def _sentence(history: ModelHistory, what: str, runs: Sequence[Span] | None,
              installed: str) -> tuple[str, str | None]:
    """What the history says of ``what`` (a value or a member) and its ``known_since``."""
    if not runs:
        return (f"no botocore release from {history.oldest} to {history.newest} ever had it",
                None)
    since, until = runs[-1][0], runs[-1][1]
    assert since is not None
    if until is not None:
        return (f"{what} was in botocore {since} to {_previous(history, until)}, gone since "
                f"{until} ({history.date_of(until)})", str(since))
    if _version_key(installed) >= _version_key(since):
        return (f"{what} is in {_when(history, since)}, as the installed {installed} is: the "
                "model checked against is older (a spec lock?)", str(since))
    return (f"{what} is in {_when(history, since)}; the installed {installed} does not "
            "know it: upgrade botocore", str(since))


def _previous(history: ModelHistory, version: str) -> str:
    names = [v for v, _ in history.versions]
    index = names.index(version) if version in names else 0
    return names[index - 1] if index > 0 else version


def explain(finding: Finding, operation: str, history: ModelHistory,
            installed: str | None = None) -> Finding:
    """``finding`` with what the history knows of its value or member: ``known_since`` and a
    sentence added to the message. Findings the history cannot speak to come back as they
    are."""
    if finding.kind not in _EXPLAINED_KINDS or operation not in history.operations:
        return finding
    version = installed or _installed()
    if finding.kind == "enum":
        path = history.member_path(operation, finding.path)
        if path is None or not isinstance(finding.actual, str):
            return finding
        values = (history.entry(operation, path) or {}).get("enum", {})
        runs = values.get(finding.actual)
        text, since = _sentence(history, f"`{finding.actual}`", runs, version)
    else:
        path = history.member_path(operation, finding.path)
        name = (parse_json_path(finding.path) or ("?",))[-1]
        entry = history.entry(operation, path) if path else None
        text, since = _sentence(history, f"member `{name}`", (entry or {}).get("in"), version)
    return replace(finding, message=f"{finding.message}; {text}", known_since=since)


def explain_findings(service: str, operation: str, findings: list[Finding]) -> list[Finding]:
    """:func:`explain` each finding of ``service:operation``; cheap when nothing needs it (the
    index is read only for an ``enum`` or ``unknown-member`` finding of a covered operation)."""
    if not any(f.kind in _EXPLAINED_KINDS for f in findings):
        return findings
    name = f"{service}:{operation}"
    try:
        history = load_history()
    except ReplayError:
        return findings  # a missing index must never stop a check
    if name not in history.operations:
        return findings
    installed = _installed()
    return [explain(f, name, history, installed) for f in findings]


# ------------------------------------------------------------------------------- stories


def _runs_text(history: ModelHistory, runs: Sequence[Span]) -> str:
    parts = []
    for since, until in runs:
        assert since is not None
        start = ("since before " if since == history.oldest else "added in ") + \
            f"{since} ({history.date_of(since)})"
        if since == history.oldest:
            start = f"present in {since} (the oldest release read)"
        parts.append(start if until is None
                     else f"{start}, removed in {until} ({history.date_of(until)})")
    return "; then ".join(parts)


def _fact_label(fact: str) -> str:
    """``max=32`` as ``max 32``, ``pattern="[a-z]+"`` as ``pattern /[a-z]+/``."""
    name, _, raw = fact.partition("=")
    if not raw:
        return name
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return f"{name} /{value}/" if name == "pattern" else f"{name} {value}"


def normalize_member_path(text: str) -> str:
    """``BestCandidate.CandidateSteps[0].CandidateStepType`` as a member path
    (``$.BestCandidate.CandidateSteps[*].CandidateStepType``)."""
    path = text.strip()
    if not path.startswith("$"):
        path = "$" + ("" if path.startswith(("[", ".")) else ".") + path
    return _INDEX_STEP.sub("[*]", path)


def member_story(member: str, operations: Iterable[str] = (), *,
                 history: ModelHistory | None = None, part: str = "output") -> str:
    """The history of a member path in every covered operation that has it (or in
    ``operations``): when it appeared, each enum value added or removed, constraint changes."""
    history = history or load_history()
    path = normalize_member_path(member)
    names = [n if ":" in n else f"sagemaker:{n}" for n in operations] or sorted(
        history.operations)
    lines: list[str] = []
    for name in names:
        entry = history.entry(name, path, part)
        if entry is None:
            continue
        lines.append(f"{name} {part} {path}")
        lines.append(f"  member: {_runs_text(history, entry.get('in', []))}")
        for fact, runs in sorted(entry.get("facts", {}).items()):
            lines.append(f"  {_fact_label(fact)}: {_runs_text(history, runs)}")
        values = entry.get("enum", {})
        if values:
            lines.append(f"  enum values ({len(values)}):")
            ordered = sorted(values.items(), key=lambda item: (_version_key(str(item[1][-1][0])),
                                                               item[0]))
            for value, runs in ordered:
                lines.append(f"    {value}: {_runs_text(history, runs)}")
    if not lines:
        raise ConfigError(f"no member {path} in the {part} of "
                          f"{', '.join(names) if operations else 'any AutoML operation'} in "
                          f"botocore {history.oldest}..{history.newest}; see the member paths "
                          "with `aws-replay spec show OPERATION`")
    lines.append(f"(model history of botocore {history.oldest}..{history.newest}, "
                 f"{len(history.versions)} releases read"
                 f"{'' if history.exact else '; dates are of the first sampled release'})")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m replay.spec.history build [--output PATH] [--sampled-only] [--budget N]``."""
    import argparse

    from replay.spec.history_build import build

    parser = argparse.ArgumentParser(prog="python -m replay.spec.history")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="download botocore wheels and write the index")
    make.add_argument("--output", type=Path, default=INDEX_PATH)
    make.add_argument("--sampled-only", action="store_true",
                      help="read only the first and latest patch of each minor release")
    make.add_argument("--budget", type=int, default=None,
                      help="read at most this many wheels beyond the sample")
    args = parser.parse_args(argv)
    try:
        build(args.output, exact=not args.sampled_only, budget=args.budget)
    except ReplayError as exc:
        print(f"replay.spec.history: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
