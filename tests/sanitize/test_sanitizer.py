"""The sanitizer: every default rule, consistency, idempotency, format preservation, user rules."""

from __future__ import annotations

import base64
import io
import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.cassette.read import read_cassette
from replay.cassette.write import write_cassette
from replay.core.errors import ConfigError
from replay.sanitize.files import sanitize_paths
from replay.sanitize.rules import PLACEHOLDER_PATTERNS
from replay.sanitize.sanitizer import Sanitizer
from replay.spec.check import check_body
from replay.spec.operations import operation_from_name
from tests.support.planted import (
    ACCOUNT_CONTEXTS,
    access_keys,
    account_ids,
    bodies_with_a_planted_secret,
    rng_secret,
    session_tokens,
    signatures,
)

OPERATION = operation_from_name("DescribeAutoMLJob").model
SIGV4 = ("AWS4-HMAC-SHA256 Credential={key}/20261130/eu-west-1/sagemaker/aws4_request, "
         "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={sig}")
REAL_LOOKING_KEY = re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}")


def interaction(body: Any = None, *, headers: dict[str, list[str]] | None = None,
                response_headers: dict[str, list[str]] | None = None,
                uri: str = "https://api.sagemaker.us-east-1.amazonaws.com/",
                request_body: str = '{"AutoMLJobName": "job"}', status: int = 200) -> Interaction:
    raw = body if isinstance(body, bytes) else json.dumps(body if body is not None else {},
                                                          indent=2).encode()
    return Interaction(
        RecordedRequest("POST", uri, headers or {"X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]},
                        request_body),
        RecordedResponse(status, "OK", response_headers or {}, raw))


def with_account(text: str, account: str) -> str:
    """The fixture's placeholder account (not the KMS key ids ending alike) made real-looking."""
    return re.sub(r"(?<!8000-)000000000001", account, text)


def finding_keys(body: bytes | str) -> set[tuple[str, str]]:
    return {(f.path, f.kind) for f in check_body(OPERATION, body)}


# ------------------------------------------------------------------------ text rules


@pytest.mark.parametrize("template", ACCOUNT_CONTEXTS)
def test_account_ids_in_every_account_context_become_numbered_placeholders(template: str) -> None:
    account = rng_secret("account")
    text = template.format(account)
    clean = Sanitizer.default().sanitize_text(text)
    assert account not in clean
    assert clean == template.format("000000000001")


def test_same_account_same_placeholder_and_distinct_accounts_distinct_placeholders() -> None:
    first, second = rng_secret("account", 1), rng_secret("account", 2)
    sanitizer = Sanitizer.default()
    text = (f"arn:aws:iam::{first}:role/a arn:aws:iam::{second}:role/b "
            f"s3://sagemaker-us-east-1-{first}/x")
    assert sanitizer.sanitize_text(text) == ("arn:aws:iam::000000000001:role/a "
                                             "arn:aws:iam::000000000002:role/b "
                                             "s3://sagemaker-us-east-1-000000000001/x")
    # The scope spans calls: a later interaction reuses the same numbering.
    later = sanitizer.sanitize_text(f"arn:aws:iam::{second}:root")
    assert later == "arn:aws:iam::000000000002:root"


def test_aws_owned_image_registries_and_user_allowlist_are_kept() -> None:
    mine = rng_secret("account", 3)
    sanitizer = Sanitizer.from_settings({"sanitize": {"allow_account_ids": [mine]}})
    text = (f"683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1 "
            f"arn:aws:iam::{mine}:role/shared")
    assert sanitizer.sanitize_text(text) == text


def test_documentation_placeholder_accounts_are_not_allowlisted() -> None:
    # 123456789012 is the AWS docs' example account, common in fixtures but not AWS-owned.
    assert Sanitizer.default().sanitize_text("arn:aws:iam::123456789012:role/x") == \
        "arn:aws:iam::000000000001:role/x"


def test_credentials_are_replaced_with_obviously_fake_values() -> None:
    key, secret, token = (rng_secret("access-key"), rng_secret("secret-key"),
                          rng_secret("session-token"))
    clean = Sanitizer.default().sanitize_text(f"id={key} secret={secret} token={token}")
    assert clean == ("id=AKIAREDACTED00000001 secret=REDACTEDSECRETACCESSKEY00000000000000001 "
                     "token=REDACTEDSESSIONTOKEN00000001")
    assert not [k for k in REAL_LOOKING_KEY.findall(clean) if "REDACTED" not in k]


def test_tokens_with_runs_of_one_character_are_still_secrets() -> None:
    # base64 of binary data is full of "AAAAAAAA"; that must not pass for a placeholder.
    token = rng_secret("session-token")[:100] + "A" * 12 + rng_secret("session-token", 2)[16:]
    clean = Sanitizer.default().sanitize_text(f"token={token}")
    assert clean == "token=REDACTEDSESSIONTOKEN00000001"


def test_kms_and_network_ids_keep_their_shape() -> None:
    text = ("arn:aws:kms:us-east-1:000000000001:key/1a2b3c4d-aaaa-4bbb-8ccc-0123456789ab "
            '"VolumeKmsKeyId": "9f8e7d6c-aaaa-4bbb-8ccc-0123456789ab" '
            "sg-0a1b2c3d4e5f60718 subnet-0a1b2c3d vpc-0123456789abcdef0 "
            "mrk-0123456789abcdef0123456789abcdef")
    assert Sanitizer.default().sanitize_text(text) == (
        "arn:aws:kms:us-east-1:000000000001:key/00000000-0000-4000-8000-000000000001 "
        '"VolumeKmsKeyId": "00000000-0000-4000-8000-000000000002" '
        "sg-00000000000000001 subnet-00000001 vpc-00000000000000001 "
        "mrk-00000000000000000000000000000001")


def test_presigned_url_credentials_are_removed() -> None:
    key, sig = rng_secret("access-key"), rng_secret("signature")
    url = (f"https://bucket.s3.amazonaws.com/k?X-Amz-Credential={key}%2F20261130%2Fus-east-1"
           f"%2Fs3%2Faws4_request&X-Amz-Security-Token=IQo%2Bsecret&X-Amz-Signature={sig}")
    clean = Sanitizer.default().sanitize_text(url)
    assert key not in clean and sig not in clean and "IQo%2Bsecret" not in clean
    assert "X-Amz-Security-Token=REDACTED&" in clean
    assert clean.endswith("X-Amz-Signature=" + "0" * 64)


def test_words_hashes_and_timestamps_are_not_mistaken_for_secrets() -> None:
    text = ("SageMakerAutopilotCandidateDefinitionNotebook "
            "0123456789abcdef0123456789abcdef01234567 1795996800.123 "
            "churn-automl-2026-tr-003-1a2b3c4d job-20261101120000")
    assert Sanitizer.default().sanitize_text(text) == text


# ------------------------------------------------------------------------ headers


def test_request_headers_keep_the_credential_scope_and_lose_everything_volatile() -> None:
    key, sig = rng_secret("access-key"), rng_secret("signature")
    request = RecordedRequest("POST", "https://api.sagemaker.eu-west-1.amazonaws.com/", {
        "Authorization": [SIGV4.format(key=key, sig=sig)],
        "X-Amz-Security-Token": [rng_secret("session-token")],
        "X-Amz-Date": ["20261130T004512Z"],
        "amz-sdk-invocation-id": ["5a4e9a1c-0f1e-4f7a-9d55-3b2c1a0f9e8d"],
        "amz-sdk-request": ["attempt=2; max=5"],
        "User-Agent": ["Boto3/1.44.8 md/Botocore#1.44.8 os/linux#6.1 lang/python#3.11.9"],
        "Cookie": ["session=abc"],
        "X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
    }, '{"AutoMLJobName": "job"}')
    headers = Sanitizer.default().sanitize_request(request).headers
    assert headers == {
        "Authorization": [SIGV4.format(key="AKIAREDACTED00000001", sig="0" * 64)],
        "X-Amz-Date": ["20261130T000000Z"],
        "amz-sdk-invocation-id": ["00000000-0000-4000-8000-000000000000"],
        "amz-sdk-request": ["attempt=1; max=3"],
        "User-Agent": ["aws-replay/sanitized"],
        "X-Amz-Target": ["SageMaker.DescribeAutoMLJob"],
    }


def test_response_headers_are_stable_and_request_ids_numbered() -> None:
    sanitizer = Sanitizer.default()
    first = sanitizer.sanitize_response(RecordedResponse(200, "OK", {
        "x-amzn-RequestId": ["9b2f7c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"],
        "Date": ["Mon, 30 Nov 2026 00:45:12 GMT"], "Set-Cookie": ["a=b"]}, b"{}"))
    second = sanitizer.sanitize_response(RecordedResponse(200, "OK", {
        "x-amzn-RequestId": ["1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"]}, b"{}"))
    assert first.headers == {"x-amzn-RequestId": ["00000000-0000-4000-8000-000000000001"],
                             "Date": ["Thu, 01 Jan 2026 00:00:00 GMT"]}
    assert second.headers == {"x-amzn-RequestId": ["00000000-0000-4000-8000-000000000002"]}


def test_content_length_follows_a_body_that_changed_length() -> None:
    token = rng_secret("session-token")
    response = RecordedResponse(200, "OK", {"Content-Length": ["999"]},
                                json.dumps({"Environment": {"T": token}}).encode())
    clean = Sanitizer.default().sanitize_response(response)
    assert clean.headers["Content-Length"] == [str(len(clean.body))]


# ------------------------------------------------------------------------ bodies


def test_full_body_with_real_looking_values_is_sanitized_without_new_findings(
        full_body: dict[str, Any]) -> None:
    account = rng_secret("account", 7)
    text = json.dumps(full_body, indent=2).replace("00000000-0000-4000-8000-000000000001",
                                                   "3f1e2d4c-5b6a-4798-8a1b-2c3d4e5f6a7b")
    text = text.replace("000000000001", account)
    text = text.replace("sg-00000000000000001", "sg-0f1e2d3c4b5a69788")
    assert account in text and finding_keys(text) == set()
    clean = Sanitizer.default().sanitize_response(RecordedResponse(200, "OK", {}, text.encode()))
    body = clean.body.decode()
    assert account not in body and "3f1e2d4c" not in body and "0f1e2d3c4b5a69788" not in body
    assert finding_keys(body) == set()
    assert list(json.loads(body)) == list(full_body)  # key order as received
    assert "683313688378.dkr.ecr" in body  # the AWS-owned registry stays
    assert "1795996800.123" in body  # numbers are never re-serialized


def test_secret_behind_unicode_escapes_in_a_body_is_found() -> None:
    key = rng_secret("access-key")
    escaped = "".join(f"\\u{ord(c):04x}" for c in key)
    body = ('{"Environment": {"KEY": "' + escaped + '"}}').encode()
    clean = Sanitizer.default().sanitize_response(RecordedResponse(200, "OK", {}, body))
    assert key not in json.loads(clean.body)["Environment"]["KEY"]
    assert json.loads(clean.body)["Environment"]["KEY"] == "AKIAREDACTED00000001"


def test_non_json_and_non_utf8_bodies_are_sanitized_byte_for_byte_elsewhere() -> None:
    key = rng_secret("access-key")
    xml = f"<Error><Key>{key}</Key></Error>".encode()
    binary = b"\xff\xfe" + key.encode() + b"\x00\x01"
    sanitizer = Sanitizer.default()
    assert sanitizer.sanitize_response(RecordedResponse(400, "Bad", {}, xml)).body == \
        b"<Error><Key>AKIAREDACTED00000001</Key></Error>"
    assert sanitizer.sanitize_response(RecordedResponse(200, "OK", {}, binary)).body == \
        b"\xff\xfeAKIAREDACTED00000001\x00\x01"


# ------------------------------------------------------------------------ properties


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies_with_a_planted_secret())
def test_planted_secrets_never_survive_and_bodies_gain_no_findings(
        case: tuple[dict[str, Any], str]) -> None:
    body, secret = case
    raw = json.dumps(body, indent=2).encode()
    sanitizer = Sanitizer.default()
    clean = sanitizer.sanitize_interaction(interaction(raw))
    text = clean.response.body.decode()
    assert secret not in text
    assert finding_keys(text) <= finding_keys(raw)
    again = Sanitizer.default().sanitize_interaction(clean)
    assert again == clean


@settings(max_examples=40, deadline=None)
@given(key=access_keys, sig=signatures, token=session_tokens, account=account_ids,
       header=st.sampled_from(["X-Custom-Trace", "x-amz-meta-owner", "Location"]))
def test_planted_secrets_in_headers_and_urls_never_survive(key: str, sig: str, token: str,
                                                          account: str, header: str) -> None:
    uri = (f"https://sqs.us-east-1.amazonaws.com/{account}/q?X-Amz-Credential={key}%2Fscope"
           f"&X-Amz-Security-Token={token}&X-Amz-Signature={sig}")
    request = RecordedRequest("POST", uri, {
        "Authorization": [SIGV4.format(key=key, sig=sig)], "X-Amz-Security-Token": [token],
        header: [f"owner arn:aws:iam::{account}:user/x key {key}"]}, "{}")
    clean = Sanitizer.default().sanitize_request(request)
    dumped = json.dumps([clean.uri, clean.headers])
    for secret in (key, sig, token, account):
        assert secret not in dumped
    assert Sanitizer.default().sanitize_request(clean) == clean


# ------------------------------------------------------------------------ idempotency, reserve


def test_sanitizing_a_sanitized_cassette_changes_nothing(full_body: dict[str, Any]) -> None:
    account = rng_secret("account", 11)
    raw = with_account(json.dumps(full_body), account).encode()
    once = Sanitizer.default().sanitize_cassette(Cassette((interaction(raw),)))
    twice = Sanitizer.default().sanitize_cassette(once)
    assert twice == once


def test_existing_placeholders_are_reserved_so_new_values_do_not_collide() -> None:
    account = rng_secret("account", 12)
    cassette = Cassette((
        interaction({"RoleArn": f"arn:aws:iam::{account}:role/new"}),
        interaction({"RoleArn": "arn:aws:iam::000000000001:role/old"}),
    ))
    clean = Sanitizer.default().sanitize_cassette(cassette)
    assert json.loads(clean.interactions[0].response.body)["RoleArn"] == \
        "arn:aws:iam::000000000002:role/new"
    assert json.loads(clean.interactions[1].response.body)["RoleArn"] == \
        "arn:aws:iam::000000000001:role/old"


# ------------------------------------------------------------------------ user rules, meta


def test_user_patterns_json_paths_and_headers_apply() -> None:
    sanitizer = Sanitizer.from_settings({"sanitize": {
        "patterns": ["internal-[a-z]+", {"pattern": "ticket-\\d+", "replacement": "ticket-0"}],
        "json_paths": ["$.BestCandidate.CandidateName", "$.Tags[*].Value"],
        "headers": ["X-Team"],
    }})
    clean = sanitizer.sanitize_interaction(interaction(
        {"BestCandidate": {"CandidateName": "secret-name"}, "Tags": [{"Value": "a"}],
         "FailureReason": "see internal-wiki ticket-42"},
        headers={"X-Team": ["blue"], "X-Amz-Target": ["SageMaker.DescribeAutoMLJob"]}))
    body = json.loads(clean.response.body)
    assert body == {"BestCandidate": {"CandidateName": "REDACTED"}, "Tags": [{"Value": "REDACTED"}],
                    "FailureReason": "see REDACTED ticket-0"}
    assert clean.request.headers["X-Team"] == ["REDACTED"]


def test_json_paths_reach_any_depth_and_odd_keys() -> None:
    sanitizer = Sanitizer.from_settings({"sanitize": {
        "json_paths": ["$..Owner", "$.Environment['team-lead']"]}})
    clean = sanitizer.sanitize_interaction(interaction(
        {"A": [{"B": {"Owner": "alice"}}], "Owner": "bob",
         "Environment": {"team-lead": "carol", "team": "keep"}}))
    assert json.loads(clean.response.body) == {
        "A": [{"B": {"Owner": "REDACTED"}}], "Owner": "REDACTED",
        "Environment": {"team-lead": "REDACTED", "team": "keep"}}


def test_meta_names_rules_but_never_their_content() -> None:
    secret = rng_secret("secret-key")
    meta = Sanitizer.from_settings({"sanitize": {"patterns": [re.escape(secret)]}}).meta()
    assert meta["version"] == 1
    assert "account-id-in-arn" in meta["rules"] and "user-patterns(1)" in meta["rules"]
    assert secret not in json.dumps(meta)


@pytest.mark.parametrize(("table", "message"), [
    ({"colour": 1}, "[tool.aws-replay.sanitize] has unknown key(s) colour; known: patterns, "
                    "json_paths, headers, allow_account_ids"),
    ({"patterns": ["("]}, "[tool.aws-replay.sanitize] patterns[0] is not a valid regular "
                          "expression"),
    ({"patterns": "x"}, "[tool.aws-replay.sanitize] patterns must be a list"),
    ({"json_paths": ["$.A[x]"]}, "json_paths entry '$.A[x]': cannot read it from '[x]'"),
    ({"allow_account_ids": [12345]},
     "allow_account_ids entry '12345' is not a 12-digit account id"),
])
def test_bad_user_rules_are_config_errors_with_a_clear_message(table: dict[str, Any],
                                                               message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Sanitizer.from_settings({"sanitize": table})
    assert message in str(caught.value)


# ------------------------------------------------------------------------ files


def test_sanitize_paths_rewrites_once_then_is_clean_and_check_writes_nothing(
        tmp_path: Path, full_body: dict[str, Any]) -> None:
    account = rng_secret("account", 21)
    path = tmp_path / "job.yaml"
    raw = with_account(json.dumps(full_body), account).encode()
    write_cassette(path, Cassette((interaction(raw),)))
    before = path.read_bytes()
    checked = sanitize_paths([tmp_path], Sanitizer.default(), check=True)
    assert checked.changed == [path] and path.read_bytes() == before
    first = sanitize_paths([tmp_path], Sanitizer.default())
    assert first.changed == [path] and account not in path.read_text()
    after = path.read_bytes()
    second = sanitize_paths([tmp_path], Sanitizer.default())
    assert second.changed == [] and second.unchanged == [path]
    assert path.read_bytes() == after
    assert read_cassette(path).meta["sanitizer"]["version"] == 1


def test_sanitize_paths_keeps_a_json_cassette_json(tmp_path: Path) -> None:
    key = rng_secret("access-key", 5)
    path = tmp_path / "job.json"
    write_cassette(path, Cassette((interaction({"Environment": {"KEY": key}}),)))
    sanitize_paths([path], Sanitizer.default())
    document = json.loads(path.read_text())
    assert key not in path.read_text()
    body = json.loads(document["interactions"][0]["response"]["body"]["string"])
    assert body == {"Environment": {"KEY": "AKIAREDACTED00000001"}}


def _s3_get_object_with(response: RecordedResponse) -> bytes:
    """What boto3's get_object (checksum validation on, its default) reads from ``response``."""
    import boto3
    from botocore.awsrequest import AWSResponse

    class Raw(io.BytesIO):
        def stream(self, amt: int = 65536, decode_content: bool | None = None) -> Any:
            while chunk := self.read(amt):
                yield chunk

    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                      aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    headers = {name: values[0] for name, values in response.headers.items()}
    s3.meta.events.register_first(
        "before-send", lambda request, **_: AWSResponse(request.url, 200, headers,
                                                         Raw(response.body)))
    body: bytes = s3.get_object(Bucket="models", Key="ids.csv", ChecksumMode="ENABLED")[
        "Body"].read()
    return body


def test_a_body_changed_by_sanitizing_drops_the_checksums_clients_would_verify() -> None:
    body = b"customer,account\nc-1,987654321098\n"
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    recorded = RecordedResponse(200, "OK", {"Content-Type": ["text/csv"],
                                            "x-amz-checksum-crc32": [crc],
                                            "Content-Length": [str(len(body))]}, body)
    assert _s3_get_object_with(recorded) == body  # the checksum holds as recorded

    clean = Sanitizer.default().sanitize_response(recorded)
    assert b"987654321098" not in clean.body
    assert "x-amz-checksum-crc32" not in clean.headers
    assert _s3_get_object_with(clean) == clean.body  # would raise FlexibleChecksumError

    untouched = Sanitizer.default().sanitize_response(
        RecordedResponse(200, "OK", {"x-amz-checksum-crc32": [crc]}, b"no secrets here"))
    assert untouched.headers == {"x-amz-checksum-crc32": [crc]}


# the placeholder patterns as written with lookbehinds, which make re try every position
_LOOKBEHIND_PLACEHOLDERS = {
    "account": re.compile(r"(?<!\d)(?<!8000-)00000000\d{4}(?!\d)"),
    "ec2-{prefix}": re.compile(r"(?:sg|subnet|vpc)-0{4,16}\d{1,4}(?![\w-])"),
}


@given(st.lists(st.sampled_from([
    "0", "00000000", "0001", "000000000001", "00000000-0000-4000-8000-", "8000-", "-", " ",
    "sg-", "vpc-", "subnet-", "0000", "12", "x", "\u0663", ":", "arn:aws:iam::"]),
    max_size=25).map("".join))
@settings(max_examples=500, deadline=None)
def test_reserved_placeholders_are_those_the_lookbehind_patterns_find(text: str) -> None:
    for placeholders in PLACEHOLDER_PATTERNS:
        for category in placeholders.categories:
            if category in _LOOKBEHIND_PLACEHOLDERS:
                expected = set(_LOOKBEHIND_PLACEHOLDERS[category].findall(text))
                assert placeholders.values(text) == expected, category


@given(st.lists(st.lists(st.sampled_from([
    "arn:aws:iam::", ":role/x ", "s3://b-", "sagemaker-us-east-1-", "account: ", "/", '"',
    " ", "-", "000000000001", "000000000002", "123456789012", "210987654321", "763104351884",
    "8000-", "0000000000012", "\u0663"]), max_size=12).map("".join), min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_skipping_settled_account_rules_changes_neither_text_nor_numbering(
        texts: list[str]) -> None:
    # texts sanitized in turn by one sanitizer: with the shortcut, and with every rule applied
    class EveryRule(Sanitizer):
        def _accounts_settled(self, text: str) -> bool:
            return False

    fast, slow = Sanitizer.default(), EveryRule.default()
    fast.reserve(texts[:1])
    slow.reserve(texts[:1])
    for text in texts:
        assert fast.sanitize_text(text) == slow.sanitize_text(text)
    assert fast._used == slow._used and fast._mapping == slow._mapping
