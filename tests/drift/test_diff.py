"""Recording vs recording: responses, pairing, folders, the diff command (classifying a change:
test_changes.py; volatile paths: test_volatile.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replay.cassette.model import Cassette, Interaction, RecordedResponse
from replay.cassette.write import write_cassette
from replay.cli.app import main
from replay.core.errors import CassetteError, ReplayError
from replay.core.findings import Finding, Severity
from replay.drift.diff import diff_cassettes, diff_interactions, diff_paths
from replay.drift.volatile import (
    DriftSettings,
)
from replay.spec.operations import operation_ref
from tests.support.drift import changes, interaction, request, rerecorded

# ------------------------------------------------------------------------------ responses


def test_rerecording_with_only_volatile_changes_is_no_drift(full_body: dict[str, Any]) -> None:
    assert changes(full_body, rerecorded(full_body)) == []


def test_equal_bodies_never_reach_deepdiff(full_body: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import deepdiff

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("deepdiff ran on bodies that were equal after normalising")

    monkeypatch.setattr(deepdiff, "DeepDiff", forbidden)
    reordered = dict(reversed(list(rerecorded(full_body).items())))
    assert changes(full_body, reordered) == []


def test_status_change_is_breaking_and_names_the_error(full_body: dict[str, Any]) -> None:
    error = {"__type": "ResourceNotFound", "Message": "Could not find AutoML job"}
    found = diff_interactions(interaction(full_body),
                              Interaction(request(), RecordedResponse(
                                  400, "Bad Request", {}, json.dumps(error).encode())))
    assert [(f.kind, f.severity, f.expected, f.actual) for f in found] == [
        ("status-changed", Severity.BREAKING, 200, 400)]
    assert found[0].message == "HTTP status changed from 200 to 400 (ResourceNotFound)"


def test_body_that_stops_being_json_is_breaking(full_body: dict[str, Any]) -> None:
    found = diff_interactions(interaction(full_body), interaction(b"<html>oops</html>"))
    assert [(f.kind, f.severity, f.message) for f in found] == [
        ("type-changed", Severity.BREAKING, "body is no longer JSON (Expecting value at char 0)")]


# ------------------------------------------------------------------------------- pairing


def _write(path: Path, *interactions: Interaction) -> Path:
    write_cassette(path, Cassette(tuple(interactions), {"tool": "test"}, path))
    return path


def test_lifecycles_pair_in_order_and_extra_requests_are_reported(
        full_body: dict[str, Any]) -> None:
    running = dict(full_body, AutoMLJobStatus="InProgress", AutoMLJobSecondaryStatus="Starting")
    old = Cassette((interaction(running), interaction(full_body)))
    new = Cassette((interaction(running), interaction(full_body),
                    interaction(full_body, job="other-job")))
    found = diff_cassettes(old, new, name="job.yaml")
    assert [(f.kind, f.interaction, f.cassette) for f in found] == [
        ("interaction-added", 2, "job.yaml")]
    assert diff_cassettes(new, old, name="job.yaml")[0].kind == "interaction-removed"


def test_folders_pair_by_relative_path(tmp_path: Path, full_body: dict[str, Any]) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old / "a" / "job.yaml", interaction(full_body))
    _write(new / "a" / "job.yaml", interaction(dict(full_body, Extra=1)))
    _write(old / "gone.yaml", interaction(full_body))
    _write(new / "fresh.yaml", interaction(full_body))
    _write(old / "same.yaml", interaction(full_body))
    _write(new / "same.yaml", interaction(full_body))
    run = diff_paths(old, new, DriftSettings())
    found = sorted((Path(f.cassette or "").name, f.kind) for f in run.findings)
    assert found == [("fresh.yaml", "cassette-added"), ("gone.yaml", "cassette-removed"),
                     ("job.yaml", "member-added")]
    assert run.cassettes == 2 and run.interactions == 2
    assert run.summary["by_severity"]["additive"] == 1


def test_file_and_folder_cannot_be_compared(tmp_path: Path, full_body: dict[str, Any]) -> None:
    cassette = _write(tmp_path / "job.yaml", interaction(full_body))
    with pytest.raises(ReplayError, match="must both be cassette files or both be folders"):
        diff_paths(cassette, tmp_path)
    with pytest.raises(ReplayError, match="no such file or folder"):
        diff_paths(tmp_path / "nope", tmp_path)


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import replay.drift.diff

    parsed: list[str] = []
    real = replay.drift.diff.parse_cassette  # type: ignore[attr-defined]

    def parse(text: str | bytes, path: Path | str = "<memory>") -> Cassette:
        parsed.append(Path(path).parent.name)
        return real(text, path)

    monkeypatch.setattr(replay.drift.diff, "parse_cassette", parse)
    return parsed


def test_a_new_meta_block_alone_is_no_drift_and_old_is_not_parsed(
        tmp_path: Path, full_body: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old / "job.yaml", interaction(full_body))
    text = (old / "job.yaml").read_text()
    assert text.startswith("meta:\n  tool: test\ninteractions:\n")
    new.mkdir()
    (new / "job.yaml").write_text(text.replace(
        "meta:\n  tool: test\n",
        "meta:\n  tool: aws-replay\n  # re-recorded\n  recorded_at: '2026-12-01T00:00:00Z'\n"))
    parsed = _counting_parses(monkeypatch)
    run = diff_paths(old, new, DriftSettings(), workers=1)
    assert run.findings == [] and run.cassettes == 1 and run.interactions == 1
    assert parsed == ["new"]


def test_an_alias_into_the_meta_block_is_refused_not_shortcut(
        tmp_path: Path, full_body: dict[str, Any]) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old / "job.yaml", interaction(full_body))
    text = (old / "job.yaml").read_text()
    # the same bytes after the meta block, but *target would mean another operation in each
    rest = text.split("interactions:\n", 1)[1].replace(
        "[SageMaker.DescribeAutoMLJob]", "[*target]")
    (old / "job.yaml").write_text(
        "meta:\n  tool: &target SageMaker.DescribeAutoMLJobV2\ninteractions:\n" + rest)
    new.mkdir()
    (new / "job.yaml").write_text(
        "meta:\n  tool: &target SageMaker.DescribeAutoMLJob\ninteractions:\n" + rest)
    with pytest.raises(CassetteError, match=r"new/job.yaml: uses a YAML alias \(of the anchor "
                                            r"at line 2\)"):
        diff_paths(old, new, DriftSettings(), workers=1)


@pytest.mark.parametrize(("meta", "problem"), [
    ("meta: [unclosed\n", "is not valid YAML"),
    ("meta: 7\n", "'meta' is not a mapping"),
])
def test_a_broken_old_meta_block_is_still_an_error(tmp_path: Path, full_body: dict[str, Any],
                                                    meta: str, problem: str) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    _write(new / "job.yaml", interaction(full_body))
    text = (new / "job.yaml").read_text()
    old.mkdir()
    (old / "job.yaml").write_text(meta + "interactions:\n" + text.split("interactions:\n")[1])
    with pytest.raises(CassetteError, match=f"old/job.yaml: {problem}"):
        diff_paths(old, new, DriftSettings(), workers=1)


def test_a_meta_block_running_on_into_the_rest_makes_old_parsed_in_full(
        tmp_path: Path, full_body: dict[str, Any]) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    _write(new / "job.yaml", interaction(full_body))
    text = (new / "job.yaml").read_text()
    assert text.endswith("\nversion: 1\n")
    rest = text.removeprefix("meta:\n  tool: test\n").removesuffix("version: 1\n")
    # NEW's flow mapping goes on over the line, so 'version: 1}' is inside NEW's meta, while
    # in OLD, whose meta is closed, it is a top-level version '1}'
    (new / "job.yaml").write_text("meta: {tool: x,\nversion: 1}\n" + rest)
    old.mkdir()
    (old / "job.yaml").write_text("meta: {tool: z}\nversion: 1}\n" + rest)
    with pytest.raises(CassetteError, match=r"old/job\.yaml: has cassette format version '1\}'"):
        diff_paths(old, new, DriftSettings(), workers=1)


# ----------------------------------------------------------------------------------- CLI


def test_diff_cli_exit_codes_and_formats(tmp_path: Path, full_body: dict[str, Any]) -> None:
    old = _write(tmp_path / "old.yaml", interaction(full_body))
    same = _write(tmp_path / "same.yaml", interaction(rerecorded(full_body)))
    drifted = _write(tmp_path / "new.yaml", interaction(
        dict(full_body, AutoMLJobSecondaryStatus="MergingAutoMLTaskReports")))
    runner = CliRunner()
    clean = runner.invoke(main, ["diff", str(old), str(same)])
    assert clean.exit_code == 0, clean.output
    assert clean.output == ("0 finding(s) in 1 cassette(s), 1 interaction(s): 0 breaking, "
                            "0 additive, 0 info\n")
    broken = runner.invoke(main, ["diff", str(old), str(drifted), "--format", "json"])
    assert broken.exit_code == 1
    report = json.loads(broken.output)
    assert [f["kind"] for f in report["findings"]] == ["enum-value-new"]
    assert Finding.from_dict(report["findings"][0]).cassette == str(drifted)
    junit = runner.invoke(main, ["diff", str(old), str(drifted), "--format", "junit"])
    assert 'failures="1"' in junit.output
    bad = runner.invoke(main, ["diff", str(old), str(tmp_path / "missing.yaml")])
    assert bad.exit_code == 2
    assert bad.output.startswith("aws-replay: error: ")
    assert "missing.yaml: no such file or folder (NEW)" in bad.output


def test_diff_cli_reports_a_truncated_cassette_in_one_line(tmp_path: Path,
                                                          full_body: dict[str, Any]) -> None:
    old = _write(tmp_path / "old.yaml", interaction(full_body))
    broken = tmp_path / "new.yaml"
    broken.write_text(old.read_text()[:200])
    result = CliRunner().invoke(main, ["diff", str(old), str(broken)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_processes_find_what_one_process_finds(tmp_path: Path, full_body: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import replay.drift.diff

    monkeypatch.setattr(replay.drift.diff, "PARALLEL_MIN_PAIRS", 2)
    old, new = tmp_path / "old", tmp_path / "new"
    for index in range(6):
        _write(old / f"job-{index}.yaml", interaction(full_body))
        changed = dict(full_body, Extra=index) if index % 2 else rerecorded(full_body)
        _write(new / f"job-{index}.yaml", interaction(changed))
    parallel = diff_paths(old, new, DriftSettings(), workers=2)
    single = diff_paths(old, new, DriftSettings(), workers=1)
    assert parallel == single
    assert [Path(f.cassette or "").name for f in parallel.findings] == [
        "job-1.yaml", "job-3.yaml", "job-5.yaml"]
    assert parallel.cassettes == 6 and len(parallel.subjects) == 6
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--jobs", "1"])
    assert result.exit_code == 0
    assert result.output.endswith("3 finding(s) in 6 cassette(s), 6 interaction(s): "
                                  "0 breaking, 3 additive, 0 info\n")


def test_a_key_twice_in_the_old_meta_block_is_still_an_error(
        tmp_path: Path, full_body: dict[str, Any]) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    _write(new / "job.yaml", interaction(full_body))
    text = (new / "job.yaml").read_text()
    old.mkdir()
    (old / "job.yaml").write_text("meta:\n  tool: a\n  tool: b\ninteractions:\n"
                                  + text.split("interactions:\n", 1)[1])
    with pytest.raises(CassetteError, match=r"old/job\.yaml: has the key 'tool' twice in one "
                                            r"mapping \(line 3\)"):
        diff_paths(old, new, DriftSettings(), workers=1)


# ------------------------------------------------------------------ XML protocols

_S3_SCOPE = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/{}/"
             "aws4_request, SignedHeaders=host, Signature=" + "0" * 64)


def _xml_interaction(method: str, uri: str, service: str, body: str,
                     request_body: str = "") -> Interaction:
    from replay.cassette.model import RecordedRequest

    return Interaction(
        RecordedRequest(method, uri, {"Authorization": [_S3_SCOPE.format(service)]},
                        request_body),
        RecordedResponse(200, "OK", {"Content-Type": ["text/xml"]}, body.encode()))


def _s3_and_sts(storage_class: str, extra: str = "", arn: str = "user/ci") -> Cassette:
    listing = ('<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
               "<Name>models</Name><Prefix>churn/</Prefix><KeyCount>1</KeyCount>"
               "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
               f"<Contents><Key>churn/model.bin</Key><Size>2048</Size>"
               f"<StorageClass>{storage_class}</StorageClass>{extra}</Contents>"
               "</ListBucketResult>")
    identity = ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                "<GetCallerIdentityResult><UserId>AIDAEXAMPLE</UserId>"
                f"<Account>000000000001</Account><Arn>arn:aws:iam::000000000001:{arn}</Arn>"
                "</GetCallerIdentityResult></GetCallerIdentityResponse>")
    return Cassette((
        _xml_interaction("POST", "http://127.0.0.1:9/", "sts", identity,
                         "Action=GetCallerIdentity&Version=2011-06-15"),
        _xml_interaction("GET", "http://127.0.0.1:9/models?list-type=2&prefix=churn%2F", "s3",
                         listing),
    ))


def test_xml_bodies_are_diffed_member_by_member_and_each_interaction_names_its_operation(
        ) -> None:
    old = _s3_and_sts("STANDARD")
    new = _s3_and_sts("GLACIER", extra="<RestoreStatus2>x</RestoreStatus2>", arn="user/ci2")

    found = {(f.interaction, f.operation, f.path, f.kind) for f in diff_cassettes(old, new)}

    assert found == {
        (0, "sts:GetCallerIdentity", "$.Arn", "value-changed"),
        (1, "s3:ListObjectsV2", "$.Contents[0].StorageClass", "enum-value-new"),
        (1, "s3:ListObjectsV2", "$.Contents[0].RestoreStatus2", "member-added"),
    }
    assert diff_cassettes(old, _s3_and_sts("STANDARD")) == []


def test_each_s3_or_sts_request_is_identified_once_per_diff(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # identifying a non-JSON request (URI templates, the SigV4 scope) is the costly part of
    # pairing an S3 fleet: once per request, not again for its findings
    from replay.spec import operations

    seen: list[str] = []
    real = operations.identify_operation

    def counting(request: Any) -> Any:
        seen.append(request.uri)
        return real(request)

    monkeypatch.setattr(operations, "identify_operation", counting)
    monkeypatch.setattr("replay.drift.diff.identify_operation", counting)
    old = _s3_and_sts("STANDARD")
    new = Cassette((*_s3_and_sts("GLACIER").interactions,
                    _xml_interaction("GET", "http://127.0.0.1:9/other?list-type=2", "s3", "<x/>")))

    found = diff_cassettes(old, new)

    assert {(f.kind, f.operation) for f in found} >= {
        ("enum-value-new", "s3:ListObjectsV2"), ("interaction-added", "s3:ListObjectsV2")}
    assert len(seen) == len(old.interactions) + len(new.interactions)


@pytest.mark.parametrize(("service", "operation", "old", "new"), [
    ("s3", "GetObject", b'{"a": 1, "b": 2}', b'{"a": "one"}'),
    ("lambda", "Invoke", b'{"statusCode": 200, "score": 0.9}', b'{"statusCode": 500}'),
    ("s3", "GetObject", b'{"a": 1}', b"\x89PNG\r\n"),
])
def test_a_payload_the_api_hands_back_as_it_is_is_compared_as_bytes(
        service: str, operation: str, old: bytes, new: bytes) -> None:
    """An S3 object or a Lambda result is the user's own data, not the API's answer: its change
    is one info finding, never a member removed or a type changed."""
    model = operation_ref(service, operation).model
    before = Interaction(request(), RecordedResponse(200, "OK", {}, old))
    after = Interaction(request(), RecordedResponse(200, "OK", {}, new))
    assert [(f.kind, f.severity, f.path) for f in diff_interactions(before, after, None, model)] \
        == [("value-changed", Severity.INFO, "$")]
