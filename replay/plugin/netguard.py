"""The network guard: a replayed test that reaches for the network fails fast, naming the host.

While a guard is active, name resolution (``socket.getaddrinfo``) and ``connect`` of any socket
to a host that is not allowed raise :class:`NetworkBlocked` at once, so a test never waits on a
DNS or connect timeout. Blocking at name resolution is what lets the message name the host
(``api.sagemaker.us-east-1.amazonaws.com``) rather than an IP address.

Loopback (``localhost``, ``127.0.0.0/8``, ``::1``) and Unix sockets are always allowed: a
downstream suite may legitimately talk to a local test server or database, and nothing on
loopback is "the real AWS". Other hosts are allowed by name or shell-style pattern
(``*.internal.example``) or by IP address.

The error also names the HTTP client whose call it stopped (:func:`calling_client`: the
outermost known library on the stack: ``requests``, ``urllib3``, ``aiohttp``, ``httpx``,
``urllib.request``, ``http.client``, or a botocore/aiobotocore client the replay hook never saw),
because aws-replay can serve only botocore and aiobotocore clients. Name resolution on an
asyncio loop is checked on the loop's thread (``loop.getaddrinfo``), where the caller's
coroutines are still on the stack.

Example::

    with NetworkGuard(["proxy.example"], lambda host, port: f"blocked {host}"):
        ...  # any other host raises NetworkBlocked
"""

from __future__ import annotations

import fnmatch
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType, TracebackType
from typing import Any

from replay.core.hosts import is_aws_host, is_loopback


class NetworkBlocked(RuntimeError):
    """A connection to a host that is not allowed was attempted while the guard was active.

    A ``RuntimeError`` rather than an ``OSError``: HTTP libraries turn ``OSError`` into their own
    connection errors and retry them; this one must reach the test as it is.
    """

    def __init__(self, host: str, port: int | None, message: str,
                 client: str | None = None) -> None:
        super().__init__(message)
        self.host = host
        self.port = port
        self.client = client
        """The HTTP client that made the call, when known (:func:`calling_client`)."""


# (module, how a message names it): matched on the module of each frame of the stack.
_CLIENTS = (
    ("aiobotocore", "an aiobotocore client aws-replay did not hook"),
    ("botocore", "a botocore client aws-replay did not hook"),
    ("aiohttp", "aiohttp"), ("httpx", "httpx"), ("requests", "requests"),
    ("urllib3", "urllib3"), ("urllib.request", "urllib.request"), ("http.client", "http.client"),
)


def calling_client(frame: FrameType | None = None) -> str | None:
    """The HTTP client making the current call: of the known ones on the stack (from ``frame``,
    default the caller's), the outermost, the one the code under test called."""
    found = None
    current: FrameType | None = frame if frame is not None else sys._getframe(1)
    while current is not None:
        name = str(current.f_globals.get("__name__", ""))
        for module, label in _CLIENTS:
            if name == module or name.startswith(module + "."):
                found = label
                break
        current = current.f_back
    return found


def client_note(host: str, client: str) -> str:
    """The line that names the client a blocked call came from, and what to do about it."""
    if client.endswith("did not hook"):
        return (f"the call was made by {client} (one created before the aws-replay plugin "
                "loaded): create the client in the test or in a fixture")
    if is_aws_host(host):
        return (f"the call was made with {client}, which aws-replay cannot serve: it serves "
                "botocore and aiobotocore clients (boto3, aioboto3); make the call through one "
                "of them, or mock it")
    return f"the call was made with {client}"


def host_allowed(host: str | None, allowed: Iterable[str]) -> bool:
    """Whether the guard lets ``host`` through: loopback, or a name/pattern in ``allowed``."""
    if not host:
        return True  # getaddrinfo(None, port) resolves a local bind address, not a remote host
    if is_loopback(host):
        return True
    name = host.strip("[]").lower().rstrip(".")
    return any(fnmatch.fnmatchcase(name, pattern.strip().lower().rstrip("."))
               for pattern in allowed if pattern.strip())


BlockMessage = Callable[[str, "int | None"], str]


class NetworkGuard:
    """Context manager: block resolution of and connections to hosts that are not allowed.

    ``message(host, port)`` builds the error text (the caller knows the test and how to allow
    the host); every blocked attempt is also appended to :attr:`blocked`, so a test that swallows
    the exception can still be failed afterwards.
    """

    _lock = threading.Lock()

    def __init__(self, allowed_hosts: Iterable[str], message: BlockMessage) -> None:
        self.allowed = tuple(allowed_hosts)
        self.message = message
        self.blocked: list[NetworkBlocked] = []
        self._saved: list[tuple[Any, str, Any]] | None = None

    def _block(self, host: str, port: int | None) -> NetworkBlocked:
        client = calling_client()
        text = self.message(host, port)
        error = NetworkBlocked(host, port, f"{text}\n{client_note(host, client)}"
                               if client else text, client)
        self.blocked.append(error)
        return error

    def __enter__(self) -> NetworkGuard:
        real_getaddrinfo = socket.getaddrinfo
        real_gethostbyname = socket.gethostbyname
        real_gethostbyname_ex = socket.gethostbyname_ex
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        import asyncio.base_events  # here: importing asyncio costs a plugin-only run time

        loop_class = asyncio.base_events.BaseEventLoop
        real_loop_getaddrinfo = loop_class.getaddrinfo
        guard = self

        def resolving(host: Any, port: Any = None) -> None:
            name = host.decode("idna") if isinstance(host, bytes) else host
            if not host_allowed(name, guard.allowed):
                raise guard._block(str(name), port if isinstance(port, int) else None)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            resolving(host, port)
            return real_getaddrinfo(host, port, *args, **kwargs)

        async def loop_getaddrinfo(loop: Any, host: Any, port: Any, *args: Any,
                                   **kwargs: Any) -> Any:
            resolving(host, port)  # on the loop's thread: the caller's coroutines are on the stack
            return await real_loop_getaddrinfo(loop, host, port, *args, **kwargs)

        def gethostbyname(host: str) -> str:
            resolving(host)
            return real_gethostbyname(host)

        def gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
            resolving(host)
            return real_gethostbyname_ex(host)

        def check(sock: socket.socket, address: Any) -> None:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
                host = str(address[0])
                if not host_allowed(host, guard.allowed):
                    raise guard._block(host, int(address[1]))

        def connect(sock: socket.socket, address: Any) -> None:
            check(sock, address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            check(sock, address)
            return real_connect_ex(sock, address)

        with self._lock:
            self._saved = [(socket, "getaddrinfo", real_getaddrinfo),
                           (socket, "gethostbyname", real_gethostbyname),
                           (socket, "gethostbyname_ex", real_gethostbyname_ex),
                           (socket.socket, "connect", real_connect),
                           (socket.socket, "connect_ex", real_connect_ex),
                           (loop_class, "getaddrinfo", real_loop_getaddrinfo)]
            for owner, name, replacement in ((socket, "getaddrinfo", getaddrinfo),
                                             (socket, "gethostbyname", gethostbyname),
                                             (socket, "gethostbyname_ex", gethostbyname_ex),
                                             (socket.socket, "connect", connect),
                                             (socket.socket, "connect_ex", connect_ex),
                                             (loop_class, "getaddrinfo", loop_getaddrinfo)):
                setattr(owner, name, replacement)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._saved is None:
            return
        with self._lock:
            for owner, name, original in self._saved:
                setattr(owner, name, original)
            self._saved = None
