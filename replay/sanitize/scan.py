"""The leak scanner: finds in cassette files what a reviewer cannot see.

It reads each file as text and also decodes what hides values from a ``grep``: vcrpy's
``!!binary`` blocks (base64), other base64 runs, URL-encoding and JSON escapes. Every value the
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

import base64
import binascii
import bisect
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from replay.cassette.read import find_cassettes, parse_cassette
from replay.core.errors import CassetteError
from replay.core.findings import Finding, Severity, summarize
from replay.sanitize.sanitizer import Sanitizer

LEAK_KINDS: dict[str, str] = {
    "url_token": "session-token",
    "session_token": "session-token",
    "long_token": "session-token",
    "signature": "sigv4-signature",
    "access_key": "access-key-id",
    "secret_key": "secret-access-key",
    "arn_account": "account-id",
    "ecr_account": "account-id",
    "bucket_account": "account-id",
    "sagemaker_bucket_account": "account-id",
    "keyword_account": "account-id",
    "path_account": "account-id",
    "string_account": "account-id",
    "escaped_account": "account-id",
    "user_pattern": "user-pattern",
}
"""Sanitizer rule -> leak kind. KMS and EC2 resource ids are rewritten by ``sanitize`` but are
not credentials, so the scanner does not fail a commit on them."""

_BINARY_TAG = re.compile(r"!!binary(?:[ \t]+(?P<inline>[A-Za-z0-9+/=]+)|[ \t]*[|>][-+]?[ \t]*$)",
                         re.MULTILINE)
# A leading negated class, not a lookbehind: ``re`` then skips most positions at once.
_BASE64_RUN = re.compile(r"[^A-Za-z0-9+/=](?P<run>[A-Za-z0-9+/]{24,}={0,2})(?![A-Za-z0-9+/=])")
_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_JSON_ESCAPE = re.compile(r"\\u[0-9A-Fa-f]{4}|\\/")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")
# Literal-led (a header name), then checked to be a mapping key: "^" with MULTILINE is slow.
_SECRET_HEADER = re.compile(
    r"(?i)(?P<name>x-amz-security-token|set-cookie|cookie)['\"]?[ \t]*:"
    r"[ \t]*(?P<value>[^\n]*)(?:\n[ \t]*-[ \t]*(?P<listed>[^\n]*))?")
_KEY_INDENT = re.compile(r"[ \t\-'\"]*")
_MAX_DEPTH = 3


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
        shown = self.value[:4]
        hidden = len(self.value) - len(shown)
        if hidden > 16:
            return f"{shown}{'*' * 12}...({len(self.value)} chars)"
        return shown + "*" * hidden

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


def _printable(data: bytes) -> str | None:
    """``data`` as text when it reads as text (base64 of random bytes mostly does not)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text:
        return None
    readable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return text if readable >= 0.95 * len(text) else None


def _b64(text: str) -> str | None:
    compact = "".join(text.split())
    try:
        data = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return _printable(data)


class _FileScan:
    def __init__(self, path: Path, text: str, sanitizer: Sanitizer,
                 plain: bool = True) -> None:
        self.path = path
        self.text = text
        self.sanitizer = sanitizer
        self.plain = plain
        self.starts = _line_starts(text)
        self.found: dict[tuple[int, str, str], Leak] = {}
        self.binary_lines: set[int] = set()

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def add(self, line: int, kind: str, value: str, decoded_from: str) -> None:
        key = (line, kind, value)
        if key not in self.found:
            self.found[key] = Leak(self.path, line, kind, value, decoded_from)

    def view(self, text: str, line: int | None, decoded_from: str, depth: int) -> None:
        """Report what ``text`` holds; ``line`` None: ``text`` is the file, offsets are lines."""
        found = self.sanitizer.detect(text) if self.plain or depth else iter(())
        for rule, value, offset in found:
            kind = LEAK_KINDS.get(rule)
            if kind is not None:
                self.add(line if line is not None else self.line_of(offset), kind, value,
                         decoded_from)
        if depth >= _MAX_DEPTH:
            return
        where = (lambda o: line) if line is not None else self.line_of
        prefix = f"{decoded_from} > " if decoded_from else ""
        for match in _BASE64_RUN.finditer(" " + text):  # the space: a run may open the text
            start = match.start("run") - 1
            if len(match.group("run")) % 4:
                continue  # not padded base64 (mostly words and paths); !!binary is done apart
            if line is None and self.line_of(start) in self.binary_lines:
                continue  # decoded whole, with its tag's line, by run()
            decoded = _b64(match.group("run"))
            if decoded is not None:
                self.view(decoded, where(start), f"{prefix}base64", depth + 1)
        # URL-encoding and JSON escapes are undone line by line: lines are short, the file not.
        for line_number, line_text in self._lines_with(text, line, "%", _URL_ESCAPE):
            self.view(unquote(line_text), line_number, f"{prefix}URL-encoding", depth + 1)
        for line_number, line_text in self._lines_with(text, line, "\\", _JSON_ESCAPE):
            decoded = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line_text)
            self.view(decoded.replace("\\/", "/"), line_number, f"{prefix}JSON escapes",
                      depth + 1)

    def _lines_with(self, text: str, line: int | None, needle: str,
                    pattern: re.Pattern[str]) -> Iterator[tuple[int, str]]:
        """(line, its text) of each line of ``text`` where ``pattern`` occurs."""
        if needle not in text:
            return
        seen: set[int] = set()
        for match in pattern.finditer(text):
            start = text.rfind("\n", 0, match.start()) + 1
            if start in seen:
                continue
            seen.add(start)
            end = text.find("\n", match.end())
            yield (line if line is not None else self.line_of(start),
                   text[start:end if end != -1 else len(text)])

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

    def run(self) -> list[Leak]:
        for line, encoded in list(self.binary_blocks()):
            decoded = _b64(encoded)
            if decoded is not None:
                self.view(decoded, line, "!!binary", 1)
        self.view(self.text, None, "", 0)
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
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CassetteError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteError(f"{path}: is not UTF-8 text; cassettes are YAML or JSON "
                            "text") from None
    parse_cassette(text, path)
    return scan_text(text, path, sanitizer)


def scan_paths(paths: Sequence[Path] | Iterable[Path], sanitizer: Sanitizer) -> ScanRun:
    """Scan cassette files and folders (searched recursively) for leaks."""
    files = find_cassettes(list(paths))
    if not files:
        raise CassetteError(f"no cassette files found in {', '.join(str(p) for p in paths)}; "
                            "point aws-replay scan at *.yaml, *.yml or *.json cassettes")
    leaks: list[Leak] = []
    for path in files:
        leaks.extend(scan_file(path, sanitizer))
    return ScanRun(leaks=leaks, files=len(files))
