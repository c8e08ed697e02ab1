"""JSONPath patterns with wildcards, matched step by step while walking a parsed JSON body.

A pattern is ``$`` followed by steps: ``.Name``, ``['odd key']``, ``[N]``, ``.*`` (any member or
map key), ``[*]`` (any list item) and ``..`` (any depth before the next step). A
:class:`PathSet` compiles several patterns into one lazily built automaton, so a walker asks
"can any pattern still match below here?" with one dictionary lookup per member.

Example::

    paths = PathSet(["$..CreationTime", "$.BestCandidate.CandidateSteps[*].CandidateStepName"])
    paths.matches(("BestCandidate", "CandidateSteps", 0, "CandidateStepName"))  # True
    format_path(("A", 2, "odd key"))  # "$.A[2]['odd key']"
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from replay.core.errors import ConfigError

_STEP = re.compile(r"(\.\.|\.)(\*|[^.\[\]]+)|(\.\.)?\[(\*|\d+)\]|(\.\.)?\['((?:[^'\\]|\\.)*)'\]")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@functools.lru_cache(maxsize=8192)  # map keys (Environment names) repeat in every body
def member_segment(name: str) -> str:
    """A JSONPath step for a member or map key: ``.Name`` or ``['odd key']``."""
    if _IDENTIFIER.fullmatch(name):
        return "." + name
    return "[" + json.dumps(name).replace("'", "\\'").replace('"', "'") + "]"


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value: null, boolean, number, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


Token = tuple[str, str | int | None]  # ("key", name) ("anykey") ("index", n) ("anyindex") ("..")


def _tokens(pattern: str) -> tuple[tuple[Token, ...], int | None]:
    """The match tokens of a JSONPath, and where reading stopped if it could not read on."""
    tokens: list[Token] = []
    position = 1
    while position < len(pattern):
        match = _STEP.match(pattern, position)
        if match is None:
            return tuple(tokens), position
        dots, name, descend_index, index, descend_quoted, quoted = match.groups()
        if dots == ".." or descend_index or descend_quoted:
            tokens.append(("..", None))
        if name == "*":
            tokens.append(("anykey", None))
        elif name is not None:
            tokens.append(("key", name))
        elif index == "*":
            tokens.append(("anyindex", None))
        elif index is not None:
            tokens.append(("index", int(index)))
        else:
            tokens.append(("key", re.sub(r"\\(.)", r"\1", quoted)))
        position = match.end()
    return tuple(tokens), None


def compile_path(pattern: str, what: str = "volatile path") -> tuple[Token, ...]:
    """A JSONPath with wildcards (``$..Time``, ``$.A[*].B``, ``$.Map.*``) as match tokens.

    ``what`` names the setting in the error (``volatile path``, ``json_paths entry``).
    """
    if not isinstance(pattern, str) or not pattern.startswith("$"):
        raise ConfigError(f"{what} {pattern!r} is not a JSONPath; write it like "
                          "'$.BestCandidate.CandidateSteps[*].CandidateStepName'")
    tokens, stopped = _tokens(pattern)
    if stopped is not None:
        raise ConfigError(f"{what} {pattern!r}: cannot read it from {pattern[stopped:]!r}; use "
                          ".Name, .*, [N], [*], ['odd key'] or ..Name (any depth)")
    return tokens


PathKey = tuple[str | int, ...]


def parse_json_path(path: str) -> PathKey | None:
    """``$.A.B[2]['odd key']`` as steps (``('A', 'B', 2, 'odd key')``); ``None`` if unreadable.

    A wildcard step (``[*]``, ``.*``) has no single location: the steps stop before it. A path
    that descends (``..``) has none at all.
    """
    if not isinstance(path, str) or not path.startswith("$"):
        return None
    tokens, stopped = _tokens(path)
    if stopped is not None:
        return None
    steps: list[str | int] = []
    for kind, value in tokens:
        if kind == "..":
            return None
        if kind in ("anykey", "anyindex"):
            break
        assert value is not None
        steps.append(value)
    return tuple(steps)


def _token_matches(token: Token, step: str | int) -> bool:
    kind, value = token
    if kind == "key":
        return step == value
    if kind == "anykey":
        return isinstance(step, str)
    if kind == "index":
        return step == value and isinstance(step, int)
    return isinstance(step, int)  # anyindex


NfaState = frozenset[tuple[int, int]]
State = int
"""A state of the lazily built automaton; 0 is dead (no pattern can match below)."""

DEAD: State = 0


class PathSet:
    """A set of JSONPath patterns, matched step by step while walking a body.

    The patterns form an NFA over path steps; its state sets are numbered as they are met
    (a DFA built lazily), so walking a body costs one dictionary lookup per member.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._tokens = [compile_path(p) for p in self.patterns]
        self._sets: list[NfaState] = [frozenset()]
        self._ids: dict[NfaState, State] = {frozenset(): DEAD}
        self.accepting: list[bool] = [False]
        self.moves: dict[tuple[State, str | int], State] = {}
        self.start = self._intern(frozenset((i, 0) for i in range(len(self._tokens))))

    def _intern(self, states: NfaState) -> State:
        found = self._ids.get(states)
        if found is None:
            found = self._ids[states] = len(self._sets)
            self._sets.append(states)
            self.accepting.append(any(position == len(self._tokens[pattern])
                                      for pattern, position in states))
        return found

    def step(self, state: State, step: str | int) -> State:
        """The state after one more path step (a member name or a list index)."""
        key = (state, step)
        found = self.moves.get(key)
        if found is not None:
            return found
        following: set[tuple[int, int]] = set()
        for pattern, position in self._sets[state]:
            tokens = self._tokens[pattern]
            if position >= len(tokens):
                continue
            token = tokens[position]
            if token[0] == "..":
                following.add((pattern, position))  # descend further
                if position + 1 < len(tokens) and _token_matches(tokens[position + 1], step):
                    following.add((pattern, position + 2))
            elif _token_matches(token, step):
                following.add((pattern, position + 1))
        result = self._intern(frozenset(following))
        if len(self.moves) < 200_000:  # bodies with endless distinct map keys stay bounded
            self.moves[key] = result
        return result

    def accepts(self, state: State) -> bool:
        return self.accepting[state]

    def matches(self, steps: Sequence[str | int]) -> bool:
        state = self.start
        for step in steps:
            state = self.step(state, step)
            if state == DEAD:
                return False
        return self.accepting[state]



def format_path(steps: Sequence[str | int]) -> str:
    """``('A', 2, 'odd key')`` as ``$.A[2]['odd key']`` (the spec checker's JSONPath style)."""
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else member_segment(s) for s in steps)


@functools.lru_cache(maxsize=65536)  # a baseline asks for the same few paths every cassette
def generalise_indices(path: str) -> str:
    """``path`` with every list index as ``[*]``: ``$.A[4].B`` -> ``$.A[*].B``.

    A quoted key that looks like an index (``['[4]']``) is left alone; an unreadable path is
    returned as it is.
    """
    if "[" not in path or not path.startswith("$"):
        return path
    parts = ["$"]
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            return path
        if match.group(4) is not None and match.group(4) != "*":
            parts.append("..[*]" if match.group(3) else "[*]")
        else:
            parts.append(match.group(0))
        position = match.end()
    return "".join(parts)

