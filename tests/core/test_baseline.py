"""The baseline: which findings an entry accepts, how the file is read, written and found."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from replay.core.atomic import WriteError
from replay.core.baseline import (
    BASELINE_FILE,
    Baseline,
    BaselineEntry,
    default_baseline_path,
    load_baseline,
    parse_baseline,
    read_baseline,
    write_baseline,
)
from replay.core.errors import ConfigError
from replay.core.findings import Finding, Severity, at_or_above, recount, summarize

OP = "sagemaker:DescribeAutoMLJob"
METRIC = "$.BestCandidate.CandidateProperties.CandidateMetrics[{}].MetricName"


def finding(path: str, actual: Any, kind: str = "enum", cassette: str = "a.yaml",
            operation: str | None = OP, severity: Severity = Severity.BREAKING) -> Finding:
    return Finding(kind, severity, path, f"{actual!r} is not listed", ["F1"], actual,
                   cassette=cassette, interaction=0, operation=operation)


def accepted(baseline: Baseline, *findings: Finding) -> list[bool]:
    return [f.accepted for f in baseline.apply(findings)]


LOGLOSS = finding(METRIC.format(4), "LogLoss")
BASELINE = Baseline([BaselineEntry.for_finding(LOGLOSS, "we map LogLoss to our own metric")])


@pytest.mark.parametrize(("case", "candidate", "is_accepted"), [
    ("the finding accepted", LOGLOSS, True),
    ("another index of the list", finding(METRIC.format(0), "LogLoss"), True),
    ("another cassette", finding(METRIC.format(4), "LogLoss", cassette="other.yaml"), True),
    ("a new value at the same path", finding(METRIC.format(4), "LogLossV2"), False),
    ("the same value at another path",
     finding("$.BestCandidate.FinalAutoMLJobObjectiveMetric.MetricName", "LogLoss"), False),
    ("another operation", finding(METRIC.format(4), "LogLoss", operation="sagemaker:Other"),
     False),
    ("another kind at the path", finding(METRIC.format(4), "LogLoss", kind="pattern"), False),
    ("diff's name for the same fact", finding(METRIC.format(1), "LogLoss", kind="enum-value-new"),
     True),
])
def test_an_entry_accepts_one_fact_about_the_api(case: str, candidate: Finding,
                                                 is_accepted: bool) -> None:
    assert accepted(BASELINE, candidate) == [is_accepted], case


def test_accepted_finding_keeps_kind_and_severity_and_gets_the_reason() -> None:
    [marked] = BASELINE.apply([finding(METRIC.format(2), "LogLoss")])
    assert (marked.kind, marked.severity, marked.accepted) == ("enum", Severity.BREAKING, True)
    assert marked.accepted_reason == "we map LogLoss to our own metric"
    assert marked.effective_severity is Severity.INFO
    assert marked == replace(finding(METRIC.format(2), "LogLoss"), accepted=True,
                             accepted_reason="we map LogLoss to our own metric")


def test_the_entry_generalises_list_indices() -> None:
    entry = BaselineEntry.for_finding(LOGLOSS, "why")
    assert entry.path == "$.BestCandidate.CandidateProperties.CandidateMetrics[*].MetricName"
    assert entry.value == "LogLoss"


def test_structural_entries_accept_whatever_the_value() -> None:
    member = finding("$.Steps[3].ModelInsights", {"Enabled": True}, kind="unknown-member",
                     severity=Severity.ADDITIVE)
    baseline = Baseline([BaselineEntry.for_finding(member, "new member, ignored")])
    assert baseline.entries[0].to_dict().keys() == {"operation", "path", "kind", "reason",
                                                    "accepted_at"}
    other = finding("$.Steps[0].ModelInsights", {"Enabled": False}, kind="unknown-member")
    assert accepted(baseline, other) == [True]


def test_type_entries_accept_the_json_type_found_not_the_value() -> None:
    typed = finding("$.EndTime", "2026-01-01", kind="type")
    baseline = Baseline([BaselineEntry.for_finding(typed, "why")])
    assert baseline.entries[0].value == "string"
    assert accepted(baseline, finding("$.EndTime", "2027-02-02", kind="type"),
                    finding("$.EndTime", True, kind="type")) == [True, False]


def test_fail_on_judges_accepted_as_info_and_summary_counts_them_apart() -> None:
    new = finding("$.AutoMLJobSecondaryStatus", "Unheard")
    findings = BASELINE.apply([LOGLOSS, new])
    assert at_or_above(findings, Severity.BREAKING) == [findings[1]]
    assert len(at_or_above(findings, Severity.INFO)) == 2
    summary = summarize(findings, cassettes=1)
    assert (summary["total"], summary["by_severity"]["breaking"], summary["accepted"]) == (2, 1, 1)
    assert "accepted" not in summarize([new])
    assert recount({"cassettes": 3, "accepted": 9, "reports": 2}, [new]) == {
        "cassettes": 3, "reports": 2, **summarize([new])}


def test_a_finding_round_trips_through_json_with_its_acceptance() -> None:
    [marked] = BASELINE.apply([LOGLOSS])
    data = marked.to_dict()
    assert (data["accepted"], data["accepted_reason"]) == (True, marked.accepted_reason)
    assert Finding.from_dict(json.loads(json.dumps(data))) == marked
    assert "accepted" not in LOGLOSS.to_dict()  # reports without a baseline keep their shape
    assert Finding.from_dict(LOGLOSS.to_dict()) == LOGLOSS


def test_unmatched_entries_are_the_stale_ones() -> None:
    status = finding("$.AutoMLJobSecondaryStatus", "MergingAutoMLTaskReports")
    baseline = Baseline([BaselineEntry.for_finding(LOGLOSS, "a"),
                         BaselineEntry.for_finding(status, "b")])
    assert [e.value for e in baseline.unmatched([finding(METRIC.format(9), "LogLoss")])] == [
        "MergingAutoMLTaskReports"]
    baseline.remove(baseline.unmatched([LOGLOSS]))
    assert [e.value for e in baseline.entries] == ["LogLoss"]


def test_add_refuses_a_fact_already_there() -> None:
    baseline = Baseline()
    assert baseline.add(BaselineEntry.for_finding(LOGLOSS, "a"))
    assert not baseline.add(BaselineEntry.for_finding(finding(METRIC.format(7), "LogLoss"), "b"))
    assert len(baseline) == 1


# --------------------------------------------------------------------------- the file


def test_written_sorted_stable_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "sub" / BASELINE_FILE
    entries = [BaselineEntry.for_finding(finding("$.Z", "z"), "r", "2026-01-01T00:00:00Z"),
               BaselineEntry.for_finding(LOGLOSS, "r", "2026-01-01T00:00:00Z"),
               BaselineEntry.for_finding(finding("$.A", "a"), "r", "2026-01-01T00:00:00Z")]
    write_baseline(Baseline(entries), path)
    first = path.read_bytes()
    write_baseline(Baseline(reversed(entries)), path)
    assert path.read_bytes() == first  # the order of accepting does not show in the diff
    document = json.loads(first)
    assert document["version"] == 1
    assert [e["path"] for e in document["accepted"]] == [
        "$.A", "$.BestCandidate.CandidateProperties.CandidateMetrics[*].MetricName", "$.Z"]
    assert read_baseline(path).entries == Baseline(entries).entries
    assert [p.name for p in path.parent.iterdir()] == [BASELINE_FILE]  # no temp file left


def test_a_failed_write_leaves_the_old_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / BASELINE_FILE
    write_baseline(BASELINE, path)
    before = path.read_bytes()

    def broken(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("replay.core.atomic.os.replace", broken)
    with pytest.raises(WriteError, match=f"cannot write {path}: No space left on device"):
        write_baseline(Baseline(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [BASELINE_FILE]


ENTRY = {"operation": OP, "path": "$.X", "kind": "enum", "value": "v", "reason": "r",
         "accepted_at": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(("text", "message"), [
    ("[]", "is array, not a baseline"),
    ("{not json", "is not JSON"),
    ('{"version": 2, "accepted": []}', "has version 2; this aws-replay reads baseline version 1"),
    ('{"accepted": []}', "has version None"),
    ('{"version": true, "accepted": []}', "has version True"),
    ('{"version": 1, "accepted": {}}', "'accepted' is object, not a list"),
    ('{"version": 1, "accepted": [], "extra": 1}', "unknown key(s) extra"),
    (json.dumps({"version": 1, "accepted": [ENTRY, "enum"]}), "entry 1 is string"),
    (json.dumps({"version": 1, "accepted": [dict(ENTRY, kind="made-up")]}),
     "entry 0 has unknown kind 'made-up'"),
    (json.dumps({"version": 1, "accepted": [dict(ENTRY, path="X.Y")]}),
     "entry 0 (enum) has path 'X.Y'"),
    (json.dumps({"version": 1, "accepted": [{k: v for k, v in ENTRY.items() if k != "value"}]}),
     "entry 0 (enum at $.X) has no value"),
    (json.dumps({"version": 1, "accepted": [dict(ENTRY, kind="unknown-member")]}),
     "entry 0 (unknown-member at $.X) has a value"),
    (json.dumps({"version": 1, "accepted": [dict(ENTRY, colour="red")]}),
     "entry 0 has unknown key(s) colour"),
    (json.dumps({"version": 1, "accepted": [dict(ENTRY, reason=3)]}), "has reason 3"),
    (json.dumps({"version": 1, "accepted": [dict(ENTRY, operation=["x"])]}),
     "has operation ['x']"),
])
def test_a_bad_baseline_is_one_line_naming_the_file_and_entry(tmp_path: Path, text: str,
                                                              message: str) -> None:
    path = tmp_path / BASELINE_FILE
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        read_baseline(path)
    error = str(raised.value)
    assert error.startswith(f"{path}: ")
    assert message in error
    assert "\n" not in error


def test_an_unreadable_or_missing_baseline_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such baseline"):
        read_baseline(tmp_path / "absent.json")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="cannot be read"):
        read_baseline(tmp_path / "binary.json")


def test_an_empty_baseline_accepts_nothing() -> None:
    baseline = parse_baseline('{"version": 1, "accepted": []}', Path("b.json"))
    assert accepted(baseline, LOGLOSS) == [False]


# ---------------------------------------------------------------------------- finding it


def test_default_is_beside_the_nearest_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    deep = tmp_path / "tests" / "unit"
    deep.mkdir(parents=True)
    assert default_baseline_path(deep) == tmp_path.resolve() / BASELINE_FILE


def test_default_is_the_setting_relative_to_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.aws-replay]\nbaseline = "ci/accepted.json"\n')
    assert default_baseline_path(tmp_path / "x") == tmp_path.resolve() / "ci" / "accepted.json"
    (tmp_path / "pyproject.toml").write_text("[tool.aws-replay]\nbaseline = 3\n")
    with pytest.raises(ConfigError, match="baseline must be a path"):
        default_baseline_path(tmp_path)


def test_without_pyproject_the_default_is_the_start_folder(tmp_path: Path) -> None:
    assert default_baseline_path(tmp_path) == tmp_path.resolve() / BASELINE_FILE


def test_load_reads_the_default_only_when_it_exists(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    assert load_baseline(start=tmp_path) is None
    write_baseline(BASELINE, tmp_path / BASELINE_FILE)
    loaded = load_baseline(start=tmp_path)
    assert loaded is not None and len(loaded) == 1
    assert load_baseline(start=tmp_path, disabled=True) is None
    with pytest.raises(ConfigError, match="no such baseline"):
        load_baseline(tmp_path / "named.json", start=tmp_path)


@pytest.mark.parametrize(("text", "reason"), [
    ("[" * 100_000 + "]" * 100_000, "nested deeper than 100 levels"),
    ('{"version": 1, "version": 1, "accepted": []}', "duplicate key 'version'"),
    ('{"version": NaN, "accepted": []}', "NaN is not a JSON number"),
])
def test_a_hostile_baseline_is_one_config_error(text: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=f"b.json: is not JSON \\(.*{reason}"):
        parse_baseline(text, Path("b.json"))
