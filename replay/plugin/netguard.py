"""The network guard: a replayed test that reaches for the network fails fast, naming the host.

While a guard is active, name resolution (``socket.getaddrinfo``) and ``connect`` of any socket
to a host that is not allowed raise :class:`NetworkBlocked` at once, so a test never waits on a
DNS or connect timeout. Blocking at name resolution is what lets the message name the host
(``api.sagemaker.us-east-1.amazonaws.com``) rather than an IP address.

Loopback (``localhost``, ``127.0.0.0/8``, ``::1``) and Unix sockets are always allowed: a
downstream suite may legitimately talk to a local test server or database, and nothing on
loopback is "the real AWS". Other hosts are allowed by name or shell-style pattern
(``*.internal.example``) or by IP address.

Example::

    with NetworkGuard(["proxy.example"], on_block=attempts.append):
        ...  # any other host raises NetworkBlocked
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any


class NetworkBlocked(RuntimeError):
    """A connection to a host that is not allowed was attempted while the guard was active.

    A ``RuntimeError`` rather than an ``OSError``: HTTP libraries turn ``OSError`` into their own
    connection errors and retry them; this one must reach the test as it is.
    """

    def __init__(self, host: str, port: int | None, message: str) -> None:
        super().__init__(message)
        self.host = host
        self.port = port


def is_loopback(host: str) -> bool:
    """``localhost`` names and loopback addresses (IPv4 ``127.0.0.0/8``, IPv6 ``::1``)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


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
        error = NetworkBlocked(host, port, self.message(host, port))
        self.blocked.append(error)
        return error

    def __enter__(self) -> NetworkGuard:
        real_getaddrinfo = socket.getaddrinfo
        real_gethostbyname = socket.gethostbyname
        real_gethostbyname_ex = socket.gethostbyname_ex
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        guard = self

        def resolving(host: Any, port: Any = None) -> None:
            name = host.decode("idna") if isinstance(host, bytes) else host
            if not host_allowed(name, guard.allowed):
                raise guard._block(str(name), port if isinstance(port, int) else None)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            resolving(host, port)
            return real_getaddrinfo(host, port, *args, **kwargs)

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
                           (socket.socket, "connect_ex", real_connect_ex)]
            for owner, name, replacement in ((socket, "getaddrinfo", getaddrinfo),
                                             (socket, "gethostbyname", gethostbyname),
                                             (socket, "gethostbyname_ex", gethostbyname_ex),
                                             (socket.socket, "connect", connect),
                                             (socket.socket, "connect_ex", connect_ex)):
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
