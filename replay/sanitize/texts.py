"""The strings of a cassette, as the sanitizer walks them: every text a placeholder must be
reserved against (decoded forms too), strings inside parsed JSON, and which headers hold a
checksum of the body (they no longer hold once the body is sanitized).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from replay.cassette.model import Cassette
from replay.sanitize.decoders import views


def is_body_checksum(header: str) -> bool:
    """A header holding a checksum of the body (``Content-MD5``, ``x-amz-checksum-crc32``...)."""
    lower = header.lower()
    return lower == "content-md5" or (lower.startswith("x-amz-checksum-")
                                      and lower != "x-amz-checksum-type")


def with_decoded(texts: Iterable[str]) -> Iterator[str]:
    """Each text, then what is encoded inside it (a placeholder inside base64 is reserved too)."""
    for text in texts:
        yield text
        yield from (view.text for view in views(text))


def texts_of(cassette: Cassette) -> Iterable[str]:
    """Every string of a cassette that may hold a value to reserve a placeholder against."""
    for interaction in cassette.interactions:
        request, response = interaction.request, interaction.response
        yield request.uri
        yield request.body
        yield response.body.decode("utf-8", "replace")
        for headers in (request.headers, response.headers):
            for values in headers.values():
                yield from values


def map_strings(node: Any, function: Callable[[str], str]) -> Any:
    if isinstance(node, str):
        return function(node)
    if isinstance(node, list):
        return [map_strings(item, function) for item in node]
    if isinstance(node, dict):
        return {function(key): map_strings(value, function) for key, value in node.items()}
    return node
