"""Encodings that hide a value from a text search, in one place: the sanitizer rewrites through
them and the leak scanner looks through them.

One level of encoding is a :class:`Segment` of a text: a base64 run (text, or gzip/zlib inside),
a hex run, a URL-encoded run, a run with JSON escapes. Each carries its decoded text and how to
encode a changed text back the same way, so :func:`rewrite` can sanitize a secret inside a
double-base64 blob and put the blob back, still decodable. :func:`views` walks the same
segments recursively for the scanner. Both run under a :class:`Budget` (depth and decoded
bytes), so a hostile blob cannot make them run long.

Compressed bodies (``Content-Encoding`` gzip, deflate, br) are :func:`decompress`-ed and
:func:`compress`-ed back; brotli needs the optional ``brotli`` package (``pip install brotli``):
without it, :func:`decompress` reports ``br`` as unreadable.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import importlib
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from replay.core.runs import BASE64, HEX_DIGITS, RunScan, marks, run_spans

_brotli_module: Any
try:  # optional: Google's brotli bindings (pip install brotli)
    _brotli_module = importlib.import_module("brotli")
except ImportError:  # pragma: no cover - depends on the environment
    _brotli_module = None

MAX_DEPTH = 8
"""Encodings inside encodings looked through (base64 of base64 of ... counts each level)."""
MAX_DECODED = 16 << 20
"""Characters decoded per top-level text, over every level; past it the rest is not decoded."""
MAX_INFLATED = 64 << 20
"""A compressed body inflating past this is not decoded (a zip bomb), and reported as such."""

GZIP_MAGIC = b"\x1f\x8b"
COMPRESSIONS = ("gzip", "x-gzip", "deflate", "br")

# Maximal runs, found without lookarounds; their edges are checked in Python. In ASCII text
# (nearly every cassette) the same runs are found by core.runs at a fifteenth of the cost.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{24,}")
_BASE64_SCAN = RunScan(marks(BASE64), 24, padding=2)
_HEX_SCAN = RunScan(marks(HEX_DIGITS), 24)
_ANY_SEGMENT = re.compile(r"[A-Za-z0-9+/]{24}|%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\/")
# URL-encoded and JSON-escaped runs: found by their escapes, then widened to the run around them
# (a pattern with the run on both sides of the escape would backtrack over every long run).
_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_URL_STOP = re.compile(r"[\s\"'<>\\]")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\/")
_JSON_STOP = re.compile(r"[\s\"]|\\(?!u[0-9A-Fa-f]{4}|/)")


@dataclass
class Budget:
    """How much decoding is left: levels below this one, and characters over all levels."""

    depth: int = MAX_DEPTH
    _left: list[int] = field(default_factory=lambda: [MAX_DECODED])

    def deeper(self) -> Budget:
        return Budget(self.depth - 1, self._left)

    def spend(self, size: int) -> bool:
        """Take ``size`` characters of decoding; False (nothing taken) when they are not left."""
        if self.depth <= 0 or size > self._left[0]:
            return False
        self._left[0] -= size
        return True


@dataclass(frozen=True)
class Segment:
    """One encoded run of a text: where it is, what it says, how to say a changed text back."""

    start: int
    end: int
    how: str
    decoded: str
    encode: Callable[[str], str]


# ------------------------------------------------------------------------------ bytes


def printable(data: bytes) -> str | None:
    """``data`` as text when it reads as text (base64 of random bytes mostly does not)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text:
        return None
    readable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return text if readable >= 0.95 * len(text) else None


def _bounded_inflate(data: bytes, wbits: int, limit: int) -> bytes | None:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return None
    if len(out) > limit or not inflater.eof:
        return None
    return out


def decompress(body: bytes, encoding: str, limit: int = MAX_INFLATED) -> bytes | None:
    """``body`` inflated per its ``Content-Encoding``; None when it cannot be (corrupt, over
    ``limit``, or brotli without the ``brotli`` package)."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return _bounded_inflate(body, 16 + zlib.MAX_WBITS, limit)
    if encoding == "deflate":  # zlib-wrapped as the RFC says, raw deflate as some servers send
        return (_bounded_inflate(body, zlib.MAX_WBITS, limit)
                or _bounded_inflate(body, -zlib.MAX_WBITS, limit))
    if encoding == "br" and _brotli_module is not None:
        try:
            inflater = _brotli_module.Decompressor()
            out: bytes = inflater.process(body)
        except Exception:  # brotli.error: corrupt input
            return None
        return out if len(out) <= limit else None
    return None


def compress(data: bytes, encoding: str) -> bytes:
    """``data`` compressed per ``encoding`` (deterministic: gzip's mtime is 0)."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gzip.compress(data, mtime=0)
    if encoding == "deflate":
        return zlib.compress(data)
    if encoding == "br" and _brotli_module is not None:
        packed: bytes = _brotli_module.compress(data)
        return packed
    raise ValueError(f"cannot compress as {encoding!r}")


def brotli_available() -> bool:
    return _brotli_module is not None


def sniff(data: bytes) -> tuple[str, bytes] | None:
    """(encoding, inflated) when ``data`` looks compressed (gzip magic, a zlib header)."""
    if data.startswith(GZIP_MAGIC):
        inflated = decompress(data, "gzip")
        return ("gzip", inflated) if inflated is not None else None
    if len(data) > 2 and data[0] == 0x78 and (data[0] << 8 | data[1]) % 31 == 0:
        inflated = _bounded_inflate(data, zlib.MAX_WBITS, MAX_INFLATED)
        return ("deflate", inflated) if inflated is not None else None
    return None


# ------------------------------------------------------------------------------ text segments


# short base64-alphabet runs already decoded (the same identifiers, paths and ids recur in every
# cassette of a fleet: ``MaxRuntimePerTrainingJobInSeconds`` is one), and what they gave
_DECODED_RUNS: dict[str, tuple[str, str] | None] = {}
_DECODED_RUNS_MAX = 4096
_DECODED_RUN_LONGEST = 256
_UNSEEN: Any = object()  # a run not decoded yet


def _decoded_base64(padded: str) -> tuple[str, str] | None:
    """(text, compression: "" for none) when the base64 ``padded`` decodes to text (inside
    gzip or zlib too), else None."""
    try:
        data = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    text = printable(data)
    if text is not None:
        return text, ""
    packed = sniff(data)
    if packed is None:
        return None
    encoding, inflated = packed
    text = printable(inflated)
    return (text, encoding) if text is not None else None


def _base64_segment(match: re.Match[str]) -> Segment | None:
    run = match.group(0)
    decoded = _DECODED_RUNS.get(run, _UNSEEN)
    if decoded is None:
        return None  # known to decode to no text (a word, a path), whatever is around it
    whole, start, end = match.string, match.start(), match.end()
    if end < len(whole) and whole[end] == "=":
        return None  # three '=' or more: not base64 padding
    missing = -len(run) % 4
    if missing == 3 or (missing and "=" in run):
        return None  # no base64 has this length
    if decoded is _UNSEEN:
        decoded = _decoded_base64(run + "=" * missing)
        if len(run) <= _DECODED_RUN_LONGEST and len(_DECODED_RUNS) < _DECODED_RUNS_MAX:
            _DECODED_RUNS[run] = decoded
    if decoded is None:
        return None
    text, encoding = decoded

    def encode(raw: bytes) -> str:
        packed = base64.b64encode(raw).decode("ascii")
        return packed.rstrip("=") if missing else packed  # unpadded stays unpadded

    if not encoding:
        return Segment(start, end, "base64", text, lambda new: encode(new.encode("utf-8")))
    return Segment(start, end, f"base64 > {encoding}", text,
                   lambda new: encode(compress(new.encode("utf-8"), encoding)))


def _hex_segment(match: re.Match[str]) -> Segment | None:
    run = match.group(0)
    if len(run) % 2 or not (run.islower() or run.isupper() or run.isdigit()):
        return None  # odd, or mixed case: a word, not hex
    text = printable(bytes.fromhex(run))
    if text is None:
        return None
    upper = run.isupper() or run.isdigit()

    def encode(new: str) -> str:
        hexed = new.encode("utf-8").hex()
        return hexed.upper() if upper else hexed

    return Segment(match.start(), match.end(), "hex", text, encode)


def _escaping_encoder(original_escaped: set[str], escape: Callable[[str], str],
                      every: bool = False) -> Callable[[str], str]:
    """Encode a changed text escaping the characters the original escaped (``every``: the
    original was all escapes, so is the new text)."""
    return lambda new: "".join(escape(c) if every or c in original_escaped else c for c in new)


class _Run:
    """A run of text (widened around an escape, or found by :mod:`replay.core.runs`), shaped
    like the ``re.Match`` segmenters take."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text, self.begin, self.finish = text, start, end

    @property
    def string(self) -> str:
        return self.text

    def group(self, _: int | str = 0) -> str:
        return self.text[self.begin:self.finish]

    def start(self, _: int | str = 0) -> int:
        return self.begin

    def end(self, _: int | str = 0) -> int:
        return self.finish


def _runs(text: str, escape: re.Pattern[str], stop: re.Pattern[str]) -> Iterator[_Run]:
    """Each maximal run of ``text`` between ``stop`` characters that holds an ``escape``."""
    position = 0
    while True:
        found = escape.search(text, position)
        if found is None:
            return
        begin = found.start()
        while begin > position and not stop.match(text, begin - 1):
            begin -= 1
        after = stop.search(text, found.end())
        finish = after.start() if after is not None else len(text)
        yield _Run(text, begin, finish)
        position = finish + 1


def _url_segment(match: Any) -> Segment | None:
    run = match.group(0)
    decoded = unquote(run)
    if decoded == run:
        return None
    escapes = _URL_ESCAPE.findall(run)
    escaped = {unquote(e) for e in escapes} | {"%"}
    return Segment(match.start(), match.end(), "URL-encoding", decoded,
                   _escaping_encoder(escaped, lambda c: "".join(
                       f"%{b:02X}" for b in c.encode("utf-8")), 3 * len(escapes) == len(run)))


def _json_segment(match: Any) -> Segment | None:
    run = match.group(0)

    def unescape(m: re.Match[str]) -> str:
        return chr(int(m.group(1), 16)) if m.group(1) else "/"

    decoded = _UNICODE_ESCAPE.sub(unescape, run)
    escapes = list(_UNICODE_ESCAPE.finditer(run))
    escaped = {unescape(m) for m in escapes}
    every = sum(len(m.group(0)) for m in escapes) == len(run)
    return Segment(match.start(), match.end(), "JSON escapes", decoded,
                   _escaping_encoder(escaped, _json_escape, every))


def _json_escape(char: str) -> str:
    if char == "/":
        return "\\/"
    code = ord(char)
    if code > 0xFFFF:  # a surrogate pair, as JSON writes it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


_Finder = Callable[[str], Iterator[Any]]


def _class_runs(pattern: re.Pattern[str], scan: RunScan) -> _Finder:
    """``pattern.finditer``, or the same runs from ``scan`` in ASCII text."""
    def find(text: str) -> Iterator[Any]:
        if text.isascii():
            return (_Run(text, start, end) for start, end in run_spans(scan, text))
        return pattern.finditer(text)
    return find


_SEGMENTERS: tuple[tuple[str, _Finder, Callable[[Any], Segment | None]], ...] = (
    ("", _class_runs(_BASE64_RUN, _BASE64_SCAN), _base64_segment),
    ("", _class_runs(_HEX_RUN, _HEX_SCAN), _hex_segment),
    ("%", lambda text: _runs(text, _URL_ESCAPE, _URL_STOP), _url_segment),
    ("\\", lambda text: _runs(text, _UNICODE_ESCAPE, _JSON_STOP), _json_segment),
)


def segments(text: str, budget: Budget, only: int | None = None) -> Iterator[Segment]:
    """The encoded runs of ``text`` (one level), each decoded; stops when the budget is spent.

    ``only`` limits the search to one encoding (0 base64, 1 hex, 2 URL, 3 JSON escapes).
    """
    if len(text) < 6 or budget.depth <= 0:
        return
    chosen = _SEGMENTERS if only is None else _SEGMENTERS[only:only + 1]
    for needle, find, make in chosen:
        if needle and needle not in text:
            continue
        for match in find(text):
            segment = make(match)
            if segment is None:
                continue
            if not budget.spend(len(segment.decoded)):
                return
            yield segment


@dataclass(frozen=True)
class View:
    """A decoded text found inside another: what it says, how it was encoded, where it is."""

    text: str
    how: str
    start: int


def views(text: str, budget: Budget | None = None, how: str = "",
          skip: Callable[[Segment], bool] | None = None) -> Iterator[View]:
    """Every decoded text inside ``text``, recursively (not ``text`` itself).

    ``start`` is the offset in ``text`` of the outermost encoded run the view came from;
    ``skip`` leaves out outermost runs the caller decodes itself.
    """
    if len(text) < 6 or not _ANY_SEGMENT.search(text):
        return
    budget = budget or Budget()
    for segment in list(segments(text, budget)):
        if skip is not None and skip(segment):
            continue
        chain = f"{how} > {segment.how}" if how else segment.how
        yield View(segment.decoded, chain, segment.start)
        for inner in views(segment.decoded, budget.deeper(), chain):
            yield View(inner.text, inner.how, segment.start)


def rewrite(text: str, change: Callable[[str], str], budget: Budget | None = None) -> str:
    """``change`` applied to ``text`` and, recursively, to every encoded run inside it, each run
    encoded back the way it was (a base64 blob stays base64, a hex run keeps its case)."""
    budget = budget or Budget()
    text = change(text)
    if len(text) < 6 or not _ANY_SEGMENT.search(text):
        return text
    for index in range(len(_SEGMENTERS)):
        # One encoding at a time, each on the text the previous one left.
        pieces: list[str] = []
        last = 0
        for segment in list(segments(text, budget, only=index)):
            new = rewrite(segment.decoded, change, budget.deeper())
            if new != segment.decoded:
                pieces += (text[last:segment.start], segment.encode(new))
                last = segment.end
        if pieces:
            pieces.append(text[last:])
            text = "".join(pieces)
    return text
