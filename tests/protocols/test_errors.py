"""Each protocol's error shape (replay/protocols/errors.py), read back by botocore's own parsers:
what a client raises is what the document says."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser
from defusedxml import ElementTree

from replay.protocols.errors import PROTOCOLS, error_document, guess_protocol, xml_text

NASTY = 'no match for <Key>a&b</Key> "quoted" \x00\x1b end'


def parsed_error(protocol: str, code: str, message: str) -> dict[str, Any]:
    document = error_document(protocol, code, message, "req-1")
    headers = HeadersDict(document.headers)  # case-insensitive, as botocore reads them
    response = {"status_code": 400, "headers": headers, "body": document.body}
    parsed: dict[str, Any] = create_parser(protocol).parse(response, None)
    return parsed


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_botocore_reads_the_code_and_message_of_every_protocol(protocol: str) -> None:
    parsed = parsed_error(protocol, "NoMatchingInteraction", "closest recorded: interaction 2")

    assert parsed["Error"]["Code"] == "NoMatchingInteraction"
    assert parsed["Error"]["Message"] == "closest recorded: interaction 2"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_markup_and_control_characters_in_a_message_arrive_readable(protocol: str) -> None:
    parsed = parsed_error(protocol, "NoMatchingInteraction", NASTY)

    expected = NASTY if protocol in ("json", "rest-json") else NASTY.replace(
        "\x00", "?").replace("\x1b", "?")
    assert parsed["Error"]["Message"] == expected


@pytest.mark.parametrize(("protocol", "root", "content_type"), [
    ("rest-xml", "Error", "text/xml"),
    ("query", "ErrorResponse", "text/xml"),
    ("ec2", "Response", "text/xml"),
])
def test_xml_shapes_are_well_formed_with_a_request_id(protocol: str, root: str,
                                                      content_type: str) -> None:
    document = error_document(protocol, "Code", NASTY, "req-1")

    parsed = ElementTree.fromstring(document.body)
    assert parsed.tag == root
    assert dict(document.headers)["Content-Type"] == content_type
    ids = [element.text for element in parsed.iter() if element.tag in ("RequestId", "RequestID")]
    assert ids == ["req-1"]


def test_query_errors_are_the_senders_fault() -> None:
    parsed = ElementTree.fromstring(error_document("query", "InvalidAction", "m", "r").body)

    assert parsed.findtext("Error/Type") == "Sender"


def test_json_shapes_name_the_code_in_a_header() -> None:
    assert dict(error_document("json", "Bad", "m", "r").headers)["X-Amzn-ErrorType"] == "Bad"
    rest = error_document("rest-json", "Bad", "m", "r")
    assert dict(rest.headers)["x-amzn-ErrorType"] == "Bad"
    assert rest.body == b'{"message": "m"}'


def test_an_unknown_protocol_answers_in_the_json_shape() -> None:
    assert error_document("smithy-rpc-v2-cbor", "Bad", "m", "r") == \
        error_document("json", "Bad", "m", "r")


def test_xml_text_escapes_markup_and_drops_what_xml_cannot_hold() -> None:
    assert xml_text("a<b>&c\x00\ud800d\x09") == "a&lt;b&gt;&amp;c??d\x09"


S3_SCOPE = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/us-east-1/s3/"
            "aws4_request, SignedHeaders=host, Signature=0")


@pytest.mark.parametrize(("headers", "body", "protocol"), [
    ({"x-amz-target": "SageMaker.DescribeAutoMLJob"}, b"{}", "json"),
    ({}, b"Action=GetCallerIdentity&Version=2011-06-15", "query"),
    ({"content-type": "application/x-www-form-urlencoded; charset=utf-8"}, b"", "query"),
    ({"authorization": S3_SCOPE}, b"", "rest-xml"),
    ({"authorization": S3_SCOPE}, b"<Tagging/>", "rest-xml"),
    ({"authorization": S3_SCOPE.replace("/s3/", "/lambda/")}, b"", "json"),
    ({}, b'{"Action": "x"}', "json"),
    ({}, b"", "json"),
])
def test_the_protocol_of_a_request_of_no_known_service_is_guessed_from_the_request(
        headers: dict[str, str], body: bytes, protocol: str) -> None:
    assert guess_protocol(headers, body) == protocol
