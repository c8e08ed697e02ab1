"""What the README promises to import keeps working, and ``import replay`` stays cheap."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import replay


@pytest.mark.parametrize("name", sorted(replay._PUBLIC))
def test_every_public_name_resolves_from_replay(name: str) -> None:
    assert getattr(replay, name).__name__ == name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = replay.nope


def test_the_warning_filter_path_of_the_readme_resolves() -> None:
    # pytest resolves ``ignore::replay.plugin.AwsReplayWarning`` by importing replay.plugin
    import replay.plugin

    with warnings.catch_warnings():
        warnings.simplefilter("error", replay.plugin.AwsReplayWarning)
        with pytest.raises(replay.AwsReplayWarning):
            warnings.warn("drift", replay.plugin.AwsReplayWarning, stacklevel=1)


def test_importing_replay_loads_neither_botocore_nor_yaml() -> None:
    probe = "import sys, replay; print(sorted({'botocore', 'yaml', 'click'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_command_line_runs_as_a_module() -> None:
    out = subprocess.run([sys.executable, "-m", "replay.cli", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("aws-replay, version ")


def test_the_version_constant_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert replay.__version__ == version("aws-replay")  # bump both: pyproject.toml and replay


def test_the_version_is_known_without_importlib_metadata() -> None:
    probe = "import sys, replay.cli.app; print('importlib.metadata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
