"""From a recorded request to (service, operation, region, protocol), via botocore's model.

AWS JSON protocol requests are all ``POST /``: the operation is in ``X-Amz-Target``
(``SageMaker.DescribeAutoMLJob``), the service in the target prefix (matched against each
service's ``targetPrefix`` metadata), the region in the host or in the SigV4 credential scope.

Example::

    ref = identify_operation(interaction.request)
    ref.service, ref.operation, ref.region   # ('sagemaker', 'DescribeAutoMLJob', 'us-east-1')
    ref.model                                 # its OperationModel (replay.spec.servicemodel)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from replay.cassette.model import RecordedRequest
from replay.core.errors import UnknownOperationError
from replay.protocols.requests import operation_in_service, operation_target, protocol_of
from replay.protocols.wire import WireRequest, credential_scope
from replay.spec.modelfiles import (
    botocore_version,
    each_service_metadata,
    load_service_document,
    service_exists,
)
from replay.spec.servicemodel import OperationModel, ServiceModel

# Target prefixes whose service name is not simply the prefix lower-cased; found by a full scan
# otherwise. SageMaker is the first-class case and CloudWatch (a pipeline's metrics) a common
# one, so neither pays for a scan.
_KNOWN_TARGET_PREFIXES = {"SageMaker": "sagemaker", "GraniteServiceVersion20100801": "cloudwatch"}

_REGION_IN_HOST = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com")


@dataclass(frozen=True)
class OperationRef:
    """An operation of a botocore service model, as named by a recorded request."""

    service: str
    operation: str
    region: str | None
    protocol: str

    @property
    def model(self) -> OperationModel:
        return service_model(self.service).operation_model(self.operation)

    @property
    def target(self) -> str:
        return operation_target(self.model)

    def __str__(self) -> str:
        return f"{self.service}:{self.operation}"


def service_data(service: str) -> dict[str, Any]:
    """botocore's raw model document (``service-2``) of ``service``; treat it as read-only."""
    return load_service_document(service)


@functools.cache
def service_model(service: str) -> ServiceModel:
    """The installed botocore's model of ``service`` (``sagemaker``), loaded once per process
    (read by :mod:`replay.spec.modelfiles`, seen through :mod:`replay.spec.servicemodel`)."""
    return ServiceModel(service_data(service), service_name=service)


@functools.cache
def _target_prefix_index() -> dict[str, str]:
    """targetPrefix -> service name for every JSON-protocol service (slow; rarely needed)."""
    index: dict[str, str] = {}
    for name, metadata in each_service_metadata():
        prefix = metadata.get("targetPrefix")
        if prefix:
            index.setdefault(prefix, name)
    return index


def service_for_target_prefix(prefix: str) -> str:
    """The botocore service name whose ``targetPrefix`` is ``prefix``."""
    known = _KNOWN_TARGET_PREFIXES.get(prefix)
    if known is not None:
        return known
    guess = prefix.lower()
    if service_exists(guess):
        model_prefix = service_model(guess).metadata.get("targetPrefix")
        if model_prefix == prefix:
            return guess
    found = _target_prefix_index().get(prefix)
    if found is None:
        raise UnknownOperationError(
            f"X-Amz-Target prefix {prefix!r} matches no service botocore "
            f"{botocore_version()} knows; upgrade botocore or check the recorded request"
        )
    return found


def region_of(uri: str, authorization: str | None) -> str | None:
    """The region from the SigV4 credential scope, else from an ``*.amazonaws.com`` host."""
    scope = credential_scope(authorization)
    if scope:
        return scope[0]
    host = urlsplit(uri).hostname or ""
    match = _REGION_IN_HOST.search(f"{host}.amazonaws.com" if "amazonaws" not in host else host)
    return match.group(1) if match else None


@functools.cache
def operation_ref(service: str, operation: str, region: str | None = None) -> OperationRef:
    """The :class:`OperationRef` of ``service``/``operation``; raises when botocore lacks it."""
    model = service_model(service)
    if operation not in model.operation_names:
        raise UnknownOperationError(
            f"operation {operation!r} is not in botocore {botocore_version()}'s model of "
            f"{service}; upgrade botocore or check the operation name (X-Amz-Target in a cassette)"
        )
    return OperationRef(service, operation, region, protocol_of(model))


def identify_operation(request: RecordedRequest) -> OperationRef:
    """The operation a recorded request calls, for every protocol botocore speaks.

    JSON protocol: ``X-Amz-Target``. Otherwise the service comes from the SigV4 credential
    scope (``.../us-east-1/s3/aws4_request``; a presigned URL's ``X-Amz-Credential``), else from
    the host (``my-bucket.s3.amazonaws.com``, ``sts.amazonaws.com``), and the operation from the
    service's model: the ``Action`` field (query, ec2) or method + URI template (rest-json,
    rest-xml). Raises :class:`UnknownOperationError` naming what was missing.
    """
    target = request.header("X-Amz-Target")
    region = region_of(request.uri, request.header("Authorization"))
    if target:
        prefix, _, operation = target.strip().rpartition(".")
        if not prefix or not operation:
            raise UnknownOperationError(
                f"X-Amz-Target {target!r} is not '<Prefix>.<Operation>'; check the recorded "
                "request")
        return operation_ref(service_for_target_prefix(prefix), operation, region)
    authorization = request.header("Authorization")
    wire = WireRequest.from_recorded(request)
    # the services named directly first; only when none of them fits, those known under another
    # name (iot-data signs as iotdata and is served from data-ats.iot...: a scan of every model)
    candidates = services_of_request(wire, authorization)
    found = _first_fit(candidates, wire)
    if found is None:
        others = [service for service in services_of_request(wire, authorization, scan=True)
                  if service not in candidates]
        candidates += others
        found = _first_fit(others, wire)
    if found is not None:
        return operation_ref(found[0], found[1], region)
    if not candidates:
        raise UnknownOperationError(
            f"request {request.method} {_shown_url(request.uri)} names no AWS service: no "
            "X-Amz-Target, no SigV4 credential scope, no *.amazonaws.com host")
    raise UnknownOperationError(
        f"request {request.method} {_shown_url(request.uri)} fits no operation of "
        f"{', '.join(candidates)} in botocore {botocore_version()}'s model; upgrade botocore "
        "or check the recorded request")


def _first_fit(services: list[str], wire: WireRequest) -> tuple[str, str] | None:
    """The first of ``services`` with an operation ``wire`` fits, and that operation."""
    for service in services:
        operation = operation_in_service(service_model(service), wire)
        if operation is not None:
            return service, operation
    return None


def _shown_url(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.path or '/'}" + (f"?{parts.query[:80]}" if parts.query else "")


_SERVICE_IN_HOST = re.compile(r"(?:^|\.)([a-z0-9-]+)(?:\.[a-z]{2}(?:-[a-z]+)+-\d+)?"
                              r"\.amazonaws\.com(?:\.cn)?$")
_S3_HOST = re.compile(r"(?:^|\.)s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$")


def services_of_request(wire: WireRequest, authorization: str | None, *,
                        scan: bool = False) -> list[str]:
    """The botocore services a request may be for, most likely first: by the signing name of
    its credential scope (header or presigned query), then by its host. ``scan`` adds services
    known under another name (slow: reads every model)."""
    names: list[str] = []
    scope = credential_scope(authorization)
    credential = dict(wire.query_pairs()).get("X-Amz-Credential", "")
    if scope:
        names.append(scope[1])
    elif credential.count("/") >= 4:
        names.append(credential.split("/")[3])
    host = wire.host
    if _S3_HOST.search(host):
        names.append("s3")
    match = _SERVICE_IN_HOST.search(host)
    if match:
        names.append(match.group(1))
    services = [service for name in dict.fromkeys(names)
                for service in services_for_signing_name(name, scan=scan)]
    return list(dict.fromkeys(services))


def services_for_signing_name(name: str, *, scan: bool = False) -> list[str]:
    """The service named ``name``; with ``scan``, also the services signed as or served from
    ``name`` under another name (``sagemaker`` signs ``sagemaker-runtime``; reads every model)."""
    found = [name] if service_exists(name) else []
    found.extend(s for s in _SIGNING_ALIASES.get(name, ()) if service_exists(s))
    if scan:
        found.extend(s for s in _signing_index().get(name, ()) if s not in found)
    return found


# Services signed under another service's name that a SageMaker pipeline calls; the rest are
# found by a scan of every model, paid only when a request names no service directly.
_SIGNING_ALIASES = {
    "sagemaker": ("sagemaker-runtime", "sagemaker-featurestore-runtime", "sagemaker-metrics",
                  "sagemaker-a2i-runtime", "sagemaker-edge", "sagemaker-geospatial"),
}


@functools.cache
def _signing_index() -> dict[str, tuple[str, ...]]:
    """signingName / endpointPrefix -> services, for names that are not a service's own (slow:
    every model is read; a cassette of well-known services never gets here)."""
    index: dict[str, list[str]] = {}
    for service, metadata in each_service_metadata():
        for key in ("signingName", "endpointPrefix"):
            value = metadata.get(key)
            if value and value != service:
                index.setdefault(value, []).append(service)
    return {name: tuple(dict.fromkeys(services)) for name, services in index.items()}


def operation_from_name(name: str) -> OperationRef:
    """An operation named on the command line: ``DescribeAutoMLJob`` or ``sagemaker:Op``."""
    service, _, operation = name.rpartition(":")
    return operation_ref(service or "sagemaker", operation)

