"""The settings of one replayed test: what they are, how layers merge, how values are checked.

The pytest plugin gathers the layers (command line, ini file, the ``aws_replay_config`` fixture,
the marker's keyword arguments) and :func:`merge_settings` turns them into one
:class:`ReplaySettings`, naming the layer of any invalid value.

Example::

    settings = merge_settings(("command line", {"mode": "once"}),
                              ("marker", {"allowed_hosts": ["localhost"]}))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from replay.core.errors import ConfigError
from replay.core.findings import SEVERITY_NAMES
from replay.core.jsonpath import compile_path
from replay.match.matchers import MatchOptions

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
    cassette_dir: str | None = None
    """``None``: the default, ``cassettes/`` beside each test module."""
    ignore_parameters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    match_on: tuple[str, ...] = ()
    sanitize: Mapping[str, Any] = field(default_factory=dict, hash=False)
    allow_playback_repeats: bool = True
    record_failed: bool = False
    """Record modes save a failing test's exchanges too (default: only a passing test's)."""

    @property
    def match_options(self) -> MatchOptions:
        """What matching looks at besides operation and parameters."""
        return MatchOptions(host=self.match_host or "host" in self.match_on,
                            region="region" in self.match_on, ignore=self.ignore_parameters)


SETTING_NAMES = tuple(f.name for f in fields(ReplaySettings))
MATCH_ON = ("host", "region")
_CHOICES = {"mode": MODES, "drift": DRIFT_MODES, "drift_fail_on": SEVERITY_NAMES}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
# Settings whose values add up across layers instead of the first layer winning.
_ADDED = ("allowed_hosts", "ignore_parameters", "match_on", "sanitize")


def _boolean(name: str, value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise ConfigError(f"{source}: aws-replay {name} {value!r} is not true or false")
    return text in _TRUE


def _words(value: Any) -> tuple[str, ...]:
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return tuple(str(item).strip() for item in items if str(item).strip())


def _ignore_parameters(value: Any, source: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: aws-replay ignore_parameters must map an operation name "
                          "(or '*') to JSONPaths, e.g. {'CreateAutoMLJob': ['$.Tags']}")
    pairs = []
    for operation, paths in value.items():
        listed = [paths] if isinstance(paths, str) else paths
        if not isinstance(operation, str) or not isinstance(listed, list | tuple):
            raise ConfigError(f"{source}: aws-replay ignore_parameters[{operation!r}] must be "
                              "a list of JSONPaths")
        for path in listed:
            compile_path(path, f"{source}: aws-replay ignore_parameters[{operation!r}] entry")
        pairs.append((operation.rpartition(".")[2], tuple(listed)))
    return tuple(pairs)


def _sanitize(value: Any, source: str) -> Mapping[str, Any]:
    from replay.sanitize.rules import rules_from_settings

    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: aws-replay sanitize must be a table like "
                          "[tool.aws-replay.sanitize] (patterns, json_paths, headers, "
                          "allow_account_ids)")
    try:
        rules_from_settings({"sanitize": dict(value)})
    except ConfigError as exc:  # its wording names pyproject.toml; here the layer says where
        raise ConfigError(str(exc).replace("pyproject.toml: [tool.aws-replay.sanitize]",
                                           f"{source}: aws-replay sanitize")) from None
    return dict(value)


def _coerce(name: str, value: Any, source: str) -> Any:
    if name in _CHOICES:
        text = str(value).strip().lower().replace("-", "_") if name == "mode" else str(value)
        if text not in _CHOICES[name]:
            raise ConfigError(f"{source}: aws-replay {name} {value!r} is not one of "
                              f"{', '.join(_CHOICES[name])}")
        return text
    if name in ("match_host", "allow_playback_repeats", "record_failed"):
        return _boolean(name, value, source)
    if name == "allowed_hosts":
        return _words(value)
    if name == "match_on":
        keys = _words(value)
        unknown = [key for key in keys if key not in MATCH_ON]
        if unknown:
            raise ConfigError(f"{source}: aws-replay match_on {', '.join(unknown)} cannot be "
                              f"matched on; operation and parameters always are, add "
                              f"{' or '.join(MATCH_ON)}")
        return keys
    if name == "ignore_parameters":
        return _ignore_parameters(value, source)
    if name == "sanitize":
        return _sanitize(value, source)
    return str(value)


def _add(name: str, merged: Any, more: Any) -> Any:
    if name == "sanitize":  # each rule list grows; the first layer's entries come first
        return {key: [*merged.get(key, []), *more.get(key, [])] for key in {*merged, *more}}
    return (*merged, *(item for item in more if item not in merged))


def merge_settings(*layers: tuple[str, Mapping[str, Any] | None]) -> ReplaySettings:
    """Merge ``(source, values)`` layers, most important first; unset (``None``) values skip.

    The plugin passes: command line, ini file, the ``aws_replay_config`` fixture, the marker's
    keyword arguments. The first layer that sets a value wins, except ``allowed_hosts``,
    ``ignore_parameters``, ``match_on`` and ``sanitize``, which add up across layers. Unknown
    names and invalid values raise :class:`ConfigError` naming the layer.
    """
    values: dict[str, Any] = {}
    added: dict[str, Any] = {}
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
            if name in _ADDED:
                added[name] = _add(name, added[name], coerced) if name in added else coerced
            else:
                values.setdefault(name, coerced)
    return ReplaySettings(**values, **added)


def setting_source(layers: Sequence[tuple[str, Mapping[str, Any] | None]],
                   name: str) -> str | None:
    """The layer whose value of ``name`` :func:`merge_settings` uses (``None``: the default)."""
    for source, layer in layers:
        if isinstance(layer, Mapping) and layer.get(name) is not None:
            return source
    return None
