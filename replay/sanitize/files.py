"""Sanitizing cassette files on disk (``aws-replay sanitize``): each file read, sanitized with one
:class:`~replay.sanitize.sanitizer.Sanitizer` (consistent placeholders across the set), and
replaced atomically only when it changed; ``--check`` reports without writing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from replay.cassette.read import find_cassettes, read_cassette
from replay.cassette.write import write_cassette
from replay.core.errors import ConfigError
from replay.sanitize.sanitizer import Sanitizer, texts_of


@dataclass
class SanitizeRun:
    """What ``aws-replay sanitize`` did (or, with ``--check``, would do) to each file."""

    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)


def sanitize_paths(paths: Iterable[Path], sanitizer: Sanitizer, *,
                   check: bool = False) -> SanitizeRun:
    """Sanitize cassette files in place (atomically), one consistency scope for all of them.

    Placeholders already in any of the files are reserved first, so a new value never takes a
    number another file uses. ``check`` writes nothing. A second run changes nothing.
    """
    files = find_cassettes(list(paths))
    if not files:
        raise ConfigError("no cassette files found; point aws-replay sanitize at *.yaml, *.yml "
                          "or *.json cassettes")
    cassettes = [read_cassette(path) for path in files]
    for cassette in cassettes:
        sanitizer.reserve(texts_of(cassette))
    run = SanitizeRun()
    for path, cassette in zip(files, cassettes, strict=True):
        clean = sanitizer.sanitize_cassette(cassette)
        # Compared as values, not text: a hand-formatted cassette holding nothing to redact is
        # left alone (and passes --check).
        if clean.interactions == cassette.interactions:
            run.unchanged.append(path)
            continue
        run.changed.append(path)
        if not check:
            write_cassette(path, clean)
    return run
