"""Which cassette files a test replays or records: the names its ``@pytest.mark.aws_replay``
markers give (or ``<module>/<test>``), under the folder the settings choose (or ``cassettes/``
beside the test module), each with what chose it, for the message when one is missing.

Example::

    folder, origin = cassette_folder(item, settings.cassette_dir, rootdir, chosen_by)
    origins = cassette_origins(item, markers, folder, origin)   # {path: "what chose it"}
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from replay.core.errors import ReplayError

MARKER = "aws_replay"

_UNSAFE = re.compile(r"[^\w.\[\]=+-]+")


def default_name(item: pytest.Item) -> str:
    """``<module>/<test>`` (``<module>/<Class>.<test>``), unsafe characters as ``-``."""
    module = Path(str(item.path)).stem
    cls = getattr(item, "cls", None)
    test = f"{cls.__name__}.{item.name}" if cls is not None else item.name
    return f"{module}/{_UNSAFE.sub('-', test)}"


def cassette_folder(item: pytest.Item, cassette_dir: str | None, rootdir: Path,
                    chosen_by: str | None) -> tuple[Path, str]:
    """Where a test's cassette names are relative to, and the setting that says so."""
    if cassette_dir is None:  # pytest-recording's default: beside the test module
        return (Path(str(item.path)).parent / "cassettes",
                "the default folder: cassettes/ beside the test module")
    return rootdir / cassette_dir, f"aws_replay_cassette_dir {cassette_dir!r} ({chosen_by})"


def cassette_origins(item: pytest.Item, markers: list[pytest.Mark], folder: Path,
                     folder_origin: str) -> dict[Path, str]:
    """Each cassette path of the test, and what chose it (for the "not found" message)."""
    named = [str(name) for mark in markers for name in mark.args
             if isinstance(name, str | Path) and str(name)]
    origins: dict[Path, str] = {}
    for path, name in zip(_cassette_paths(item, markers, folder),
                          dict.fromkeys(named) or [None], strict=True):
        if name is None:
            origins[path] = f"the default name <module>/<test> in {folder_origin}"
        elif Path(name).is_absolute():
            origins[path] = f"@pytest.mark.{MARKER}({name!r}), an absolute path"
        else:
            origins[path] = f"@pytest.mark.{MARKER}({name!r}) in {folder_origin}"
    return origins


def _cassette_paths(item: pytest.Item, markers: list[pytest.Mark], folder: Path) -> list[Path]:
    names: list[str] = []
    for mark in markers:
        for name in mark.args:
            if not isinstance(name, str | Path) or not str(name):
                raise ReplayError(f"{item.nodeid}: @pytest.mark.aws_replay takes cassette "
                                  f"names as strings, got {name!r}")
            if str(name) not in names:
                names.append(str(name))
    paths = []
    for name in names or [default_name(item)]:
        path = folder / name
        if path.suffix not in (".yaml", ".yml", ".json"):
            from replay.cassette.write import cassette_suffix

            path = path.with_name(path.name + cassette_suffix(folder))
        paths.append(path)
    return paths
