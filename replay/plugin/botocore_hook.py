"""Where the replayer meets botocore: the ``before-send`` hook, responses, a dummy AWS environment.

Which clients are served: every client created through ``botocore.session.Session`` (so every
``boto3.client``, ``boto3.Session().client``, resource) and through
``aiobotocore.session.AioSession`` (so every aioboto3 client and resource;
:mod:`replay.plugin.aio_hook`) once :func:`install` ran, which the pytest plugin does before
reading any conftest or test module. That includes clients made at module level or in fixtures
of any scope. Clients created before pytest loaded its plugins are not hooked; the network guard
stops them instead, naming the HTTP library they went through.

Each hooked client asks the :class:`Responder` made current by :func:`serving` for a response;
with none current the hook does nothing. A response handed back is an ``AWSResponse``
(:func:`aws_response`): serialization, signing and parsing still happen, the network does not.
A call the responder lets through and that is answered from the network is reported to the
responder's ``note_sent`` (when it has one): recording checks every such call was captured.

Example::

    install()
    with dummy_aws_environment("us-east-1"), serving(responder):
        boto3.client("sagemaker").describe_auto_ml_job(AutoMLJobName="my-job")
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib.abc
import importlib.machinery
import io
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any, Protocol

from replay.cassette.model import RecordedResponse


class Responder(Protocol):
    """What answers hooked botocore calls while :func:`serving` it.

    It may also have ``note_sent(request, event_name, service_model)``, called once per call
    it let through that the network answered (an HTTP response, whatever its status).
    """

    def respond(self, request: Any, event_name: str, service_model: Any) -> Any:
        """An ``AWSResponse`` for the prepared request, or ``None`` to let it through."""


_active: Responder | None = None
_install_lock = threading.Lock()
_PATCHED = "_aws_replay_patched"
# The call this thread (or asyncio task) let through at before-send, until its response-received:
# botocore emits both in the caller's thread, aiobotocore in the caller's task.
_let_through: contextvars.ContextVar[tuple[Responder, Any, str] | None] = \
    contextvars.ContextVar("aws_replay_let_through", default=None)


@contextlib.contextmanager
def serving(responder: Responder) -> Iterator[None]:
    """Every hooked client's calls go to ``responder`` until the block ends."""
    global _active
    _active = responder
    try:
        yield
    finally:
        _active = None


def _before_send_for(service_model: Any,
                     convert: Callable[[Any], Any] | None = None) -> Any:
    """The ``before-send`` handler of one client: the recorded response, or ``None`` to send.
    ``convert`` turns the ``AWSResponse`` into what the client's endpoint reads (aiobotocore)."""

    def before_send(request: Any, event_name: str = "", **_: Any) -> Any:
        active = _active
        if active is None:
            return None
        response = active.respond(request, event_name, service_model)
        if response is None:
            _let_through.set((active, request, event_name))
            return None
        _let_through.set(None)
        return convert(response) if convert is not None else response

    return before_send


def _response_received_for(service_model: Any) -> Any:
    """The ``response-received`` handler of one client: a call let through was answered."""

    def response_received(response_dict: Any = None, **_: Any) -> None:
        pending = _let_through.get()
        if pending is None:
            return
        _let_through.set(None)
        responder, request, event_name = pending
        note = getattr(responder, "note_sent", None)
        # no response_dict: the attempt failed before any HTTP response (retried or raised)
        if response_dict is not None and responder is _active and note is not None:
            note(request, event_name, service_model)

    return response_received


def hook_client(client: Any, convert: Callable[[Any], Any] | None = None) -> Any:
    """Register the replay handlers on one client (botocore's or aiobotocore's); idempotent."""
    events = client.meta.events
    # The client's own model checks drift: the one it parses with, loaded once already.
    model = client.meta.service_model
    events.register_first("before-send", _before_send_for(model, convert),
                          unique_id="aws-replay-before-send")
    events.register("response-received", _response_received_for(model),
                    unique_id="aws-replay-response-received")
    return client


def patch_create_client(session_class: Any, wrap: Callable[[Any], Any]) -> None:
    """``session_class.create_client`` made to pass what it returns through ``wrap``
    (idempotent: a method patched once is left alone)."""
    original = session_class.create_client
    if getattr(original, _PATCHED, False):
        return

    @functools.wraps(original)
    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        return wrap(original(self, *args, **kwargs))

    setattr(create_client, _PATCHED, True)
    session_class.create_client = create_client


def _patch_session_class(module: ModuleType) -> None:
    patch_create_client(module.Session, hook_client)


def _patch_aio_session_class(module: ModuleType) -> None:
    from replay.plugin.aio_hook import patch_aio_session_class

    patch_aio_session_class(module)


# module -> (the class whose create_client is patched, the patch)
_PATCHES: dict[str, tuple[str, Callable[[ModuleType], None]]] = {
    "botocore.session": ("Session", _patch_session_class),
    "aiobotocore.session": ("AioSession", _patch_aio_session_class),
}


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches a session module when it is first imported, so loading the plugin stays cheap
    for runs that never touch boto3 (importing botocore costs ~130 ms) or aiobotocore."""

    def __init__(self, fullname: str) -> None:
        self.fullname = fullname

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.fullname:
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader: Any = spec.loader
        execute = loader.exec_module
        patch = _PATCHES[fullname][1]

        def exec_module(module: ModuleType) -> None:
            execute(module)
            patch(module)

        loader.exec_module = exec_module
        return spec


def _patched(module: ModuleType, class_name: str) -> bool:
    return bool(getattr(getattr(module, class_name).create_client, _PATCHED, False))


def install() -> None:
    """Hook every botocore and aiobotocore client created from now on (idempotent, cheap,
    inert by itself)."""
    loaded = [(sys.modules.get(name), class_name) for name, (class_name, _) in _PATCHES.items()]
    if all(module is not None and _patched(module, class_name) for module, class_name in loaded):
        return
    with _install_lock:
        for name, (_, patch) in _PATCHES.items():
            module = sys.modules.get(name)
            if module is not None:
                patch(module)
            elif not any(isinstance(finder, _PatchOnImport) and finder.fullname == name
                         for finder in sys.meta_path):
                sys.meta_path.insert(0, _PatchOnImport(name))


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
