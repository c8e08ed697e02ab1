"""The leak scanner: finds in cassette files what a reviewer cannot see.

It reads each file as text and also decodes what hides values from a ``grep``
(:mod:`replay.sanitize.decoders`, the decoders the sanitizer rewrites through): vcrpy's
``!!binary`` blocks, compressed bodies in them (gzip, deflate), base64 at any depth, hex,
URL-encoding and JSON escapes; and it reads every YAML scalar as YAML does (keys as well as
values, a double-quoted scalar folded over lines joined again). Every value the
sanitizer's rules would still replace (access key ids, SigV4 signatures, session tokens,
secret-key-like strings, account ids not on the allowlist) is a :class:`Leak` with its file and
line. A leak's value is never printed whole: :attr:`Leak.redacted` shows only its first
characters.

Example::

    leaks = scan_paths([Path("cassettes")], Sanitizer.default())
    for leak in leaks.leaks:
        print(leak.describe())   # cassettes/job.yaml:12: access-key-id: AKIA**************** ...
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from replay.cassette.read import map_cassettes, parse_cassette, read_text
from replay.core.detectors import LEAK_KINDS
from replay.core.errors import CassetteError
from replay.core.findings import Finding, Severity, summarize
from replay.core.redaction import mask
from replay.sanitize.decoders import Budget, Segment, decompress, printable, sniff, views
from replay.sanitize.sanitizer import Sanitizer

_BINARY_TAG = re.compile(r"!!binary(?:[ \t]+(?P<inline>[A-Za-z0-9+/=]+)|[ \t]*[|>][-+]?[ \t]*$)",
                         re.MULTILINE)
# Literal-led (a header name), then checked to be a mapping key: "^" with MULTILINE is slow.
_SECRET_HEADER = re.compile(
    r"(?i)(?P<name>x-amz-security-token|set-cookie|cookie)['\"]?[ \t]*:"
    r"[ \t]*(?P<value>[^\n]*)(?:\n[ \t]*-[ \t]*(?P<listed>[^\n]*))?")
_ESCAPE_IN_QUOTES = re.compile(r'"[^"\n]*\\')
_FOLDED_BLOCK = re.compile(r"[:\-][ \t]+>[-+0-9]*[ \t]*(?:#[^\n]*)?\n")
_BROTLI_HEADER = re.compile(r"(?i)content-encoding['\"]?:\s*(?:-\s*)?['\"]?br\b")
_KEY_INDENT = re.compile(r"[ \t\-'\"]*")
_BINARY = frozenset({"tag:yaml.org,2002:binary", "!!binary"})
_ALL_BUT_QUOTES_AND_BREAKS = bytes(code for code in range(256) if code not in b'"\n')


@dataclass(frozen=True)
class Leak:
    """One value in a file that must not be committed."""

    path: Path
    line: int
    kind: str
    value: str = field(repr=False)
    decoded_from: str = ""

    @property
    def redacted(self) -> str:
        """The first four characters, the rest masked: enough to find it, useless to abuse."""
        return mask(self.value)

    def describe(self) -> str:
        how = f" (in {self.decoded_from})" if self.decoded_from else ""
        return f"{self.path}:{self.line}: {self.kind}: {self.redacted}{how}"

    def to_finding(self) -> Finding:
        how = f", decoded from {self.decoded_from}" if self.decoded_from else ""
        return Finding(kind=self.kind, severity=Severity.BREAKING, path=f"line {self.line}",
                       message=f"{self.kind} {self.redacted} at line {self.line}{how}; run "
                               "`aws-replay sanitize` on this cassette",
                       actual=self.redacted, cassette=str(self.path))


@dataclass
class ScanRun:
    """The result of scanning files: every leak, and how many files were read."""

    leaks: list[Leak]
    files: int

    def findings(self) -> list[Finding]:
        return [leak.to_finding() for leak in self.leaks]

    def summary(self) -> dict[str, Any]:
        return summarize(self.findings(), cassettes=self.files)


def _line_starts(text: str) -> list[int]:
    """Offsets where lines begin: line n (1-based) starts at ``starts[n - 1]``."""
    lengths = (len(line) + 1 for line in text.split("\n")[:-1])
    return [0, *itertools.accumulate(lengths)]


def _needs_yaml_reading(text: str) -> bool:
    """Whether a scalar may read differently from its text: an escape inside double quotes, a
    double-quoted scalar open at a line's end (folded over lines), or a folded block (``>``).
    Plain and single-quoted scalars fold a line break into a space, so what they hold is in the
    text as it is."""
    if "\\" in text and _ESCAPE_IN_QUOTES.search(text):
        return True
    if ">" in text and _FOLDED_BLOCK.search(text):
        return True
    return '"' in text and _a_line_has_odd_quotes(text)


def _a_line_has_odd_quotes(text: str) -> bool:
    if not text.isascii():
        return any(line.count('"') % 2 for line in text.split("\n") if '"' in line)
    # the quotes and line breaks alone; a line's quotes in pairs dropped, an odd one is left
    quotes = text.encode("ascii").translate(None, _ALL_BUT_QUOTES_AND_BREAKS)
    return b'"' in quotes.replace(b'""', b"")


def _b64_bytes(text: str) -> bytes | None:
    import base64
    import binascii

    compact = "".join(text.split())
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


class _FileScan:
    def __init__(self, path: Path, text: str, sanitizer: Sanitizer,
                 plain: bool = True) -> None:
        self.path = path
        self.text = text
        self.sanitizer = sanitizer
        self.plain = plain
        self.found: dict[tuple[int, str, str], Leak] = {}
        self.binary_lines: set[int] = set()
        self.values: set[tuple[str, str]] = set()  # (kind, value) found on any line

    @functools.cached_property
    def starts(self) -> list[int]:
        """Where each line begins (found when first needed: a clean file never needs them)."""
        return _line_starts(self.text)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def add(self, line: int, kind: str, value: str, decoded_from: str) -> None:
        key = (line, kind, value)
        if key not in self.found:
            self.found[key] = Leak(self.path, line, kind, value, decoded_from)
            self.values.add((kind, value))

    def view(self, text: str, line: int | None, decoded_from: str, budget: Budget) -> None:
        """Report what ``text`` holds and what is encoded inside it; ``line`` None: ``text`` is
        the file, offsets are lines."""
        self.detect(text, line, decoded_from)

        def decoded_apart(segment: Segment) -> bool:  # !!binary blocks: done whole by run()
            return (line is None and bool(self.binary_lines) and segment.how.startswith("base64")
                    and self.line_of(segment.start) in self.binary_lines)

        for inner in views(text, budget, decoded_from, skip=decoded_apart):
            self.detect(inner.text, line if line is not None else self.line_of(inner.start),
                        inner.how, plain=True)

    def detect(self, text: str, line: int | None, decoded_from: str, *,
               plain: bool = False, new_only: bool = False) -> None:
        """Report the leaks in ``text``; ``new_only``: only values not found on any line yet."""
        if not (self.plain or plain or decoded_from):
            return
        for found in self.sanitizer.detect(text):
            kind = LEAK_KINDS.get(found.name)
            if kind is not None and not (new_only and (kind, found.value) in self.values):
                self.add(line if line is not None else self.line_of(found.start), kind,
                         found.value, decoded_from)

    def binary_blocks(self) -> Iterator[tuple[int, str]]:
        """(line, base64 text) of every ``!!binary`` value, inline or as an indented block."""
        for match in _BINARY_TAG.finditer(self.text):
            line = self.line_of(match.start())
            if match.group("inline"):
                yield line, match.group("inline")
                continue
            tag_line = self.text[self.starts[line - 1]:match.start()]
            indent = len(tag_line) - len(tag_line.lstrip(" "))
            chunks = []
            for number in range(line, len(self.starts)):
                start = self.starts[number]
                end = self.starts[number + 1] - 1 if number + 1 < len(self.starts) else len(
                    self.text)
                content = self.text[start:end]
                if content.strip() and len(content) - len(content.lstrip(" ")) <= indent:
                    break
                chunks.append(content.strip())
                self.binary_lines.add(number + 1)
            yield line, "".join(chunks)

    def secret_headers(self) -> None:
        lowered = self.text.lower()
        for needle in ("x-amz-security-token", "set-cookie", "cookie"):
            position = lowered.find(needle)
            while position != -1:
                self._secret_header_at(position)
                position = lowered.find(needle, position + 1)

    def _secret_header_at(self, position: int) -> None:
        match = _SECRET_HEADER.match(self.text, position)
        if match is not None:
            line_start = self.text.rfind("\n", 0, match.start()) + 1
            if not _KEY_INDENT.fullmatch(self.text, line_start, match.start()):
                return  # the name inside a value, not a header key
            value = (match.group("value") or "").strip() or (match.group("listed") or "").strip()
            value = value.strip("'\"")
            if value and value not in ("[]", "{}") and "REDACTED" not in value.upper():
                kind = "session-token" if match.group("name").lower().endswith("token") \
                    else "cookie"
                self.add(self.line_of(match.start("name")), kind, value, "")

    def scalars(self) -> None:
        """Every YAML scalar as YAML reads it, where that differs from its text in the file: a
        quoted key or value with escapes, a scalar folded over lines (a double-quoted one
        joined again at its ``\\`` line ends); folded scalars also with their lines joined."""
        if not _needs_yaml_reading(self.text):
            return  # every scalar reads as it is written: the text was scanned already
        loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            for event in yaml.parse(self.text, Loader=loader):
                if isinstance(event, yaml.ScalarEvent) and event.tag not in _BINARY:
                    self._scalar(event)
        except yaml.YAMLError:
            return  # not YAML (a JSON cassette with tabs): its text was scanned already

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        start, end = event.start_mark, event.end_mark
        if start is None or end is None:
            return
        raw = self.text[start.index:end.index]
        multi_line = end.line > start.line
        if event.style in ("|",) or (not multi_line and raw.strip("'\"") == event.value):
            return
        line = start.line + 1 + (1 if event.style == ">" else 0)
        self.detect(event.value, line, "YAML scalar", plain=True, new_only=True)
        if multi_line and event.style != "|":
            lines = raw.split("\n")[1 if event.style == ">" else 0:]
            joined = "".join(part.strip().removesuffix("\\") for part in lines)
            self.detect(joined.strip("'\""), line, "YAML folded lines", plain=True,
                        new_only=True)

    def run(self) -> list[Leak]:
        brotli_said: bool | None = None  # searched for when first needed
        for line, encoded in list(self.binary_blocks()):
            data = _b64_bytes(encoded)
            if data is None:
                continue
            decoded, how = printable(data), "!!binary"
            if decoded is None:
                packed = sniff(data)
                if packed is None:  # brotli has no magic number to sniff: the header says
                    if brotli_said is None:
                        brotli_said = _BROTLI_HEADER.search(self.text) is not None
                    inflated = decompress(data, "br") if brotli_said else None
                    packed = ("br", inflated) if inflated is not None else None
                if packed is not None:
                    decoded, how = printable(packed[1]), f"!!binary > {packed[0]}"
            if decoded is not None:
                self.view(decoded, line, how, Budget())
        self.view(self.text, None, "", Budget())
        self.scalars()
        self.secret_headers()
        return sorted(self.found.values(), key=lambda leak: (leak.line, leak.kind))


def scan_text(text: str, path: Path, sanitizer: Sanitizer, *,
              plain: bool = True) -> list[Leak]:
    """Every leak in one file's text (``path`` names it in the results).

    ``plain=False`` looks only inside encodings (and at secret headers): for text the same
    sanitizer has just rewritten, where the plain-text rules can find nothing new.
    """
    return _FileScan(path, text, sanitizer, plain).run()


def scan_file(path: Path, sanitizer: Sanitizer) -> list[Leak]:
    """Every leak in one cassette file; a file that is not a readable cassette is bad input."""
    return _scan_read(path, read_text(path), sanitizer)


def _scan_read(path: Path, text: str, sanitizer: Sanitizer) -> list[Leak]:
    parse_cassette(text, path)
    return scan_text(text, path, sanitizer)


def scan_paths(paths: Sequence[Path] | Iterable[Path], sanitizer: Sanitizer, *,
               jobs: int | None = 1) -> ScanRun:
    """Scan cassette files and folders (searched recursively) for leaks, each file read,
    scanned and dropped, on ``jobs`` processes (``None``: every CPU); the leaks, and the first
    bad file, are those of a serial run."""
    paths = list(paths)
    scanned = [leaks for _, leaks in map_cassettes(_scan_read, paths, jobs, sanitizer)]
    if not scanned:
        raise CassetteError(f"no cassette files found in {', '.join(str(p) for p in paths)}; "
                            "point aws-replay scan at *.yaml, *.yml or *.json cassettes")
    return ScanRun(leaks=[leak for leaks in scanned for leak in leaks], files=len(scanned))
