"""The output gate's masking and the detectors it shares with the scanner."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.core.detectors import aws_owned_account_ids, detect
from replay.core.redaction import (
    RedactingStream,
    allowed_accounts,
    mask,
    redact,
    redact_value,
)
from tests.support.planted import (
    TEXT_CONTEXTS,
    access_keys,
    account_ids,
    rng_secret,
    secret_keys,
    session_tokens,
    signatures,
)


def test_masks_look_like_scans() -> None:
    key, account = rng_secret("access-key", 1), rng_secret("account", 1)
    assert mask(key) == key[:4] + "*" * 16
    assert mask(account) == account[:4] + "********"
    secret = rng_secret("secret-key", 1)
    assert mask(secret) == f"{secret[:4]}{'*' * 12}...(40 chars)"


ACCOUNT_RUNS = [
    ("acct{}", True),                       # letters around it
    ("acct{}x", True),
    ("build-{}-run", True),
    ("arn:aws-cn:iam::{}:role/x", True),
    ("arn:aws-us-gov:sagemaker:us-gov-west-1:{}:automl-job/x", True),
    ("{}.dkr.ecr.us-east-1.amazonaws.com/x", True),
    ("s3://sagemaker-us-east-1-{}/x", True),
    ('{{"AccountId": {}}}', True),
    ("build-{}5-run", False),               # 13 digits: not an account
    ("7{}", False),
    ("0.{}", False),                        # a metric value's fraction
    ("{}.5", False),
    ("9f3c2a1b-1d2e-4f5a-8b9c-{}", False),  # the last group of a UUID
]


@pytest.mark.parametrize(("template", "is_account"), ACCOUNT_RUNS,
                         ids=[t for t, _ in ACCOUNT_RUNS])
def test_a_12_digit_run_is_an_account_id_unless_it_is_part_of_a_number(
        template: str, is_account: bool) -> None:
    account = rng_secret("account", 2)
    text = template.format(account)
    assert (account in [d.value for d in detect(text)]) == is_account
    assert (account not in redact(text)) == is_account


def test_placeholders_and_aws_owned_accounts_pass_unchanged() -> None:
    owned = sorted(aws_owned_account_ids())[0]
    text = (f"arn:aws:iam::000000000001:role/x AKIAREDACTED00000001 "
            f"REDACTEDSECRETACCESSKEY00000000000000001 {owned}.dkr.ecr.us-east-1.amazonaws.com "
            f"Signature={'0' * 64} AKIAIOSFODNN7EXAMPLE")
    assert redact(text) == text


@settings(max_examples=60)
@given(secret=st.one_of(access_keys, secret_keys, session_tokens, account_ids.map(
           lambda a: f"acct{a}"), signatures.map(lambda s: f"Signature={s}")),
       context=st.sampled_from(TEXT_CONTEXTS))
def test_no_detector_value_survives_and_masking_is_idempotent(secret: str, context: str) -> None:
    text = context.format(secret)
    value = secret.removeprefix("acct").removeprefix("Signature=")
    once = redact(text)
    assert value not in once
    assert redact(once) == once


def test_values_and_streams_are_masked() -> None:
    key = rng_secret("access-key", 4)
    assert redact_value({key: [key, 1, None, {"k": key}]}) == {
        mask(key): [mask(key), 1, None, {"k": mask(key)}]}
    sink = io.StringIO()
    stream = RedactingStream(sink)
    assert stream.write(f"found {key}\n") == len(f"found {key}\n")
    stream.writelines([f"{key}\n"])
    assert sink.getvalue() == f"found {mask(key)}\n{mask(key)}\n"
    assert stream.getvalue() == sink.getvalue()  # everything else is the wrapped stream's


def test_the_project_s_allowed_account_ids_pass_the_gate_as_they_pass_the_sanitizer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    allowed, other = rng_secret("account", 1), rng_secret("account", 2)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.aws-replay.sanitize]\nallow_account_ids = ["{allowed}"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    allowed_accounts.cache_clear()
    text = f"arn:aws:s3:::data-{allowed} and arn:aws:iam::{other}:role/x"
    assert redact(text) == f"arn:aws:s3:::data-{allowed} and arn:aws:iam::{other[:4]}" \
                           f"********:role/x"


def test_a_pyproject_that_cannot_be_read_allows_nothing_more(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.aws-replay\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    allowed_accounts.cache_clear()
    account = rng_secret("account", 3)
    assert account not in redact(f"acct {account}")
