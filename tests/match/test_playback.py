"""Matching and playback: operation + parsed params, sequences, and misses that explain."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from replay.cassette.model import Cassette, Interaction, RecordedRequest, RecordedResponse
from replay.match.matchers import aws_operation, aws_params, key_of, params_diff
from replay.match.playback import Playback

TARGET = "SageMaker.DescribeAutoMLJob"


def interaction(params: dict[str, object], status: str, target: str = TARGET) -> Interaction:
    return Interaction(
        RecordedRequest("POST", "https://api.sagemaker.us-east-1.amazonaws.com/",
                        {"X-Amz-Target": [target]}, json.dumps(params)),
        RecordedResponse(200, "OK", {}, json.dumps({"AutoMLJobSecondaryStatus": status}).encode()))


LIFECYCLE = Cassette((
    interaction({"AutoMLJobName": "a"}, "Starting"),
    interaction({"AutoMLJobName": "b"}, "Completed"),
    interaction({"AutoMLJobName": "a"}, "TrainingModels"),
    interaction({"AutoMLJobName": "a"}, "Completed"),
    interaction({"MaxResults": 10}, "-", target="SageMaker.ListAutoMLJobs"),
), path=None)


def status(playback: Playback, body: str) -> str | None:
    hit = playback.play(key_of(TARGET, body))
    return None if hit is None else hit.interaction.response.json()["AutoMLJobSecondaryStatus"]


def test_sequences_play_in_order_then_stay_on_the_last() -> None:
    playback = Playback(LIFECYCLE)
    assert [status(playback, '{"AutoMLJobName": "a"}') for _ in range(5)] == [
        "Starting", "TrainingModels", "Completed", "Completed", "Completed"]
    assert status(playback, '{"AutoMLJobName":"b"}') == "Completed"
    assert [index for _, index in playback.unused()] == [4]
    assert playback.play_counts == [[1, 1, 1, 3, 0]]


def test_key_order_and_whitespace_do_not_matter_but_values_do() -> None:
    assert key_of(TARGET, '{"A": 1, "B": [1, 2]}') == key_of(TARGET, b'{"B":[1,2],"A":1}')
    assert key_of(TARGET, '{"A": 1}') != key_of(TARGET, '{"A": "1"}')
    assert key_of(TARGET, "") == key_of(TARGET, "{}")


def test_uri_is_ignored_unless_host_matching_is_asked_for() -> None:
    near = key_of(TARGET, "{}", "https://api.sagemaker.eu-west-1.amazonaws.com/")
    far = key_of(TARGET, "{}", "http://127.0.0.1:9/")
    assert near == far
    assert key_of(TARGET, "{}", "http://127.0.0.1:9/", match_host=True) != key_of(
        TARGET, "{}", "http://localhost:9/", match_host=True)


def test_a_miss_names_the_closest_recorded_requests_with_a_field_diff() -> None:
    playback = Playback(LIFECYCLE)
    key = key_of(TARGET, '{"AutoMLJobName": "c"}')
    assert playback.play(key) is None
    assert playback.explain_miss(key, limit=2) == (
        'no recorded interaction in <memory> matches SageMaker.DescribeAutoMLJob '
        '{"AutoMLJobName":"c"}\n'
        '  closest: interaction 0: SageMaker.DescribeAutoMLJob {"AutoMLJobName":"a"}\n'
        '    - $.AutoMLJobName: recorded "a", request has "c"\n'
        '  closest: interaction 1: SageMaker.DescribeAutoMLJob {"AutoMLJobName":"b"}\n'
        '    - $.AutoMLJobName: recorded "b", request has "c"')


def test_params_diff_reports_missing_extra_and_changed_fields() -> None:
    assert params_diff({"A": 1, "B": {"C": [1, 2]}}, {"B": {"C": [1, 3]}, "D": True}) == [
        "$.A: recorded 1, request has none",
        "$.B.C[1]: recorded 2, request has 3",
        "$.D: request has true, recorded none",
    ]


def vcr_request(target: str, body: bytes) -> SimpleNamespace:
    return SimpleNamespace(method="POST", uri="https://api.sagemaker.us-east-1.amazonaws.com/",
                           headers={"X-Amz-Target": target}, body=body)


def s3_request(method: str, path: str) -> SimpleNamespace:
    auth = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/s3/"
            "aws4_request, SignedHeaders=host, Signature=" + "0" * 64)
    return SimpleNamespace(method=method, uri=f"http://127.0.0.1:9{path}",
                           headers={"Authorization": auth}, body=None)


def test_vcr_matchers_understand_s3_requests() -> None:
    recorded = s3_request("GET", "/models/churn/v1.tar.gz")
    aws_operation(s3_request("GET", "/models/churn/v2.tar.gz"), recorded)
    with pytest.raises(AssertionError, match=r'\$.Key: recorded "churn/v1.tar.gz", request has '
                                             r'"churn/v2.tar.gz"'):
        aws_params(s3_request("GET", "/models/churn/v2.tar.gz"), recorded)
    with pytest.raises(AssertionError, match=r"s3\.HeadObject != s3\.GetObject"):
        aws_operation(s3_request("HEAD", "/models/churn/v1.tar.gz"), recorded)


def test_vcr_matchers_raise_with_a_readable_difference() -> None:
    live = vcr_request(TARGET, b'{"AutoMLJobName": "x"}')
    recorded = vcr_request(TARGET, b'{"AutoMLJobName": "y"}')
    aws_operation(live, recorded)
    with pytest.raises(AssertionError, match=r'\$.AutoMLJobName: recorded "y", request has "x"'):
        aws_params(live, recorded)
    with pytest.raises(AssertionError, match=r"SageMaker\.ListAutoMLJobs != SageMaker\.Describe"):
        aws_operation(vcr_request("SageMaker.ListAutoMLJobs", b"{}"), recorded)
    aws_params(vcr_request(TARGET, b'{"B": 1, "A": 2}'), vcr_request(TARGET, b'{"A":2,"B":1}'))
