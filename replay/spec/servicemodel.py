"""A service model over botocore's model document, with the attributes of ``botocore.model``.

aws-replay reads models the way botocore does, but importing ``botocore.model`` costs about half
of ``import boto3`` (it pulls in ``botocore.auth``, ``botocore.compat`` and urllib3), paid by
every ``aws-replay check`` run. These classes give the same view of the same document, by the
same rules: a member reference's traits (``locationName``, ``location``, ``timestampFormat``,
...) are merged over the shape it names; ``serialization`` and ``metadata`` hold the same keys
(``locationName`` as ``name``); a structure's ``members``, a list's ``member``, a map's ``key``
and ``value``, a string's ``enum``; an operation's ``http``, ``input_shape``, ``output_shape``,
``error_shapes``. Code in aws-replay is written against these attributes, so it works with
either kind: a botocore client's own model (the pytest plugin gets one per call) or this one.

Example::

    model = ServiceModel(load_service_document("sagemaker"), "sagemaker")
    output = model.operation_model("DescribeAutoMLJob").output_shape
    output.members["AutoMLJobStatus"].enum    # ['Completed', 'InProgress', ...]
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from replay.core.errors import ConfigError
from replay.protocols.requests import resolved_protocol

_FIX = "reinstall botocore, or fix the model you put in ~/.aws/models"

# botocore.model.Shape.SERIALIZED_ATTRS and METADATA_ATTRS
SERIALIZED_ATTRS = ("locationName", "queryName", "flattened", "location", "payload",
                    "streaming", "timestampFormat", "xmlNamespace", "resultWrapper",
                    "xmlAttribute", "eventstream", "event", "eventheader", "eventpayload",
                    "jsonvalue", "hostLabel")
METADATA_ATTRS = ("required", "min", "max", "pattern", "sensitive", "enum", "idempotencyToken",
                  "error", "exception", "endpointdiscoveryid", "retryable", "document", "union",
                  "contextParam", "clientContextParams", "requiresLength")


class ModelError(ConfigError):
    """The model document is not what botocore's own model classes accept."""


class Shape:
    """A shape of the model, as a member reference sees it (its traits merged in)."""

    # set on the kinds that have them (as in botocore: a plain Shape has none of these)
    members: dict[str, Shape]
    member: Shape
    key: Shape
    value: Shape
    enum: list[str]
    error_code: str | None

    def __init__(self, name: str, model: dict[str, Any], resolver: ShapeResolver) -> None:
        self.name = name
        self.type_name: str = model["type"]
        self.documentation: str = model.get("documentation", "")
        self._model = model
        self._resolver = resolver

    @cached_property
    def serialization(self) -> dict[str, Any]:
        found = {attr: self._model[attr] for attr in SERIALIZED_ATTRS if attr in self._model}
        if "locationName" in found:
            found["name"] = found.pop("locationName")
        return found

    @cached_property
    def metadata(self) -> dict[str, Any]:
        return {attr: self._model[attr] for attr in METADATA_ATTRS if attr in self._model}

    @cached_property
    def required_members(self) -> list[str]:
        return list(self.metadata.get("required", []))

    @property
    def event_stream_name(self) -> str | None:
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({self.name})>"


class StructureShape(Shape):
    @cached_property
    def members(self) -> dict[str, Shape]:  # type: ignore[override]
        return {name: self._resolver.resolve(ref)
                for name, ref in self._model.get("members", {}).items()}

    @cached_property
    def event_stream_name(self) -> str | None:
        for name, member in self.members.items():
            if member.serialization.get("eventstream"):
                return name
        return None

    @cached_property
    def error_code(self) -> str | None:  # type: ignore[override]
        if not self.metadata.get("exception", False):
            return None
        code = self.metadata.get("error", {}).get("code")
        return str(code) if code else self.name

    @cached_property
    def is_document_type(self) -> bool:
        return bool(self.metadata.get("document", False))

    @cached_property
    def is_tagged_union(self) -> bool:
        return bool(self.metadata.get("union", False))


class ListShape(Shape):
    @cached_property
    def member(self) -> Shape:  # type: ignore[override]
        return self._resolver.resolve(self._model["member"])


class MapShape(Shape):
    @cached_property
    def key(self) -> Shape:  # type: ignore[override]
        return self._resolver.resolve(self._model["key"])

    @cached_property
    def value(self) -> Shape:  # type: ignore[override]
        return self._resolver.resolve(self._model["value"])


class StringShape(Shape):
    @cached_property
    def enum(self) -> list[str]:  # type: ignore[override]
        return list(self.metadata.get("enum", []))


_KINDS: dict[str, type[Shape]] = {"structure": StructureShape, "list": ListShape,
                                  "map": MapShape, "string": StringShape}


class ShapeResolver:
    """Shapes by name, a reference's member traits merged over its shape's own. A shape
    without traits is built once per name (botocore builds one per reference)."""

    def __init__(self, shapes: dict[str, Any], service: str = "a service") -> None:
        self._shapes = shapes
        self._service = service
        self._plain: dict[str, Shape] = {}

    def shape(self, name: str, traits: dict[str, Any] | None = None) -> Shape:
        if not traits:
            built = self._plain.get(name)
            if built is not None:
                return built
        try:
            model = self._shapes[name]
            kind = _KINDS.get(model["type"], Shape)
        except KeyError:
            raise ModelError(f"botocore's model of {self._service}: shape {name!r} is missing "
                             f"or has no type; {_FIX}") from None
        if traits:
            model = {**model, **traits}
        built = kind(name, model, self)
        if not traits:
            self._plain[name] = built
        return built

    def resolve(self, reference: dict[str, Any]) -> Shape:
        if "shape" not in reference:
            raise ModelError(f"botocore's model of {self._service}: a member names no shape "
                             f"({reference}); {_FIX}")
        if len(reference) == 1:
            return self.shape(reference["shape"])
        traits = {key: value for key, value in reference.items() if key != "shape"}
        return self.shape(reference["shape"], traits)


class OperationModel:
    """One operation: its name, HTTP binding, input, output and modelled errors."""

    def __init__(self, model: dict[str, Any], service_model: ServiceModel, name: str) -> None:
        self._model = model
        self._service_model = service_model
        self.name = name
        self.wire_name: str | None = model.get("name")
        self.metadata = service_model.metadata
        self.http: dict[str, Any] = model.get("http", {})

    @property
    def service_model(self) -> ServiceModel:
        return self._service_model

    @cached_property
    def documentation(self) -> str:
        return str(self._model.get("documentation", ""))

    @cached_property
    def input_shape(self) -> Shape | None:
        reference = self._model.get("input")
        return self._service_model.resolve_shape_ref(reference) if reference else None

    @cached_property
    def output_shape(self) -> Shape | None:
        reference = self._model.get("output")
        return self._service_model.resolve_shape_ref(reference) if reference else None

    @cached_property
    def error_shapes(self) -> list[Shape]:
        return [self._service_model.resolve_shape_ref(reference)
                for reference in self._model.get("errors", [])]

    def __repr__(self) -> str:
        return f"OperationModel(name={self.name})"


class ServiceModel:
    """A service's model document seen as botocore's ``ServiceModel`` sees it."""

    def __init__(self, description: dict[str, Any], service_name: str | None = None) -> None:
        self._description = description
        self.metadata: dict[str, Any] = description.get("metadata", {})
        self._resolver = ShapeResolver(
            description.get("shapes", {}),
            service_name or str(self.metadata.get("endpointPrefix", "a service")))
        self._service_name = service_name
        self._operations: dict[str, OperationModel] = {}

    def shape_for(self, name: str, member_traits: dict[str, Any] | None = None) -> Shape:
        return self._resolver.shape(name, member_traits)

    def resolve_shape_ref(self, reference: dict[str, Any]) -> Shape:
        return self._resolver.resolve(reference)

    @cached_property
    def shape_names(self) -> list[str]:
        return list(self._description.get("shapes", {}))

    @cached_property
    def operation_names(self) -> list[str]:
        return list(self._description.get("operations", {}))

    def operation_model(self, name: str) -> OperationModel:
        built = self._operations.get(name)
        if built is None:
            try:
                model = self._description["operations"][name]
            except KeyError:
                raise ModelError(f"operation {name!r} is not in botocore's model of "
                                 f"{self.service_name}; check the operation name") from None
            built = self._operations[name] = OperationModel(model, self, name)
        return built

    @cached_property
    def service_name(self) -> str:
        if self._service_name is not None:
            return self._service_name
        return str(self.metadata["endpointPrefix"])

    @cached_property
    def signing_name(self) -> str:
        return str(self.metadata.get("signingName") or self.metadata["endpointPrefix"])

    @cached_property
    def endpoint_prefix(self) -> str:
        return str(self.metadata["endpointPrefix"])

    @cached_property
    def api_version(self) -> str:
        return str(self.metadata["apiVersion"])

    @cached_property
    def protocol(self) -> str:
        """The model's ``protocol`` trait (what botocore's ``ServiceModel.protocol`` gives);
        what botocore speaks is :attr:`resolved_protocol`."""
        return str(self.metadata["protocol"])

    @cached_property
    def resolved_protocol(self) -> str:
        """The protocol botocore speaks to the service: of those the model lists, the one
        botocore prefers."""
        return resolved_protocol(self.metadata)

    @cached_property
    def documentation(self) -> str:
        return str(self._description.get("documentation", ""))

    def __repr__(self) -> str:
        return f"ServiceModel({self.service_name})"
