"""Shared test helpers."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from replay.spec.lock import (
    build_lock,
)


def thing_service(shapes: dict[str, Any], output: str = "DescribeThingResponse") -> dict[str, Any]:
    """A botocore model of one operation, ``things:DescribeThing``, around ``shapes`` (the spec
    diff tests build their models with it too)."""
    return {
        "version": "2.0",
        "metadata": {"apiVersion": "2020-01-01", "endpointPrefix": "things",
                     "jsonVersion": "1.1", "protocol": "json", "serviceId": "Things",
                     "signatureVersion": "v4", "targetPrefix": "Things"},
        "operations": {"DescribeThing": {
            "name": "DescribeThing", "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "DescribeThingRequest"}, "output": {"shape": output},
            "errors": [{"shape": "ThingNotFound"}]}},
        "shapes": {
            "DescribeThingRequest": {"type": "structure", "required": ["Name"],
                                     "members": {"Name": {"shape": "ThingName"}}},
            "ThingNotFound": {"type": "structure", "members": {"Message": {"shape": "Text"}},
                              "exception": True},
            "Text": {"type": "string"},
            **shapes,
        },
    }


def old_shapes() -> dict[str, Any]:
    """The response shapes the spec diff tests edit a copy of."""
    return {
        "DescribeThingResponse": {"type": "structure", "required": ["Name"], "members": {
            "Name": {"shape": "ThingName"}, "Status": {"shape": "ThingStatus"},
            "Parts": {"shape": "Parts"}}},
        "ThingName": {"type": "string", "min": 1, "max": 64},
        "ThingStatus": {"type": "string", "enum": ["Active", "Retired"]},
        "Parts": {"type": "list", "member": {"shape": "Part"}},
        "Part": {"type": "structure", "members": {"Size": {"shape": "Size"}}},
        "Size": {"type": "integer", "min": 0},
    }


def edited_lock(tmp_path: Path) -> Path:
    """A lock whose model no longer lists the job's status value ``Completed``."""
    document = build_lock()
    shapes = document["models"]["sagemaker"]["shapes"]
    shapes["AutoMLJobStatus"]["enum"] = [v for v in shapes["AutoMLJobStatus"]["enum"]
                                         if v != "Completed"]
    view = document["operations"]["sagemaker:DescribeAutoMLJob"]["output"]
    view["$.AutoMLJobStatus"]["enum"].remove("Completed")
    path = tmp_path / "spec.lock.json"
    path.write_text(json.dumps(document))
    return path


@functools.cache
def botocore_model(service: str) -> Any:
    """botocore's own ``ServiceModel`` of ``service``, read by botocore's own loader: the
    independent judge for tests that hand a body to botocore's parser."""
    import botocore.loaders
    from botocore.model import ServiceModel

    document = botocore.loaders.create_loader().load_service_model(service, "service-2")
    return ServiceModel(document, service_name=service)


def botocore_output(service: str, operation: str) -> Any:
    """botocore's own output shape of ``service:operation``."""
    return botocore_model(service).operation_model(operation).output_shape
