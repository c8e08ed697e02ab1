"""Every way ``aws-replay record`` can fail is one line on stderr and exit 2, never a traceback.

No credentials, an unreachable endpoint, refused credentials, an endpoint that refuses
ListAutoMLJobs (``--all`` against ``aws-replay serve`` of cassettes), throttling past the
retries, and the OS refusing the write (a name too long, a file where the folder should be).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from replay.cli.app import main
from replay.serve.server import start_server
from tests.support.stub_sagemaker import StubSageMaker

CASSETTE = Path(__file__).resolve().parents[2] / "cassettes" / "automl" / "completed-job.yaml"


def _record(*args: str) -> Result:
    return CliRunner().invoke(main, ["record", *args])


def _one_line_exit_2(result: Result) -> str:
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aws-replay: error: ")
    return lines[0]


def test_all_against_an_endpoint_that_refuses_listing(aws_env: None, tmp_path: Path) -> None:
    with start_server([CASSETTE]) as server:
        line = _one_line_exit_2(_record("--all", "--endpoint-url", server.url,
                                        "--cassette-dir", str(tmp_path)))
    assert (f"listing AutoML jobs: {server.url} refused ListAutoMLJobs "
            "(NoMatchingInteraction); --all needs an endpoint that lists jobs") in line
    assert list(tmp_path.iterdir()) == []


class _Refusing(StubSageMaker):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code

    def answer(self, target: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 400, {"__type": self.code, "message": "refused for account 123456789012"}


@pytest.mark.parametrize(("code", "expected"), [
    ("AccessDeniedException", "AWS rejected the credentials (AccessDeniedException)"),
    ("ThrottlingException", "kept throttling the requests (ThrottlingException) after retries"),
])
def test_refusals_are_one_line(aws_env: None, tmp_path: Path, code: str, expected: str) -> None:
    with _Refusing(code) as stub:
        line = _one_line_exit_2(_record("my-job", "--endpoint-url", stub.url,
                                        "--cassette-dir", str(tmp_path)))
    assert expected in line
    assert "123456789012" not in line
    assert list(tmp_path.iterdir()) == []


def test_no_credentials_is_one_line(no_aws_env: Path, tmp_path: Path) -> None:
    line = _one_line_exit_2(_record("my-job", "--region", "us-east-1",
                                    "--cassette-dir", str(tmp_path)))
    assert "the AWS configuration could not be read (Unable to parse config file" in line


def test_an_unreachable_endpoint_is_one_line(aws_env: None, tmp_path: Path) -> None:
    line = _one_line_exit_2(_record("my-job", "--endpoint-url", "http://127.0.0.1:1",
                                    "--cassette-dir", str(tmp_path)))
    assert "cannot reach http://127.0.0.1:1 (EndpointConnectionError)" in line


def test_a_job_name_too_long_for_the_file_system(aws_env: None, tmp_path: Path,
                                                 stub_sagemaker: StubSageMaker) -> None:
    name = "j" * 300
    line = _one_line_exit_2(_record(name, "--endpoint-url", stub_sagemaker.url,
                                    "--cassette-dir", str(tmp_path)))
    assert f"cannot write {tmp_path / name}.yaml: File name too long (ENAMETOOLONG)" in line
    assert "use a shorter name" in line
    assert list(tmp_path.iterdir()) == []


def test_a_file_where_the_cassette_folder_should_be(aws_env: None, tmp_path: Path,
                                                    stub_sagemaker: StubSageMaker) -> None:
    blocker = tmp_path / "cassettes"
    blocker.write_text("a file, not a folder")
    line = _one_line_exit_2(_record("my-job", "--endpoint-url", stub_sagemaker.url,
                                    "--cassette-dir", str(blocker / "automl")))
    assert f"cannot write {blocker / 'automl' / 'my-job.yaml'}" in line
    assert "a file sits where a folder is expected" in line
    assert blocker.read_text() == "a file, not a folder"


def test_no_credentials_anywhere_is_one_line(no_aws_env: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (no_aws_env / ".aws" / "config").write_text("")
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    line = _one_line_exit_2(_record("my-job", "--region", "us-east-1",
                                    "--cassette-dir", str(tmp_path)))
    assert "no AWS credentials found" in line
