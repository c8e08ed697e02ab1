"""The strings of a cassette, as the sanitizer walks them: every text a placeholder must be
reserved against (decoded forms too), and strings inside parsed JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from replay.cassette.model import Cassette
from replay.sanitize.decoders import views


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
