"""The pytest plugin ``aws_replay``: boto3 calls in marked tests are served from cassettes.

Only the pytest surface lives here (options, ini settings, the marker, fixtures, hooks); the
engine is :mod:`replay.plugin.engine`, imported when a marked test first runs.

Settings are merged by :func:`replay.plugin.settings.merge_settings`, most important first: the
command line, then the ini file, then the ``aws_replay_config`` fixture, then the marker's keyword
arguments (``allowed_hosts`` adds up across all four). Per-test findings and play counts travel on
the test reports, so under pytest-xdist the controller sees every worker's and writes the drift
summary, the unused-interaction list and ``--aws-replay-report`` once.

Example::

    @pytest.mark.aws_replay("automl/completed-job")   # <test folder>/cassettes/automl/...
    def test_best_candidate(sagemaker):
        job = sagemaker.describe_auto_ml_job(AutoMLJobName="churn-automl-2026")
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from replay.core.errors import AwsReplayWarning, ReplayError
from replay.plugin.netguard import NetworkBlocked
from replay.plugin.paths import MARKER
from replay.plugin.session import (
    ACTIVE,
    STATE,
    SessionCollector,
    SessionState,
    drift_text,
    usage_error,
)

if TYPE_CHECKING:
    from replay.plugin.engine import ActiveCassette




_UNUSED_MODES = ("off", "warn", "error")


# (setting, option, ini type, help). The choices are checked by replay_settings.merge_settings,
# which also checks the ini file, the config fixture and the marker.
_OPTIONS = (
    ("mode", "--aws-replay-mode", "string",
     "none|once|new_episodes|all|rewrite: record mode (default none: replay only, nothing "
     "reaches the network; rewrite replaces a cassette instead of appending)."),
    ("drift", "--aws-replay-drift", "string",
     "error|warn|off: what a replayed response that breaks the botocore model does to the test "
     "(default error)."),
    ("drift_fail_on", "--aws-replay-drift-fail-on", "string",
     "breaking|additive|info: lowest drift severity that fails a test in drift mode error; "
     "lower ones warn (default breaking)."),
    ("allowed_hosts", "--aws-replay-allowed-hosts", "args",
     "Hosts (names, IPs or shell patterns, comma-separated) a replayed test may connect to "
     "besides loopback."),
    ("region", "--aws-replay-region", "string",
     "Region given to replayed tests that set none (default us-east-1)."),
    ("cassette_dir", "--aws-replay-cassette-dir", "string",
     "Folder of cassettes, relative to the rootdir (default: cassettes/ beside each test "
     "module)."),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aws-replay", "replay AWS calls from cassettes (aws-replay)")
    for setting, option, ini_type, text in _OPTIONS:
        group.addoption(option, dest=f"aws_replay_{setting}", default=None, help=text)
        parser.addini(f"aws_replay_{setting}", text, type=ini_type,  # type: ignore[arg-type]
                      default=None)
    group.addoption("--aws-replay-match-host", dest="aws_replay_match_host", action="store_true",
                    default=None, help="Match on the request's host too (default: ignored).")
    parser.addini("aws_replay_match_host", "Match on the request's host too.", type="bool",
                  default=None)
    group.addoption("--aws-replay-record-failed", dest="aws_replay_record_failed",
                    action="store_true", default=None,
                    help="Record modes save a failing test's exchanges too (default: a failing "
                         "test's recordings are dropped, as pytest-recording does).")
    parser.addini("aws_replay_record_failed", "Save a failing test's recordings too.",
                  type="bool", default=None)
    group.addoption("--aws-replay-unused", dest="aws_replay_unused", default=None,
                    help="off|warn|error: list recorded interactions no test of the session "
                         "played (error fails the session; default off).")
    parser.addini("aws_replay_unused", "off|warn|error: report unused interactions.",
                  default=None)
    group.addoption("--aws-replay-report", dest="aws_replay_report", default=None,
                    metavar="PATH", help="Write the session's drift findings as JSON (the shape "
                                         "of `aws-replay check --format json`).")
    parser.addini("aws_replay_report", "Path of the JSON drift report.", default=None)
    group.addoption("--aws-replay-baseline", dest="aws_replay_baseline", default=None,
                    metavar="PATH", help="Baseline of accepted drift (aws-replay accept); "
                                         "default aws-replay-baseline.json beside "
                                         "pyproject.toml, when it exists.")
    parser.addini("aws_replay_baseline", "Path of the baseline of accepted drift.", default=None)
    group.addoption("--aws-replay-max-age", dest="aws_replay_max_age", default=None,
                    metavar="AGE", help="List the replayed cassettes recorded longer ago than "
                                        "AGE (90d, 12w, 36h, 1y) once, in the terminal summary.")
    parser.addini("aws_replay_max_age", "Age (90d, 12w...) past which a cassette is stale.",
                  default=None)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    # Before any conftest or test module can create a boto3 client.
    from replay.plugin.botocore_hook import install

    install()


def _layer(config: pytest.Config, source: str) -> dict[str, Any]:
    names = [setting for setting, *_ in _OPTIONS] + ["match_host", "record_failed"]
    if source == "command line":
        return {name: config.getoption(f"aws_replay_{name}") for name in names}
    return {name: config.getini(f"aws_replay_{name}") for name in names}


def _given(config: pytest.Config, name: str) -> Any:
    value = config.getoption(f"aws_replay_{name}")
    return value if value is not None else config.getini(f"aws_replay_{name}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names, **settings): serve boto3 calls from cassettes <cassette dir>/<name>"
        ".yaml or .json (cassette dir: cassettes/ beside the test module unless "
        "aws_replay_cassette_dir; name: <module>/<test> by default); settings: mode, drift, "
        "drift_fail_on, allowed_hosts, match_host, region, cassette_dir, ignore_parameters, "
        "match_on, sanitize, allow_playback_repeats, record_failed.")
    unused = _given(config, "unused") or "off"
    if unused not in _UNUSED_MODES:
        raise usage_error(f"aws-replay unused {unused!r} is not one of off, warn, error")
    from replay.plugin.botocore_hook import install
    from replay.plugin.settings import merge_settings

    layers = (("command line", _layer(config, "command line")),
              ("ini file", _layer(config, "ini file")))
    try:
        merge_settings(*layers)
    except ReplayError as exc:
        raise usage_error(str(exc)) from None
    install()  # again, for a plugin loaded from a conftest (no initial-conftests hook then)
    worker_input = getattr(config, "workerinput", None)
    started = (worker_input or {}).get("aws_replay_run_started_ns") or time.time_ns()
    report = _given(config, "report")
    max_age = _given(config, "max_age")
    try:
        from replay.cassette.age import parse_max_age

        oldest = parse_max_age(max_age, "aws-replay max_age") if max_age else None
    except ReplayError as exc:
        raise usage_error(str(exc)) from None
    config.stash[STATE] = SessionState(
        unused_mode=unused, run_started_ns=int(started), layers=layers,
        report=(config.invocation_params.dir / report) if report else None,
        max_age=(str(max_age), oldest) if oldest else None)
    _load_baseline(config)
    config.pluginmanager.register(SessionCollector(config), "aws_replay_session")


def _load_baseline(config: pytest.Config) -> None:
    """The baseline of accepted drift: the option (relative to where pytest was started), the
    ini setting (relative to the ini file), else the default beside pyproject.toml."""
    from replay.core.baseline import load_baseline

    state = config.stash[STATE]
    named = config.getoption("aws_replay_baseline")
    explicit = config.invocation_params.dir / named if named else None
    if explicit is None and config.getini("aws_replay_baseline"):
        named = config.getini("aws_replay_baseline")
        folder = config.inipath.parent if config.inipath else config.rootpath
        explicit = folder / named
    try:
        state.baseline = load_baseline(explicit, start=config.rootpath)
    except ReplayError as exc:
        raise usage_error(f"aws-replay: {exc}") from None
    state.baseline_named = named


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: workers share the controller's run start (rewrite appends after it)."""
    node.workerinput["aws_replay_run_started_ns"] = node.config.stash[STATE].run_started_ns


@pytest.fixture
def aws_replay_config() -> dict[str, Any]:
    """Settings for replayed tests of a module or folder; override it to change them.

    Keys: ``mode``, ``drift``, ``drift_fail_on``, ``allowed_hosts``, ``match_host``, ``region``,
    ``cassette_dir``, ``ignore_parameters`` (operation -> JSONPaths matching skips),
    ``match_on`` (``host``, ``region``), ``sanitize`` (extra rules, the schema of
    ``[tool.aws-replay.sanitize]``), ``allow_playback_repeats``, ``record_failed``. The command
    line and the ini
    file win over it; it wins over the marker (list-like keys add up).
    """
    return {}


@pytest.fixture(autouse=True)
def _aws_replay_active(request: pytest.FixtureRequest) -> Iterator[ActiveCassette | None]:
    item = request.node
    markers = list(item.iter_markers(MARKER))
    if not markers or not isinstance(item, pytest.Item):
        yield None
        return
    from replay.plugin.engine import ActiveCassette, DriftCache
    from replay.plugin.paths import cassette_folder, cassette_origins
    from replay.plugin.settings import merge_settings, setting_source

    # Requested here, not as a parameter: unmarked tests never build the user's config fixture.
    aws_replay_config = request.getfixturevalue("aws_replay_config")

    config = request.config
    marker_settings: dict[str, Any] = {}
    for mark in markers:  # the closest marker (function, then class, then module) wins
        for name, value in mark.kwargs.items():
            marker_settings.setdefault(name, value)
    state = config.stash[STATE]
    layers = (*state.layers, ("aws_replay_config fixture", aws_replay_config),
              (f"@pytest.mark.{MARKER} on {item.nodeid}", marker_settings))
    settings = merge_settings(*layers)
    if state.drift is None:
        state.drift = DriftCache(state.baseline)
    folder, folder_origin = cassette_folder(
        item, settings.cassette_dir, config.rootpath, setting_source(layers, "cassette_dir"))
    origins = cassette_origins(item, markers, folder, folder_origin)
    active = ActiveCassette(list(origins), settings, origins=origins,
                            test_id=item.nodeid, rootdir=config.rootpath, drift=state.drift,
                            run_started_ns=state.run_started_ns)
    item.stash[ACTIVE] = active
    with active.activate():
        yield active
    if active.discarded:
        from replay.core.redaction import redact

        path, line, _ = item.location
        warnings.warn_explicit(AwsReplayWarning(redact(
            f"aws-replay: {item.nodeid} failed, so the {active.discarded} exchange(s) it "
            f"recorded were not saved to {active.shown(active.paths[0])} (a failing test's "
            "recordings may be what made it fail); to save them anyway: "
            "--aws-replay-record-failed")), AwsReplayWarning, filename=path,
            lineno=(line or 0) + 1)


@pytest.fixture
def aws_replay_cassette(_aws_replay_active: ActiveCassette | None) -> ActiveCassette:
    """The test's active cassette: ``interactions``, ``play_counts``, ``findings``, ``paths``."""
    if _aws_replay_active is None:
        pytest.fail("aws_replay_cassette needs a replayed test: mark it with "
                    "@pytest.mark.aws_replay", pytrace=False)
    return _aws_replay_active


@pytest.fixture
def sagemaker(_aws_replay_active: ActiveCassette | None) -> Any:
    """A boto3 SageMaker client; its region is AWS_REGION / AWS_DEFAULT_REGION, else the
    ``region`` setting (default us-east-1)."""
    import os

    import boto3

    region = (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
              or (_aws_replay_active.settings.region if _aws_replay_active else "us-east-1"))
    return boto3.client("sagemaker", region_name=region)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    active = item.stash.get(ACTIVE, None)
    if active is None:
        return (yield)
    try:
        result = yield
    except BaseException:
        if active.findings and active.settings.drift != "off":
            item.add_report_section("call", "aws-replay drift",
                                    drift_text(active.findings, active.settings.drift))
        unrecorded = active.not_recorded()
        if unrecorded:
            from replay.core.redaction import redact

            item.add_report_section("call", "aws-replay recording", redact(unrecorded))
        raise
    from replay.core.findings import Severity
    from replay.plugin.engine import ReplayFailure, accept_commands

    # The test may have swallowed the exception (``except Exception``); it still fails.
    if active.failures:
        raise ReplayFailure(str(active.failures[0]))
    if active.blocked():
        raise ReplayFailure(str(active.blocked()[0]))
    unrecorded = active.not_recorded()
    if unrecorded:
        raise ReplayFailure(unrecorded)
    settings = active.settings
    drifted = [f for f in active.findings if not f.accepted]  # accepted drift never fails
    if drifted and settings.drift != "off":
        threshold = Severity(settings.drift_fail_on).rank
        failing = [f for f in drifted if f.severity.rank >= threshold]
        if settings.drift == "error" and failing:
            baseline = item.config.stash[STATE].baseline_named
            commands = "\n".join(f"  {c}" for c in accept_commands(failing, baseline))
            raise ReplayFailure(drift_text(active.findings, settings.drift) + "\n"
                                "if the code handles it, accept it (a fact about the API, in "
                                "every cassette):\n" + commands + "\n"
                                "or re-record the cassette and update the code that reads it; "
                                "--aws-replay-drift=warn reports drift as warnings, =off "
                                "skips the check")
        # attributed to the test, not to this plugin, in pytest's warnings summary
        path, line, _ = item.location
        warnings.warn_explicit(AwsReplayWarning(drift_text(active.findings, settings.drift)),
                               AwsReplayWarning, filename=path, lineno=(line or 0) + 1)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None],
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, ReplayError | NetworkBlocked):
        from replay.core.redaction import redact

        report.longrepr = redact(str(excinfo.value))  # the message says it all; no traceback
    active = item.stash.get(ACTIVE, None)
    if active is not None and report.failed and call.when in ("setup", "call"):
        active.failed = True  # read when the cassette fixture ends: its recordings are dropped
    if active is not None and report.failed and not isinstance(report.longrepr, str | None):
        from replay.core.redaction import redact

        # Any other failure of a replayed test may quote the cassette (botocore's parse error).
        text = str(report.longrepr)
        masked = redact(text)
        if masked != text:
            report.longrepr = masked
    if active is not None and call.when == "call":
        plays = {cassette.name: counts for cassette, counts
                 in zip(active.cassettes, active.play_counts, strict=True)}
        report.aws_replay = {  # type: ignore[attr-defined]  # travels to the xdist controller
            "findings": [f.to_dict() for f in active.findings],
            "plays": plays,
        }
    return report
