"""Which REST operation a request calls: method + ``requestUri`` template + host.

Each operation of a REST service (``rest-json``, ``rest-xml``) declares ``http.method`` and
``http.requestUri`` (``/{Bucket}/{Key+}?x-id=GetObject``, ``/{Bucket}?list-type=2``). The
templates are compiled once per service model into regular expressions; a request matches the
operations whose method, path and literal query keys fit, and the most specific one wins (more
literal query keys, then more literal path). S3's virtual-hosted buckets
(``my-bucket.s3.us-east-1.amazonaws.com/key``) are read as path-style (``/my-bucket/key``).

``x-id`` is botocore's own hint (``?x-id=GetObject``): when a request carries it, it must agree;
clients that do not send it (older SDKs, curl) still match by the rest of the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from replay.core.bounded import PerObjectCache
from replay.protocols.wire import WireRequest

_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")
_VIRTUAL_HOSTED = re.compile(r"^(?P<bucket>.+?)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$")
_HINT = "x-id"


@dataclass(frozen=True)
class UriTemplate:
    """One operation's ``requestUri``, compiled."""

    operation: str
    method: str
    path: re.Pattern[str]
    labels: tuple[str, ...]
    """Group ``i`` of ``path`` is label ``labels[i]`` (a ``locationName`` of the input)."""
    query: tuple[tuple[str, str | None], ...]
    """Literal query keys the template requires, with their value when it has one."""
    hint: str | None
    literal_length: int
    required_query: tuple[str, ...] = ()
    """Query keys of required input members (``uploadId`` tells ListParts from GetObject)."""
    required_headers: tuple[str, ...] = ()
    """Lower-cased headers of required input members (``x-amz-copy-source``: CopyObject)."""

    def fit(self, method: str, path: str, query: Mapping[str, str],
            headers: Mapping[str, str]) -> tuple[int, int, int] | None:
        """How well a request fits, higher is better; ``None`` when it does not fit at all."""
        if method != self.method or not self.path.fullmatch(path):
            return None
        for key, value in self.query:
            if key not in query or (value is not None and query[key] != value):
                return None
        if any(key not in query for key in self.required_query):
            return None
        if any(name not in headers for name in self.required_headers):
            return None
        sent_hint = query.get(_HINT)
        if sent_hint is not None and self.hint is not None and sent_hint != self.hint:
            return None
        specific = len(self.query) + len(self.required_query) + len(self.required_headers)
        return (specific, int(sent_hint is not None and sent_hint == self.hint),
                self.literal_length)

    def labels_of(self, path: str) -> dict[str, str]:
        """The URI labels of a fitting path, percent-decoded (``{"Bucket": ..., "Key": ...}``)."""
        match = self.path.fullmatch(path)
        if match is None:
            return {}
        return {name: unquote(value) for name, value in zip(self.labels, match.groups(),
                                                            strict=True)}


def request_uri(operation: Any) -> str:
    """The operation's ``requestUri`` as the model declares it.

    botocore's S3 client strips ``/{Bucket}`` from the loaded model the first time an operation
    is sent (its endpoint rules put the bucket back), noting the original path in ``authPath``;
    that is undone here, so a template compiled after a call matches what the wire carries.
    """
    http = operation.http
    uri = str(http.get("requestUri", "/"))
    if "authPath" in http and str(http["authPath"]).startswith("/{Bucket}") \
            and not uri.startswith("/{Bucket}"):
        uri = "/{Bucket}" + uri
    return uri


def _compile(operation: Any) -> UriTemplate:
    method = str(operation.http.get("method", "POST"))
    request_uri_text = request_uri(operation)
    path_part, _, query_part = request_uri_text.partition("?")
    pattern, labels, literal, position = [], [], 0, 0
    for match in _LABEL.finditer(path_part):
        text = path_part[position:match.start()]
        pattern.append(re.escape(text))
        literal += len(text)
        labels.append(match.group(1))
        pattern.append("(.+)" if match.group(2) else "([^/]+)")
        position = match.end()
    tail = path_part[position:]
    pattern.append(re.escape(tail))
    literal += len(tail)
    regex = "".join(pattern)
    if regex.endswith("/") and len(regex) > 1:
        regex += "?"  # clients differ on a trailing slash
    query: list[tuple[str, str | None]] = []
    hint = None
    for item in filter(None, query_part.split("&")):
        key, equals, value = item.partition("=")
        if key == _HINT:
            hint = value
        else:
            query.append((key, value if equals else None))
    required_query, required_headers = [], []
    shape = operation.input_shape
    for name in (shape.required_members if shape is not None else ()):
        serialization = shape.members[name].serialization
        wire_name = str(serialization.get("name", name))
        if serialization.get("location") == "querystring":
            required_query.append(wire_name)
        elif serialization.get("location") == "header":
            required_headers.append(wire_name.lower())
    return UriTemplate(operation.name, method.upper(), re.compile(regex), tuple(labels),
                       tuple(query), hint, literal, tuple(required_query),
                       tuple(required_headers))


# bounded: botocore builds a model per client, and a suite may make thousands of clients
_templates: PerObjectCache[dict[str, UriTemplate]] = PerObjectCache(maxsize=32)


def templates(service_model: Any) -> dict[str, UriTemplate]:
    """Every operation's template of ``service_model`` by operation name, compiled once per
    model."""
    return _templates.get(service_model, "", lambda: {
        name: _compile(service_model.operation_model(name))
        for name in service_model.operation_names})


def path_style(request: WireRequest, service_model: Any) -> str:
    """The request's path as path-style addressing has it (an S3 virtual-hosted bucket moved
    from the host into the path)."""
    path = request.path
    if service_model.metadata.get("signingName", service_model.service_name) == "s3":
        match = _VIRTUAL_HOSTED.match(request.host)
        if match:
            return f"/{match.group('bucket')}{path if path != '/' else ''}"
    return path


def template_of(operation: Any) -> UriTemplate | None:
    """The compiled template of one operation (from its service model's, compiled once)."""
    return templates(operation.service_model).get(operation.name)


def match_template(service_model: Any, request: WireRequest) -> UriTemplate | None:
    """The template of ``service_model`` that fits ``request`` best, or ``None``."""
    path = path_style(request, service_model)
    query = dict(request.query_pairs())
    best: tuple[tuple[int, int, int], UriTemplate] | None = None
    for template in templates(service_model).values():
        score = template.fit(request.method, path, query, request.headers)
        if score is not None and (best is None or score > best[0]):
            best = (score, template)
    return best[1] if best else None
