"""Accepted findings (a baseline) in every report format: shown, counted, never failing."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
from junitparser import Failure, JUnitXml, Skipped

from replay.core.findings import Finding, Severity, summarize
from replay.report.render import render

DATA = Path(__file__).parents[1] / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
OP = "sagemaker:DescribeAutoMLJob"


def findings() -> list[Finding]:
    status = Finding("enum", Severity.BREAKING, "$.AutoMLJobSecondaryStatus",
                     "'MergingAutoMLTaskReports' is not a value of enum", ["Completed"],
                     "MergingAutoMLTaskReports", "cassettes/a.yaml", 0, OP)
    metric = Finding("enum", Severity.BREAKING, "$.X.CandidateMetrics[3].MetricName",
                     "'LogLoss' is not a value of enum", ["F1"], "LogLoss",
                     "cassettes/b.yaml", 0, OP, accepted=True, accepted_reason="mapped in v2")
    new = Finding("enum", Severity.BREAKING, "$.AutoMLJobStatus", "'Paused' is not a value",
                  ["Completed"], "Paused", "cassettes/b.yaml", 1, OP)
    return [replace(status, accepted=True, accepted_reason="seen since 2020"), metric, new]


def summary(listed: list[Finding]) -> dict[str, object]:
    counted = summarize(listed, cassettes=2, interactions=3)
    counted["baseline"] = "aws-replay-baseline.json"
    return counted


def test_text_hides_accepted_unless_asked_and_always_counts_them() -> None:
    listed = findings()
    hidden = render(listed, summary(listed), "text").splitlines()
    assert hidden == [
        f"cassettes/b.yaml interaction 1 ({OP})",
        "  breaking  $.AutoMLJobStatus  enum: 'Paused' is not a value (expected [\"Completed\"], "
        "found 'Paused')",
        "3 finding(s) in 2 cassette(s), 3 interaction(s): 1 breaking, 0 additive, 0 info, "
        "2 accepted (2 accepted not shown; --show-accepted lists them)",
    ]
    shown = render(listed, summary(listed), "text", show_accepted=True)
    assert "found 'LogLoss') [accepted: mapped in v2]" in shown
    assert "(2 accepted not shown" not in shown


def test_json_keeps_kind_and_severity_and_adds_the_acceptance() -> None:
    listed = findings()
    document = json.loads(render(listed, summary(listed), "json"))
    by_actual = {f["actual"]: f for f in document["findings"]}
    assert by_actual["LogLoss"]["severity"] == "breaking"
    assert (by_actual["LogLoss"]["accepted"], by_actual["LogLoss"]["accepted_reason"]) == (
        True, "mapped in v2")
    assert "accepted" not in by_actual["Paused"]
    assert document["summary"]["accepted"] == 2


def test_sarif_states_baseline_unchanged_or_new_and_is_valid() -> None:
    listed = findings()
    document = json.loads(render(listed, summary(listed), "sarif"))
    jsonschema.validate(document, SARIF_SCHEMA)
    states = {r["properties"]["actual"]: (r["baselineState"], "suppressions" in r)
              for r in document["runs"][0]["results"]}
    assert states == {"MergingAutoMLTaskReports": ("unchanged", True),
                      "LogLoss": ("unchanged", True), "Paused": ("new", False)}


def test_sarif_without_a_baseline_has_no_baseline_state() -> None:
    plain = [replace(f, accepted=False, accepted_reason=None) for f in findings()]
    document = json.loads(render(plain, summarize(plain), "sarif"))
    assert all("baselineState" not in r for r in document["runs"][0]["results"])


def test_junit_accepted_only_cases_are_skipped_and_never_fail() -> None:
    listed = findings()
    xml = JUnitXml.fromstring(render(listed, summary(listed), "junit",
                                     fail_on=Severity.INFO))
    outcomes = {}
    for suite in xml:
        for case in suite:
            outcomes[(case.classname, case.name.split(" (")[0])] = sorted(
                "skipped" if isinstance(r, Skipped) else "failure" if isinstance(r, Failure)
                else type(r).__name__ for r in case.result)
    assert outcomes == {("cassettes/a.yaml", "interaction 0"): ["skipped"],
                        ("cassettes/b.yaml", "interaction 0"): ["skipped"],
                        ("cassettes/b.yaml", "interaction 1"): ["failure"]}


def test_markdown_does_not_count_accepted_as_failing() -> None:
    listed = findings()
    text = render(listed, summary(listed), "markdown")
    assert ":x: **1 finding(s) at or above `breaking`**" in text
    assert ":white_check_mark: accepted (breaking)" in text
