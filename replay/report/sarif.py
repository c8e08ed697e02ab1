"""Findings as SARIF 2.1.0: each finding located at the cassette file and the line of the offending
member inside the interaction's pretty-printed body, so code scanning annotates the cassette line
in a pull request.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from replay import __version__
from replay.core.findings import Finding, Severity, sort_key
from replay.core.jsonpath import PathKey, parse_json_path

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 25_000
"""GitHub code scanning rejects a run with more results than this (and shows its 5,000 most
severe): past it, the least severe findings (accepted ones first) are left out, and the run
says how many."""
_LEVELS = {Severity.BREAKING: "error", Severity.ADDITIVE: "warning", Severity.INFO: "note"}
_WS = re.compile(r"[ \t\n\r]*")
_scanstring: Any = getattr(json.decoder, "scanstring")  # noqa: B009 - untyped in typeshed



def json_offsets(text: str) -> dict[PathKey, int]:
    """Where each value of a JSON document starts (member values at their key), by path."""
    offsets: dict[PathKey, int] = {}
    decoder = json.JSONDecoder()

    def skip(position: int) -> int:
        match = _WS.match(text, position)
        return match.end() if match else position

    def value(position: int, steps: PathKey, anchor: int) -> int:
        position = skip(position)
        offsets[steps] = anchor
        char = text[position:position + 1]
        if char == "{":
            position = skip(position + 1)
            if text[position:position + 1] == "}":
                return position + 1
            while True:
                key_at = position
                key, position = _scanstring(text, position + 1)
                position = skip(position)
                position = value(position + 1, (*steps, key), key_at)  # past ':'
                position = skip(position)
                if text[position] == "}":
                    return position + 1
                position = skip(position + 1)  # past ','
        if char == "[":
            position = skip(position + 1)
            if text[position:position + 1] == "]":
                return position + 1
            index = 0
            while True:
                position = value(position, (*steps, index), skip(position))
                position = skip(position)
                if text[position] == "]":
                    return position + 1
                position = skip(position + 1)
                index += 1
        _, end = decoder.raw_decode(text, position)
        return int(end)

    with contextlib.suppress(ValueError, IndexError):  # keep what was located before it broke
        value(0, (), skip(0))
    return offsets


def _mapping_get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found: yaml.Node = value_node
            return found
    return None


@lru_cache(maxsize=256)
def _body_nodes(path: str, mtime_ns: int) -> tuple[tuple[int, str | None, bool], ...]:
    """Per interaction: the body's first line in the file, its text, whether it is a block."""
    text = Path(path).read_text(encoding="utf-8")
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root = yaml.compose(text, Loader=loader)
    interactions = _mapping_get(root, "interactions")
    found: list[tuple[int, str | None, bool]] = []
    if not isinstance(interactions, yaml.SequenceNode):
        return ()
    for item in interactions.value:
        body = _mapping_get(_mapping_get(item, "response"), "body")
        string = _mapping_get(body, "string") if isinstance(body, yaml.MappingNode) else body
        node = string or body or item
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str"):
            block = node.style in ("|", ">")
            found.append((line + 1 if block else line, node.value, block))
        else:
            found.append((line, None, False))
    return tuple(found)


_SCAN_LINE = re.compile(r"line (\d+)")


def locate(cassette: str, interaction: int | None, path: str) -> int:
    """The 1-based line of ``path`` (a JSONPath into the response body) in the cassette file.

    The member's own line when the body is a pretty-printed block (as aws-replay writes it);
    the nearest located ancestor when the member is absent; the body's first line when the body
    is on one line; line 1 when the file cannot be read as a cassette. Without an interaction:
    the line a scanner finding names (``line 14``), else the first line naming the path (a spec
    lock's finding).
    """
    if interaction is None:
        named_line = _SCAN_LINE.fullmatch(path)
        return int(named_line.group(1)) if named_line else _line_naming(cassette, path)
    try:
        file = Path(cassette)
        bodies = _body_nodes(str(file.resolve()), file.stat().st_mtime_ns)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return 1
    if not 0 <= interaction < len(bodies):
        return 1
    first_line, text, block = bodies[interaction]
    if text is None or not block:
        return first_line
    steps = parse_json_path(path) or ()
    offsets = _offsets_of(text)
    while steps not in offsets and steps:
        steps = steps[:-1]
    offset = offsets.get(steps, 0)
    return first_line + text.count("\n", 0, offset)


def _line_naming(file: str, path: str) -> int:
    """The first line of ``file`` that names ``path`` as a JSON string (a spec lock's member
    path), else 1."""
    wanted = json.dumps(path)
    try:
        with open(file, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if wanted in line:
                    return number
    except (OSError, UnicodeDecodeError):
        pass
    return 1


@lru_cache(maxsize=256)
def _offsets_of(text: str) -> dict[PathKey, int]:
    return json_offsets(text)


def _artifact_uri(cassette: str) -> str:
    path = Path(cassette)
    try:
        path = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path.resolve().as_uri() if path.is_absolute() else path.as_posix()
    return path.as_posix()


def render_sarif(findings: Sequence[Finding], *, baseline: bool = False) -> str:
    """SARIF 2.1.0: one rule per finding kind, one result per finding, located in the cassette.

    With ``baseline`` (a baseline file was applied) every result has a ``baselineState``:
    ``unchanged`` for an accepted finding, ``new`` for the others. An accepted finding is also
    ``suppressions: [{kind: external}]`` with its reason, which code scanning hides.
    """
    ordered, left_out = _within_limit(sorted(findings, key=sort_key))
    kinds = sorted({f.kind for f in ordered})
    rule_index = {kind: index for index, kind in enumerate(kinds)}
    worst: dict[str, Severity] = {}
    for finding in ordered:
        if finding.kind not in worst or finding.severity.rank > worst[finding.kind].rank:
            worst[finding.kind] = finding.severity
    rules = [{
        "id": kind,
        "name": "".join(part.capitalize() for part in kind.split("-")),
        "shortDescription": {"text": f"aws-replay finding: {kind}"},
        "defaultConfiguration": {"level": _LEVELS[worst[kind]]},
    } for kind in kinds]
    results = []
    for finding in ordered:
        result: dict[str, Any] = {
            "ruleId": finding.kind,
            "ruleIndex": rule_index[finding.kind],
            "level": _LEVELS[finding.severity],
            "message": {"text": f"{finding.path}: {finding.message}"},
            "properties": {"severity": finding.severity.value, "path": finding.path,
                           "expected": finding.expected, "actual": finding.actual,
                           "interaction": finding.interaction, "operation": finding.operation},
        }
        if finding.cassette:
            line = locate(finding.cassette, finding.interaction, finding.path)
            result["locations"] = [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _artifact_uri(finding.cassette)},
                    "region": {"startLine": line},
                },
                "logicalLocations": [{"fullyQualifiedName": finding.path, "kind": "member"}],
            }]
            result["partialFingerprints"] = {"awsReplayFinding/v1": "|".join((
                finding.cassette, str(finding.interaction), finding.path, finding.kind))}
        if baseline or finding.accepted:
            result["baselineState"] = "unchanged" if finding.accepted else "new"
        if finding.accepted:
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": finding.accepted_reason or
                                       "accepted in the aws-replay baseline"}]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "aws-replay", "version": __version__,
                            "informationUri": "https://pypi.org/project/aws-replay/",
                            "rules": rules}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if left_out:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": [{
            "level": "warning",
            "message": {"text": f"{left_out} of {len(ordered) + left_out} findings left out, "
                                "the least severe: code scanning rejects a run of more than "
                                f"{MAX_RESULTS} results; the text or JSON report has them all"},
        }]}]
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def _within_limit(ordered: list[Finding]) -> tuple[list[Finding], int]:
    """At most :data:`MAX_RESULTS` of ``ordered``, the most severe (not accepted first), in
    their order; and how many were left out."""
    if len(ordered) <= MAX_RESULTS:
        return ordered, 0
    kept = sorted(range(len(ordered)), key=lambda index: (
        ordered[index].accepted, -ordered[index].severity.rank, index))[:MAX_RESULTS]
    return [ordered[index] for index in sorted(kept)], len(ordered) - MAX_RESULTS

