"""The engine behind the pytest plugin: serve botocore calls from cassettes, per test.

How a call is served: every botocore client created after :func:`install` has a ``before-send``
handler. Outside a replayed test it does nothing. Inside one it keys the prepared request
(``X-Amz-Target`` + parsed JSON parameters, :func:`replay.matchers.key_of`), plays the next
recorded response from a :class:`replay.playback.Playback` and hands botocore an
``AWSResponse``: serialization, signing and parsing still happen, the network does not.

Which clients are served: every client created through ``botocore.session.Session`` (so every
``boto3.client``, ``boto3.Session().client``, resource) once the plugin is loaded, which pytest
does before reading any conftest or test module. That includes clients made at module level or in
fixtures of any scope. Clients created before pytest loaded its plugins, and aiobotocore clients,
are not hooked; the network guard stops them instead.

Record modes pass unmatched calls to the network, where :mod:`replay.recorder` captures and
sanitizes them in memory; they are saved when the test ends, under a lock so pytest-xdist
workers never interleave writes to one cassette.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib.abc
import importlib.machinery
import io
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from replay.cassette import Cassette, Interaction, RecordedResponse, load_cassette
from replay.errors import ConfigError, ReplayError
from replay.findings import SEVERITY_NAMES, Finding
from replay.matchers import RequestKey, key_of
from replay.netguard import NetworkBlocked, NetworkGuard
from replay.playback import Playback

_PROCESS_STARTED_NS = time.time_ns()

MODES = ("none", "once", "new_episodes", "all", "rewrite")
DRIFT_MODES = ("error", "warn", "off")


class ReplayFailure(ReplayError):
    """A replayed test must fail: a request not recorded, a missing cassette, drift, network."""


class RequestNotRecorded(ReplayFailure):
    """A boto3 call matched no recorded interaction and the mode does not record."""


# ---------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class ReplaySettings:
    """The effective settings of one test (see :func:`merge_settings` for where they come from)."""

    mode: str = "none"
    drift: str = "error"
    drift_fail_on: str = "breaking"
    match_host: bool = False
    allowed_hosts: tuple[str, ...] = ()
    region: str = "us-east-1"
    cassette_dir: str = "cassettes"


SETTING_NAMES = tuple(f.name for f in fields(ReplaySettings))
_CHOICES = {"mode": MODES, "drift": DRIFT_MODES, "drift_fail_on": SEVERITY_NAMES}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _coerce(name: str, value: Any, source: str) -> Any:
    if name in _CHOICES:
        text = str(value).strip().lower().replace("-", "_") if name == "mode" else str(value)
        if text not in _CHOICES[name]:
            raise ConfigError(f"{source}: aws-replay {name} {value!r} is not one of "
                              f"{', '.join(_CHOICES[name])}")
        return text
    if name == "match_host":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in _TRUE | _FALSE:
            raise ConfigError(f"{source}: aws-replay match_host {value!r} is not true or false")
        return text in _TRUE
    if name == "allowed_hosts":
        items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
        return tuple(str(item).strip() for item in items if str(item).strip())
    return str(value)


def merge_settings(*layers: tuple[str, Mapping[str, Any] | None]) -> ReplaySettings:
    """Merge ``(source, values)`` layers, most important first; unset (``None``) values skip.

    The plugin passes: command line, ini file, the ``aws_replay_config`` fixture, the marker's
    keyword arguments. The first layer that sets a value wins, except ``allowed_hosts``, which
    adds up across layers. Unknown names and invalid values raise :class:`ConfigError` naming
    the layer.
    """
    values: dict[str, Any] = {}
    hosts: list[str] = []
    for source, layer in layers:
        if layer is not None and not isinstance(layer, Mapping):
            raise ConfigError(f"{source}: aws-replay settings must be a dict, got "
                              f"{type(layer).__name__}")
        for name, value in (layer or {}).items():
            if name not in SETTING_NAMES:
                raise ConfigError(f"{source}: unknown aws-replay setting {name!r}; known: "
                                  f"{', '.join(SETTING_NAMES)}")
            if value is None:
                continue
            coerced = _coerce(name, value, source)
            if name == "allowed_hosts":
                hosts.extend(h for h in coerced if h not in hosts)
            else:
                values.setdefault(name, coerced)
    return ReplaySettings(**values, allowed_hosts=tuple(hosts))


# ---------------------------------------------------------------------------- hooking botocore

_active: ActiveCassette | None = None
_install_lock = threading.Lock()
_PATCHED = "_aws_replay_patched"


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


# ----------------------------------------------------------------------------- responses


class _RawBody(io.BytesIO):
    """What botocore reads a body from: ``stream()`` for parsing, ``read()`` for streaming."""

    def stream(self, amt: int = 65536, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def _aws_response(url: str, response: RecordedResponse) -> Any:
    from botocore.awsrequest import AWSResponse

    headers = {name: ", ".join(values) for name, values in response.headers.items()}
    return AWSResponse(url, response.status, headers, _RawBody(response.body))


def _header(request: Any, name: str) -> str | None:
    value = request.headers.get(name)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if value is None else str(value)


def _operation_name(request: Any, event_name: str) -> str:
    target = _header(request, "X-Amz-Target")
    if target:
        return target
    parts = event_name.split(".")
    return f"{parts[1]}.{parts[2]}" if len(parts) >= 3 else "the request"


# ------------------------------------------------------------------------------- drift


class DriftCache:
    """Spec-check findings per cassette interaction, computed once per session."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], tuple[Cassette, list[Finding]]] = {}
        self._lock = threading.Lock()

    def findings(self, cassette: Cassette, index: int, operation: Any) -> list[Finding]:
        """Findings of one interaction's response against ``operation`` (an OperationModel)."""
        key = (id(cassette), index)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is cassette:
            return hit[1]
        from replay.spec import check_body

        response = cassette.interactions[index].response
        name = f"{operation.service_model.service_name}:{operation.name}"
        found = [replace(f, cassette=cassette.name, interaction=index, operation=name)
                 for f in check_body(operation, response.body, response.status,
                                     response.headers)]
        with self._lock:
            self._cache[key] = (cassette, found)  # holding the cassette keeps its id unique
        return found


# A loaded cassette under the name the user sees (relative to the rootdir), kept per file version
# so a test costs one stat per cassette, and the drift cache and Playback see one object per
# version. Playbacks are kept too (their request keys parse every recorded body) and rewound.
_shown: dict[Path, tuple[int, int, Cassette]] = {}
_playbacks: dict[tuple[tuple[int, ...], bool], tuple[tuple[Cassette, ...], Playback]] = {}


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _load_shown(path: Path, stat: os.stat_result, shown_as: str) -> Cassette:
    hit = _shown.get(path)
    if hit is not None and hit[0] == stat.st_mtime_ns and hit[1] == stat.st_size:
        return hit[2]
    try:
        loaded = load_cassette(path)
    except ReplayError as exc:  # name the cassette as the user does, not by absolute path
        raise type(exc)(str(exc).replace(str(path), shown_as)) from None
    copy = replace(loaded, path=Path(shown_as))
    _shown[path] = (stat.st_mtime_ns, stat.st_size, copy)
    return copy


def _playback_for(cassettes: tuple[Cassette, ...], match_host: bool) -> Playback:
    key = (tuple(id(c) for c in cassettes), match_host)
    hit = _playbacks.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], cassettes, strict=True)):
        playback = hit[1]
        playback.rewind()
        playback.play_counts = [[0] * len(c.interactions) for c in cassettes]
        return playback
    playback = Playback(cassettes, match_host=match_host)
    _playbacks[key] = (cassettes, playback)  # holding the cassettes keeps their ids unique
    return playback


# ------------------------------------------------------------------------ the active cassette


def record_command(test_id: str, mode: str) -> str:
    """The command that records what a test needs."""
    return f"pytest --aws-replay-mode={mode} {shlex.quote(test_id)}"


class ActiveCassette:
    """The cassette(s) one test replays from and, in record modes, records into.

    Also the value of the ``aws_replay_cassette`` fixture: ``interactions``, ``play_counts``,
    ``findings`` (drift of the responses played so far), ``recorded`` (interactions recorded
    so far, sanitized).
    """

    def __init__(self, paths: Sequence[Path], settings: ReplaySettings, *, test_id: str,
                 rootdir: Path, drift: DriftCache, run_started_ns: int | None = None) -> None:
        if not paths:
            raise ConfigError(f"{test_id}: no cassette named")
        self.paths = tuple(paths)
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
            mode == "once" and (first is None or first.st_mtime_ns >= self.run_started_ns))
        self.replaying = mode not in ("all", "rewrite")
        self.cassettes: tuple[Cassette, ...] = tuple(
            _load_shown(p, stat, self.shown(p)) for p, stat in stats.items()
            if stat is not None and self.replaying)
        self.playback = _playback_for(self.cassettes, settings.match_host)
        self._final_counts: list[list[int]] | None = None
        self.findings: list[Finding] = []
        self.failures: list[ReplayFailure] = []
        self.recorded: list[Interaction] = []
        self.guard: NetworkGuard | None = None
        self._played: set[tuple[int, int]] = set()
        self._lock = threading.Lock()

    def _written_this_run(self, path: Path) -> bool:
        try:
            return path.stat().st_mtime_ns >= self.run_started_ns
        except FileNotFoundError:
            return False

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

        ``service_model`` is the calling client's, used for the drift check.
        """
        target = _header(request, "X-Amz-Target")
        key = key_of(target, request.body, request.url, match_host=self.settings.match_host)
        hit = self.playback.play(key) if self.replaying and target else None
        if hit is not None:
            if self.settings.drift != "off":
                self._note_drift(hit.cassette, hit.index, service_model, event_name)
            return _aws_response(request.url, hit.interaction.response)
        if self.recording:
            return None
        error = self._miss(key, _operation_name(request, event_name), bool(target))
        with self._lock:
            self.failures.append(error)
        raise error

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

    def _miss(self, key: RequestKey, operation: str, json_protocol: bool) -> ReplayFailure:
        mode = self.settings.mode
        if not json_protocol:
            return RequestNotRecorded(
                f"aws-replay: {operation} is not an AWS JSON protocol call (no X-Amz-Target), "
                f"which cassettes cannot replay; test {self.test_id} must not make it in mode "
                f"'{mode}' (mock it, or move it out of the replayed test)")
        if self.missing:
            names = ", ".join(self.shown(p) for p in self.missing)
            return RequestNotRecorded(
                f"aws-replay: cassette {names} does not exist, and mode '{mode}' only replays; "
                f"{key.describe()} was not sent\n"
                f"to record it: {record_command(self.test_id, 'once')}")
        return RequestNotRecorded(
            f"aws-replay: {self.playback.explain_miss(key)}\n"
            f"to record it: {record_command(self.test_id, 'new_episodes')}")

    def _blocked_message(self, host: str, port: int | None) -> str:
        where = f"{host}:{port}" if port else host
        return (f"aws-replay: network access blocked in replayed test {self.test_id}: {where} "
                f"(mode '{self.settings.mode}' never reaches the network)\n"
                f"to allow it: @pytest.mark.aws_replay(allowed_hosts=[{host!r}]) or "
                f"--aws-replay-allowed-hosts={host}; to record AWS calls instead: "
                f"{record_command(self.test_id, 'once')}")

    # ------------------------------------------------------------------ activation

    @contextlib.contextmanager
    def activate(self) -> Iterator[ActiveCassette]:
        """Serve botocore calls from this cassette until the block ends; save what was recorded."""
        global _active
        install()
        with contextlib.ExitStack() as stack:
            capture: Any = None
            if self.recording:
                capture = self.recorded = stack.enter_context(_capture())  # grows as it records
            else:
                stack.enter_context(dummy_aws_environment(self.settings.region))
                self.guard = stack.enter_context(
                    NetworkGuard(self.settings.allowed_hosts, self._blocked_message))
            _active = self
            try:
                yield self
            finally:
                _active = None
                # the Playback is reused by the next test of these cassettes
                self._final_counts = [list(counts) for counts in self.playback.play_counts]
        if capture is not None:
            self.recorded = list(capture)
            if self.recorded:
                self._save(self.recorded)

    def blocked(self) -> list[NetworkBlocked]:
        return list(self.guard.blocked) if self.guard is not None else []

    def _save(self, interactions: list[Interaction]) -> None:
        from replay.recorder import save_recording, source_for_endpoint

        path = self.paths[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        with cassette_lock(path):
            exists = path.exists()
            # rewrite replaces the cassette once per run; a later test (or xdist worker) of the
            # same run sharing it appends, recognised by a write after the run started.
            fresh = self._written_this_run(path)
            append = exists and (self.settings.mode != "rewrite" or fresh)
            source = source_for_endpoint(interactions[0].request.uri)
            save_recording(path, interactions, source=source, sanitizer=_sanitizer(),
                           overwrite=exists and not append, append=append)


@functools.cache
def _sanitizer() -> Any:
    from replay.config import load_settings
    from replay.sanitize import Sanitizer

    return Sanitizer.from_settings(load_settings())


@contextlib.contextmanager
def _capture() -> Iterator[list[Interaction]]:
    from replay.recorder import capture_exchanges

    with capture_exchanges(_sanitizer()) as captured:
        yield captured


@contextlib.contextmanager
def cassette_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on a cassette's folder, held across read-merge-write.

    The folder itself is locked (``flock`` on its descriptor), so no lock file is left among the
    cassettes; the lock is advisory and only aws-replay writers take it.
    """
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# ----------------------------------------------------------------------- credentials


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
