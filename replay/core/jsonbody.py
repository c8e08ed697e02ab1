"""The one parser of wire bodies: JSON with limits, strict about what JSON is.

A body comes from a cassette someone else wrote or from a client on the network, so parsing it
must neither crash nor take long: nesting deeper than :data:`MAX_DEPTH` (Python's parser would
raise ``RecursionError``), integers longer than :data:`MAX_INT_DIGITS` digits (``ValueError``
past 4,300 digits, slow well before), bodies over :data:`MAX_BODY_BYTES`, invalid UTF-8,
``NaN``/``Infinity`` (not JSON, and AWS never sends them), numbers that overflow a double, and
duplicate keys in an object (which of the two a reader sees depends on the reader) are all
refused with a :class:`JsonBodyError` naming what and where. Spec checks turn it into an
``invalid-json`` finding, the local endpoint into a 400, the rest into exit 2 or "not JSON".

Example::

    parse_json_body(b'{"AutoMLJobName": "my-job"}')   # {'AutoMLJobName': 'my-job'}
    parse_json_body(b'{"a": 1, "a": 2}')               # JsonBodyError: duplicate key 'a' ...
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from replay.core.errors import InvalidBodyError

MAX_DEPTH = 100
"""Arrays and objects nested deeper than this are refused (SageMaker's bodies nest < 15)."""

MAX_INT_DIGITS = 400
"""Integers longer than this many digits are refused (a double holds ~17 significant ones)."""

MAX_BODY_BYTES = 32 * 1024 * 1024
# The files aws-replay itself writes and reads back (spec locks, JSON reports of a CI matrix)
# may be larger than one wire body; depth and digit limits stay.
FILE_LIMIT = 1024 * 1024 * 1024
"""Bodies larger than this are refused unparsed (the largest SageMaker answers are ~1 MB)."""

_SHOWN_KEY_CHARS = 40


class JsonBodyError(InvalidBodyError, ValueError):
    """A body that is not JSON, or JSON past a limit; ``reason`` says which, ``pos`` where.

    A :class:`~replay.core.errors.ReplayError` (exit 2 where it reaches the CLI) and a
    ``ValueError`` (what callers of ``json.loads`` already catch).
    """

    def __init__(self, reason: str, pos: int | None = None) -> None:
        where = f" at char {pos}" if pos is not None else ""
        super().__init__(f"{reason}{where}")
        self.reason = f"{reason}{where}"
        self.pos = pos


def nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects in a parsed ``value`` nest more than ``limit`` levels.

    Level by level, without recursion: cheaper than any scan of the text (a 500 kB page of
    candidates takes well under a millisecond).
    """
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            for child in (node.values() if type(node) is dict else node):
                if type(child) is dict or type(child) is list:
                    below.append(child)
        level = below
    return False


def _refuse_constant(name: str) -> Any:
    raise JsonBodyError(f"{name} is not a JSON number (RFC 8259); AWS never sends it")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                shown = key if len(key) <= _SHOWN_KEY_CHARS else key[:_SHOWN_KEY_CHARS] + "..."
                raise JsonBodyError(f"duplicate key {shown!r} in one object (readers disagree "
                                    "on which value wins)")
            seen.add(key)
    return result


def _parse_int(max_digits: int) -> Any:
    def parse(digits: str) -> int:
        if len(digits.lstrip("-")) > max_digits:
            raise JsonBodyError(f"an integer of {len(digits.lstrip('-'))} digits is over the "
                                f"{max_digits}-digit limit")
        return int(digits)

    return parse


def _parse_float(text: str) -> float:
    if len(text) > MAX_INT_DIGITS:
        raise JsonBodyError(f"a number of {len(text)} characters is over the "
                            f"{MAX_INT_DIGITS}-character limit")
    value = float(text)
    if math.isinf(value):
        raise JsonBodyError(f"the number {text[:40]} overflows a double")
    return value


@functools.lru_cache(maxsize=8)
def _decoder(max_int_digits: int) -> json.JSONDecoder:
    # One decoder per limit: json.loads with hooks would build a new one per body.
    return json.JSONDecoder(object_pairs_hook=_unique_object,
                            parse_int=_parse_int(max_int_digits), parse_float=_parse_float,
                            parse_constant=_refuse_constant)


def parse_json_body(body: bytes | str, *, max_depth: int = MAX_DEPTH,
                    max_int_digits: int = MAX_INT_DIGITS,
                    max_bytes: int = MAX_BODY_BYTES) -> Any:
    """``body`` parsed as strict JSON within the limits; raises :class:`JsonBodyError`.

    Bytes must be UTF-8 (AWS JSON protocols are); text is taken as already decoded.
    """
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise JsonBodyError(f"a body of {size} bytes is over the {max_bytes}-byte limit")
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonBodyError(f"invalid UTF-8 (byte 0x{body[exc.start]:02x})",
                                exc.start) from None
    else:
        text = body
    try:
        parsed = _decoder(max_int_digits).decode(text)
    except JsonBodyError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonBodyError(exc.msg, exc.pos) from None
    except RecursionError:  # the C parser gives up far past any limit, and quickly
        raise JsonBodyError(f"arrays/objects nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # belt and braces: never a traceback
        raise JsonBodyError(f"not parseable ({type(exc).__name__})") from None
    # Fewer brackets than the limit cannot nest past it (most request bodies): no scan.
    if text.count("[") + text.count("{") > max_depth and nests_deeper_than(parsed, max_depth):
        raise JsonBodyError(f"arrays/objects nested deeper than {max_depth} levels")
    return parsed
