"""Finding and reading botocore's model files (``service-2.json``) the way botocore's loader does,
without importing it.

``botocore.loaders`` pulls in ``botocore.compat`` and with it urllib3, http.client and ssl: about
half of ``import boto3``, paid by every ``aws-replay check`` that never sends a request. The
files themselves are plain JSON (gzipped in recent releases), so this module reads them
directly, keeping botocore's rules: the search path is ``~/.aws/models`` and then botocore's own
``data`` folder (what ``botocore.loaders.create_loader()`` searches), a service's newest API
version wins, the first search path that has the file wins, ``.json`` before ``.json.gz``, and
``service-2.sdk-extras.json`` is deep-merged over the model.

Example::

    document = load_service_document("sagemaker")   # the raw model, read-only
    document["metadata"]["targetPrefix"]             # 'SageMaker'
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import os
from typing import Any

from replay.core.errors import ConfigError, ReplayError, UnknownOperationError

MODEL_TYPE = "service-2"
_EXTRAS = ("sdk",)  # botocore's BUILTIN_EXTRAS_TYPES
_SUFFIXES = (".json", ".json.gz")  # in botocore's order


@functools.cache
def botocore_root() -> str:
    """The folder of the installed botocore package, found without importing it."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise UnknownOperationError("botocore is not installed; install aws-replay's "
                                    "dependencies (pip install aws-replay)")
    return str(next(iter(spec.submodule_search_locations)))


@functools.cache
def botocore_version() -> str:
    """The installed botocore's version, read from its ``__init__`` without importing it
    (``import botocore`` brings in ``logging``, which ``check`` otherwise never needs)."""
    with open(os.path.join(botocore_root(), "__init__.py"), encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("__version__"):
                return line.split("=", 1)[1].strip().strip("'\"")
    return "unknown"


def search_paths() -> list[str]:
    """Where botocore's default loader looks for models, in its order (existing folders)."""
    candidates = [os.path.join(os.path.expanduser("~"), ".aws", "models"),
                  os.path.join(botocore_root(), "data")]
    return [path for path in candidates if os.path.isdir(path)]


def _has_model(base: str) -> bool:
    return any(os.path.isfile(base + suffix) for suffix in _SUFFIXES)


@functools.cache
def _versions(service: str) -> frozenset[str]:
    found: set[str] = set()
    for root in search_paths():
        folder = os.path.join(root, service)
        if os.path.isdir(folder):
            found.update(version for version in os.listdir(folder)
                         if _has_model(os.path.join(folder, version, MODEL_TYPE)))
    return frozenset(found)


def service_exists(service: str) -> bool:
    """Whether botocore has a model of ``service`` (looked up directly, no full listing)."""
    return bool(service) and os.sep not in service and bool(_versions(service))


@functools.cache
def available_services() -> frozenset[str]:
    """Every service botocore has a model of (a full listing: ~10 ms, only when needed)."""
    found: set[str] = set()
    for root in search_paths():
        for service in os.listdir(root):
            folder = os.path.join(root, service)
            if os.path.isdir(folder) and any(
                    _has_model(os.path.join(folder, version, MODEL_TYPE))
                    for version in os.listdir(folder)):
                found.add(service)
    return frozenset(found)


def forget() -> None:
    """Forget what was found and read (after the search paths changed: tests moving HOME)."""
    for cached in (_versions, available_services, load_service_document,
                   each_service_metadata):
        cached.cache_clear()


def _read(relative: str) -> dict[str, Any] | None:
    """The first of the search paths' ``relative`` + ``.json``/``.json.gz``, parsed (a JSON
    object), or ``None`` when there is none."""
    for root in search_paths():
        base = os.path.join(root, relative)
        for suffix in _SUFFIXES:
            path = base + suffix
            if not os.path.isfile(path):
                continue
            try:
                with gzip.open(path) if suffix.endswith(".gz") else open(path, "rb") as handle:
                    data = json.loads(handle.read().decode("utf-8"))
            except (OSError, EOFError, ValueError) as exc:  # unreadable, bad gzip, not JSON
                problem = _reason(exc)
            else:
                if isinstance(data, dict):
                    return data
                problem = "not a JSON object"
            raise ConfigError(f"{path}: botocore's model file cannot be read ({problem}); "
                              "reinstall botocore, or fix or remove the file")
    return None


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON at line {exc.lineno}: {exc.msg}"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value


@functools.cache
def load_service_document(service: str) -> dict[str, Any]:
    """botocore's model document of ``service``, newest API version, extras merged; loaded
    once and shared: treat it as read-only. Raises :class:`UnknownOperationError` for an
    unknown service."""
    return _load(service)


def _load(service: str) -> dict[str, Any]:
    versions = _versions(service) if service and os.sep not in service else frozenset()
    if not versions:
        raise UnknownOperationError(
            f"service {service!r} is not known to botocore {botocore_version()}; "
            "upgrade botocore or check the cassette")
    version = max(versions)
    document = _read(os.path.join(service, version, MODEL_TYPE))
    if document is None:  # listed a moment ago, gone now
        raise UnknownOperationError(f"botocore's model of {service!r} ({version}) went away "
                                    "while it was read; run the command again")
    for extras in _EXTRAS:
        extra = _read(os.path.join(service, version, f"{MODEL_TYPE}.{extras}-extras"))
        if extra is not None and isinstance(extra.get("merge"), dict):
            _deep_merge(document, extra["merge"])
    return document


@functools.cache
def each_service_metadata() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(service, metadata) of every model, sorted by name, read once per process (slow: every
    model is read; only the small metadata is kept); a model that cannot be read is passed
    over."""
    found = []
    for service in sorted(available_services()):
        try:  # the documents are not kept: all of them at once would take hundreds of MB
            metadata = _load(service).get("metadata", {})
        except ReplayError:
            continue
        if isinstance(metadata, dict):
            found.append((service, metadata))
    return tuple(found)
