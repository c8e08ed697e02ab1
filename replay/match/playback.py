"""Serving a cassette's responses to requests: by match, in recorded order, then the last again.

Both the pytest plugin and the local endpoint (``aws-replay serve``) answer from a
:class:`Playback`. Identical requests recorded several times (a ``--follow`` lifecycle) are
played in recorded order and then stay on the last response, so a polling loop reaches
``Completed`` and keeps seeing it. Thread-safe: the server answers from many threads.

Example::

    playback = Playback(load_cassette(path))
    hit = playback.play(key_of("SageMaker.DescribeAutoMLJob", b'{"AutoMLJobName": "a"}'))
    if hit is None:
        print(playback.explain_miss(key))
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from replay.cassette.model import Cassette, Interaction
from replay.match.matchers import (
    NO_OPTIONS,
    MatchOptions,
    RequestKey,
    describe_miss,
    key_of_recorded,
)


@dataclass(frozen=True)
class Hit:
    """A played interaction: its 0-based index in the cassette, and the interaction."""

    index: int
    interaction: Interaction
    cassette: Cassette


class Playback:
    """Answers requests from one or more cassettes (searched in the order given)."""

    def __init__(self, cassettes: Cassette | Sequence[Cassette], *, match_host: bool = False,
                 options: MatchOptions = NO_OPTIONS, repeats: bool = True):
        self.cassettes: tuple[Cassette, ...] = (
            (cassettes,) if isinstance(cassettes, Cassette) else tuple(cassettes))
        self.match_host = match_host
        self.options = options
        self.repeats = repeats
        """Whether the last recorded answer plays again once a sequence is played through."""
        self._lock = threading.Lock()
        self._keys: list[list[RequestKey]] = []
        self._sequences: dict[RequestKey, list[tuple[int, int]]] = {}
        for cassette_index, cassette in enumerate(self.cassettes):
            keys = [key_of_recorded(i.request, match_host=match_host, options=options)
                    for i in cassette.interactions]
            self._keys.append(keys)
            for index, key in enumerate(keys):
                self._sequences.setdefault(key, []).append((cassette_index, index))
        self._cursor: dict[RequestKey, int] = {}
        self.play_counts: list[list[int]] = [[0] * len(c.interactions) for c in self.cassettes]

    def play(self, key: RequestKey) -> Hit | None:
        """The next response for ``key``, or ``None`` when nothing recorded matches."""
        sequence = self._sequences.get(key)
        if sequence is None:
            return None
        with self._lock:
            position = self._cursor.get(key, 0)
            if position >= len(sequence):  # played through, and repeats are off
                return None
            self._cursor[key] = (min(position + 1, len(sequence) - 1) if self.repeats
                                 else position + 1)
            cassette_index, index = sequence[position]
            self.play_counts[cassette_index][index] += 1
        cassette = self.cassettes[cassette_index]
        return Hit(index=index, interaction=cassette.interactions[index], cassette=cassette)

    def explain_miss(self, key: RequestKey, limit: int = 3) -> str:
        """Why ``key`` matched nothing: the closest recorded requests with a field diff."""
        sequence = self._sequences.get(key)
        if sequence is not None:
            return (f"every recorded answer to {key.describe()} was played ({len(sequence)}) "
                    "and allow_playback_repeats is off; record the further call "
                    "(mode new_episodes) or turn allow_playback_repeats on")
        if len(self.cassettes) == 1:
            return describe_miss(key, self.cassettes[0], self._keys[0], limit)
        parts = [describe_miss(key, cassette, keys, limit)
                 for cassette, keys in zip(self.cassettes, self._keys, strict=True)]
        return "\n".join(parts)

    def unused(self) -> list[tuple[Cassette, int]]:
        """Interactions never played: (cassette, 0-based index)."""
        return [(cassette, index)
                for cassette, counts in zip(self.cassettes, self.play_counts, strict=True)
                for index, count in enumerate(counts) if count == 0]

    def rewind(self) -> None:
        """Start every sequence from its first response again."""
        with self._lock:
            self._cursor.clear()
