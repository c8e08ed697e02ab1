"""aws-replay reads botocore's models without importing botocore.model (half of ``import boto3``):
its loader must find the same document as botocore's loader, and its model classes must show
every shape, member trait and operation exactly as botocore's own classes do."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.model
import pytest

from replay.core.errors import ConfigError, UnknownOperationError
from replay.protocols.requests import PROTOCOL_PREFERENCE, resolved_protocol
from replay.spec import modelfiles
from replay.spec.servicemodel import ServiceModel
from tests.support.models import thing_service

# every protocol, a service known under another signing name, one with renamed wire names
SERVICES = ["sagemaker", "s3", "sts", "lambda", "sqs", "cloudfront", "ec2", "iam",
            "sagemaker-runtime", "dynamodb"]


def _shape_view(shape: Any, depth: int = 2) -> dict[str, Any]:
    view: dict[str, Any] = {
        "class": type(shape).__name__, "name": shape.name, "type": shape.type_name,
        "serialization": shape.serialization, "metadata": shape.metadata,
        "required": list(shape.required_members), "documentation": shape.documentation,
        "event_stream_name": shape.event_stream_name,
        "enum": list(getattr(shape, "enum", []) or []),
    }
    if shape.type_name == "structure":
        view["error_code"] = shape.error_code
        view["document"] = shape.is_document_type
        view["union"] = shape.is_tagged_union
    if depth:
        if shape.type_name == "structure":
            view["members"] = {name: _shape_view(member, depth - 1)
                               for name, member in shape.members.items()}
        elif shape.type_name == "list":
            view["member"] = _shape_view(shape.member, depth - 1)
        elif shape.type_name == "map":
            view["key"] = _shape_view(shape.key, depth - 1)
            view["value"] = _shape_view(shape.value, depth - 1)
    return view


def _operation_view(operation: Any) -> dict[str, Any]:
    def shape(value: Any) -> Any:
        return None if value is None else _shape_view(value, 1)
    return {"name": operation.name, "wire_name": operation.wire_name, "http": operation.http,
            "metadata": operation.metadata, "documentation": operation.documentation,
            "input": shape(operation.input_shape), "output": shape(operation.output_shape),
            "errors": [shape(error) for error in operation.error_shapes]}


def _service_view(model: Any) -> dict[str, Any]:
    return {"service_name": model.service_name, "signing_name": model.signing_name,
            "endpoint_prefix": model.endpoint_prefix, "protocol": model.protocol,
            "resolved_protocol": model.resolved_protocol,
            "api_version": model.api_version, "operation_names": model.operation_names,
            "shape_names": model.shape_names, "documentation": model.documentation}


@pytest.fixture(scope="module")
def botocore_loader() -> Any:
    return botocore.loaders.create_loader()


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_is_the_one_botocore_loads(service: str, botocore_loader: Any) -> None:
    assert modelfiles.load_service_document(service) == \
        botocore_loader.load_service_model(service, "service-2")


def test_the_services_are_the_ones_botocore_lists(botocore_loader: Any) -> None:
    listed = set(botocore_loader.list_available_services("service-2"))
    assert modelfiles.available_services() == listed
    assert all(modelfiles.service_exists(service) for service in SERVICES)
    assert not modelfiles.service_exists("no-such-service")
    assert not modelfiles.service_exists("../sagemaker")


def test_the_version_is_botocore_s_own() -> None:
    assert modelfiles.botocore_version() == botocore.__version__


@pytest.mark.parametrize("service", SERVICES)
def test_every_shape_and_operation_reads_as_botocore_reads_it(service: str) -> None:
    document = modelfiles.load_service_document(service)
    ours, theirs = ServiceModel(document, service), botocore.model.ServiceModel(document, service)
    assert _service_view(ours) == _service_view(theirs)
    for name in theirs.shape_names:
        assert _shape_view(ours.shape_for(name)) == _shape_view(theirs.shape_for(name)), name
    for name in theirs.operation_names:
        assert _operation_view(ours.operation_model(name)) == \
            _operation_view(theirs.operation_model(name)), name


def test_member_traits_override_the_shape_s_own_for_that_member_only() -> None:
    shapes = {"DescribeThingResponse": {"type": "structure", "members": {
        "When": {"shape": "Stamp", "timestampFormat": "iso8601", "locationName": "when"},
        "Plain": {"shape": "Stamp"}}},
        "ThingName": {"type": "string"}, "Stamp": {"type": "timestamp"}}
    model = ServiceModel(thing_service(shapes), "things")
    output = model.operation_model("DescribeThing").output_shape
    assert output is not None
    assert output.members["When"].serialization == {"timestampFormat": "iso8601", "name": "when"}
    assert output.members["Plain"].serialization == {}


def _write(path: Path, document: dict[str, Any], *, gzipped: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(document).encode()
    if gzipped:
        Path(str(path) + ".json.gz").write_bytes(gzip.compress(data))
    else:
        Path(str(path) + ".json").write_bytes(data)


def test_a_model_in_aws_models_is_found_newest_version_first_with_its_extras(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / ".aws" / "models"
    old, new = thing_service({}), thing_service({})
    old["metadata"]["apiVersion"], new["metadata"]["apiVersion"] = "2019-01-01", "2020-01-01"
    _write(models / "things" / "2019-01-01" / "service-2", old)
    _write(models / "things" / "2020-01-01" / "service-2", new, gzipped=True)
    _write(models / "things" / "2020-01-01" / "service-2.sdk-extras",
           {"version": 1.0, "merge": {"metadata": {"serviceId": "Things Extra"}}})
    monkeypatch.setenv("HOME", str(tmp_path))
    modelfiles.forget()
    try:
        ours = modelfiles.load_service_document("things")
        theirs = botocore.loaders.Loader(extra_search_paths=[str(models)]).load_service_model(
            "things", "service-2")
        assert ours == theirs
        assert ours["metadata"]["apiVersion"] == "2020-01-01"
        assert ours["metadata"]["serviceId"] == "Things Extra"
        assert "things" in modelfiles.available_services()
    finally:
        modelfiles.forget()


def test_an_unknown_service_names_the_botocore_version() -> None:
    with pytest.raises(UnknownOperationError, match=rf"not known to botocore "
                                                    rf"{botocore.__version__}"):
        modelfiles.load_service_document("no-such-service")


def test_checking_a_cassette_never_imports_botocore(tmp_path: Path) -> None:
    cassette = Path(__file__).resolve().parents[2] / "cassettes" / "automl" / "completed-job.yaml"
    code = ("import sys, cli; sys.argv = ['aws-replay', 'check', sys.argv[1]]\n"
            "try:\n    cli.main()\nexcept SystemExit as exit:\n    code = exit.code\n"
            "print(code, sorted(m for m in sys.modules if m.split('.')[0] == 'botocore'))")
    done = subprocess.run([sys.executable, "-c", code, str(cassette)], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2], check=False)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stderr


def test_the_protocol_preference_is_botocore_s() -> None:
    from botocore.utils import PRIORITY_ORDERED_SUPPORTED_PROTOCOLS

    assert tuple(PRIORITY_ORDERED_SUPPORTED_PROTOCOLS) == PROTOCOL_PREFERENCE


def test_every_service_is_spoken_to_in_the_protocol_botocore_resolves() -> None:
    differing, seen = [], 0
    for service, metadata in modelfiles.each_service_metadata():
        expected = botocore.model.ServiceModel({"metadata": metadata}, service).resolved_protocol
        seen += 1
        if resolved_protocol(metadata) != expected:
            differing.append(service)
    assert seen > 300 and differing == []
    # CloudWatch lists smithy-rpc-v2-cbor first; botocore speaks JSON to it
    assert ServiceModel(modelfiles.load_service_document("cloudwatch")).resolved_protocol == \
        "json"


@pytest.mark.parametrize(("name", "content"), [
    ("service-2.json", b'{"metadata": '),
    ("service-2.json.gz", gzip.compress(b'{"metadata": {}}')[:12]),
], ids=["truncated-json", "truncated-gzip"])
def test_a_broken_model_file_is_a_clear_error_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: bytes) -> None:
    folder = tmp_path / ".aws" / "models" / "sagemaker" / "2099-01-01"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(content)
    monkeypatch.setenv("HOME", str(tmp_path))
    modelfiles.forget()
    try:
        with pytest.raises(ConfigError, match=rf"{name}: botocore's model file cannot be read"):
            modelfiles.load_service_document("sagemaker")
    finally:
        modelfiles.forget()
