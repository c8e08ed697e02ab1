"""Spec locks: a snapshot of an operation's response model per member path, kept in a lock file.

botocore names shapes, but the wire only knows member names: AWS renames shapes without
changing a byte on the wire. So a snapshot (a *member view*) is keyed by member path
(``$.BestCandidate.CandidateSteps[*].CandidateStepType``; list items ``[*]``, map values ``.*``)
and records what a consumer can observe there: JSON type, required, enum values, length/size/
range bounds, pattern, timestamp format. The shape name is kept for people and never compared.

A lock file (``aws-replay spec lock``) holds the member views of some operations, the botocore
version that produced them, and a minimal botocore service model (metadata, the operations and
every shape they reach) from which :func:`SpecLock.models` rebuilds a ``ServiceModel``, so
``aws-replay check --spec-lock`` checks against exactly what was locked. Two locks are compared
by :mod:`replay.spec.lockdiff`.

Example::

    write_lock(Path("cassettes/spec.lock.json"), ["sagemaker:DescribeAutoMLJob"])
    lock = read_lock(Path("cassettes/spec.lock.json"))
    run = check_paths(cassettes, models=lock.models())
    print(show("DescribeAutoMLJob"))
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore

from replay import TOOL_NAME
from replay.cassette.write import atomic_writer
from replay.core.errors import ConfigError, ReplayError, UnknownOperationError
from replay.core.jsonbody import FILE_LIMIT, JsonBodyError, parse_json_body
from replay.core.jsonpath import member_segment, parse_json_path
from replay.spec.operations import operation_from_name, service_data
from replay.spec.servicemodel import OperationModel, ServiceModel, Shape

LOCK_FORMAT = 1
DEFAULT_OPERATIONS = ("sagemaker:DescribeAutoMLJob",)

View = dict[str, dict[str, Any]]
"""Member path -> what a consumer can observe there."""

# ------------------------------------------------------------------------------- snapshots


def _constraints(shape: Shape) -> dict[str, Any]:
    found: dict[str, Any] = {}
    metadata = shape.metadata
    enum = getattr(shape, "enum", None) or metadata.get("enum")
    if enum:
        found["enum"] = sorted(enum)
    for name in ("min", "max", "pattern", "timestampFormat"):
        if name in metadata:
            found[name] = metadata[name]
    if metadata.get("document"):
        found["document"] = True
    if metadata.get("union"):
        found["union"] = True
    return found


def member_view(shape: Shape | None) -> View:
    """Every member path under ``shape`` (an output or error shape) with its constraints."""
    view: View = {}

    def visit(current: Shape, path: str, required: bool, ancestors: tuple[str, ...]) -> None:
        entry: dict[str, Any] = {"type": current.type_name, "shape": current.name}
        if required:
            entry["required"] = True
        entry.update(_constraints(current))
        view[path] = entry
        if current.name in ancestors and current.type_name in ("structure", "list", "map"):
            entry["recursive"] = True
            return
        inner = (*ancestors, current.name)
        if current.type_name == "structure" and not current.metadata.get("document"):
            needed = set(current.required_members)
            for name, member in current.members.items():
                visit(member, path + member_segment(name), name in needed, inner)
        elif current.type_name == "list":
            visit(current.member, path + "[*]", False, inner)
        elif current.type_name == "map":
            key = {"type": current.key.type_name, **_constraints(current.key)}
            entry["key"] = key
            visit(current.value, path + ".*", False, inner)

    if shape is not None:
        visit(shape, "$", False, ())
    return view


def operation_view(operation: OperationModel) -> dict[str, Any]:
    """The output member view and, per modelled error code, the error's member view."""
    errors = {}
    for shape in operation.error_shapes:
        errors[shape.error_code or shape.name] = member_view(shape)
    return {"output": member_view(operation.output_shape), "errors": errors}


def _reachable(shapes: Mapping[str, Any], roots: Iterable[str]) -> list[str]:
    seen: list[str] = []
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen or name not in shapes:
            continue
        seen.append(name)
        shape = shapes[name]
        for member in (shape.get("members") or {}).values():
            pending.append(member["shape"])
        for key in ("member", "key", "value"):
            if key in shape:
                pending.append(shape[key]["shape"])
    return sorted(seen)


def _strip_docs(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip_docs(v) for k, v in value.items()
                if k not in ("documentation", "examples")}
    if isinstance(value, list):
        return [_strip_docs(v) for v in value]
    return value


def minimal_model(service_data: Mapping[str, Any], operations: Sequence[str]) -> dict[str, Any]:
    """The part of a botocore service model that ``operations`` need, documentation removed."""
    ops = {name: _strip_docs(service_data["operations"][name]) for name in operations}
    roots: list[str] = []
    for op in ops.values():
        for part in ("input", "output"):
            if part in op:
                roots.append(op[part]["shape"])
        roots.extend(error["shape"] for error in op.get("errors", []))
    shapes = service_data["shapes"]
    return {
        "version": service_data.get("version", "2.0"),
        "metadata": dict(service_data["metadata"]),
        "operations": ops,
        "shapes": {name: _strip_docs(shapes[name]) for name in _reachable(shapes, roots)},
    }


def _qualified(name: str) -> tuple[str, str]:
    ref = operation_from_name(name)
    return ref.service, ref.operation


def lock_document(service_data: Mapping[str, Mapping[str, Any]],
                  operations: Sequence[tuple[str, str]], botocore_version: str) -> dict[str, Any]:
    """A lock document of ``operations`` (``(service, operation)``) from raw service models
    (service name -> botocore's JSON model, as ``get_service_data`` returns it)."""
    by_service: dict[str, list[str]] = {}
    views: dict[str, Any] = {}
    for service, operation in operations:
        if service not in service_data:
            raise ConfigError(f"no model of service {service!r} to lock {operation} from")
        ops = by_service.setdefault(service, [])
        if operation in ops:
            continue
        ops.append(operation)
        model = ServiceModel(dict(service_data[service]), service_name=service)
        views[f"{service}:{operation}"] = operation_view(model.operation_model(operation))
    models = {service: minimal_model(service_data[service], ops)
              for service, ops in sorted(by_service.items())}
    return {"aws_replay_spec_lock": LOCK_FORMAT, "generated_by": TOOL_NAME,
            "botocore": botocore_version, "operations": views, "models": models}


def build_lock(operations: Sequence[str] = DEFAULT_OPERATIONS) -> dict[str, Any]:
    """The lock document of ``operations`` (``DescribeAutoMLJob`` or ``sagemaker:Op``) from the
    installed botocore."""
    names = [_qualified(n) for n in (operations or DEFAULT_OPERATIONS)]
    data = {service: service_data(service) for service, _ in names}
    return lock_document(data, names, botocore.__version__)


def lock_from_document(document: Mapping[str, Any], path: Path | None = None) -> SpecLock:
    """A :class:`SpecLock` held in memory (``path`` names it in findings)."""
    return SpecLock(path, str(document["botocore"]), dict(document["operations"]),
                    dict(document["models"]))


def write_lock(path: Path, operations: Sequence[str] = DEFAULT_OPERATIONS) -> dict[str, Any]:
    """Write the lock of ``operations`` to ``path`` atomically; returns the document."""
    document = build_lock(operations)
    try:
        with atomic_writer(path) as handle:
            handle.write(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise ReplayError(f"cannot write the spec lock to {path}: {exc.strerror}") from None
    return document


# ----------------------------------------------------------------------------------- locks


@dataclass(frozen=True)
class SpecLock:
    """A lock file's content."""

    path: Path | None
    botocore: str
    operations: dict[str, Any]
    model_data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else f"botocore {self.botocore}"

    def models(self) -> dict[str, ServiceModel]:
        """Service name -> the locked botocore model (for ``check_paths(models=...)``)."""
        built = {}
        for service, data in self.model_data.items():
            try:
                built[service] = ServiceModel(data, service_name=service)
            except Exception as exc:
                raise ConfigError(f"{self.name}: the locked model of {service} cannot be "
                                  f"loaded ({exc}); write the lock again with "
                                  "`aws-replay spec lock`") from None
        return built

    def not_locked(self, cassette: Path, index: int, name: str) -> ConfigError:
        """What ``check --spec-lock`` says of a cassette calling ``name``, an operation of a
        locked service that the lock lacks: the command that adds it (for
        ``check_paths(not_in_models=...)``)."""
        return ConfigError(
            f"{cassette}: interaction {index} calls {name}, which {self.name} does not lock; "
            f"add it: `aws-replay spec lock {' '.join(sorted(self.operations))} {name} "
            f"--output {self.name}`")


def _bad(path: Path, problem: str) -> ConfigError:
    return ConfigError(f"{path}: {problem}; write it with `aws-replay spec lock --output "
                       f"{path}`")


def read_lock(path: Path) -> SpecLock:
    """Read and check a lock file, with one clear error when it is not one."""
    try:
        document = parse_json_body(path.read_bytes(), max_bytes=FILE_LIMIT)
    except FileNotFoundError:
        raise _bad(path, "no such spec lock") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    except JsonBodyError as exc:
        raise _bad(path, f"is not JSON ({exc}); it may be truncated") from None
    if not isinstance(document, dict) or "aws_replay_spec_lock" not in document:
        raise _bad(path, "is not an aws-replay spec lock")
    if document["aws_replay_spec_lock"] != LOCK_FORMAT:
        raise _bad(path, f"has lock format {document['aws_replay_spec_lock']!r}, this "
                         f"aws-replay reads format {LOCK_FORMAT}")
    operations, models = document.get("operations"), document.get("models")
    if not isinstance(operations, dict) or not isinstance(models, dict) or not operations:
        raise _bad(path, "has no operations or models")
    for name, view in operations.items():
        if (not isinstance(view, dict) or not isinstance(view.get("output"), dict)
                or not isinstance(view.get("errors", {}), dict)):
            raise _bad(path, f"operation {name} has no output member view")
        if name.partition(":")[0] not in models:
            raise _bad(path, f"operation {name} has no locked model")
    return SpecLock(path, str(document.get("botocore", "?")), operations, models)


def installed_lock(operations: Iterable[str]) -> SpecLock:
    """The installed botocore's view of ``operations``, as a lock held in memory; operations it
    no longer knows are left out (a diff reports them as removed)."""
    known = []
    for name in operations:
        try:
            operation_from_name(name)
        except UnknownOperationError:
            continue
        known.append(name)
    if not known:
        return SpecLock(None, botocore.__version__, {}, {})
    return lock_from_document(build_lock(known))


# ----------------------------------------------------------------------------------- show


def _describe(entry: Mapping[str, Any]) -> str:
    parts = [str(entry.get("type"))]
    if entry.get("required"):
        parts.append("required")
    low, high = entry.get("min"), entry.get("max")
    if low is not None or high is not None:
        word = {"string": "length", "list": "items", "map": "entries", "blob": "bytes"}.get(
            str(entry.get("type")), "range")
        parts.append(f"{word} {'' if low is None else low}..{'' if high is None else high}")
    if entry.get("pattern") is not None:
        parts.append(f"pattern /{entry['pattern']}/")
    if entry.get("timestampFormat"):
        parts.append(f"format {entry['timestampFormat']}")
    if entry.get("enum"):
        parts.append(f"one of {' | '.join(entry['enum'])}")
    if isinstance(entry.get("key"), Mapping):
        parts.append(f"keys: {_describe(entry['key'])}")
    if entry.get("recursive"):
        parts.append("(recursive, see above)")
    parts.append(f"<{entry.get('shape')}>")
    return "  ".join(parts)


def _label(path: str) -> tuple[int, str]:
    steps = parse_json_path(path.replace("[*]", "[0]").replace(".*", "['*']"))
    if not steps:
        return 0, "$"
    last = steps[-1]
    text = "[*]" if isinstance(last, int) else ("*" if last == "*" else str(last))
    return len(steps), text


def render_view(view: Mapping[str, Any], indent: int = 0) -> list[str]:
    lines = []
    for path, entry in view.items():
        depth, label = _label(path)
        lines.append(f"{'  ' * (depth + indent)}{label}  {_describe(entry)}")
    return lines


def show(name: str) -> str:
    """A readable tree of every member path of an operation's response, with constraints."""
    ref = operation_from_name(name)
    view = operation_view(ref.model)
    lines = [f"{ref.service}:{ref.operation} response (botocore {botocore.__version__})"]
    lines += render_view(view["output"]) or ["  (no output)"]
    for code, error_view in view["errors"].items():
        lines.append(f"error {code}")
        lines += render_view(error_view, indent=1)
    return "\n".join(lines) + "\n"
