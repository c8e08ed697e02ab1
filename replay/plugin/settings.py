"""The settings of one replayed test: what they are, how layers merge, how values are checked.

The pytest plugin gathers the layers (command line, ini file, the ``aws_replay_config`` fixture,
the marker's keyword arguments) and :func:`merge_settings` turns them into one
:class:`ReplaySettings`, naming the layer of any invalid value.

Example::

    settings = merge_settings(("command line", {"mode": "once"}),
                              ("marker", {"allowed_hosts": ["localhost"]}))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from replay.core.errors import ConfigError
from replay.core.findings import SEVERITY_NAMES

MODES = ("none", "once", "new_episodes", "all", "rewrite")
DRIFT_MODES = ("error", "warn", "off")


@dataclass(frozen=True)
class ReplaySettings:
    """The effective settings of one test (see :func:`merge_settings` for where they come from)."""

    mode: str = "none"
    drift: str = "error"
    drift_fail_on: str = "breaking"
    match_host: bool = False
    allowed_hosts: tuple[str, ...] = ()
    region: str = "us-east-1"
    cassette_dir: str = "cassettes"


SETTING_NAMES = tuple(f.name for f in fields(ReplaySettings))
_CHOICES = {"mode": MODES, "drift": DRIFT_MODES, "drift_fail_on": SEVERITY_NAMES}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _coerce(name: str, value: Any, source: str) -> Any:
    if name in _CHOICES:
        text = str(value).strip().lower().replace("-", "_") if name == "mode" else str(value)
        if text not in _CHOICES[name]:
            raise ConfigError(f"{source}: aws-replay {name} {value!r} is not one of "
                              f"{', '.join(_CHOICES[name])}")
        return text
    if name == "match_host":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in _TRUE | _FALSE:
            raise ConfigError(f"{source}: aws-replay match_host {value!r} is not true or false")
        return text in _TRUE
    if name == "allowed_hosts":
        items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
        return tuple(str(item).strip() for item in items if str(item).strip())
    return str(value)


def merge_settings(*layers: tuple[str, Mapping[str, Any] | None]) -> ReplaySettings:
    """Merge ``(source, values)`` layers, most important first; unset (``None``) values skip.

    The plugin passes: command line, ini file, the ``aws_replay_config`` fixture, the marker's
    keyword arguments. The first layer that sets a value wins, except ``allowed_hosts``, which
    adds up across layers. Unknown names and invalid values raise :class:`ConfigError` naming
    the layer.
    """
    values: dict[str, Any] = {}
    hosts: list[str] = []
    for source, layer in layers:
        if layer is not None and not isinstance(layer, Mapping):
            raise ConfigError(f"{source}: aws-replay settings must be a dict, got "
                              f"{type(layer).__name__}")
        for name, value in (layer or {}).items():
            if name not in SETTING_NAMES:
                raise ConfigError(f"{source}: unknown aws-replay setting {name!r}; known: "
                                  f"{', '.join(SETTING_NAMES)}")
            if value is None:
                continue
            coerced = _coerce(name, value, source)
            if name == "allowed_hosts":
                hosts.extend(h for h in coerced if h not in hosts)
            else:
                values.setdefault(name, coerced)
    return ReplaySettings(**values, allowed_hosts=tuple(hosts))
