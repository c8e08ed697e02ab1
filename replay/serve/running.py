"""A running local endpoint: the handle :func:`replay.serve.server.start_server` returns, and
the counts of what it answered.

:class:`RunningServer` serves on a background thread and is a context manager that stops it
(stop accepting, hang up on keep-alive clients, release the port); :class:`ServeStats` counts
requests by kind (``hit``, ``miss``, ``synthetic``, ``error``...) for tests and the stop summary.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replay.serve.responders import Responder
    from replay.serve.server import ReplayHTTPServer


@dataclass
class ServeStats:
    """How many requests the server answered, by kind (``hit``, ``synthetic``, ``miss``...)."""

    counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        parts = [f"{count} {kind}" for kind, count in sorted(self.counts.items())]
        return f"{self.total} request{'s' if self.total != 1 else ''}" + (
            f" ({', '.join(parts)})" if parts else "")


class RunningServer:
    """A server answering on a background thread; a context manager that stops it on exit."""

    def __init__(self, httpd: ReplayHTTPServer) -> None:
        self.httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="aws-replay-serve",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._stopped = False
        self._thread.start()

    @property
    def host(self) -> str:
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port``: pass it as ``endpoint_url`` (boto3) or ``--endpoint-url``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def responder(self) -> Responder:
        return self.httpd.responder

    @property
    def stats(self) -> ServeStats:
        return self.httpd.stats

    def stop(self) -> None:
        """Stop accepting, hang up on open connections, release the port. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self.httpd.shutdown()
        self.httpd.close_connections()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
