"""The ``aws-replay`` command group: thin click commands, each calling one function of ``replay``.

Exit codes of every checking command: 0 nothing at or above ``--fail-on``, 1 findings at or
above it, 2 bad input or usage (one line on stderr, never a traceback).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from replay import __version__
from replay.cli import baseline, checking, making
from replay.core.errors import ReplayError


class AwsReplayGroup(click.Group):
    """Turns every :class:`ReplayError` into one line on stderr and exit code 2.

    Everything a command prints (reports, errors, logs) passes the redaction gate on its way
    out: stdout and stderr are masked while the command runs (:mod:`replay.core.redaction`).
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from replay.core.redaction import RedactingStream

        # Usage errors are printed here too, outside invoke: the gate wraps the whole run.
        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)
        try:
            return super().main(*args, **kwargs)
        finally:
            sys.stdout, sys.stderr = streams

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReplayError as exc:
            click.echo(f"aws-replay: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("aws-replay: interrupted; nothing was left half-written", err=True)
            ctx.exit(130)


@click.group(cls=AwsReplayGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                   "auto_envvar_prefix": "AWS_REPLAY"})
@click.version_option(__version__, prog_name="aws-replay")
def main() -> None:
    """Record, sanitize, replay and spec-check AWS SageMaker DescribeAutoMLJob exchanges."""



for _command in (checking.check, making.serve, making.record, making.sanitize, making.scan,
                 checking.diff, checking.drift, checking.spec, checking.report, making.demo):
    main.add_command(_command)
main.add_command(baseline.accept)
