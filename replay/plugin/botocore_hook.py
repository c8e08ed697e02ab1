"""Where the replayer meets botocore: the ``before-send`` hook, responses, a dummy AWS environment.

Which clients are served: every client created through ``botocore.session.Session`` (so every
``boto3.client``, ``boto3.Session().client``, resource) once :func:`install` ran, which the pytest
plugin does before reading any conftest or test module. That includes clients made at module level
or in fixtures of any scope. Clients created before pytest loaded its plugins, and aiobotocore
clients, are not hooked; the network guard stops them instead.

Each hooked client asks the :class:`Responder` made current by :func:`serving` for a response;
with none current the hook does nothing. A response handed back is an ``AWSResponse``
(:func:`aws_response`): serialization, signing and parsing still happen, the network does not.

Example::

    install()
    with dummy_aws_environment("us-east-1"), serving(responder):
        boto3.client("sagemaker").describe_auto_ml_job(AutoMLJobName="my-job")
"""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import importlib.machinery
import io
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any, Protocol

from replay.cassette.model import RecordedResponse


class Responder(Protocol):
    """What answers hooked botocore calls while :func:`serving` it."""

    def respond(self, request: Any, event_name: str, service_model: Any) -> Any:
        """An ``AWSResponse`` for the prepared request, or ``None`` to let it through."""


_active: Responder | None = None
_install_lock = threading.Lock()
_PATCHED = "_aws_replay_patched"


@contextlib.contextmanager
def serving(responder: Responder) -> Iterator[None]:
    """Every hooked client's calls go to ``responder`` until the block ends."""
    global _active
    _active = responder
    try:
        yield
    finally:
        _active = None


def _before_send_for(service_model: Any) -> Any:
    """The ``before-send`` handler of one client: the recorded response, or ``None`` to send."""

    def before_send(request: Any, event_name: str = "", **_: Any) -> Any:
        active = _active
        if active is None:
            return None
        return active.respond(request, event_name, service_model)

    return before_send


def _patch_session_class(module: ModuleType) -> None:
    session_class = module.Session
    original = session_class.create_client
    if getattr(original, _PATCHED, False):
        return

    @functools.wraps(original)
    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        # The client's own model checks drift: the one it parses with, loaded once already.
        client.meta.events.register_first("before-send",
                                          _before_send_for(client.meta.service_model),
                                          unique_id="aws-replay-before-send")
        return client

    setattr(create_client, _PATCHED, True)
    session_class.create_client = create_client


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches ``botocore.session`` when it is first imported, so loading the plugin stays cheap
    for runs that never touch boto3 (importing botocore costs ~130 ms)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "botocore.session":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader: Any = spec.loader
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            _patch_session_class(module)

        loader.exec_module = exec_module
        return spec


def install() -> None:
    """Hook every botocore client created from now on (idempotent, cheap, inert by itself)."""
    module = sys.modules.get("botocore.session")
    if module is not None and getattr(module.Session.create_client, _PATCHED, False):
        return
    with _install_lock:
        module = sys.modules.get("botocore.session")
        if module is not None:
            _patch_session_class(module)
        elif not any(isinstance(finder, _PatchOnImport) for finder in sys.meta_path):
            sys.meta_path.insert(0, _PatchOnImport())


# ----------------------------------------------------------------------------- requests, responses


class _RawBody(io.BytesIO):
    """What botocore reads a body from: ``stream()`` for parsing, ``read()`` for streaming."""

    def stream(self, amt: int = 65536, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def aws_response(url: str, response: RecordedResponse) -> Any:
    """A recorded response as the ``AWSResponse`` botocore would have read from the network."""
    from botocore.awsrequest import AWSResponse

    headers = {name: ", ".join(values) for name, values in response.headers.items()}
    return AWSResponse(url, response.status, headers, _RawBody(response.body))


def request_header(request: Any, name: str) -> str | None:
    """A header of a prepared botocore request, as text (botocore may hold bytes)."""
    value = request.headers.get(name)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if value is None else str(value)


def operation_name(request: Any, event_name: str) -> str:
    """The request's ``X-Amz-Target``, else ``service.Operation`` from the event name."""
    target = request_header(request, "X-Amz-Target")
    if target:
        return target
    parts = event_name.split(".")
    return f"{parts[1]}.{parts[2]}" if len(parts) >= 3 else "the request"


# ----------------------------------------------------------------------------------- credentials


_DUMMY_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"  # the AWS documentation's example key pair
_DUMMY_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@contextlib.contextmanager
def dummy_aws_environment(region: str) -> Iterator[None]:
    """Dummy credentials and a region for a replayed test; the real ``~/.aws`` is never read.

    Credentials already in the environment are kept (they only sign requests that never leave
    the process); otherwise the AWS documentation's example pair is used. Config and credential
    files point at ``os.devnull`` and profiles are unset, so nothing of the user's is read, and
    the instance metadata service is off. A boto3 default session created during the test is
    dropped afterwards: it holds the dummy credentials.
    """
    environ = os.environ
    wanted: dict[str, str | None] = {"AWS_PROFILE": None, "AWS_DEFAULT_PROFILE": None,
                                     "AWS_CONFIG_FILE": os.devnull,
                                     "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                                     "AWS_EC2_METADATA_DISABLED": "true"}
    if not (environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY")):
        wanted.update(AWS_ACCESS_KEY_ID=_DUMMY_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=_DUMMY_SECRET_KEY,
                      AWS_SESSION_TOKEN=None)
    if not (environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")):
        wanted["AWS_DEFAULT_REGION"] = region
    # Only what differs is written and restored: this runs around every replayed test.
    saved = {name: environ.get(name) for name, value in wanted.items()
             if environ.get(name) != value}
    boto3 = sys.modules.get("boto3")
    default_session = getattr(boto3, "DEFAULT_SESSION", None)
    try:
        for name in saved:
            value = wanted[name]
            if value is None:
                del environ[name]
            else:
                environ[name] = value
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                environ.pop(name, None)
            else:
                environ[name] = old
        boto3 = sys.modules.get("boto3")
        if boto3 is not None and getattr(boto3, "DEFAULT_SESSION", None) is not default_session:
            setattr(boto3, "DEFAULT_SESSION", default_session)  # noqa: B010 - untyped module
