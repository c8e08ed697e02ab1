"""The leak scanner: plain text, !!binary, base64, URL-encoding, JSON escapes; what is clean."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.write import dump_cassette
from replay.core.errors import CassetteError, CassetteNotFoundError
from replay.sanitize.sanitizer import Sanitizer
from replay.sanitize.scan import Leak, _a_line_has_odd_quotes, scan_file, scan_paths, scan_text
from tests.support.planted import (
    access_keys,
    account_ids,
    bodies_with_a_planted_secret,
    rng_secret,
    secret_keys,
    session_tokens,
)

HEAD = "interactions:\n- request:\n    method: POST\n    uri: https://x/\n"
TAIL = ("  response:\n    status: {code: 200, message: OK}\n    headers: {}\n"
        "    body: {string: '{}'}\nversion: 1\n")


def cassette_text(headers: str = "    headers: {}\n", body: str = "'{}'") -> str:
    return f"{HEAD}{headers}    body: {body}\n{TAIL}"


def leaks_of(text: str) -> list[tuple[int, str, str]]:
    return [(leak.line, leak.kind, leak.value)
            for leak in scan_text(text, Path("c.yaml"), Sanitizer.default())]


def test_plain_credentials_and_accounts_are_reported_with_their_line() -> None:
    key, account = rng_secret("access-key"), rng_secret("account")
    text = cassette_text(body=f"'{{\"RoleArn\": \"arn:aws:iam::{account}:role/x\", "
                              f"\"Key\": \"{key}\"}}'")
    assert leaks_of(text) == [(6, "access-key-id", key), (6, "account-id", account)]


def test_binary_headers_are_decoded_and_reported_on_the_tag_line() -> None:
    key, sig = rng_secret("access-key"), rng_secret("signature")
    auth = (f"AWS4-HMAC-SHA256 Credential={key}/20261130/us-east-1/sagemaker/aws4_request, "
            f"SignedHeaders=host, Signature={sig}")
    encoded = base64.b64encode(auth.encode()).decode()
    block = "\n".join(f"        {encoded[i:i + 76]}" for i in range(0, len(encoded), 76))
    headers = f"    headers:\n      Authorization:\n      - !!binary |\n{block}\n"
    found = scan_text(cassette_text(headers=headers), Path("c.yaml"), Sanitizer.default())
    assert [(f.line, f.kind, f.decoded_from) for f in found] == [
        (7, "access-key-id", "!!binary"), (7, "sigv4-signature", "!!binary")]


def test_base64_url_encoding_and_json_escapes_are_seen_through() -> None:
    key, token, account = (rng_secret("access-key", 1), rng_secret("session-token", 1),
                           rng_secret("account", 1))
    hidden_b64 = base64.b64encode(f"creds {key} end".encode()).decode()
    hidden_url = urllib.parse.quote(f"?token={token}", safe="")
    escaped = "".join(f"\\u{ord(c):04x}" for c in f'"AccountId": "{account}"')
    text = cassette_text(body=f'"b64 {hidden_b64} url {hidden_url} esc {escaped}"')
    kinds = {(kind, value) for _, kind, value in leaks_of(text)}
    assert ("access-key-id", key) in kinds
    assert ("session-token", token) in kinds
    assert ("account-id", account) in kinds


def test_security_token_and_cookie_headers_are_leaks_whatever_their_value() -> None:
    headers = ("    headers:\n      X-Amz-Security-Token:\n      - plain-value\n"
               "      Cookie: [a=b]\n")
    kinds = [kind for _, kind, _ in leaks_of(cassette_text(headers=headers))]
    assert kinds == ["session-token", "cookie"]


def test_placeholders_allowlisted_and_documentation_values_are_clean() -> None:
    text = cassette_text(
        headers=("    headers:\n      Authorization:\n      - AWS4-HMAC-SHA256 Credential="
                 "AKIAIOSFODNN7EXAMPLE/20261130/us-east-1/sagemaker/aws4_request, "
                 f"SignedHeaders=host, Signature={'0' * 64}\n"
                 "      X-Amz-Security-Token: REDACTED\n"),
        body=("'{\"Image\": \"683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1\", "
              "\"RoleArn\": \"arn:aws:iam::000000000001:role/x\", "
              "\"Key\": \"AKIAREDACTED00000001\", "
              "\"Secret\": \"REDACTEDSECRETACCESSKEY00000000000000001\"}'"))
    assert leaks_of(text) == []


def test_the_output_never_shows_a_whole_secret() -> None:
    token = rng_secret("session-token")
    leak = Leak(Path("c.yaml"), 3, "session-token", token)
    assert token not in leak.describe()
    assert leak.describe() == f"c.yaml:3: session-token: IQoJ{'*' * 12}...({len(token)} chars)"
    key = rng_secret("access-key")
    assert Leak(Path("c.yaml"), 1, "access-key-id", key).redacted == key[:4] + "*" * 16
    finding = Leak(Path("c.yaml"), 9, "access-key-id", key).to_finding()
    assert key not in json.dumps(finding.to_dict())
    assert (finding.cassette, finding.path, finding.severity.value) == ("c.yaml", "line 9",
                                                                         "breaking")


@settings(max_examples=40, deadline=None)
@given(secret=st.one_of(access_keys, secret_keys, session_tokens,
                        account_ids.map(lambda a: f"arn:aws:iam::{a}:role/x")),
       encoding=st.sampled_from(["plain", "base64", "url", "json-escape"]))
def test_every_planted_secret_is_found_in_every_encoding(secret: str, encoding: str) -> None:
    carried = f" {secret} "
    if encoding == "base64":
        carried = base64.b64encode(carried.encode()).decode()
    elif encoding == "url":
        carried = urllib.parse.quote(carried, safe="")
    elif encoding == "json-escape":
        carried = "".join(f"\\u{ord(c):04x}" for c in carried)
    found = scan_text(cassette_text(body=f'"x {carried} y"'), Path("c.yaml"),
                      Sanitizer.default())
    value = secret.split(":")[4] if secret.startswith("arn:") else secret
    assert value in {leak.value for leak in found}


@settings(max_examples=30, deadline=None)
@given(bodies_with_a_planted_secret())
def test_scanner_and_sanitizer_agree(case: tuple[dict[str, Any], str]) -> None:
    body, secret = case
    cassette = Cassette((Interaction(
        RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                        {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]}, "{}"),
        RecordedResponse(200, "OK", {}, json.dumps(body).encode())),))
    before = scan_text(dump_cassette(cassette), Path("c.yaml"), Sanitizer.default())
    assert secret in {leak.value for leak in before}
    clean = Sanitizer.default().sanitize_cassette(cassette)
    assert scan_text(dump_cassette(clean), Path("c.yaml"), Sanitizer.default()) == []


# ------------------------------------------------------------------------ files, bad input


def test_scan_paths_walks_folders_and_counts_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.yaml").write_text(cassette_text())
    (tmp_path / "two.yaml").write_text(cassette_text(
        body=f"'{{\"Key\": \"{rng_secret('access-key')}\"}}'"))
    run = scan_paths([tmp_path], Sanitizer.default())
    assert run.files == 2
    assert [(leak.path.name, leak.kind) for leak in run.leaks] == [("two.yaml", "access-key-id")]
    assert run.summary()["total"] == 1


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"interactions: [\n", "is not valid YAML"),
    (b"\xff\xfe\x00", "is not UTF-8 text"),
    (b"just: a mapping\n", "is not a cassette (no top-level 'interactions' list)"),
    (b"interactions:\n- request: {uri: x}\n", "lacks a request or a response mapping"),
])
def test_corrupt_cassettes_are_bad_input(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(CassetteError) as caught:
        scan_file(path, Sanitizer.default())
    assert message in str(caught.value)


def test_missing_paths_and_empty_folders_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError):
        scan_paths([tmp_path / "absent"], Sanitizer.default())
    with pytest.raises(CassetteError, match="no cassette files found"):
        scan_paths([tmp_path], Sanitizer.default())


@given(st.lists(st.sampled_from(['"', "'", "a", " ", "\n", "\\", "é", ":"]), max_size=40)
       .map("".join))
@settings(max_examples=400, deadline=None)
def test_a_line_with_an_odd_number_of_double_quotes_is_found_in_any_text(text: str) -> None:
    expected = any(line.count('"') % 2 for line in text.split("\n"))
    assert _a_line_has_odd_quotes(text) == expected
    assert _a_line_has_odd_quotes(text.replace("é", "e")) == expected  # the ASCII path too
