"""The output gate: every string that leaves the process is masked the way ``scan`` masks.

Reports (every format), error messages, logs, the local endpoint's answers and the pytest
plugin's failure messages pass :func:`redact` last: every value the scanner's detectors
(:mod:`replay.core.detectors`) call a leak is shown as its first four characters and stars
(``AKIA****************``, ``9876********``), enough to find it in a cassette, useless to abuse.
Placeholders (``000000000001``, ``AKIAREDACTED00000001``), AWS-owned account ids and the
project's own allowlist (``[tool.aws-replay.sanitize] allow_account_ids``, which the sanitizer
keeps in cassettes too) pass unchanged, so a sanitized cassette's report reads the same through
the gate.

Example::

    click.echo(redact(f"found {value}"))
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, TextIO

from replay.core.detectors import aws_owned_account_ids, detect
from replay.core.errors import ReplayError

_ACCOUNT_ID = re.compile(r"\d{12}")


@functools.cache
def allowed_accounts() -> frozenset[str]:
    """Account ids the gate lets through: AWS-owned ones and the project's allowlist (read once
    from the nearest pyproject.toml; a setting that cannot be read allows nothing more)."""
    from replay.core.config import load_settings

    try:
        table = load_settings().get("sanitize", {})
    except ReplayError:
        table = {}
    listed = table.get("allow_account_ids", []) if isinstance(table, dict) else []
    own = {str(value) for value in (listed if isinstance(listed, list) else [])
           if _ACCOUNT_ID.fullmatch(str(value))}
    return aws_owned_account_ids() | frozenset(own)


def mask(value: str) -> str:
    """The first four characters, the rest as stars; a long value as a count of characters."""
    shown = value[:4]
    hidden = len(value) - len(shown)
    if hidden > 16:
        return f"{shown}{'*' * 12}...({len(value)} chars)"
    return shown + "*" * hidden


def redact(text: str) -> str:
    """``text`` with every leak the detectors find masked (:func:`mask`); the rest untouched."""
    merged: list[list[int]] = []
    for detection in sorted(detect(text, allowed_accounts()), key=lambda d: d.start):
        if merged and detection.start < merged[-1][1]:  # overlapping values: one mask
            merged[-1][1] = max(merged[-1][1], detection.end)
        else:
            merged.append([detection.start, detection.end])
    if not merged:
        return text
    pieces: list[str] = []
    last = 0
    for start, end in merged:
        pieces += (text[last:start], mask(text[start:end]))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def redact_value(value: Any) -> Any:
    """A JSON-like value with every string in it (keys too) passed through :func:`redact`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


class RedactingStream:
    """A text stream that masks what is written to it before passing it on.

    Writes are masked one call at a time: ``click.echo`` and ``print`` write a whole message
    in one call, and no secret spans two messages.
    """

    def __init__(self, wrapped: TextIO) -> None:
        self._wrapped = wrapped

    def write(self, text: str) -> int:
        self._wrapped.write(redact(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)
