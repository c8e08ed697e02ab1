"""Property: an XML body serialized from botocore's own output shape, which botocore's own
parser reads back member for member, checks clean."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from botocore.model import Shape
from botocore.parsers import create_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay.spec.check import check_body
from replay.spec.operations import operation_ref
from tests.support.models import botocore_output

TEXT = st.text(alphabet="abcXYZ019-_./ &<>'\"é", min_size=1, max_size=8)


def values(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``shape`` within its constraints (optional members with patterns left out)."""
    kind = shape.type_name
    if kind == "structure":
        required = {name: values(shape.members[name], depth + 1)
                    for name in shape.required_members}
        optional = {name: values(member, depth + 1) for name, member in shape.members.items()
                    if not member.serialization.get("location") and depth < 6
                    and not member.metadata.get("pattern") and name not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "list":
        low = max(1, shape.metadata.get("min", 0))
        return st.lists(values(shape.member, depth + 1), min_size=low, max_size=max(low, 2))
    if kind == "map":
        return st.dictionaries(TEXT, values(shape.value, depth + 1), min_size=1, max_size=2)
    if kind == "string":
        if shape.enum:
            return st.sampled_from(shape.enum)
        low, high = shape.metadata.get("min", 1), shape.metadata.get("max", 8)
        return st.text(alphabet="abcXYZ019-_./ &<>'\"é", min_size=low, max_size=max(low, high))
    if kind in ("integer", "long"):
        return st.integers(int(shape.metadata.get("min", -1000)),
                           int(shape.metadata.get("max", 10**6)))
    if kind in ("float", "double"):
        return st.floats(shape.metadata.get("min", -1e6), shape.metadata.get("max", 1e6))
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    if kind == "blob":
        return st.binary(max_size=6).map(lambda b: base64.b64encode(b).decode())
    raise AssertionError(kind)


def xml(value: Any, shape: Shape, name: str) -> str:
    """``value`` of ``shape`` as the element ``name``, by botocore's XML rules."""
    kind = shape.type_name
    if kind == "structure":
        attributes, children = "", list[str]()
        for member_name, item in value.items():
            member = shape.members[member_name]
            serialized = member.serialization.get("name", member_name)
            if member.serialization.get("xmlAttribute"):
                attributes += f" {serialized}={quoteattr(str(item))}"
            elif member.type_name == "list" and member.serialization.get("flattened"):
                each = member.member.serialization.get("name", serialized)
                children.extend(xml(one, member.member, each) for one in item)
            else:
                children.append(xml(item, member, serialized))
        return f"<{name}{attributes}>{''.join(children)}</{name}>"
    if kind == "list":
        each = shape.member.serialization.get("name", "member")
        return f"<{name}>{''.join(xml(one, shape.member, each) for one in value)}</{name}>"
    if kind == "map":
        entries = "".join(f"<entry><key>{escape(k)}</key>{xml(v, shape.value, 'value')}</entry>"
                          for k, v in value.items())
        return f"<{name}>{entries}</{name}>"
    text = str(value).lower() if kind == "boolean" else repr(value) if kind in (
        "float", "double") else str(value)
    return f"<{name}>{escape(text)}</{name}>"


def envelope(service: str, operation: str, inner: str) -> str:
    ref = operation_ref(service, operation)
    output = ref.model.output_shape
    if ref.protocol == "query" and output is not None:
        wrapper = output.serialization["resultWrapper"]
        return (f"<{operation}Response xmlns='urn:x'>" + inner.replace(
            "<__root>", f"<{wrapper}>").replace("</__root>", f"</{wrapper}>") +
            f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{operation}Response>")
    if ref.protocol == "ec2":
        body = inner.removeprefix("<__root>").removesuffix("</__root>")
        return f"<{operation}Response><requestId>r</requestId>{body}</{operation}Response>"
    return inner.replace("<__root>", "<Result xmlns:xsi="
                         "'http://www.w3.org/2001/XMLSchema-instance'>").replace(
        "</__root>", "</Result>")


def round_trip(service: str, operation: str, data: st.DataObject) -> None:
    ref = operation_ref(service, operation)
    shape = ref.model.output_shape
    value = data.draw(values(shape))
    if ref.protocol == "query" and not value:
        value = {}
    body = envelope(service, operation, xml(value, shape, "__root")).encode()
    parsed = create_parser(ref.protocol).parse(
        {"body": body, "headers": {}, "status_code": 200}, botocore_output(service, operation))
    parsed.pop("ResponseMetadata", None)
    assert sorted(parsed) == sorted(value)  # botocore reads every member we wrote
    assert check_body(ref.model, body) == []


@pytest.mark.parametrize(("service", "operation"), [
    ("s3", "ListObjectsV2"), ("s3", "GetBucketAcl"), ("sts", "GetCallerIdentity"),
    ("ec2", "DescribeInstances")], ids=lambda name: name)
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_bodies_drawn_from_the_model_check_clean_and_botocore_reads_them(
        service: str, operation: str, data: st.DataObject) -> None:
    round_trip(service, operation, data)
