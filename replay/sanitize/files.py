"""Sanitizing cassette files on disk (``aws-replay sanitize``): each file read, sanitized with one
:class:`~replay.sanitize.sanitizer.Sanitizer` (consistent placeholders across the set), and
replaced atomically only when it changed; ``--check`` reports without writing.

Every file ends with a scan (:mod:`replay.sanitize.scan`) of exactly the text it now holds (or,
with ``--check``, would hold): a value the scanner still finds is a survivor, reported with its
file, line and detector, masked. The file is then left as that scan found it: written whole or
not at all, never half.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from replay.cassette.read import find_cassettes, parse_cassette, read_cassette, read_text
from replay.cassette.write import dump_cassette, write_cassette
from replay.core.errors import CassetteError, ConfigError, ReplayError
from replay.sanitize.sanitizer import Sanitizer
from replay.sanitize.scan import Leak, scan_text
from replay.sanitize.texts import texts_of


@dataclass
class SanitizeRun:
    """What ``aws-replay sanitize`` did (or, with ``--check``, would do) to each file."""

    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    survivors: list[Leak] = field(default_factory=list)
    """What the closing scan still found in the files as they were left (or would be)."""


def _current_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayError(f"{path}: cannot be read again for the closing scan ({exc})") from None


def sanitize_paths(paths: Iterable[Path], sanitizer: Sanitizer, *,
                   check: bool = False) -> SanitizeRun:
    """Sanitize cassette files in place (atomically), one consistency scope for all of them.

    Placeholders already in any of the files are reserved first, so a new value never takes a
    number another file uses. ``check`` writes nothing. A second run changes nothing. Each file
    is scanned as it is left (``survivors``).
    """
    files = find_cassettes(list(paths))
    if not files:
        raise ConfigError("no cassette files found; point aws-replay sanitize at *.yaml, *.yml "
                          "or *.json cassettes")
    for path in files:  # a first pass (read and dropped: memory stays flat in the files)
        sanitizer.reserve(texts_of(read_cassette(path)))
    run = SanitizeRun()
    for path in files:
        original = read_text(path)
        cassette = parse_cassette(original, path)
        try:
            clean = sanitizer.sanitize_cassette(cassette, reserved=True)
        except CassetteError as exc:  # a body it cannot look inside: say which file
            raise CassetteError(f"{path}: {exc}") from None
        # Compared as values, not text: a hand-formatted cassette holding nothing to redact is
        # left alone (and passes --check).
        if clean.interactions == cassette.interactions and clean.meta == cassette.meta:
            run.unchanged.append(path)
            text = original  # as read: scanned without reading it again
        else:
            run.changed.append(path)
            if check:
                text = dump_cassette(clean, as_json=path.suffix == ".json")  # what it would hold
            else:
                write_cassette(path, clean)
                text = _current_text(path)  # the scan reads what was written
        run.survivors.extend(scan_text(text, path, sanitizer))
    return run
