"""The engine behind the pytest plugin: serve botocore calls from cassettes, per test.

How a call is served: every botocore client created after
:func:`replay.plugin.botocore_hook.install`
has a ``before-send`` handler (which clients that covers is told there). Outside a replayed test
it does nothing. Inside one it asks the test's :class:`ActiveCassette`, which keys the prepared
request (``X-Amz-Target`` + parsed JSON parameters, :func:`replay.match.matchers.key_of`), plays the
next recorded response from a :class:`replay.match.playback.Playback` and hands botocore an
``AWSResponse``: serialization, signing and parsing still happen, the network does not. The
test's settings come from :func:`replay.plugin.settings.merge_settings`.

Record modes pass unmatched calls to the network, where :mod:`replay.record.capture` captures and
sanitizes them in memory; they are saved when the test ends, under a lock so pytest-xdist
workers never interleave writes to one cassette. Recording is honest: every call let through
that the network answered must have been captured (credential traffic aside), else the test
fails saying which call and why (:meth:`ActiveCassette.not_recorded`); and a failing test's
exchanges are not saved unless the ``record_failed`` setting says so.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from replay.cassette.model import Cassette, Interaction
from replay.cassette.read import CassetteCache
from replay.core.baseline import Baseline
from replay.core.bounded import BoundedCache
from replay.core.errors import ConfigError, ReplayError
from replay.core.findings import Finding
from replay.match.matchers import MatchOptions, RequestKey, key_of, key_of_operation
from replay.match.playback import Playback
from replay.plugin.botocore_hook import (
    aws_response,
    dummy_aws_environment,
    install,
    request_header,
    serving,
)
from replay.plugin.netguard import NetworkBlocked, NetworkGuard
from replay.plugin.recording import (
    SentCalls,
    cassette_lock,
    recording_capture,
    rules_key,
    sanitizer_for,
)
from replay.plugin.settings import ReplaySettings
from replay.protocols.wire import WireRequest

_PROCESS_STARTED_NS = time.time_ns()


class ReplayFailure(ReplayError):
    """A replayed test must fail: a request not recorded, a missing cassette, drift, network."""


class RequestNotRecorded(ReplayFailure):
    """A boto3 call matched no recorded interaction and the mode does not record."""



# ------------------------------------------------------------------------------- drift


class DriftCache:
    """Spec-check findings per cassette interaction, computed once per session; those the
    ``baseline`` accepts are marked (and never fail a test)."""

    def __init__(self, baseline: Baseline | None = None, maxsize: int = 4096) -> None:
        # bounded: a session's memory stays flat in its cassettes (a dropped entry is only
        # computed again; each test's own findings are kept with the test)
        self._cache: BoundedCache[tuple[int, int], tuple[Cassette, list[Finding]]] = \
            BoundedCache(maxsize)
        self.baseline = baseline

    def __len__(self) -> int:
        return len(self._cache)

    def findings(self, cassette: Cassette, index: int, operation: Any) -> list[Finding]:
        """Findings of one interaction's response against ``operation`` (an OperationModel)."""
        key = (id(cassette), index)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is cassette:
            return hit[1]
        from replay.spec.check import check_body

        response = cassette.interactions[index].response
        name = f"{operation.service_model.service_name}:{operation.name}"
        found = [replace(f, cassette=cassette.name, interaction=index, operation=name)
                 for f in check_body(operation, response.body, response.status,
                                     response.headers)]
        if self.baseline is not None:
            found = self.baseline.apply(found)
        self._cache.put(key, (cassette, found))  # holding the cassette keeps its id unique
        return found


# A loaded cassette under the name the user sees (relative to the rootdir), kept per file version
# so a test costs one stat per cassette, and the drift cache and Playback see one object per
# version. Playbacks are kept too (their request keys parse every recorded body) and rewound.
_shown = CassetteCache(maxsize=1024)  # bounded: a session's memory stays flat in its cassettes
_playbacks: BoundedCache[tuple[tuple[int, ...], MatchOptions, bool],
                         tuple[tuple[Cassette, ...], Playback]] = BoundedCache(maxsize=1024)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _load_shown(path: Path, stat: os.stat_result, shown_as: str) -> Cassette:
    try:
        return _shown.load(path, stat=stat, name=Path(shown_as))
    except ReplayError as exc:  # name the cassette as the user does, not by absolute path
        raise type(exc)(str(exc).replace(str(path), shown_as)) from None


def _playback_for(cassettes: tuple[Cassette, ...], options: MatchOptions,
                  repeats: bool = True) -> Playback:
    key = (tuple(id(c) for c in cassettes), options, repeats)
    hit = _playbacks.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], cassettes, strict=True)):
        playback = hit[1]
        playback.rewind()
        playback.play_counts = [[0] * len(c.interactions) for c in cassettes]
        return playback
    playback = Playback(cassettes, options=options, repeats=repeats)
    _playbacks.put(key, (cassettes, playback))  # holding the cassettes keeps their ids unique
    return playback


# ------------------------------------------------------------------------ the active cassette


def record_command(test_id: str, mode: str) -> str:
    """The command that records what a test needs."""
    return f"pytest --aws-replay-mode={mode} {shlex.quote(test_id)}"


def accept_commands(findings: Sequence[Finding], baseline: str | None = None) -> list[str]:
    """The ``aws-replay accept`` commands (one per cassette) that accept exactly ``findings``;
    ``baseline`` names the file when it is not the default one."""
    paths: dict[str, list[str]] = {}
    for finding in findings:
        listed = paths.setdefault(finding.cassette or "", [])
        if finding.path not in listed:
            listed.append(finding.path)
    option = f" --baseline {shlex.quote(baseline)}" if baseline else ""
    return [f"aws-replay accept {shlex.quote(cassette)}{option} "
            + " ".join(f"--path {shlex.quote(path)}" for path in listed)
            for cassette, listed in paths.items()]


class ActiveCassette:
    """The cassette(s) one test replays from and, in record modes, records into.

    Also the value of the ``aws_replay_cassette`` fixture: ``interactions``, ``play_counts``,
    ``findings`` (drift of the responses played so far), ``recorded`` (interactions recorded
    so far, sanitized).
    """

    def __init__(self, paths: Sequence[Path], settings: ReplaySettings, *, test_id: str,
                 rootdir: Path, drift: DriftCache, run_started_ns: int | None = None,
                 origins: Mapping[Path, str] | None = None) -> None:
        if not paths:
            raise ConfigError(f"{test_id}: no cassette named")
        self.paths = tuple(paths)
        self.origins = dict(origins or {})
        """Per path, the setting that chose it (named when a cassette is not found)."""
        self.settings = settings
        self.test_id = test_id
        self.run_started_ns = _PROCESS_STARTED_NS if run_started_ns is None else run_started_ns
        self._rootdir = rootdir
        self._drift = drift
        stats = {p: _stat(p) for p in self.paths}
        self.missing = tuple(p for p in self.paths if stats[p] is None)
        mode = settings.mode
        first = stats[self.paths[0]]
        # once records a cassette that did not exist when the run started; tests (or xdist
        # workers) sharing it keep adding to it for the rest of the run.
        self.recording = mode in ("new_episodes", "all", "rewrite") or (
            mode == "once" and (first is None or self._written_this_run(first)))
        self.replaying = mode not in ("all", "rewrite")
        self.cassettes: tuple[Cassette, ...] = tuple(
            _load_shown(p, stat, self.shown(p)) for p, stat in stats.items()
            if stat is not None and self.replaying)
        self._match = settings.match_options  # built once: respond() runs per call
        self.playback = _playback_for(self.cassettes, self._match,
                                      settings.allow_playback_repeats)
        self._final_counts: list[list[int]] | None = None
        self.findings: list[Finding] = []
        self.failures: list[ReplayFailure] = []
        self.recorded: list[Interaction] = []
        self.sent = SentCalls()
        """Calls let through that the network answered (record modes), credential calls aside."""
        self.failed = False
        """The test failed (set by the plugin): its recordings are kept only if record_failed."""
        self.discarded = 0
        """How many recorded interactions were not saved because the test failed."""
        self.guard: NetworkGuard | None = None
        self._played: set[tuple[int, int]] = set()
        self._lock = threading.Lock()

    def _written_this_run(self, stat: os.stat_result | None) -> bool:
        return stat is not None and stat.st_mtime_ns >= self.run_started_ns

    def shown(self, path: Path) -> str:
        """``path`` as the user sees it: relative to the rootdir when it is inside it."""
        try:
            return str(path.relative_to(self._rootdir))
        except ValueError:
            return str(path)

    @property
    def interactions(self) -> tuple[Interaction, ...]:
        return tuple(i for c in self.cassettes for i in c.interactions)

    @property
    def play_counts(self) -> list[list[int]]:
        """How often each recorded interaction was played, per cassette, in this test."""
        if self._final_counts is not None:
            return self._final_counts
        return self.playback.play_counts

    def unused(self) -> list[tuple[str, int]]:
        """Recorded interactions this test never played: (cassette as shown, index)."""
        return [(cassette.name, index)
                for cassette, counts in zip(self.cassettes, self.play_counts, strict=True)
                for index, count in enumerate(counts) if count == 0]

    # -------------------------------------------------------------------- serving

    def respond(self, request: Any, event_name: str, service_model: Any) -> Any:
        """The recorded response for a prepared botocore request; ``None`` lets it through.

        ``service_model`` is the calling client's: it names the operation (the event is
        ``before-send.<service>.<Operation>``), reads the parameters the way the protocol puts
        them on the wire, and checks drift.
        """
        match = self._match
        target = request_header(request, "X-Amz-Target")
        if target:  # the JSON protocol's fast path: the target and the body are the key
            key = key_of(target, request.body, request.url, options=match,
                         authorization=request_header(request, "Authorization")
                         if match.region else None)
        else:
            wire = WireRequest.from_parts(request.method, request.url, request.headers,
                                          request.body)
            key = key_of_operation(service_model.operation_model(event_name.rpartition(".")[2]),
                                   wire, options=match)
        hit = self.playback.play(key) if self.replaying else None
        if hit is not None:
            if self.settings.drift != "off":
                self._note_drift(hit.cassette, hit.index, service_model, event_name)
            return aws_response(request.url, hit.interaction.response)
        if self.recording:
            return None
        error = self._miss(key)
        with self._lock:
            self.failures.append(error)
        raise error

    def note_sent(self, request: Any, event_name: str, service_model: Any) -> None:
        """A call :meth:`respond` let through was answered by the network (the hook says so)."""
        if self.recording:
            self.sent.note(request, event_name, service_model)

    def not_recorded(self) -> str | None:
        """Why calls this test sent were not captured, or ``None`` when every one was."""
        return self.sent.not_recorded(self.recorded, self.test_id, self.settings.mode)

    def _note_drift(self, cassette: Cassette, index: int, service_model: Any,
                    event_name: str) -> None:
        with self._lock:
            if (id(cassette), index) in self._played:
                return
            self._played.add((id(cassette), index))
        # the event is before-send.<service>.<Operation>
        operation = service_model.operation_model(event_name.rpartition(".")[2])
        found = self._drift.findings(cassette, index, operation)
        with self._lock:
            self.findings.extend(found)

    def _miss(self, key: RequestKey) -> ReplayFailure:
        mode = self.settings.mode
        if self.missing:
            names = ", ".join(
                f"{p.absolute()}" + (f" (chosen by {self.origins[p]})" if p in self.origins
                                     else "") for p in self.missing)
            return RequestNotRecorded(
                f"aws-replay: cassette {names} does not exist, and mode '{mode}' only replays; "
                f"{key.describe()} was not sent\n"
                f"to record it: {record_command(self.test_id, 'once')}")
        return RequestNotRecorded(
            f"aws-replay: {self.playback.explain_miss(key)}\n"
            f"to record it: {record_command(self.test_id, 'new_episodes')}")

    def _blocked_message(self, host: str, port: int | None) -> str:
        where = f"{host}:{port}" if port else host
        mode = self.settings.mode
        why = (f"mode '{mode}' never reaches the network" if mode == "none" else
               f"mode '{mode}' replays the existing cassette and never reaches the network")
        # 'once' records only a cassette that does not exist yet; new_episodes adds to one
        record = "once" if self.missing else "new_episodes"
        return (f"aws-replay: network access blocked in replayed test {self.test_id}: {where} "
                f"({why})\n"
                f"to allow it: @pytest.mark.aws_replay(allowed_hosts=[{host!r}]) or "
                f"--aws-replay-allowed-hosts={host}; to record AWS calls instead: "
                f"{record_command(self.test_id, record)}")

    # ------------------------------------------------------------------ activation

    @contextlib.contextmanager
    def activate(self) -> Iterator[ActiveCassette]:
        """Serve botocore calls from this cassette until the block ends; save what was recorded."""
        install()
        with contextlib.ExitStack() as stack:
            capture: Any = None
            if self.recording:
                capture = self.recorded = stack.enter_context(  # grows as it records
                    recording_capture(rules_key(self.settings.sanitize)))
            else:
                stack.enter_context(dummy_aws_environment(self.settings.region))
                self.guard = stack.enter_context(
                    NetworkGuard(self.settings.allowed_hosts, self._blocked_message))
            try:
                with serving(self):
                    yield self
            finally:
                # the Playback is reused by the next test of these cassettes
                self._final_counts = [list(counts) for counts in self.playback.play_counts]
        if capture is not None:
            self.recorded = list(capture)
            if self.recorded and self.failed and not self.settings.record_failed:
                self.discarded = len(self.recorded)
            elif self.recorded:
                self._save(self.recorded)

    def blocked(self) -> list[NetworkBlocked]:
        return list(self.guard.blocked) if self.guard is not None else []

    def _save(self, interactions: list[Interaction]) -> None:
        from replay.record.capture import save_recording, source_for_endpoint

        path = self.paths[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        with cassette_lock(path):
            stat = _stat(path)
            exists = stat is not None
            # rewrite replaces the cassette once per run; a later test (or xdist worker) of the
            # same run sharing it appends, recognised by a write after the run started.
            fresh = self._written_this_run(stat)
            append = exists and (self.settings.mode != "rewrite" or fresh)
            source = source_for_endpoint(interactions[0].request.uri)
            save_recording(path, interactions, source=source,
                           sanitizer=sanitizer_for(rules_key(self.settings.sanitize)),
                           overwrite=exists and not append, append=append)
