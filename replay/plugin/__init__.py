"""The pytest plugin: ``pytest_plugin`` is the pytest surface (options, ini, marker, fixtures,
hooks); ``engine`` the per-test cassette, ``settings`` the merged configuration,
``botocore_hook`` where replay meets botocore, ``netguard`` the network guard.

May import core, cassette, spec, sanitize, report, match and record; not drift, serve or synth.
"""

from replay.core.errors import AwsReplayWarning

__all__ = ["AwsReplayWarning"]
