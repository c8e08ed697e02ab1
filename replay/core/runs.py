"""Maximal runs of a character class in ASCII text, found without ``re``.

A pattern that starts with a character class (``\\d{12}``, ``[A-Za-z0-9/+]{40,}``) makes
``re`` try it at every position of the text: about 15 ns a character, and cassettes are
megabytes. Marking the class's bytes with ``bytes.translate`` and searching for ``least``
marks in a row finds the same runs at about 1 ns a character. The detectors (a bare 12-digit
account, a base64 secret) and the decoders (base64 and hex runs) scan this way when the text
is ASCII, and keep their pattern for any other text; tests hold both to the same spans.

Example::

    digits = RunScan(marks(DIGITS), least=12, last=12)
    list(run_spans(digits, "id 123456789012 of 0.123456789012.5"))   # [(3, 15)]
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass

DIGITS = string.digits
HEX_DIGITS = string.hexdigits
BASE64 = string.ascii_letters + string.digits + "+/"
"""The classes scanned for: digits (an account id), hex and base64 runs (``=`` padding apart)."""


def marks(characters: str) -> bytes:
    """A ``bytes.translate`` table marking ``characters`` (ASCII) with 1, the rest with 0."""
    return bytes(1 if chr(code) in characters else 0 for code in range(256))


@dataclass(frozen=True)
class RunScan:
    """Which runs to find: at least ``least`` characters of the class ``table`` marks.

    A match is the run's last ``last`` characters (0: the whole run), then up to ``padding``
    ``=`` signs; ``not_before`` is a character that, followed by one of the class, voids the
    match (a decimal point: ``123456789012.5`` is a number)."""

    table: bytes
    least: int
    last: int = 0
    padding: int = 0
    not_before: str = ""


def run_spans(scan: RunScan, text: str) -> Iterator[tuple[int, int]]:
    """The matches of ``scan`` in ASCII ``text``, left to right, as (start, end): what
    ``re.finditer`` gives for the class pattern they stand for."""
    marked = text.encode("ascii").translate(scan.table)
    size = len(marked)
    row = b"\x01" * scan.least
    at = marked.find(row)
    while at >= 0:  # ``at`` starts a maximal run: each search starts where a match ended
        end = marked.find(b"\x00", at + scan.least)
        if end < 0:
            end = size
        after = end
        number = (scan.not_before and text.startswith(scan.not_before, end)
                  and end + 1 < size and marked[end + 1])
        if not number:
            while after - end < scan.padding and text.startswith("=", after):
                after += 1
            yield (end - scan.last if scan.last else at), after
        at = marked.find(row, after)
