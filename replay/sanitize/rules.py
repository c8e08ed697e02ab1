"""The sanitizer's rules: what counts as a secret or an account id, and what replaces it.

Text rules (:data:`TEXT_RULES`, defined with the other detectors in
:mod:`replay.core.detectors` so every output can be masked with them) find values in raw text;
header rules say which headers are dropped, made stable or numbered;
:func:`rules_from_settings` reads the user's extra rules from ``[tool.aws-replay.sanitize]``.
:class:`replay.sanitize.sanitizer.Sanitizer` applies them; the leak scanner
(:mod:`replay.sanitize.scan`) asks the same rules what would still be replaced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from replay.core.config import section
from replay.core.detectors import ACCESS_KEY_PREFIXES
from replay.core.errors import ConfigError
from replay.core.jsonpath import DEAD, PathSet, State, compile_path

SANITIZER_VERSION = 1


def is_numbered(digits: str) -> bool:
    """``00000001`` / ``00000000000000012``: a placeholder number padded with zeros."""
    significant = digits.lstrip("0")
    return (len(significant) <= 4 and (not significant or significant.isdigit())
            and len(digits) - len(significant) >= 4)


@dataclass(frozen=True)
class PlaceholderPattern:
    """How a placeholder of one numbering family (or more) looks in a text: ``needle`` is in
    every one (a text without it is passed over), ``pattern`` finds them, and with
    ``whole_number`` a match right after a digit or after ``not_after`` (the "8000-" of a
    numbered UUID) is not one. Every pattern starts with a literal or a short alternation of
    them, so ``re`` looks for that literal rather than trying each position of the text (what
    a leading lookbehind would make it do)."""

    pattern: re.Pattern[str]
    categories: tuple[str, ...]
    needle: str
    whole_number: bool = False
    not_after: str = ""

    def values(self, text: str) -> set[str]:
        """The distinct placeholders of this kind in ``text``."""
        if self.needle not in text:
            return set()
        if not self.whole_number:
            return set(self.pattern.findall(text))
        return {match.group(0) for match in self.pattern.finditer(text)
                if not self._voided(text, match.start())}

    def _voided(self, text: str, start: int) -> bool:
        return start > 0 and (text[start - 1].isdecimal()
                              or bool(self.not_after and text.endswith(self.not_after, 0, start)))


# The placeholders this module hands out, by the numbering family they belong to.
PLACEHOLDER_PATTERNS: tuple[PlaceholderPattern, ...] = (
    # Not the tail of a numbered UUID (00000000-0000-4000-8000-000000000001).
    PlaceholderPattern(re.compile(r"00000000\d{4}(?!\d)"), ("account",), "00000000",
                       whole_number=True, not_after="8000-"),
    PlaceholderPattern(re.compile(rf"(?:{ACCESS_KEY_PREFIXES})REDACTED\d{{8}}"),
                       ("access-key",), "REDACTED"),
    PlaceholderPattern(re.compile(r"REDACTEDSECRETACCESSKEY\d{17}"), ("secret-key",),
                       "REDACTEDSECRETACCESSKEY"),
    PlaceholderPattern(re.compile(r"REDACTEDSESSIONTOKEN\d{8}"), ("session-token",),
                       "REDACTEDSESSIONTOKEN"),
    PlaceholderPattern(re.compile(r"00000000-0000-4000-8000-\d{12}"), ("kms-key", "request-id"),
                       "00000000-0000-4000-8000-"),
    PlaceholderPattern(re.compile(r"mrk-0{28}\d{4}"), ("kms-mrk",), "mrk-0"),
    PlaceholderPattern(re.compile(r"(?:sg|subnet|vpc)-0{4,16}\d{1,4}(?![\w-])"),
                       ("ec2-{prefix}",), "-0000"),
)

HEADER_RULES = (
    "authorization-sigv4", "drop-security-token-and-cookies", "stable-invocation-id",
    "stable-sdk-request", "stable-amz-date", "stable-user-agent", "stable-response-date",
    "numbered-request-id",
)

DROPPED_HEADERS = frozenset({
    "x-amz-security-token", "cookie", "set-cookie", "x-amz-sso_bearer_token",
    "x-amz-server-side-encryption-customer-key", "proxy-authorization",
})
REQUEST_ID_HEADERS = frozenset({"x-amzn-requestid", "x-amz-request-id", "x-amz-id-2"})
STABLE_HEADERS = {
    "amz-sdk-invocation-id": "00000000-0000-4000-8000-000000000000",
    "amz-sdk-request": "attempt=1; max=3",
    "user-agent": "aws-replay/sanitized",
    "date": "Thu, 01 Jan 2026 00:00:00 GMT",
}
SIGV4 = re.compile(r"^(?P<alg>AWS4-[A-Z0-9-]+) Credential=(?P<key>[^/,\s]*)(?P<scope>/[^,\s]*)"
                    r"(?P<rest>.*?)(?:Signature=(?P<sig>[0-9a-fA-F]*))?$")
ACCESS_KEY_FORMAT = re.compile(rf"(?:{ACCESS_KEY_PREFIXES})[A-Z0-9]{{16}}")
AMZ_DATE = re.compile(r"^(\d{8})T\d{6}Z$")
ZERO_SIGNATURE = "0" * 64


# ------------------------------------------------------------------------------ user rules


@dataclass(frozen=True)
class UserPattern:
    """A user's extra pattern: every match is replaced by ``replacement``."""

    pattern: re.Pattern[str]
    replacement: str = "REDACTED"


@dataclass(frozen=True)
class SanitizeRules:
    """The user's part of the rules, from ``[tool.aws-replay.sanitize]``."""

    patterns: tuple[UserPattern, ...] = ()
    json_paths: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    allow_account_ids: frozenset[str] = field(default_factory=frozenset)


_SETTING_KEYS = ("patterns", "json_paths", "headers", "allow_account_ids")


def _string_list(table: Mapping[str, Any], key: str) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] {key} must be a list")
    return value


def rules_from_settings(settings: Mapping[str, Any]) -> SanitizeRules:
    """Parse ``[tool.aws-replay.sanitize]`` (given the whole ``[tool.aws-replay]`` table)."""
    table = section(dict(settings), "sanitize")
    unknown = sorted(set(table) - set(_SETTING_KEYS))
    if unknown:
        raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] has unknown key(s) "
                          f"{', '.join(unknown)}; known: {', '.join(_SETTING_KEYS)}")
    patterns = []
    for index, raw in enumerate(_string_list(table, "patterns")):
        if isinstance(raw, str):
            source, replacement = raw, "REDACTED"
        elif isinstance(raw, Mapping) and isinstance(raw.get("pattern"), str):
            source, replacement = raw["pattern"], str(raw.get("replacement", "REDACTED"))
        else:
            raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] patterns[{index}] must "
                              "be a regex string or a table {pattern = ..., replacement = ...}")
        try:
            patterns.append(UserPattern(re.compile(source), replacement))
        except re.error as exc:
            raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] patterns[{index}] is "
                              f"not a valid regular expression ({exc})") from None
    json_paths = []
    for raw in _string_list(table, "json_paths"):
        if not isinstance(raw, str) or not raw.startswith("$"):
            raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] json_paths entry "
                              f"{raw!r} must be a JSONPath starting with '$' ($.A.B[*].C)")
        compile_path(raw, "pyproject.toml: [tool.aws-replay.sanitize] json_paths entry")
        json_paths.append(raw)
    headers = [str(h) for h in _string_list(table, "headers")]
    allowed = set()
    for raw in _string_list(table, "allow_account_ids"):
        text = str(raw)
        if not re.fullmatch(r"\d{12}", text):
            raise ConfigError(f"pyproject.toml: [tool.aws-replay.sanitize] allow_account_ids entry "
                              f"{text!r} is not a 12-digit account id (quote it as a string)")
        allowed.add(text)
    return SanitizeRules(tuple(patterns), tuple(json_paths), tuple(headers), frozenset(allowed))


def redact_paths(node: Any, paths: PathSet, state: State | None = None) -> Any:
    """Every string at a path of ``paths`` replaced by ``REDACTED`` (in place where it can)."""
    if state is None:
        state = paths.start
    if isinstance(node, str):
        return "REDACTED" if paths.accepts(state) else node
    if isinstance(node, dict):
        for key in list(node):
            below = paths.step(state, key)
            if below != DEAD:
                node[key] = redact_paths(node[key], paths, below)
    elif isinstance(node, list):
        for position, item in enumerate(node):
            below = paths.step(state, position)
            if below != DEAD:
                node[position] = redact_paths(item, paths, below)
    return node

