"""Settings from ``[tool.aws-replay]`` in the nearest ``pyproject.toml``.

Each feature reads its own sub-table (``[tool.aws-replay.sanitize]``, ``[tool.aws-replay.drift]``).
A missing file or table means defaults; a file that is not valid TOML is a :class:`ConfigError`.

Example::

    drift_settings = load_settings().get("drift", {})
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from replay.core.errors import ConfigError


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (default: the working folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_settings(start: Path | None = None, *, pyproject: Path | None = None) -> dict[str, Any]:
    """The ``[tool.aws-replay]`` table (``{}`` when there is none)."""
    path = pyproject or find_pyproject(start)
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML ({exc}); fix it or remove it") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    table = data.get("tool", {}).get("aws-replay", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.aws-replay] must be a table")
    return table


def section(settings: dict[str, Any], name: str, source: str = "pyproject.toml") -> dict[str, Any]:
    """The sub-table ``name`` of ``settings``, checked to be a table."""
    value = settings.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [tool.aws-replay.{name}] must be a table")
    return value
