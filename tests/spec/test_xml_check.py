"""The spec checker on XML protocols: S3 (rest-xml), STS and IAM (query), EC2 (ec2)."""

from __future__ import annotations

import time

import pytest
from botocore.model import OperationModel

from replay.core.findings import Finding
from replay.spec.check import check_body
from replay.spec.operations import operation_ref
from replay.spec.xmlbody import XmlBodyError, parse_xml_body

S3_NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def op(service: str, name: str) -> OperationModel:
    return operation_ref(service, name).model


def found(operation: OperationModel, body: str | bytes, status: int = 200,
          headers: dict[str, list[str]] | None = None) -> list[tuple[str, str, str]]:
    raw = body.encode() if isinstance(body, str) else body
    return [(f.kind, f.severity.value, f.path)
            for f in check_body(operation, raw, status, headers)]


def s3_object(key: str = "data/a.csv", storage: str = "STANDARD", extra: str = "") -> str:
    return (f"<Contents><Key>{key}</Key><LastModified>2024-05-01T10:11:12.000Z</LastModified>"
            "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>"
            "<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT"
            f"</ChecksumType><Size>4096</Size><StorageClass>{storage}</StorageClass>{extra}"
            "</Contents>")


def list_objects(*contents: str, key_count: str = "2", tail: str = "") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<ListBucketResult {S3_NS}><Name>my-bucket</Name><Prefix>data/</Prefix>"
            f"<KeyCount>{key_count}</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
            f"<IsTruncated>false</IsTruncated>{''.join(contents)}"
            "<CommonPrefixes><Prefix>data/raw/</Prefix></CommonPrefixes>"
            "<CommonPrefixes><Prefix>data/tmp/</Prefix></CommonPrefixes>"
            f"<EncodingType>url</EncodingType>{tail}</ListBucketResult>")


CLEAN_LIST = list_objects(s3_object(), s3_object("data/b.csv", "GLACIER_IR"))

CALLER_IDENTITY = """<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>"""


def describe_instances(placement_extra: str = "") -> str:
    return f"""<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1234567890abcdef0</reservationId>
      <ownerId>123456789012</ownerId>
      <groupSet/>
      <instancesSet>
        <item>
          <instanceId>i-1234567890abcdef0</instanceId>
          <imageId>ami-bff32ccc</imageId>
          <instanceState><code>16</code><name>running</name></instanceState>
          <privateDnsName>ip-192-168-1-88.eu-west-1.compute.internal</privateDnsName>
          <dnsName>ec2-54-194-252-215.eu-west-1.compute.amazonaws.com</dnsName>
          <reason/>
          <keyName>my_keypair</keyName>
          <amiLaunchIndex>0</amiLaunchIndex>
          <productCodes/>
          <instanceType>t2.micro</instanceType>
          <launchTime>2018-05-08T16:46:19.000Z</launchTime>
          <placement>
            <availabilityZone>eu-west-1c</availabilityZone>
            <groupName/>
            <tenancy>default</tenancy>{placement_extra}
          </placement>
          <monitoring><state>disabled</state></monitoring>
          <subnetId>subnet-56f5f633</subnetId>
          <vpcId>vpc-11112222</vpcId>
          <privateIpAddress>192.168.1.88</privateIpAddress>
          <ipAddress>54.194.252.215</ipAddress>
          <sourceDestCheck>true</sourceDestCheck>
          <groupSet>
            <item><groupId>sg-e4076980</groupId><groupName>SecurityGroup1</groupName></item>
          </groupSet>
          <architecture>x86_64</architecture>
          <rootDeviceType>ebs</rootDeviceType>
          <rootDeviceName>/dev/xvda</rootDeviceName>
          <blockDeviceMapping>
            <item>
              <deviceName>/dev/xvda</deviceName>
              <ebs>
                <volumeId>vol-1234567890abcdef0</volumeId>
                <status>attached</status>
                <attachTime>2015-12-22T10:44:09.000Z</attachTime>
                <deleteOnTermination>true</deleteOnTermination>
              </ebs>
            </item>
          </blockDeviceMapping>
          <virtualizationType>hvm</virtualizationType>
          <tagSet>
            <item><key>Name</key><value>Server_1</value></item>
          </tagSet>
          <hypervisor>xen</hypervisor>
          <ebsOptimized>false</ebsOptimized>
          <enaSupport>true</enaSupport>
          <cpuOptions><coreCount>1</coreCount><threadsPerCore>1</threadsPerCore></cpuOptions>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>"""


LIST_ROLES = """<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListRolesResult>
    <IsTruncated>false</IsTruncated>
    <Roles>
      <member>
        <Path>/application_abc/component_xyz/</Path>
        <Arn>arn:aws:iam::123456789012:role/application_abc/component_xyz/S3Access</Arn>
        <RoleName>S3Access</RoleName>
        <CreateDate>2012-05-09T15:45:35Z</CreateDate>
        <RoleId>AROADBQP57FF2AEXAMPLE</RoleId>
        <MaxSessionDuration>3600</MaxSessionDuration>
      </member>
    </Roles>
  </ListRolesResult>
  <ResponseMetadata><RequestId>20f7279f-99ee-11e1-a4c3-27EXAMPLE804</RequestId></ResponseMetadata>
</ListRolesResponse>"""

# ------------------------------------------------------------------------- clean bodies


@pytest.mark.parametrize(("service", "name", "body"), [
    ("s3", "ListObjectsV2", CLEAN_LIST),
    ("sts", "GetCallerIdentity", CALLER_IDENTITY),
    ("ec2", "DescribeInstances", describe_instances()),
    ("iam", "ListRoles", LIST_ROLES),
], ids=["s3-list-objects-v2", "sts-get-caller-identity", "ec2-describe-instances",
        "iam-list-roles"])
def test_real_shaped_bodies_check_clean(service: str, name: str, body: str) -> None:
    assert found(op(service, name), body) == []


# ------------------------------------------------------------------------ what is found


def test_unknown_element_deep_inside_ec2_is_one_unknown_member_at_its_member_path() -> None:
    findings = check_body(op("ec2", "DescribeInstances"),
                          describe_instances("<hostRing>7</hostRing>").encode())
    assert [(f.kind, f.severity.value, f.path, f.actual) for f in findings] == [
        ("unknown-member", "additive", "$.Reservations[0].Instances[0].Placement.hostRing", "7")]
    assert "not in the model of Placement" in findings[0].message


def test_unknown_element_in_a_flattened_s3_list_item() -> None:
    body = list_objects(s3_object(), s3_object("b", extra="<Tier>hot</Tier>"))
    assert found(op("s3", "ListObjectsV2"), body) == [
        ("unknown-member", "additive", "$.Contents[1].Tier")]


def test_wrong_enum_is_found_at_the_flattened_item() -> None:
    body = list_objects(s3_object(), s3_object("b", storage="ULTRA_COLD"))
    findings = check_body(op("s3", "ListObjectsV2"), body.encode())
    assert [(f.kind, f.path, f.actual) for f in findings] == [
        ("enum", "$.Contents[1].StorageClass", "ULTRA_COLD")]


def test_non_integer_text_is_a_type_finding() -> None:
    assert found(op("s3", "ListObjectsV2"), list_objects(s3_object(), key_count="two")) == [
        ("type", "breaking", "$.KeyCount")]


def test_bad_timestamp_and_boolean_text() -> None:
    body = list_objects(s3_object().replace("2024-05-01T10:11:12.000Z", "yesterday"))
    body = body.replace("<IsTruncated>false", "<IsTruncated>no")
    assert sorted(found(op("s3", "ListObjectsV2"), body)) == [
        ("timestamp-format", "breaking", "$.Contents[0].LastModified"),
        ("type", "breaking", "$.IsTruncated")]


def test_flattened_list_of_one_is_a_list_and_a_repeated_single_member_is_found() -> None:
    single = list_objects(s3_object(), key_count="1")
    assert found(op("s3", "ListObjectsV2"), single) == []
    twice = single.replace("<Name>my-bucket</Name>", "<Name>a</Name><Name>b</Name>")
    assert found(op("s3", "ListObjectsV2"), twice) == [("type", "breaking", "$.Name")]


def test_query_list_items_must_be_member_elements() -> None:
    body = LIST_ROLES.replace("<member>", "<role>").replace("</member>", "</role>")
    assert found(op("iam", "ListRoles"), body) == [("unknown-member", "additive", "$.Roles.role")]


def test_query_result_wrapper_and_its_siblings() -> None:
    beside = CALLER_IDENTITY.replace("<ResponseMetadata>", "<Debug>1</Debug><ResponseMetadata>")
    assert found(op("sts", "GetCallerIdentity"), beside) == [
        ("unknown-member", "additive", "$.Debug")]
    unwrapped = ('<GetCallerIdentityResponse><Arn>x</Arn>'
                 "<ResponseMetadata/></GetCallerIdentityResponse>")
    kinds = found(op("sts", "GetCallerIdentity"), unwrapped)
    assert ("missing-required", "breaking", "$") in kinds


def test_unknown_element_inside_the_query_result() -> None:
    body = CALLER_IDENTITY.replace("<Account>", "<Partition>aws</Partition><Account>")
    assert found(op("sts", "GetCallerIdentity"), body) == [
        ("unknown-member", "additive", "$.Partition")]


def test_non_flattened_map_entries() -> None:
    body = ("<GetTopicAttributesResponse><GetTopicAttributesResult><Attributes>"
            "<entry><key>Owner</key><value>123456789012</value></entry>"
            "<entry><key>DisplayName</key><value>alerts</value></entry>"
            "</Attributes></GetTopicAttributesResult><ResponseMetadata/>"
            "</GetTopicAttributesResponse>")
    assert found(op("sns", "GetTopicAttributes"), body) == []
    wrong = body.replace("<entry><key>Owner", "<pair><key>Owner").replace(
        "123456789012</value></entry>", "123456789012</value></pair>")
    assert found(op("sns", "GetTopicAttributes"), wrong) == [
        ("unknown-member", "additive", "$.Attributes.pair")]


def test_xml_attribute_members_and_their_enum() -> None:
    acl = (f'<AccessControlPolicy {S3_NS}><Owner><ID>abc</ID></Owner><AccessControlList>'
           '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:type="CanonicalUser"><ID>abc</ID></Grantee><Permission>FULL_CONTROL'
           "</Permission></Grant></AccessControlList></AccessControlPolicy>")
    assert found(op("s3", "GetObjectAcl"), acl) == []
    bad = acl.replace('xsi:type="CanonicalUser"', 'xsi:type="Robot"')
    assert found(op("s3", "GetObjectAcl"), bad) == [
        ("enum", "breaking", "$.Grants[0].Grantee.Type")]


def test_structure_payload_is_the_root_and_string_payload_the_text() -> None:
    retention = (f"<Retention {S3_NS}><Mode>FOREVER</Mode>"
                 "<RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>")
    assert found(op("s3", "GetObjectRetention"), retention) == [
        ("enum", "breaking", "$.Retention.Mode")]
    assert found(op("s3", "GetBucketPolicy"), '{"Version": "2012-10-17"}') == []


def test_header_bound_members_of_rest_xml_are_checked_from_headers() -> None:
    headers = {"x-amz-request-charged": ["everyone"]}
    assert found(op("s3", "ListObjectsV2"), CLEAN_LIST, 200, headers) == [
        ("enum", "breaking", "$.RequestCharged")]


# ------------------------------------------------------------------ binary payloads


def test_get_object_binary_body_is_not_checked_but_its_headers_are() -> None:
    headers = {"Content-Length": ["11"], "Content-Type": ["application/octet-stream"],
               "Last-Modified": ["Wed, 21 Oct 2015 07:28:00 GMT"], "ETag": ['"abc"'],
               "x-amz-meta-owner": ["team-a"], "Accept-Ranges": ["bytes"]}
    body = b"\x89PNG\r\n\x1a\n\x00\xff<"
    assert found(op("s3", "GetObject"), body, 200, headers) == []
    broken = dict(headers, **{"Last-Modified": ["last week"], "x-amz-mp-parts-count": ["x"],
                              "x-amz-delete-marker": ["maybe"]})
    assert sorted(found(op("s3", "GetObject"), body, 200, broken)) == [
        ("timestamp-format", "breaking", "$.LastModified"),
        ("type", "breaking", "$.DeleteMarker"), ("type", "breaking", "$.PartsCount")]


def test_gzip_encoded_xml_is_one_unchecked_finding() -> None:
    findings = check_body(op("s3", "ListObjectsV2"), b"\x1f\x8b\x08\x00", 200,
                          {"Content-Encoding": ["gzip"]})
    assert [(f.kind, f.severity.value) for f in findings] == [("unchecked", "info")]


# --------------------------------------------------------------------------- errors


def test_s3_no_such_key_is_a_modelled_error() -> None:
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
            "<Message>The specified key does not exist.</Message><Key>a.csv</Key>"
            "<RequestId>4442587FB7D0A2F9</RequestId><HostId>abc=</HostId></Error>")
    assert found(op("s3", "GetObject"), body, 404) == []


def test_unmodelled_xml_error_codes_per_protocol() -> None:
    s3 = found(op("s3", "ListObjectsV2"), "<Error><Code>BucketOnFire</Code></Error>", 500)
    assert s3 == [("unknown-error", "breaking", "$")]
    query = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
             "<Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>bad</Message>"
             "</Error><RequestId>1</RequestId></ErrorResponse>")
    assert found(op("sts", "GetCallerIdentity"), query, 403) == [("unknown-error", "info", "$")]
    ec2 = ("<Response><Errors><Error><Code>InvalidInstanceID.Malformed</Code>"
           "<Message>bad</Message></Error></Errors><RequestID>1</RequestID></Response>")
    findings = check_body(op("ec2", "DescribeInstances"), ec2.encode(), 400)
    assert [(f.kind, f.severity.value, f.actual) for f in findings] == [
        ("unknown-error", "breaking", "InvalidInstanceID.Malformed")]


def test_error_without_a_code_and_head_without_a_body() -> None:
    assert found(op("s3", "ListObjectsV2"), "<Error><Message>x</Message></Error>", 400) == [
        ("unknown-error", "breaking", "$")]
    assert found(op("s3", "HeadObject"), b"", 404) == []


def test_s3_error_inside_a_200_is_checked_as_an_error() -> None:
    body = "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
    assert found(op("s3", "CopyObject"), body, 200) == [("unknown-error", "breaking", "$")]


# --------------------------------------------------------------------- hostile bodies

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ListBucketResult><Name>&lol9;</Name></ListBucketResult>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ListBucketResult><Name>&xxe;</Name></ListBucketResult>"""


@pytest.mark.parametrize(("body", "reason"), [
    (CLEAN_LIST.encode()[:180], "not well-formed"),
    (BILLION_LAUGHS, "DTD"),
    (EXTERNAL_ENTITY, "DTD"),
    (b"<a>" * 300 + b"</a>" * 300, "nested deeper"),
    (b'{"Contents": []}', "looks like JSON"),
    (b"\xff\xfe<\x00a\x00", "not well-formed"),
], ids=["truncated", "billion-laughs", "external-entity", "deep", "json", "garbage"])
def test_hostile_or_wrong_bodies_are_one_invalid_xml_finding_fast(body: bytes,
                                                                  reason: str) -> None:
    start = time.perf_counter()
    findings = check_body(op("s3", "ListObjectsV2"), body)
    assert time.perf_counter() - start < 1
    assert [(f.kind, f.severity.value, f.path) for f in findings] == [
        ("invalid-xml", "breaking", "$")]
    assert reason in findings[0].message


def test_xml_where_json_is_expected_is_invalid_json() -> None:
    findings = check_body(op("sagemaker", "DescribeAutoMLJob"), CALLER_IDENTITY.encode())
    assert [f.kind for f in findings] == ["invalid-json"]


def test_parse_xml_body_refuses_over_the_size_limit() -> None:
    with pytest.raises(XmlBodyError, match="over the 10-byte limit"):
        parse_xml_body(b"<a>0123456789</a>", max_bytes=10)


def test_findings_are_plain_findings() -> None:
    findings = check_body(op("s3", "ListObjectsV2"),
                          list_objects(s3_object(storage="X")).encode())
    assert all(isinstance(f, Finding) for f in findings)
    assert findings[0].to_dict()["path"] == "$.Contents[0].StorageClass"
