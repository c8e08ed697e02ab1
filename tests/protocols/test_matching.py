"""Property tests: for each protocol, a request matches its own recording, and a one-field
change misses with a diff that names the field."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay.match.matchers import key_diff, key_of_operation, key_of_recorded
from tests.protocols.conftest import SendFn

NAMES = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=20)
KEYS = st.text(string.ascii_letters + string.digits + "/-_. ~+=é", min_size=1, max_size=40) \
    .filter(lambda key: not key.startswith("/") and "//" not in key
            and not {".", ".."} & set(key.split("/")))
BUCKETS = st.from_regex(r"[a-z0-9][a-z0-9-]{2,20}[a-z0-9]", fullmatch=True)
COUNTS = st.integers(min_value=1, max_value=1000)
BLOBS = st.binary(min_size=1, max_size=2048)

# (service, operation, strategy of parameters, the member a one-field change alters, new value)
OPERATIONS: list[tuple[str, str, Any, str, Any]] = [
    ("sagemaker", "DescribeAutoMLJob", st.fixed_dictionaries({"AutoMLJobName": NAMES}),
     "AutoMLJobName", "another-job"),
    ("s3", "GetObject", st.fixed_dictionaries({"Bucket": BUCKETS, "Key": KEYS}),
     "Key", "another/key"),
    ("s3", "ListObjectsV2", st.fixed_dictionaries({"Bucket": BUCKETS, "Prefix": KEYS,
                                                   "MaxKeys": COUNTS}), "MaxKeys", 1001),
    ("s3", "PutObject", st.fixed_dictionaries({"Bucket": BUCKETS, "Key": KEYS, "Body": BLOBS}),
     "Body", b"another body"),
    ("sts", "GetAccessKeyInfo",
     st.fixed_dictionaries({"AccessKeyId": st.from_regex(r"ASIA[A-Z2-7]{16}", fullmatch=True)}),
     "AccessKeyId", "ASIAQ2VSVTJ3KEXAMPLE"),
    ("iam", "ListRoles", st.fixed_dictionaries({"PathPrefix": st.just("/"),
                                                "MaxItems": COUNTS}), "MaxItems", 1001),
    ("ec2", "DescribeInstances",
     st.fixed_dictionaries({"InstanceIds": st.lists(
         st.from_regex(r"i-[0-9a-f]{8,17}", fullmatch=True), min_size=1, max_size=3)}),
     "InstanceIds", ["i-0123456789abcdef0", "i-0fedcba987654321f", "i-000", "i-001"]),
    ("lambda", "GetFunction", st.fixed_dictionaries({"FunctionName": NAMES,
                                                     "Qualifier": st.just("$LATEST")}),
     "Qualifier", "7"),
    ("lambda", "ListFunctions", st.fixed_dictionaries({"MaxItems": COUNTS}), "MaxItems", 1001),
]

# ec2 and iam put lists and numbers on the wire as numbered form fields: the diff names them
WIRE_FIELDS = {"InstanceIds": "InstanceId.", "MaxItems": "MaxItems", "MaxKeys": "MaxKeys"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_protocol_matches_its_recording_and_names_a_changed_field(
        send: SendFn, data: st.DataObject) -> None:
    service, operation, strategy, field, other = data.draw(st.sampled_from(OPERATIONS))
    params = data.draw(strategy)
    sent = send(service, operation, **params)
    recorded = key_of_recorded(sent.recorded)
    assert recorded == key_of_operation(sent.operation, sent.wire)
    assert recorded.target.endswith(f".{operation}")

    changed = send(service, operation, **dict(params, **{field: other}))
    live = key_of_operation(changed.operation, changed.wire)
    assert live != recorded
    differences = key_diff(recorded, live)
    named = WIRE_FIELDS.get(field, field)
    assert any(line.startswith(f"$.{named}") for line in differences), differences
