"""Recording vs recording: pair two sets of cassettes and classify every change in the bodies.

Cassettes are paired by relative path, interactions by operation + parameters (the k-th
identical request with the k-th, so recorded lifecycles pair in order). Bodies are parsed and
*normalised* first (:mod:`replay.drift.volatile`): values at volatile paths (timestamps, candidate
and step names, metric values, S3 object keys under the job's output prefix) are replaced by a
marker of their JSON type, so a re-recording of an unchanged job compares equal at the cost of
a JSON comparison. Only pairs that still differ go through deepdiff, whose changes are
classified against the operation's model (:mod:`replay.drift.changes`): ``member-added``,
``member-removed``, ``type-changed``, ``enum-value-new`` (breaking when the model does not list
the value), ``value-changed``; and here ``status-changed``, ``interaction-added``/``-removed``,
``cassette-added``/``-removed``.

Example::

    run = diff_paths(Path("cassettes-2025"), Path("cassettes"))
    for finding in run.findings:
        print(finding.severity, finding.cassette, finding.path, finding.kind)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from replay.cassette.model import Cassette, Interaction
from replay.cassette.read import find_cassettes, load_document, parse_cassette
from replay.core.errors import CassetteError, ReplayError
from replay.core.findings import Finding, FindingsRun, Severity, Subject
from replay.core.jsonbody import JsonBodyError, parse_json_body
from replay.core.parallel import ordered_map
from replay.drift.changes import classify_changes
from replay.drift.volatile import (
    DriftSettings,
    load_drift_settings,
    normalise,
    output_prefixes,
    same_modulo_volatile,
)
from replay.match.matchers import RequestKey, identified_key
from replay.spec.check import error_code_of, xml_output_value
from replay.spec.observed import note_observed
from replay.spec.operations import OperationRef, identify_operation
from replay.spec.servicemodel import OperationModel
from replay.spec.xmlcheck import unread_payload

# ------------------------------------------------------------------------------ responses


def _parse(body: bytes) -> tuple[bool, Any]:
    if not body.strip():
        return True, {}
    try:
        return True, parse_json_body(body)
    except JsonBodyError as exc:
        return False, exc.reason


def _operation_model(interaction: Interaction) -> tuple[str | None, OperationModel | None]:
    try:
        return _named(identify_operation(interaction.request))
    except ReplayError:
        return None, None


def _named(ref: OperationRef) -> tuple[str, OperationModel]:
    return f"{ref.service}:{ref.operation}", ref.model


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
    if name is not None:
        findings = note_observed(name, findings)
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
    if model is not None and before.status < 400 and unread_payload(model.output_shape):
        # an S3 object, a Lambda result: the user's own data, which check does not read either
        # (JSON is compared as values: a cassette stores a JSON body pretty-printed)
        if old_ok and new_ok and old_body == new_body:
            return []
        return [Finding("value-changed", Severity.INFO, "$",
                        "the payload changed (data the API hands back as it is, not read as "
                        "its answer)")]
    if not (old_ok or new_ok) and model is not None and before.status < 400:
        # XML protocols: both bodies read along the output shape, then compared as JSON is
        old_xml = xml_output_value(model, before.body)
        new_xml = xml_output_value(model, after.body)
        if old_xml is not None and new_xml is not None:
            old_ok, old_body, new_ok, new_body = True, old_xml, True, new_xml
    if not (old_ok and new_ok):
        if old_ok == new_ok:
            return [Finding("value-changed", Severity.INFO, "$",
                            "body changed (neither JSON nor XML of a known output)")]
        return [Finding("type-changed", Severity.BREAKING, "$",
                        f"body is no longer JSON ({new_body})" if old_ok else "body became JSON",
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
    return classify_changes(old_norm, new_norm, shape)


# ------------------------------------------------------------------------------- pairing


_Keyed = list[tuple[RequestKey, OperationRef | None]]


def _keys(cassette: Cassette) -> _Keyed:
    """Each request's key, and its operation where finding the key identified it (each request
    is identified once: for an S3 or STS request that is the costly part)."""
    return [identified_key(interaction.request) for interaction in cassette.interactions]


def _pairing(old: _Keyed, new: _Keyed) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pairs of (old index, new index) by operation + parameters, k-th with k-th; then the
    unpaired old and new indexes."""
    waiting: dict[Any, list[int]] = defaultdict(list)
    for index, (key, _) in enumerate(new):
        waiting[key].append(index)
    pairs: list[tuple[int, int]] = []
    unpaired_old: list[int] = []
    for index, (key, _) in enumerate(old):
        queue = waiting.get(key)
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
    old_keys, new_keys = _keys(old), _keys(new)
    pairs, gone, extra = _pairing(old_keys, new_keys)
    models: dict[str, tuple[str | None, OperationModel | None]] = {}

    def operation_of(interaction: Interaction, ref: OperationRef | None) -> tuple[
            str | None, OperationModel | None]:
        if ref is not None:  # identified while keying
            return _named(ref)
        target = interaction.request.header("X-Amz-Target")
        if not target:
            return None, None  # (keying found no operation)
        if target not in models:  # JSON requests share a model per target
            models[target] = _operation_model(interaction)
        return models[target]

    for old_index, new_index in pairs:
        interaction = old.interactions[old_index]
        operation, model = operation_of(interaction, old_keys[old_index][1])
        for finding in _diff_responses(interaction, new.interactions[new_index], settings, model):
            findings.append(replace(finding, cassette=label, interaction=new_index,
                                    operation=operation))
    for index in gone:
        key, ref = old_keys[index]
        findings.append(Finding(
            "interaction-removed", Severity.INFO, "$",
            f"old interaction {index} ({key.describe()}) has no counterpart in the new "
            "recording", None, None, label, None,
            operation_of(old.interactions[index], ref)[0]))
    for index in extra:
        key, ref = new_keys[index]
        findings.append(Finding(
            "interaction-added", Severity.INFO, "$",
            f"{key.describe()} was not in the old recording",
            None, None, label, index, operation_of(new.interactions[index], ref)[0]))
    return findings


@dataclass(frozen=True)
class DiffRun(FindingsRun):
    """The outcome of a recording-vs-recording diff; ``subjects`` are the pairs compared."""

    subjects: list[Subject] = field(default_factory=list)


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
        # read as strictly as a whole cassette (a key twice in OLD's meta is still an error)
        data = load_document(old_meta, old_file)
    except (yaml.YAMLError, ValueError, CassetteError):  # parse_cassette reports it: leave it
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


def diff_paths(old: Path, new: Path, settings: DriftSettings | None = None, *,
               workers: int | None = None) -> DiffRun:
    """Diff OLD and NEW: two cassettes, or two folders paired by relative path.

    Large folders are diffed by ``workers`` processes (default: one per available CPU).
    """
    settings = settings or load_drift_settings()
    parts = ordered_map(_diff_pairs, _pair_files(old, new), workers, shared=settings,
                        min_items=PARALLEL_MIN_PAIRS)
    findings = [f for part in parts for f in part[0]]
    subjects = [s for part in parts for s in part[1]]
    return DiffRun(findings, sum(p[2] for p in parts), sum(p[3] for p in parts), subjects)
