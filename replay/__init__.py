"""aws-replay: record, sanitize, replay and spec-check AWS JSON-protocol exchanges."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aws-replay")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"

TOOL_NAME = f"aws-replay {__version__}"

__all__ = ["TOOL_NAME", "__version__"]
