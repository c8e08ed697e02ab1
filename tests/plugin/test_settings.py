"""The settings of one replayed test: layers, precedence, checked values."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replay.core.errors import ConfigError
from replay.plugin import settings as replay_settings
from replay.plugin.settings import ReplaySettings, merge_settings


def test_settings_first_layer_that_sets_a_value_wins() -> None:
    settings = merge_settings(("command line", {"mode": None, "drift": "warn"}),
                              ("ini file", {"mode": "new_episodes", "drift": "off"}),
                              ("aws_replay_config fixture", {"region": "eu-west-1",
                                                             "mode": "all"}),
                              ("marker", {"region": "ap-south-1", "match_host": True}))
    assert settings == ReplaySettings(mode="new_episodes", drift="warn", region="eu-west-1",
                                      match_host=True)


def test_allowed_hosts_add_up_across_layers() -> None:
    settings = merge_settings(("command line", {"allowed_hosts": "a.example, b.example"}),
                              ("ini file", {"allowed_hosts": ["b.example", "c.example"]}),
                              ("marker", {"allowed_hosts": ["*.internal"]}))
    assert settings.allowed_hosts == ("a.example", "b.example", "c.example", "*.internal")


@pytest.mark.parametrize(("layer", "message"), [
    ({"mode": "replay"}, "ini file: aws-replay mode 'replay' is not one of none, once, "
                         "new_episodes, all, rewrite"),
    ({"drift": "loud"}, "ini file: aws-replay drift 'loud' is not one of error, warn, off"),
    ({"match_host": "perhaps"}, "ini file: aws-replay match_host 'perhaps' is not true or false"),
    ({"record_mode": "once"}, "ini file: unknown aws-replay setting 'record_mode'; known: mode, "
                              "drift, drift_fail_on, match_host, allowed_hosts, region, "
                              "cassette_dir, ignore_parameters, match_on, sanitize, "
                              "allow_playback_repeats, record_failed"),
])
def test_bad_settings_name_their_source(layer: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        merge_settings(("command line", {}), ("ini file", layer))
    assert str(caught.value) == message


def test_mode_spelling_is_forgiving() -> None:
    assert merge_settings(("cli", {"mode": "New-Episodes"})).mode == "new_episodes"


_layer = st.fixed_dictionaries({}, optional={
    "mode": st.sampled_from((*replay_settings.MODES, None)),
    "drift": st.sampled_from((*replay_settings.DRIFT_MODES, None)),
    "region": st.sampled_from(["us-east-1", "eu-west-1", None]),
})


@given(st.lists(_layer, min_size=1, max_size=4))
def test_merge_is_first_set_value_per_setting(layers: list[dict[str, Any]]) -> None:
    settings = merge_settings(*((f"layer {i}", layer) for i, layer in enumerate(layers)))
    for name, default in (("mode", "none"), ("drift", "error"), ("region", "us-east-1")):
        given_values = [layer[name] for layer in layers if layer.get(name) is not None]
        assert getattr(settings, name) == (given_values[0] if given_values else default)


def test_a_config_that_is_not_a_dict_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        merge_settings(("aws_replay_config fixture", ["mode", "once"]))  # type: ignore[arg-type]
    assert str(caught.value) == ("aws_replay_config fixture: aws-replay settings must be a "
                                 "dict, got list")


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False), ("yes", True), (" On ", True), ("1", True),
    ("no", False), ("0", False), ("", False), ("OFF", False),
])
def test_match_host_reads_ini_spellings_of_true_and_false(value: Any, expected: bool) -> None:
    assert merge_settings(("ini file", {"match_host": value})).match_host is expected
