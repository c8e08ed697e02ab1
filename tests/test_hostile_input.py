"""Hostile JSON bodies through every command: a finding or exit 2, never a traceback or a hang.

Each body sits in a cassette (as a response, and as a request) and goes through ``check``,
``diff``, ``scan``, ``sanitize`` (and ``--check``) as subprocesses with a hang guard, and to
``serve`` as requests and as the cassettes it loads. What a command may do with one: an
``invalid-json`` finding (check), a finding (diff), nothing to report (scan, sanitize), a 400
(serve), or exit 2 with one line on stderr. What it may never do: a traceback, exit 1 for a
crash, a 5xx, or change a file on disk.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import subprocess
import sys
from pathlib import Path

import pytest

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import write_cassette
from replay.serve.server import start_server

HANG_GUARD = 60  # seconds: a guard against a hang, not a timing expectation
TARGET = "SageMaker.DescribeAutoMLJob"

HOSTILE: dict[str, bytes] = {
    "deep-array": b"[" * 100_000 + b"]" * 100_000,
    "deep-object": b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
    "huge-integer": b'{"AutoMLJobName": ' + b"9" * 5_000 + b"}",
    "huge-negative": b'{"AutoMLJobName": -' + b"9" * 5_000 + b"}",
    "long-fraction": b'{"CreationTime": 1.' + b"5" * 5_000 + b"}",
    "nan": b'{"CreationTime": NaN}',
    "infinity": b'{"CreationTime": Infinity}',
    "minus-infinity": b'{"CreationTime": -Infinity}',
    "overflow": b'{"CreationTime": 1e999}',
    "duplicate-key": b'{"AutoMLJobName": "a", "AutoMLJobName": "b"}',
    "duplicate-nested": b'{"AutoMLJobArtifacts": {"CandidateDefinitionNotebookLocation": "s3://a",'
                        b' "CandidateDefinitionNotebookLocation": "s3://b"}}',
    "invalid-utf8": b'{"AutoMLJobName": "\xff\xfe"}',
    "overlong-utf8": b'{"AutoMLJobName": "\xc0\xaf"}',
    "bom": b'\xef\xbb\xbf{"AutoMLJobName": "a"}',
    "truncated": b'{"AutoMLJobName": "a", "AutoMLJobArn": ',
}
NAMES = sorted(HOSTILE)
URI = "https://api.sagemaker.us-east-1.amazonaws.com/"


def _interaction(response: bytes, request: str = '{"AutoMLJobName": "a"}') -> Interaction:
    return Interaction(
        RecordedRequest("POST", URI, {"X-Amz-Target": [TARGET],
                                      "Content-Type": ["application/x-amz-json-1.1"]}, request),
        RecordedResponse(200, "OK", {"Content-Type": ["application/x-amz-json-1.1"]}, response))


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``new/``: a cassette per hostile body (as the response to a plain request, then to
    itself as the request where it is text); ``old/``: the same names answering a plain job."""
    root = tmp_path_factory.mktemp("hostile")
    for name, body in HOSTILE.items():
        interactions = [_interaction(body)]
        with contextlib.suppress(UnicodeDecodeError):  # a recorded request is text
            interactions.append(_interaction(body, body.decode("utf-8")))
        write_cassette(root / "new" / f"{name}.yaml", Cassette(tuple(interactions)))
        write_cassette(root / "old" / f"{name}.yaml",
                       Cassette((_interaction(b'{"AutoMLJobName": "a"}'),)))
    return root / "old", root / "new"


def _snapshot(*folders: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for folder in folders for path in sorted(folder.rglob("*"))
            if path.is_file()}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([sys.executable, "-m", "replay.cli", *args], capture_output=True,
                         text=True, timeout=HANG_GUARD, cwd=cwd)
    assert "Traceback" not in run.stderr + run.stdout, run.stderr[-2000:]
    if run.returncode == 2:
        assert len(run.stderr.splitlines()) == 1, run.stderr
        assert run.stderr.startswith("aws-replay: error: ")
    return run


def _findings_by_file(report: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in json.loads(report)["findings"]:
        found.setdefault(Path(finding["cassette"]).stem, set()).add(finding["kind"])
    return found


def test_check_gives_an_invalid_json_finding_for_each(folders: tuple[Path, Path]) -> None:
    old, new = folders
    before = _snapshot(old, new)
    run = _run("check", "--format", "json", str(new), cwd=new.parent)
    assert run.returncode == 1, run.stderr
    found = _findings_by_file(run.stdout)
    assert {name: "invalid-json" in found.get(name, set()) for name in NAMES} == dict.fromkeys(
        NAMES, True)
    assert _snapshot(old, new) == before


def test_diff_gives_a_finding_for_each(folders: tuple[Path, Path]) -> None:
    old, new = folders
    before = _snapshot(old, new)
    run = _run("diff", "--format", "json", str(old), str(new), cwd=new.parent)
    assert run.returncode in (0, 1, 2), run.stderr
    if run.returncode != 2:
        found = _findings_by_file(run.stdout)
        assert {name: "type-changed" in found.get(name, set()) for name in NAMES} == \
            dict.fromkeys(NAMES, True)
    assert _snapshot(old, new) == before


@pytest.mark.parametrize("args", [("scan",), ("sanitize",), ("sanitize", "--check")],
                         ids=" ".join)
def test_scan_and_sanitize_change_nothing(folders: tuple[Path, Path],
                                          args: tuple[str, ...]) -> None:
    old, new = folders
    before = _snapshot(old, new)
    run = _run(*args, str(new), cwd=new.parent)
    assert run.returncode in (0, 2), (run.stdout[-2000:], run.stderr)
    assert _snapshot(old, new) == before


def test_serve_loads_them_and_answers_each_as_a_request_with_400(
        folders: tuple[Path, Path]) -> None:
    _, new = folders
    with start_server([new], log=lambda line: None) as server:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=HANG_GUARD)
        statuses = {}
        for name in NAMES:
            connection.request("POST", "/", body=HOSTILE[name],
                               headers={"X-Amz-Target": TARGET})
            response = connection.getresponse()
            answer = json.loads(response.read())
            statuses[name] = (response.status, answer["__type"])
        connection.close()
    expected = dict.fromkeys(NAMES, (400, "SerializationException"))
    assert statuses == expected


# ------------------------------------------------------------------- writes the OS refuses

DRIFTED = Path(__file__).resolve().parents[1] / "cassettes" / "drifted" / "drifted-job.yaml"


@pytest.mark.parametrize("args", [
    ("check", str(DRIFTED), "--output", "{blocked}/report.txt"),
    ("check", str(DRIFTED), "--format", "sarif", "--output", "{blocked}/report.sarif"),
    ("spec", "lock", "--output", "{blocked}/spec.lock.json"),
    ("accept", str(DRIFTED), "--reason", "known", "--baseline", "{blocked}/baseline.json"),
    ("serve", "--record-to", "{blocked}/recorded", "--upstream-region", "us-east-1"),
    ("scan", str(DRIFTED), "--output", "{blocked}/scan.txt"),
    ("demo", "--output", "{blocked}/demo"),
], ids=lambda args: " ".join(args[:2]))
def test_a_write_the_os_refuses_is_one_line_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    # A file where the folder should be: a real refusal even for root.
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    run = _run(*(arg.format(blocked=blocked) for arg in args), cwd=tmp_path)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert f"cannot write {blocked}/" in run.stderr
    assert "a file sits where a folder is expected" in run.stderr
    assert blocked.read_text() == "a file, not a folder"


def test_sanitize_past_the_file_size_limit_keeps_the_cassette(tmp_path: Path) -> None:
    import resource

    from tests.support.cassettes import full_body, write_job_cassette
    from tests.support.planted import rng_secret

    path = write_job_cassette(tmp_path / "job.yaml", [dict(
        full_body(), RoleArn=f"arn:aws:iam::{rng_secret('account', 3)}:role/x")])
    before = path.read_bytes()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    run = subprocess.run([sys.executable, "-m", "replay.cli", "sanitize", str(path)],
                         capture_output=True, text=True, timeout=HANG_GUARD, cwd=tmp_path,
                         preexec_fn=limit)
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines() == [
        f"aws-replay: error: cannot write {path}: File too large (EFBIG); the file is over the "
        "file-size limit (ulimit -f); raise the limit; nothing was changed there"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.yaml"]


@pytest.mark.parametrize("name", ["deep-array", "deep-object", "huge-integer", "nan", "truncated"])
@pytest.mark.parametrize("command", [("spec", "diff"), ("report", "merge")],
                         ids=["spec-diff", "report-merge"])
def test_a_hostile_lock_or_report_is_one_line_exit_2(tmp_path: Path, name: str,
                                                      command: tuple[str, ...]) -> None:
    """The files aws-replay writes and reads back (spec locks, JSON reports) are read with the
    same bounded parser as wire bodies: a file nested 100,000 deep is not a RecursionError."""
    hostile = tmp_path / "hostile.json"
    hostile.write_bytes(HOSTILE[name])
    run = _run(*command, str(hostile), str(hostile), cwd=tmp_path)
    assert run.returncode == 2
    assert str(hostile) in run.stderr
