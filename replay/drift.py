"""Recording vs recording: pair two sets of cassettes and classify every change in the bodies.

Cassettes are paired by relative path, interactions by operation + parameters (the k-th
identical request with the k-th, so recorded lifecycles pair in order). Bodies are parsed and
*normalised* first (:mod:`replay.volatile`): values at volatile paths (timestamps, candidate
and step names, metric values, S3 object keys under the job's output prefix) are replaced by a
marker of their JSON type, so a re-recording of an unchanged job compares equal at the cost of
a JSON comparison. Only pairs that still differ go through deepdiff, whose changes are
classified against the operation's model: ``member-added``, ``member-removed``,
``type-changed``, ``enum-value-new`` (breaking when the model does not list the value),
``value-changed``, ``status-changed``.

Example::

    run = diff_paths(Path("cassettes-2025"), Path("cassettes"))
    for finding in run.findings:
        print(finding.severity, finding.cassette, finding.path, finding.kind)
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from botocore.model import OperationModel, Shape

from replay.cassette import Cassette, Interaction, find_cassettes, parse_cassette
from replay.errors import CassetteError, ReplayError
from replay.findings import Finding, Severity, summarize
from replay.jsonpath import format_path
from replay.matchers import key_of_recorded
from replay.operations import identify_operation
from replay.report_formats import Subject
from replay.spec import error_code_of, json_type
from replay.volatile import (
    DriftSettings,
    load_drift_settings,
    normalise,
    output_prefixes,
    same_modulo_volatile,
)

# -------------------------------------------------------------------------- classification

_NUMBERS = (int, float)

_SEVERITY = {"member-added": Severity.ADDITIVE, "member-removed": Severity.BREAKING,
             "type-changed": Severity.BREAKING, "value-changed": Severity.INFO,
             "status-changed": Severity.BREAKING}


def shape_at(shape: Shape | None, steps: Sequence[str | int]) -> Shape | None:
    """The model shape of the body value at ``steps`` (``None`` where the model has none)."""
    for step in steps:
        if shape is None:
            return None
        kind = shape.type_name
        if kind == "structure" and isinstance(step, str):
            shape = shape.members.get(step)
        elif kind == "list" and isinstance(step, int):
            shape = shape.member
        elif kind == "map" and isinstance(step, str):
            shape = shape.value
        else:
            return None
    return shape


def _member_key(shape: Shape | None, steps: Sequence[str | int]) -> tuple[str | int, ...]:
    """Steps with list indices and map keys generalised, so every element shares one key."""
    key: list[str | int] = []
    for step in steps:
        kind = shape.type_name if shape is not None else None
        key.append("*" if isinstance(step, int) or kind == "map" else step)
        shape = shape_at(shape, [step]) if shape is not None else None
    return tuple(key)


def _values_by_member(body: Any, shape: Shape | None) -> dict[tuple[str | int, ...], set[Any]]:
    """Every scalar of ``body`` grouped by member key (what values each member has had)."""
    seen: dict[tuple[str | int, ...], set[Any]] = defaultdict(set)

    def walk(value: Any, steps: list[str | int]) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, [*steps, key])
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, [*steps, index])
        elif isinstance(value, str):
            seen[_member_key(shape, steps)].add(value)

    walk(body, [])
    return seen


def _enum_of(shape: Shape | None) -> list[str] | None:
    enum = getattr(shape, "enum", None) if shape is not None else None
    return list(enum) if enum else None


def _identical(a: Any, b: Any) -> bool:
    """JSON equality of two normalised values (``==`` would take ``true`` for ``1``)."""
    if a != b:
        return False
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or (
        type(a) in _NUMBERS and type(b) in _NUMBERS)


def prune_equal(old: Any, new: Any) -> tuple[Any, Any]:
    """Both values without the object members they share unchanged (recursively), so deepdiff
    only walks what differs: its cost grows with what it is given, not with what changed."""
    if type(old) is not dict or type(new) is not dict:
        return old, new
    kept_old: dict[str, Any] = {}
    kept_new: dict[str, Any] = {}
    for key, value in old.items():
        if key not in new:
            kept_old[key] = value
        elif not _identical(value, new[key]):
            kept_old[key], kept_new[key] = prune_equal(value, new[key])
    for key, value in new.items():
        if key not in old:
            kept_new[key] = value
    return kept_old, kept_new


class _Classifier:
    def __init__(self, old: Any, new: Any, shape: Shape | None) -> None:
        self.whole_old = old
        self.old, self.new = prune_equal(old, new)
        self.shape = shape
        self._old_values: dict[tuple[str | int, ...], set[Any]] | None = None
        self.findings: list[Finding] = []

    def old_values(self, steps: Sequence[str | int]) -> set[Any]:
        if self._old_values is None:
            self._old_values = _values_by_member(self.whole_old, self.shape)
        return self._old_values.get(_member_key(self.shape, steps), set())

    def add(self, kind: str, steps: Sequence[str | int], message: str, expected: Any,
            actual: Any, severity: Severity | None = None) -> None:
        self.findings.append(Finding(kind, severity or _SEVERITY[kind], format_path(steps),
                                     message, expected, actual))

    def value(self, steps: list[str | int], before: Any, after: Any, added: bool) -> None:
        """A scalar that changed (or a list item that appeared when ``added``)."""
        if isinstance(after, str) and after.startswith("<volatile "):
            if isinstance(before, str) and before.startswith("<volatile "):
                self.add("type-changed", steps, f"volatile member changed type from "
                         f"{before[10:-1]} to {after[10:-1]}", before[10:-1], after[10:-1])
            return
        shape = shape_at(self.shape, steps)
        enum = _enum_of(shape)
        if enum is not None and isinstance(after, str) and after not in self.old_values(steps):
            listed = after in enum
            enum_name = shape.name if shape is not None else "?"
            self.add("enum-value-new", steps,
                     f"value {after!r} is new here; "
                     + (f"enum {enum_name} lists it" if listed
                        else f"enum {enum_name} does not list it"),
                     sorted(self.old_values(steps)) if listed else enum, after,
                     Severity.ADDITIVE if listed else Severity.BREAKING)
        elif added:
            self.add("value-changed", steps, "a list item was added", None, after)
        else:
            self.add("value-changed", steps, "value changed", before, after)

    def run(self) -> list[Finding]:
        from deepdiff import DeepDiff

        # numeric type changes are handled below: deepdiff's own option also equates bools
        diff = DeepDiff(self.old, self.new, view="tree")
        for change, levels in diff.items():
            for level in levels:
                steps: list[str | int] = list(level.path(output_format="list"))
                before, after = level.t1, level.t2
                if change == "dictionary_item_added":
                    known = shape_at(self.shape, steps) is not None
                    self.add("member-added", steps,
                             "new member" + ("" if known or self.shape is None
                                             else ", not in the model"), None, after)
                elif change == "dictionary_item_removed":
                    self.add("member-removed", steps, "member is gone", before, None)
                elif change == "type_changes" and type(before) in _NUMBERS \
                        and type(after) in _NUMBERS:
                    if before != after:  # 1 and 1.0 are one JSON number
                        self.value(steps, before, after, added=False)
                elif change == "type_changes":
                    self.add("type-changed", steps,
                             f"was a JSON {json_type(before)}, is a JSON {json_type(after)}",
                             json_type(before), json_type(after))
                elif change == "values_changed":
                    self.value(steps, before, after, added=False)
                elif change == "iterable_item_added":
                    self.value(steps, None, after, added=True)
                elif change == "iterable_item_removed":
                    self.add("value-changed", steps, "a list item was removed", before, None)
                else:
                    self.add("value-changed", steps, change.replace("_", " "), before, after)
        return self.findings


def _parse(body: bytes) -> tuple[bool, Any]:
    if not body.strip():
        return True, {}
    try:
        return True, json.loads(body)
    except ValueError:
        return False, None


def _operation_model(interaction: Interaction) -> tuple[str | None, OperationModel | None]:
    try:
        ref = identify_operation(interaction.request)
        return f"{ref.service}:{ref.operation}", ref.model
    except ReplayError:
        return None, None


def diff_interactions(old: Interaction, new: Interaction,
                      settings: DriftSettings | None = None,
                      operation: OperationModel | None = None) -> list[Finding]:
    """The classified changes from ``old`` to ``new`` (the same request, answered twice)."""
    settings = settings or DriftSettings()
    if operation is None:
        name, model = _operation_model(old)
    else:
        name, model = f"{operation.service_model.service_name}:{operation.name}", operation
    findings = _diff_responses(old, new, settings, model)
    return [replace(f, operation=name) for f in findings]


def _diff_responses(old: Interaction, new: Interaction, settings: DriftSettings,
                    model: OperationModel | None) -> list[Finding]:
    before, after = old.response, new.response
    if before.status != after.status:
        code = ""
        ok, parsed = _parse(after.body)
        if ok and isinstance(parsed, dict) and after.status >= 400:
            error = error_code_of(parsed, after.headers)
            code = f" ({error})" if error else ""
        return [Finding("status-changed", Severity.BREAKING, "$",
                        f"HTTP status changed from {before.status} to {after.status}{code}",
                        before.status, after.status)]
    if before.body == after.body:
        return []
    old_ok, old_body = _parse(before.body)
    new_ok, new_body = _parse(after.body)
    if not (old_ok and new_ok):
        if old_ok == new_ok:
            return [Finding("value-changed", Severity.INFO, "$", "non-JSON body changed")]
        return [Finding("type-changed", Severity.BREAKING, "$",
                        "body is no longer JSON" if old_ok else "body became JSON",
                        "JSON" if old_ok else "not JSON", "not JSON" if old_ok else "JSON")]
    prefixes = output_prefixes(old_body, settings) + output_prefixes(new_body, settings)
    # the common case, a re-recording with only volatile changes, ends here: no deepdiff
    if same_modulo_volatile(old_body, new_body, settings, prefixes):
        return []
    old_norm = normalise(old_body, settings, prefixes)
    new_norm = normalise(new_body, settings, prefixes)
    shape = None
    if model is not None:
        shape = model.output_shape if before.status < 400 else None
    return _Classifier(old_norm, new_norm, shape).run()


# ------------------------------------------------------------------------------- pairing


def pair_interactions(old: Cassette, new: Cassette) -> tuple[
        list[tuple[int, int]], list[int], list[int]]:
    """Pairs of (old index, new index) by operation + parameters, k-th with k-th; then the
    unpaired old and new indexes."""
    waiting: dict[Any, list[int]] = defaultdict(list)
    for index, interaction in enumerate(new.interactions):
        waiting[key_of_recorded(interaction.request)].append(index)
    pairs: list[tuple[int, int]] = []
    unpaired_old: list[int] = []
    for index, interaction in enumerate(old.interactions):
        queue = waiting.get(key_of_recorded(interaction.request))
        if queue:
            pairs.append((index, queue.pop(0)))
        else:
            unpaired_old.append(index)
    unpaired_new = sorted(i for queue in waiting.values() for i in queue)
    return pairs, unpaired_old, unpaired_new


def diff_cassettes(old: Cassette, new: Cassette, settings: DriftSettings | None = None,
                   name: str | None = None) -> list[Finding]:
    """Every classified change between two recordings of the same requests."""
    settings = settings or DriftSettings()
    label = name or new.name
    findings: list[Finding] = []
    pairs, gone, extra = pair_interactions(old, new)
    models: dict[Any, tuple[str | None, OperationModel | None]] = {}
    for old_index, new_index in pairs:
        interaction = old.interactions[old_index]
        target = interaction.request.header("X-Amz-Target")
        if target not in models:
            models[target] = _operation_model(interaction)
        operation, model = models[target]
        for finding in _diff_responses(interaction, new.interactions[new_index], settings, model):
            findings.append(replace(finding, cassette=label, interaction=new_index,
                                    operation=operation))
    for index in gone:
        request = old.interactions[index].request
        findings.append(Finding(
            "interaction-removed", Severity.INFO, "$",
            f"old interaction {index} ({key_of_recorded(request).describe()}) has no "
            "counterpart in the new recording", None, None, label, None,
            _operation_model(old.interactions[index])[0]))
    for index in extra:
        request = new.interactions[index].request
        findings.append(Finding(
            "interaction-added", Severity.INFO, "$",
            f"{key_of_recorded(request).describe()} was not in the old recording",
            None, None, label, index, _operation_model(new.interactions[index])[0]))
    return findings


@dataclass(frozen=True)
class DiffRun:
    """The outcome of a recording-vs-recording diff."""

    findings: list[Finding]
    cassettes: int
    interactions: int
    subjects: list[Subject] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, Any]:
        return summarize(self.findings, cassettes=self.cassettes,
                         interactions=self.interactions)


def _pair_files(old: Path, new: Path) -> list[tuple[Path | None, Path | None, str]]:
    if not old.exists():
        raise ReplayError(f"{old}: no such file or folder (OLD)")
    if not new.exists():
        raise ReplayError(f"{new}: no such file or folder (NEW)")
    if old.is_dir() != new.is_dir():
        raise ReplayError(f"OLD ({old}) and NEW ({new}) must both be cassette files or both "
                          "be folders of cassettes")
    if not old.is_dir():
        return [(old, new, str(new))]
    old_files = {p.relative_to(old).as_posix(): p for p in find_cassettes([old])}
    new_files = {p.relative_to(new).as_posix(): p for p in find_cassettes([new])}
    names = sorted(set(old_files) | set(new_files))
    return [(old_files.get(n), new_files.get(n), str(new_files.get(n) or old_files[n]))
            for n in names]


Triple = tuple[Path | None, Path | None, str]
_Part = tuple[list[Finding], list[Subject], int, int]

PARALLEL_MIN_PAIRS = 400
"""From this many cassette pairs on, the diff is spread over processes (parsing YAML is the
cost that remains once equal bodies skip deepdiff)."""


def _diff_pairs(triples: Sequence[Triple], settings: DriftSettings) -> _Part:
    findings: list[Finding] = []
    subjects: list[Subject] = []
    interactions = compared = 0
    for old_file, new_file, label in triples:
        if old_file is None or new_file is None:
            findings.append(Finding(
                "cassette-added" if old_file is None else "cassette-removed", Severity.INFO, "$",
                "cassette only in NEW" if old_file is None else "cassette only in OLD (no "
                "counterpart in NEW)", None, None, label))
            subjects.append((label, None, None))
            continue
        new_raw = _read(new_file)
        cassette = parse_cassette(new_raw, new_file)
        old_raw = _read(old_file)
        # byte-identical recordings, or ones that differ only in their meta block (a
        # re-recording of a finished job, a re-sanitized file), cost one parse, no comparison
        if old_raw != new_raw and not _same_but_meta(old_raw, new_raw, old_file):
            findings.extend(diff_cassettes(parse_cassette(old_raw, old_file), cassette,
                                           settings, label))
        compared += 1
        interactions += len(cassette.interactions)
        subjects.extend((label, i, None) for i in range(len(cassette.interactions)))
    return findings, subjects, compared, interactions


_TOP_LEVEL_LINE = re.compile(r"\n(?=[^\s#])")
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _split_meta(text: str) -> tuple[str, str] | None:
    """A YAML cassette's leading ``meta:`` block and the text after it, split where the next
    top-level key starts (``None`` when the text does not start with a meta block)."""
    if not text.startswith(("meta:\n", "meta: ", "meta:\r\n")):
        return None
    end = _TOP_LEVEL_LINE.search(text)
    return None if end is None else (text[:end.end()], text[end.end():])


def _same_but_meta(old_raw: str, new_raw: str, old_file: Path) -> bool:
    """Whether OLD is NEW (already parsed, so valid) with another meta block: then OLD is a
    valid cassette with the same interactions, and need not be parsed."""
    if str(old_file).endswith(".json"):  # parse_cassette reads these as JSON, not YAML
        return False
    old_split, new_split = _split_meta(old_raw), _split_meta(new_raw)
    if old_split is None or new_split is None or old_split[1] != new_split[1]:
        return False
    old_meta, new_meta = old_split[0], new_split[0]
    if "&" in old_meta or "*" in old_meta or "&" in new_meta or "*" in new_meta:
        return False  # maybe an anchor that the rest refers to, and means another thing in each
    try:
        # NEW's block is complete on its own (no open flow or quote runs on into the rest), so
        # the rest starts at a top-level key in both files and parses the same in both
        yaml.compose(new_meta, Loader=_YAML_LOADER)
        data = yaml.load(old_meta, Loader=_YAML_LOADER)
    except (yaml.YAMLError, ValueError):  # what parse_cassette reports: leave it to it
        return False
    return (isinstance(data, dict) and list(data) == ["meta"]
            and (data["meta"] is None or isinstance(data["meta"], dict)))


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteError(f"{path}: is not UTF-8 text; cassettes are YAML or JSON text") \
            from None
    except OSError as exc:
        raise CassetteError(f"{path}: cannot be read ({exc.strerror})") from None


def _available_cpus() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def diff_paths(old: Path, new: Path, settings: DriftSettings | None = None, *,
               workers: int | None = None) -> DiffRun:
    """Diff OLD and NEW: two cassettes, or two folders paired by relative path.

    Large folders are diffed by ``workers`` processes (default: one per available CPU).
    """
    settings = settings or load_drift_settings()
    triples = _pair_files(old, new)
    workers = _available_cpus() if workers is None else workers
    # the first pair runs here: it loads the model and warms the caches the workers inherit
    parts = [_diff_pairs(triples[:1], settings)]
    rest = triples[1:]
    if workers > 1 and len(rest) >= PARALLEL_MIN_PAIRS:
        from concurrent.futures import ProcessPoolExecutor

        # small chunks: a pair costs about a millisecond, so the last chunk, which one process
        # may finish alone while the others idle, stays a fraction of a second
        size = max(25, min(250, len(rest) // (workers * 8)))
        chunks = [rest[i:i + size] for i in range(0, len(rest), size)]
        with ProcessPoolExecutor(max_workers=min(workers, 8)) as pool:
            parts.extend(pool.map(_diff_pairs, chunks, [settings] * len(chunks)))
    elif rest:
        parts.append(_diff_pairs(rest, settings))
    findings = [f for part in parts for f in part[0]]
    subjects = [s for part in parts for s in part[1]]
    return DiffRun(findings, sum(p[2] for p in parts), sum(p[3] for p in parts), subjects)
