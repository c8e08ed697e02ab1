"""Fake secrets for sanitizer and scanner tests, built at run time.

Nothing credential-shaped is written in the source: values are drawn from hypothesis strategies
or from a seeded random generator when a test runs.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from replay.core.detectors import aws_owned_account_ids, is_placeholder_secret
from replay.synth.jobs import synthetic_response

UPPER_DIGITS = string.ascii_uppercase + string.digits
BASE64_CHARS = string.ascii_letters + string.digits + "/+"


def _not_fake(value: str) -> bool:
    return not is_placeholder_secret(value)


access_keys = st.builds(lambda prefix, rest: prefix + rest,
                        st.sampled_from(["AKIA", "ASIA", "AROA"]),
                        st.text(UPPER_DIGITS, min_size=16, max_size=16)).filter(_not_fake)
account_ids = st.from_regex(r"[1-9][0-9]{11}", fullmatch=True).filter(
    lambda a: a not in aws_owned_account_ids())
secret_keys = st.builds(lambda body, pos: body[:pos] + "aZ7" + body[pos:],
                        st.text(BASE64_CHARS, min_size=37, max_size=37),
                        st.integers(0, 37)).filter(_not_fake)
session_tokens = st.builds(lambda rest: "IQoJb3JpZ2luX2Vj" + rest,
                           st.text(BASE64_CHARS, min_size=80, max_size=400)).filter(_not_fake)
signatures = st.text("0123456789abcdef", min_size=64, max_size=64).filter(
    lambda s: s != "0" * 64 and _not_fake(s))

# Where a secret can sit in a body, header or URL: (template, kind). ``{}`` is the secret.
ACCOUNT_CONTEXTS: tuple[str, ...] = (
    "arn:aws:iam::{}:role/service-role/Example",
    "arn:aws:sagemaker:us-east-1:{}:automl-job/x",
    "s3://sagemaker-us-east-1-{}/prefix/data.csv",
    "{}.dkr.ecr.us-west-2.amazonaws.com/custom:1",
    '{{"AccountId": "{}"}}',
    "https://sqs.us-east-1.amazonaws.com/{}/queue",
)
TEXT_CONTEXTS: tuple[str, ...] = ("{}", "key={}", "prefix {} suffix", '{{"nested": "{}"}}',
                                  "line one\nvalue: {}\n")


def rng_secret(kind: str, seed: int = 0) -> str:
    """One fake secret of ``kind`` (access-key, account, secret-key, session-token)."""
    rng = random.Random(f"{kind}/{seed}")
    if kind == "access-key":
        return "AKIA" + "".join(rng.choices(UPPER_DIGITS, k=16))
    if kind == "account":
        while True:
            value = str(rng.randint(10**11, 10**12 - 1))
            if value not in aws_owned_account_ids():
                return value
    if kind == "secret-key":
        return "".join(rng.choices(BASE64_CHARS, k=37)) + "aZ7"
    if kind == "session-token":
        return "IQoJb3JpZ2luX2Vj" + "".join(rng.choices(BASE64_CHARS, k=300))
    if kind == "signature":
        return "".join(rng.choices("0123456789abcdef", k=64))
    raise ValueError(kind)


def string_paths(node: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a string leaf of a JSON value."""
    if isinstance(node, str):
        return [trail]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in string_paths(v, (*trail, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in string_paths(v, (*trail, i))]
    return []


def update_at(node: Any, trail: tuple[Any, ...], change: Callable[[str], str]) -> None:
    """Replace the string at ``trail`` with ``change(old)``, in place."""
    *parents, last = trail
    for step in parents:
        node = node[step]
    node[last] = change(node[last])


@st.composite
def bodies_with_a_planted_secret(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    name = draw(st.sampled_from(["completed", "failed", "deploying", "training", "candidates",
                                 "stopped"])) + "-" + draw(st.from_regex(r"[a-z0-9]{1,12}",
                                                                        fullmatch=True))
    body = json.loads(json.dumps(synthetic_response(name)[1]))
    kind = draw(st.sampled_from(["account", "access-key", "secret-key", "session-token"]))
    if kind == "account":
        secret = draw(account_ids)
        planted = draw(st.sampled_from(ACCOUNT_CONTEXTS)).format(secret)
    else:
        secret = draw({"access-key": access_keys, "secret-key": secret_keys,
                       "session-token": session_tokens}[kind])
        planted = draw(st.sampled_from(TEXT_CONTEXTS)).format(secret)
    paths = string_paths(body)
    target = draw(st.sampled_from(paths))
    mode = draw(st.sampled_from(["replace", "append"]))
    update_at(body, target, lambda old: planted if mode == "replace" else f"{old} {planted}")
    return body, secret
