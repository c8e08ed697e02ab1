"""A bounded, thread-safe cache: the ``maxsize`` most recently used entries are kept.

What a long pytest session or a command over thousands of files remembers (parsed cassettes,
playbacks, drift findings) goes through one of these, so memory stays flat in the number of
files however many there are.

Example::

    cache: BoundedCache[str, int] = BoundedCache(maxsize=2)
    cache.put("a", 1); cache.put("b", 2); cache.put("c", 3)
    cache.get("a")     # None: the least recently used entry was dropped
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Entries by key, least recently used dropped first once there are ``maxsize``."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self.maxsize = maxsize
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def pop(self, key: K) -> V | None:
        with self._lock:
            return self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class PerObjectCache(Generic[V]):
    """Values computed once per object and name, for objects that come and go (botocore builds
    a service model per client): bounded, keyed by identity, each entry holding its object so
    that its id stays unique while it is cached."""

    def __init__(self, maxsize: int) -> None:
        self._entries: BoundedCache[tuple[int, str], tuple[object, V]] = BoundedCache(maxsize)

    def get(self, owner: object, name: str, build: Callable[[], V]) -> V:
        key = (id(owner), name)
        hit = self._entries.get(key)
        if hit is not None and hit[0] is owner:
            return hit[1]
        value = build()
        self._entries.put(key, (owner, value))
        return value
