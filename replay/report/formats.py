"""The machine report formats: JUnit XML, Markdown (a GitHub job summary) and SARIF 2.1.0.

JUnit makes one test case per cassette interaction and one ``<failure>`` per finding at or
above ``--fail-on`` (findings below it go to the test case's ``system-out``), so a CI test tab
shows which recorded exchange drifted. SARIF locates each finding at the cassette file and the
line of the offending member inside the interaction's pretty-printed body, so code scanning
annotates the cassette line in a pull request.
"""

from __future__ import annotations

import contextlib
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from replay import __version__
from replay.core.findings import Finding, Severity, sort_key
from replay.core.jsonpath import PathKey, parse_json_path

Subject = tuple[str | None, int | None, str | None]
"""What was looked at: (cassette, interaction, operation). JUnit makes one test case of each."""

# ------------------------------------------------------------------------------------ JUnit


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (a body may carry any of them)."""
    return _NOT_XML.sub("\ufffd", text)


def _case_name(interaction: int | None, operation: str | None) -> str:
    name = f"interaction {interaction}" if interaction is not None else "whole file"
    return f"{name} ({operation})" if operation else name


def _finding_line(finding: Finding) -> str:
    line = f"{finding.severity.value} {finding.path} {finding.kind}: {finding.message}"
    if finding.expected is not None or finding.actual is not None:
        line += (f" (expected {json.dumps(finding.expected, default=str)}, "
                 f"found {json.dumps(finding.actual, default=str)})")
    return line


def render_junit(findings: Sequence[Finding], summary: dict[str, Any], *,
                 fail_on: Severity = Severity.BREAKING,
                 subjects: Sequence[Subject] | None = None, title: str = "aws-replay") -> str:
    """JUnit XML: one test case per (cassette, interaction); a failure per failing finding."""
    grouped: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    operations: dict[tuple[str, int], str | None] = {}
    for finding in sorted(findings, key=sort_key):
        key = (finding.cassette or "<input>", -1 if finding.interaction is None
               else finding.interaction)
        grouped[key].append(finding)
        operations.setdefault(key, finding.operation)
    for cassette, interaction, operation in subjects or ():
        key = (cassette or "<input>", -1 if interaction is None else interaction)
        grouped.setdefault(key, [])
        if operations.get(key) is None:
            operations[key] = operation
    suites = ET.Element("testsuites", name=title)
    suite = ET.SubElement(suites, "testsuite", name=title)
    cases = failures = 0
    for key in sorted(grouped):
        cassette, interaction = key
        members = grouped[key]
        case = ET.SubElement(suite, "testcase", classname=_xml(cassette),
                             name=_xml(_case_name(None if interaction < 0 else interaction,
                                                  operations.get(key))))
        cases += 1
        below: list[str] = []
        failed = False
        for finding in members:
            if finding.severity.rank >= fail_on.rank:
                failure = ET.SubElement(case, "failure", type=_xml(finding.kind),
                                        message=_xml(f"{finding.path}: {finding.message}"))
                failure.text = _xml(_finding_line(finding))
                failed = True
            else:
                below.append(_xml(_finding_line(finding)))
        failures += failed
        if below:
            ET.SubElement(case, "system-out").text = "\n".join(below)
    for element in (suites, suite):
        element.set("tests", str(cases))
        element.set("failures", str(failures))
        element.set("errors", "0")
    suite.set("skipped", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


# --------------------------------------------------------------------------------- Markdown

MARKDOWN_ROW_LIMIT = 500
"""GitHub caps a job summary at 1 MiB; past this many rows the rest is only counted."""

_ICONS = {Severity.BREAKING: ":x:", Severity.ADDITIVE: ":warning:",
          Severity.INFO: ":information_source:"}


def _clip(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= 120 else text[:117] + "..."


def _cell(value: Any) -> str:
    """Table text: a pipe would end the cell, ``<`` would start an HTML tag."""
    text = _clip(value).replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(value: Any) -> str:
    """A value as a code span (nothing inside is markup; a table still needs ``\\|``)."""
    if value is None:
        return ""
    text = _clip(value)
    if not text or "`" in text:
        return _cell(json.dumps(text))
    return "`" + text.replace("|", "\\|") + "`"


def render_markdown(findings: Sequence[Finding], summary: dict[str, Any], *,
                    fail_on: Severity = Severity.BREAKING, title: str = "aws-replay") -> str:
    """A summary table and per-cassette details, fit for ``$GITHUB_STEP_SUMMARY``."""
    from replay.report.render import summary_line

    failing = sum(1 for f in findings if f.severity.rank >= fail_on.rank)
    verdict = (f":x: **{failing} finding(s) at or above `{fail_on.value}`**" if failing
               else f":white_check_mark: nothing at or above `{fail_on.value}`")
    lines = [f"## {title}", "", f"{verdict}: {summary_line(summary)}", "",
             "| severity | findings |", "|---|---:|"]
    counts = summary.get("by_severity", {})
    for severity in Severity:
        lines.append(f"| {_ICONS[severity]} {severity.value} | {counts.get(severity.value, 0)} |")
    by_kind = Counter(f.kind for f in findings)
    if by_kind:
        lines += ["", "| kind | findings |", "|---|---:|"]
        lines += [f"| `{kind}` | {count} |" for kind, count in sorted(by_kind.items())]
    shown = 0
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, *sort_key(f)))
    by_cassette: dict[str, list[Finding]] = defaultdict(list)
    for finding in ordered:
        by_cassette[finding.cassette or "<input>"].append(finding)
    if by_cassette:
        lines += ["", "### Findings per cassette"]
    for cassette, members in sorted(by_cassette.items(),
                                    key=lambda item: (-item[1][0].severity.rank, item[0])):
        if shown >= MARKDOWN_ROW_LIMIT:
            break
        tally = Counter(f.severity for f in members)
        counted = ", ".join(f"{tally[s]} {s.value}" for s in Severity if tally[s])
        opened = " open" if members[0].severity.rank >= fail_on.rank else ""
        lines += ["", f"<details{opened}><summary><code>{_cell(cassette)}</code>: {counted}"
                      "</summary>", "",
                  "| interaction | severity | path | kind | message | expected | found |",
                  "|---:|---|---|---|---|---|---|"]
        for finding in members:
            if shown >= MARKDOWN_ROW_LIMIT:
                break
            shown += 1
            interaction = "" if finding.interaction is None else str(finding.interaction)
            lines.append(
                f"| {interaction} | {_ICONS[finding.severity]} {finding.severity.value} "
                f"| {_code(finding.path)} | `{finding.kind}` | {_cell(finding.message)} "
                f"| {_code(finding.expected)} | {_code(finding.actual)} |")
        lines += ["", "</details>"]
    if len(findings) > shown:
        lines += ["", f"{len(findings) - shown} more finding(s) not shown; see the JSON or "
                      "SARIF report."]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ SARIF

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
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


def render_sarif(findings: Sequence[Finding]) -> str:
    """SARIF 2.1.0: one rule per finding kind, one result per finding, located in the cassette."""
    ordered = sorted(findings, key=sort_key)
    kinds = sorted({f.kind for f in ordered})
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
            "ruleIndex": kinds.index(finding.kind),
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
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "aws-replay", "version": __version__,
                                "informationUri": "https://pypi.org/project/aws-replay/",
                                "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"

