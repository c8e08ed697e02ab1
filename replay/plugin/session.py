"""What the plugin keeps per pytest run: the session state in ``config.stash``, and the collector
registered when the plugin is on (drift findings from every test and xdist worker, the JSON
report, unused-cassette warnings, the terminal summary).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from replay.core.baseline import Baseline
    from replay.core.findings import Finding
    from replay.plugin.engine import ActiveCassette, DriftCache


def usage_error(message: str) -> pytest.UsageError:
    """A usage error whose message has passed the output gate (it may quote a setting)."""
    from replay.core.redaction import redact

    return pytest.UsageError(redact(message))


@dataclass
class SessionState:
    """What the controller (or the only process) gathers from every test report."""

    unused_mode: str
    report: Path | None
    run_started_ns: int
    layers: tuple[tuple[str, dict[str, Any]], ...]  # the command line's and the ini file's
    drift: DriftCache | None = None
    baseline: Baseline | None = None
    baseline_named: str | None = None  # --aws-replay-baseline / ini, as the user wrote it
    findings: dict[str, Finding] = field(default_factory=dict)
    plays: dict[str, list[int]] = field(default_factory=dict)
    max_age: tuple[str, timedelta] | None = None
    """``--aws-replay-max-age`` as given and as an age; ``None``: ages are not checked."""


STATE = pytest.StashKey[SessionState]()


ACTIVE: pytest.StashKey[ActiveCassette] = pytest.StashKey()


class SessionCollector:
    """Registered per run: gathers the per-test data of every report (xdist workers' included)
    and reports once, on the controller or the only process."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.state = config.stash[STATE]
        self._stale: list[Finding] | None = None

    @property
    def reporting(self) -> bool:
        return not hasattr(self.config, "workerinput")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "aws_replay", None)
        if not data:
            return
        from replay.core.findings import Finding

        state = self.state
        for raw in data["findings"]:
            state.findings.setdefault(json.dumps(raw, sort_keys=True, default=str),
                                      Finding.from_dict(raw))
        for name, counts in data["plays"].items():
            total = state.plays.setdefault(name, [0] * len(counts))
            for index, count in enumerate(counts[:len(total)]):
                total[index] += count

    def stale(self) -> list[Finding]:
        """The played cassettes older than ``--aws-replay-max-age``: worked out once per run,
        on the controller, from every worker's play counts."""
        if self._stale is None:
            self._stale = ([] if self.state.max_age is None
                           else _stale(self.state, self.config.rootpath))
        return self._stale

    def unused(self) -> list[str]:
        return [f"{name} interaction {index}" for name, counts in sorted(self.state.plays.items())
                for index, count in enumerate(counts) if count == 0]

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.reporting:
            return
        if self.state.report is not None:
            self._write_report()
        if self.state.unused_mode == "error" and self.unused() and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _write_report(self) -> None:
        from replay.cassette.write import atomic_writer
        from replay.core.atomic import WriteError
        from replay.core.findings import summarize
        from replay.report.render import render_json

        state = self.state
        findings = list(state.findings.values()) + self.stale()
        summary = summarize(findings, cassettes=len(state.plays),
                            interactions=sum(1 for counts in state.plays.values()
                                             for count in counts if count))
        assert state.report is not None
        try:
            with atomic_writer(state.report) as handle:
                handle.write(render_json(findings, summary))
        except WriteError as exc:
            raise usage_error(f"aws-replay: the drift report: {exc}") from None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.reporting:
            return
        state = self.state
        drifted = [f for f in state.findings.values() if not f.accepted]
        if drifted:
            terminalreporter.write_sep("=", "aws-replay drift summary")
            terminalreporter.write_line(_drift_paragraph(drifted))
        accepted = len(state.findings) - len(drifted)
        if accepted and state.baseline is not None and state.baseline.path is not None:
            path = state.baseline.path
            shown = path.relative_to(self.config.rootpath) \
                if path.is_relative_to(self.config.rootpath) else path
            terminalreporter.write_line(
                f"aws-replay: {accepted} replayed finding(s) accepted by the baseline {shown}")
        stale = self.stale()
        if stale and state.max_age is not None:
            terminalreporter.write_sep("=", "aws-replay stale cassettes")
            terminalreporter.write_line(
                f"{len(stale)} replayed cassette(s) are older than {state.max_age[0]} (or of "
                "unknown age); the API may have changed since they were recorded: record them "
                "again, or refresh them with `aws-replay drift --update`:")
            for finding in stale:
                what = (finding.message.split(": older", 1)[0]
                        if finding.kind == "stale-cassette" else
                        "age unknown (no meta.recorded_at, not committed to git)")
                terminalreporter.write_line(
                    f"  {_relative(finding.cassette, self.config)}: {what}")
        unused = self.unused()
        if unused and state.unused_mode != "off":
            terminalreporter.write_sep("=", "aws-replay unused interactions")
            terminalreporter.write_line(
                f"{len(unused)} recorded interaction(s) no test of this session played (a "
                "cassette nothing consumes is dead weight; delete them or add the tests):")
            for line in unused:
                terminalreporter.write_line(f"  {line}")
        if state.report is not None:
            terminalreporter.write_line(f"aws-replay: drift report written to {state.report}")


def _stale(state: SessionState, rootdir: Path) -> list[Finding]:
    from datetime import UTC, datetime

    from replay.cassette.age import age_finding, cassette_age
    from replay.cassette.read import load_cassette
    from replay.core.errors import ReplayError

    assert state.max_age is not None
    text, oldest = state.max_age
    now = datetime.now(UTC)
    found = []
    for name in sorted(state.plays):
        try:
            cassette = load_cassette(rootdir / name)  # names are relative to the rootdir
        except ReplayError:
            continue  # a cassette the run could not read already failed its tests
        finding = age_finding(cassette_age(cassette), oldest, now, text)
        if finding is not None:
            found.append(finding)
    return found


def _relative(name: str | None, config: pytest.Config) -> str:
    path = Path(name or "")
    try:
        return str(path.relative_to(config.rootpath))
    except ValueError:
        return str(path)


def _drift_paragraph(findings: list[Finding]) -> str:
    import botocore

    from replay.core.findings import sort_key, summarize
    from replay.report.text import summary_line

    ordered = sorted(findings, key=sort_key)
    cassettes = sorted({f.cassette or "" for f in ordered})
    shown = "; ".join(f"{f.cassette} interaction {f.interaction} {f.path} ({f.kind}, "
                      f"{f.severity.value})" for f in ordered[:5])
    more = f"; and {len(ordered) - 5} more" if len(ordered) > 5 else ""
    return (f"Replayed responses drifted from botocore {botocore.__version__}'s model: "
            f"{summary_line(summarize(ordered, cassettes=len(cassettes)))}. {shown}{more}. "
            f"The recorded API no longer matches the installed model (or the cassette was "
            f"edited): see `aws-replay check {' '.join(cassettes)}` for the full report.")


def drift_text(findings: list[Finding], mode: str) -> str:
    """The failure (or warning) text of a test's drift findings."""
    import botocore

    from replay.core.findings import summarize
    from replay.core.redaction import redact
    from replay.report.render import gated
    from replay.report.text import render_text

    shown = [gated(f) for f in findings]  # masked before a line cuts a value short
    return redact(f"aws-replay: replayed responses drifted from botocore {botocore.__version__}'s "
                  f"model (drift mode '{mode}'):\n"
                  + render_text(shown, summarize(shown), accepted_hint="").rstrip("\n"))
