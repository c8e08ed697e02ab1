"""What record modes keep: the capture, the calls that must have been captured, the folder lock.

A recording test captures through :func:`recording_capture` (vcrpy, sanitized in memory by the
sanitizer of its rules, :func:`sanitizer_for`). Every call the replay hook let through and the
network answered is noted in :class:`SentCalls`; :meth:`SentCalls.not_recorded` counts the
captured interactions per operation against them, so a call the recorder never kept fails its
test with the reason instead of leaving a cassette that cannot replay it. Credential calls
(:func:`replay.protocols.credentials.is_credential_operation`) are never expected in a cassette.
Writes to a cassette folder happen under :func:`cassette_lock`.

Example::

    calls = SentCalls()
    with recording_capture() as captured:
        ...  # the hook calls calls.note(request, event_name, service_model)
    problem = calls.not_recorded(captured, "tests/test_jobs.py::test_job", "once")
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replay.cassette.model import Interaction
from replay.core.errors import ReplayError
from replay.protocols.requests import protocol_of


@dataclass(frozen=True)
class SentCall:
    """A call a recording test let through that the network answered."""

    service: str
    """botocore's service name (``sagemaker``, ``s3``)."""
    operation: str
    protocol: str


class SentCalls:
    """The calls one recording test sent (thread-safe: clients may run in threads)."""

    def __init__(self) -> None:
        self.calls: list[SentCall] = []
        self._lock = threading.Lock()

    def note(self, request: Any, event_name: str, service_model: Any) -> None:
        """One call the network answered; ``event_name`` is ``before-send.<service>.<Op>``."""
        from replay.protocols.credentials import is_credential_operation

        operation = event_name.rpartition(".")[2]
        service = str(service_model.service_name)
        if is_credential_operation(service, operation):
            return
        call = SentCall(service, operation, protocol_of(service_model))
        with self._lock:
            self.calls.append(call)

    def not_recorded(self, captured: Sequence[Interaction], test_id: str,
                     mode: str) -> str | None:
        """Why calls were not captured (each operation's sent calls against its captured
        interactions), or ``None`` when every one was."""
        with self._lock:
            sent = Counter((c.service, c.operation) for c in self.calls)
            calls = {(c.service, c.operation): c for c in self.calls}
        if not sent:
            return None
        from replay.spec.operations import identify_operation

        kept: Counter[tuple[str, str]] = Counter()
        for interaction in list(captured):
            try:
                ref = identify_operation(interaction.request)
            except ReplayError:
                continue
            kept[(ref.service, ref.operation)] += 1
        lines = []
        for key, count in sent.items():
            missing = count - kept[key]
            if missing > 0:
                call = calls[key]
                lines.append(f"  {call.service}.{call.operation} ({call.protocol} protocol): "
                             f"{missing} of {count} call(s) not captured; {_NOT_CAPTURED}")
        if not lines:
            return None
        return (f"aws-replay: test {test_id} sent calls in mode '{mode}' that could not be "
                "recorded, so its cassette would not replay them:\n" + "\n".join(lines) + "\n"
                "nothing this test recorded is saved (a cassette missing calls fails later, far "
                "from the cause); move the call out of the recorded test or mock it, or pass "
                "--aws-replay-record-failed to save what was captured")


# Why a call the network answered left no captured exchange: the two ways it can happen.
_NOT_CAPTURED = ("the recorder kept no exchange of it: it went over a connection vcrpy does "
                 "not patch (a custom HTTP session, or a connection the client opened before "
                 "recording started), or aws-replay could not tell which operation its request "
                 "calls, so could not replay it")


# ------------------------------------------------------------------------ capture, lock


def rules_key(extra: Mapping[str, Any]) -> str:
    """A test's extra sanitize rules as canonical JSON (the cache key of its sanitizer)."""
    return json.dumps(extra, sort_keys=True, default=str) if extra else ""


@functools.cache
def sanitizer_for(extra_rules: str = "") -> Any:
    """The project's sanitizer (``[tool.aws-replay.sanitize]``), plus a test's extra rules
    (its ``sanitize`` setting, as canonical JSON); one per rule set, so the tests sharing
    rules share one placeholder numbering."""
    from replay.core.config import load_settings
    from replay.sanitize.sanitizer import Sanitizer

    settings = load_settings()
    if extra_rules:
        table = dict(settings.get("sanitize") or {})
        for key, more in json.loads(extra_rules).items():
            table[key] = [*table.get(key, []), *more]
        settings = {**settings, "sanitize": table}
    return Sanitizer.from_settings(settings)


@contextlib.contextmanager
def recording_capture(extra_rules: str = "") -> Iterator[list[Interaction]]:
    """botocore's and aiobotocore's exchanges, sanitized in memory, while the block runs."""
    from replay.record.capture import capture_exchanges

    with capture_exchanges(sanitizer_for(extra_rules)) as captured:
        yield captured


@contextlib.contextmanager
def cassette_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on a cassette's folder, held across read-merge-write.

    A ``filelock`` lock (``flock`` on POSIX, ``msvcrt`` on Windows) on a file named after the
    folder in the temporary directory, so no lock file is left among the cassettes. It is
    advisory and only aws-replay writers take it: pytest-xdist workers on one host serialise
    their writes to a folder.
    """
    from filelock import FileLock

    folder = str(path.parent.resolve()).encode("utf-8", "surrogateescape")
    locks = Path(tempfile.gettempdir()) / "aws-replay-locks"
    locks.mkdir(exist_ok=True)
    with FileLock(locks / f"{hashlib.sha256(folder).hexdigest()[:32]}.lock"):
        yield
