"""Reports: text, JSON, JUnit (read back by junitparser), Markdown, SARIF (validated against the
official 2.1.0 schema, located on cassette lines), and merging the JSON reports of a matrix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from junitparser import Failure, JUnitXml

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from replay.cli.app import main
from replay.core.errors import ReplayError
from replay.core.findings import Finding, Severity, summarize
from replay.core.jsonpath import parse_json_path
from replay.report.merge import merge_reports
from replay.report.render import FORMATS, render
from replay.report.sarif import json_offsets, locate
from replay.report.text import summary_line, use_colour

DATA = Path(__file__).parents[1] / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())


def _request(job: str = "churn-automl-2026") -> RecordedRequest:
    return RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                           {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
                            "Content-Type": ["application/x-amz-json-1.1"]},
                           json.dumps({"AutoMLJobName": job}))


def _cassette(path: Path, *bodies: dict[str, Any]) -> Path:
    interactions = tuple(
        Interaction(_request(), RecordedResponse(200, "OK", {"Content-Type": [
            "application/x-amz-json-1.1"]}, json.dumps(body).encode())) for body in bodies)
    write_cassette(path, Cassette(interactions, {"tool": "test"}, path))
    return path


def _findings(cassette: str = "cassettes/job.yaml") -> list[Finding]:
    return [
        Finding("enum", Severity.BREAKING, "$.AutoMLJobSecondaryStatus",
                "'MergingAutoMLTaskReports' is not a value of enum AutoMLJobSecondaryStatus",
                ["Completed"], "MergingAutoMLTaskReports", cassette, 0,
                "sagemaker:DescribeAutoMLJob"),
        Finding("unknown-member", Severity.ADDITIVE, "$.NewMember", "member NewMember | new",
                None, 1, cassette, 0, "sagemaker:DescribeAutoMLJob"),
        Finding("value-changed", Severity.INFO, "$.FailureReason", "value changed", "a", "b",
                cassette, 1, "sagemaker:DescribeAutoMLJob"),
    ]


# ---------------------------------------------------------------------------- text and json


def test_formats_are_all_offered() -> None:
    assert FORMATS == ("text", "json", "junit", "markdown", "sarif")


def test_text_groups_by_cassette_and_interaction_and_ends_with_the_summary() -> None:
    findings = _findings()
    text = render(findings, summarize(findings, cassettes=1, interactions=2), "text")
    lines = text.splitlines()
    assert lines[0] == "cassettes/job.yaml interaction 0 (sagemaker:DescribeAutoMLJob)"
    assert lines[1].startswith("  breaking  $.AutoMLJobSecondaryStatus  enum: ")
    assert lines[-1] == ("3 finding(s) in 1 cassette(s), 2 interaction(s): 1 breaking, "
                         "1 additive, 1 info")
    assert "\x1b[" not in text


def test_colour_only_on_a_terminal_and_never_with_no_color(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())
    assert "\x1b[31m" in render(_findings(), summarize(_findings()), "text", colour=True)


def test_json_keeps_the_stable_shape() -> None:
    document = json.loads(render(_findings(), summarize(_findings()), "json"))
    assert set(document) == {"findings", "summary"}
    assert list(document["findings"][0]) == ["cassette", "interaction", "operation", "path",
                                             "kind", "severity", "message", "expected",
                                             "actual", "known_since"]


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render([], summarize([]), "xml")


# ------------------------------------------------------------------------------------ junit


def _junit(text: str, tmp_path: Path) -> JUnitXml:
    report = tmp_path / "junit.xml"
    report.write_text(text)
    return JUnitXml.fromfile(str(report))


def test_junit_has_a_case_per_interaction_and_a_failure_per_failing_finding(
        tmp_path: Path) -> None:
    findings = _findings()
    subjects = [("cassettes/job.yaml", 0, None), ("cassettes/job.yaml", 1, None),
                ("cassettes/clean.yaml", 0, None)]
    xml = _junit(render(findings, summarize(findings), "junit", fail_on=Severity.ADDITIVE,
                        subjects=subjects), tmp_path)
    suite = next(iter(xml))
    cases = {(case.classname, case.name): case for case in suite}
    assert set(cases) == {
        ("cassettes/job.yaml", "interaction 0 (sagemaker:DescribeAutoMLJob)"),
        ("cassettes/job.yaml", "interaction 1 (sagemaker:DescribeAutoMLJob)"),
        ("cassettes/clean.yaml", "interaction 0"),
    }
    failing = cases[("cassettes/job.yaml", "interaction 0 (sagemaker:DescribeAutoMLJob)")]
    failures = [r for r in failing.result if isinstance(r, Failure)]
    assert [f.type for f in failures] == ["enum", "unknown-member"]
    assert failures[0].message.startswith("$.AutoMLJobSecondaryStatus: ")
    below = cases[("cassettes/job.yaml", "interaction 1 (sagemaker:DescribeAutoMLJob)")]
    assert below.is_passed and "value-changed" in (below.system_out or "")
    assert cases[("cassettes/clean.yaml", "interaction 0")].is_passed
    assert suite.tests == 3 and suite.failures == 1


def test_junit_of_no_findings_is_a_passing_suite(tmp_path: Path) -> None:
    xml = _junit(render([], summarize([]), "junit", subjects=[("a.yaml", 0, None)]), tmp_path)
    suite = next(iter(xml))
    assert suite.tests == 1 and suite.failures == 0


# --------------------------------------------------------------------------------- markdown


def test_markdown_has_summary_tables_and_escaped_details() -> None:
    findings = _findings()
    text = render(findings, summarize(findings, cassettes=1, interactions=2), "markdown",
                  title="aws-replay drift")
    assert text.startswith("## aws-replay drift\n")
    assert ":x: **1 finding(s) at or above `breaking`**" in text
    assert "| :x: breaking | 1 |" in text
    assert "| `enum` | 1 |" in text
    assert "<details open><summary><code>cassettes/job.yaml</code>" in text
    assert "member NewMember \\| new" in text  # a pipe must not split the table row
    row = next(line for line in text.splitlines() if "$.AutoMLJobSecondaryStatus" in line)
    assert row.count(" | ") == 6


def test_markdown_without_failures_says_so() -> None:
    info = [f for f in _findings() if f.severity is Severity.INFO]
    text = render(info, summarize(info), "markdown")
    assert ":white_check_mark: nothing at or above `breaking`" in text


# ------------------------------------------------------------------------------------ sarif


def test_sarif_is_valid_against_the_official_schema_and_points_at_member_lines(
        tmp_path: Path, full_body: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    second = dict(full_body, FailureReason="boom")
    _cassette(tmp_path / "cassettes" / "job.yaml", full_body, second)
    findings = _findings("cassettes/job.yaml")
    document = json.loads(render(findings, summarize(findings), "sarif"))
    jsonschema.validate(document, SARIF_SCHEMA)
    run = document["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [
        "enum", "unknown-member", "value-changed"]
    lines = (tmp_path / "cassettes" / "job.yaml").read_text().splitlines()
    levels = {}
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "cassettes/job.yaml"
        levels[result["ruleId"]] = result["level"]
        line = lines[location["region"]["startLine"] - 1]
        if result["ruleId"] == "enum":
            assert '"AutoMLJobSecondaryStatus":' in line
        if result["ruleId"] == "value-changed":  # interaction 1's body, not interaction 0's
            assert '"FailureReason": "boom"' in line
        if result["ruleId"] == "unknown-member":  # absent member: its parent, the body start
            assert line.strip() == "{"
    assert levels == {"enum": "error", "unknown-member": "warning", "value-changed": "note"}


def test_sarif_of_findings_without_a_cassette_is_still_valid() -> None:
    finding = Finding("member-added", Severity.ADDITIVE, "$.X", "new member")
    document = json.loads(render([finding], summarize([finding]), "sarif"))
    jsonschema.validate(document, SARIF_SCHEMA)
    assert "locations" not in document["runs"][0]["results"][0]


def test_sarif_keeps_the_most_severe_results_within_code_scannings_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # GitHub rejects a run of more than 25,000 results: a drift across a big fleet must still
    # upload, its breaking findings first
    monkeypatch.setattr("replay.report.sarif.MAX_RESULTS", 4)
    findings = [Finding(f"kind-{index}", severity, f"$.M{index}", "changed", cassette=f"c{index}")
                for index, severity in enumerate([Severity.INFO, Severity.BREAKING,
                                                  Severity.ADDITIVE, Severity.INFO,
                                                  Severity.BREAKING, Severity.ADDITIVE])]
    findings.append(findings[4].as_accepted("known"))
    document = json.loads(render(findings, summarize(findings), "sarif"))
    jsonschema.validate(document, SARIF_SCHEMA)
    run = document["runs"][0]
    assert [result["properties"]["path"] for result in run["results"]] == [
        "$.M1", "$.M2", "$.M4", "$.M5"]  # in report order, the info and accepted ones out
    assert "suppressions" not in json.dumps(run["results"])
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("3 of 7 findings left out")
    monkeypatch.setattr("replay.report.sarif.MAX_RESULTS", 7)
    run = json.loads(render(findings, summarize(findings), "sarif"))["runs"][0]
    assert len(run["results"]) == 7 and "invocations" not in run


def test_locate_nested_list_member(tmp_path: Path, full_body: dict[str, Any]) -> None:
    path = _cassette(tmp_path / "job.yaml", full_body)
    lines = path.read_text().splitlines()
    line = locate(str(path), 0, "$.BestCandidate.CandidateSteps[2].CandidateStepType")
    assert '"CandidateStepType": "AWS::SageMaker::TransformJob"' in lines[line - 1]
    assert locate(str(path), 0, "$.BestCandidate.CandidateSteps[*].CandidateStepType") == \
        locate(str(path), 0, "$.BestCandidate.CandidateSteps")
    assert locate(str(tmp_path / "missing.yaml"), 0, "$.X") == 1
    assert locate(str(path), 7, "$.X") == 1


def test_locate_single_line_vcrpy_body_gives_the_body_line(tmp_path: Path) -> None:
    path = tmp_path / "vcr.yaml"
    path.write_text("interactions:\n- request: {method: POST, uri: 'http://x/', body: ''}\n"
                    "  response:\n    status: {code: 200, message: OK}\n    headers: {}\n"
                    "    body: {string: '{\"A\": 1}'}\nversion: 1\n")
    assert locate(str(path), 0, "$.A") == 6


def test_parse_json_path_reads_the_spec_checker_style() -> None:
    assert parse_json_path("$.A[2]['odd key'].B") == ("A", 2, "odd key", "B")
    assert parse_json_path("$.A[*].B") == ("A",)
    assert parse_json_path("nonsense") is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_json_offsets_find_every_value_of_a_pretty_document(value: Any) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    offsets = json_offsets(text)

    def walk(node: Any, steps: tuple[Any, ...]) -> None:
        assert steps in offsets
        if isinstance(node, dict):
            for key, child in node.items():
                # a member is located at its key
                assert text.startswith(json.dumps(key, ensure_ascii=False),
                                       offsets[(*steps, key)])
                walk(child, (*steps, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                start = offsets[(*steps, index)]
                assert json.JSONDecoder().raw_decode(text, start)[0] == child
                walk(child, (*steps, index))

    walk(value, ())


# ------------------------------------------------------------------------------------ merge


def _write_report(path: Path, findings: list[Finding], **counts: int) -> Path:
    path.write_text(render(findings, summarize(findings, **counts), "json"))
    return path


def test_merge_keeps_every_finding_and_adds_up_the_totals(tmp_path: Path) -> None:
    east = _write_report(tmp_path / "east.json", _findings("east/job.yaml"), cassettes=2,
                         interactions=3)
    west = _write_report(tmp_path / "west.json", _findings("west/job.yaml")[:1], cassettes=1,
                         interactions=1)
    findings, summary = merge_reports([east, west])
    assert len(findings) == 4
    assert summary["cassettes"] == 3 and summary["interactions"] == 4
    assert summary["by_severity"] == {"breaking": 2, "additive": 1, "info": 1}
    assert summary["reports"] == 2
    assert findings[0] == _findings("east/job.yaml")[0]  # round trip through JSON


def test_merge_drops_totals_that_not_every_report_has(tmp_path: Path) -> None:
    one = _write_report(tmp_path / "one.json", [], cassettes=2)
    two = _write_report(tmp_path / "two.json", [])
    assert "cassettes" not in merge_reports([one, two])[1]


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such report"),
    ("{not json", "is not JSON"),
    ('{"findings": []}', "is not an aws-replay JSON report"),
    ('{"findings": [{"kind": "x"}], "summary": {}}', "finding 0 lacks kind, severity"),
    ('{"findings": [{"kind": "x", "severity": "fatal", "path": "$", "message": "m"}], '
     '"summary": {}}', "finding 0 has severity 'fatal'"),
])
def test_merge_refuses_what_is_not_a_report(tmp_path: Path, content: str | None,
                                            message: str) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReplayError, match=message):
        merge_reports([path])


def test_report_merge_cli_writes_any_format_and_exits_by_fail_on(tmp_path: Path) -> None:
    east = _write_report(tmp_path / "east.json", _findings("east/job.yaml"))
    info = _write_report(tmp_path / "info.json", _findings("west/job.yaml")[2:])
    runner = CliRunner()
    result = runner.invoke(main, ["report", "merge", str(east), str(info), "--format",
                                  "markdown", "--output", str(tmp_path / "summary.md")])
    assert result.exit_code == 1
    assert result.output == ("4 finding(s): 1 breaking, 1 additive, 2 info; merged from 2 "
                             f"report(s); report written to {tmp_path / 'summary.md'}\n")
    assert (tmp_path / "summary.md").read_text().startswith("## aws-replay (merged)")
    assert runner.invoke(main, ["report", "merge", str(info)]).exit_code == 0
    bad = runner.invoke(main, ["report", "merge", str(tmp_path / "nope.json")])
    assert bad.exit_code == 2
    assert "nope.json: no such report" in bad.output
    assert "Traceback" not in bad.output


def test_summary_line_reads_totals() -> None:
    assert summary_line(summarize([], cassettes=0)) == \
        "0 finding(s) in 0 cassette(s): 0 breaking, 0 additive, 0 info"


def test_summary_line_tells_what_was_not_compared_updated_or_merged() -> None:
    summary = summarize([], cassettes=2, interactions=3)
    summary.update(not_compared=1, updated=["a.yaml"], reports=3)
    assert summary_line(summary) == (
        "0 finding(s) in 2 cassette(s), 3 interaction(s): 0 breaking, 0 additive, 0 info; "
        "1 interaction(s) not compared; 1 cassette(s) updated; merged from 3 report(s)")


def test_locate_without_an_interaction_finds_the_line_naming_the_path(tmp_path: Path) -> None:
    lock = tmp_path / "spec.lock.json"
    lock.write_text('{\n "operations": {\n  "$.A": {},\n  "$.A.B": {}\n }\n}\n')
    assert locate(str(lock), None, "$.A.B") == 4
    assert locate(str(lock), None, "$.Nope") == 1


def test_markdown_cells_cannot_open_html_or_break_code_spans() -> None:
    finding = Finding("value-changed", Severity.INFO, "$.A", "was <b>bold</b>", "", "a|b",
                      "c.yaml", 0)
    text = render([finding], summarize([finding]), "markdown")
    row = next(line for line in text.splitlines() if "$.A" in line)
    assert "was &lt;b&gt;bold&lt;/b&gt;" in row
    assert '| "" |' in row and "| `a\\|b` |" in row


def test_junit_stays_well_formed_with_control_characters_in_values(tmp_path: Path) -> None:
    finding = Finding("value-changed", Severity.BREAKING, "$.A", "bell\x07 nul\x00", "x",
                      "y", "c\x1b.yaml", 0)
    xml = _junit(render([finding], summarize([finding]), "junit"), tmp_path)
    case = next(iter(next(iter(xml))))
    failure = next(r for r in case.result if isinstance(r, Failure))
    assert failure.message == "$.A: bell\ufffd nul\ufffd"
    assert case.classname == "c\ufffd.yaml"
