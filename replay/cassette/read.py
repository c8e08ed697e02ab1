"""Reading cassettes safely and strictly: what vcrpy itself writes for boto3 (header values and
bodies as ``!!binary``) as well as ours, YAML or JSON; finding them in folders.

YAML goes through a fast path for the layout cassettes use (:mod:`replay.cassette.fastyaml`),
and anything else through libyaml's safe loader; never an unsafe one. Duplicate keys and YAML
aliases are refused (a shadowed ``interactions:`` key hides interactions from a reviewer; a
600-byte alias bomb expands into gigabytes).

Reading is uncached (:func:`read_cassette`: commands over many files read, use and drop each);
:class:`CassetteCache` is a bounded cache its owner sizes (the pytest plugin keeps one).

Example::

    cassette = read_cassette(Path("cassettes/automl/completed-job.yaml"))
    for interaction in cassette.interactions:
        print(interaction.response.status, interaction.response.json())
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from replay.cassette import fastyaml
from replay.cassette.model import (
    CASSETTE_SUFFIXES,
    SUPPORTED_VERSION,
    Cassette,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    _text,
    text_headers,
)
from replay.core.bounded import BoundedCache
from replay.core.errors import CassetteError, CassetteNotFoundError
from replay.core.parallel import ordered_map

S = TypeVar("S")
R = TypeVar("R")


def _fail(path: Path | str, problem: str, fix: str) -> CassetteError:
    return CassetteError(f"{path}: {problem}; {fix}")


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # dict first: the ABC check is slow


def _headers_from(raw: Any, index: int, side: str, path: Path | str) -> Headers:
    if raw is None:
        return {}
    if not _is_mapping(raw):
        raise _fail(path, f"interaction {index} {side} headers are not a mapping",
                    "headers map names to lists")
    return text_headers(raw)


def _body_bytes(raw: Any) -> bytes:
    if raw is None:
        return b""
    if _is_mapping(raw):  # vcrpy: body: {string: ...}
        raw = raw.get("string", b"")
        if raw is None:
            return b""
    if type(raw) is str:
        return raw.encode("utf-8")
    if isinstance(raw, bytes):
        return raw
    return str(raw).encode("utf-8")


def _interaction_from(raw: Any, index: int, path: Path | str) -> Interaction:
    where = f"interaction {index}"
    if not _is_mapping(raw):
        raise _fail(path, f"{where} is not a mapping", "each interaction has request and response")
    request, response = raw.get("request"), raw.get("response")
    if not _is_mapping(request) or not _is_mapping(response):
        raise _fail(path, f"{where} lacks a request or a response mapping",
                    "each interaction needs both; re-record the cassette")
    for key in ("method", "uri"):
        if not request.get(key):
            raise _fail(path, f"{where} request has no '{key}'", "re-record the cassette")
    status = response.get("status")
    status_is_mapping = _is_mapping(status)
    code = status.get("code") if status_is_mapping else None
    if not isinstance(code, int):
        raise _fail(path, f"{where} response has no integer status code",
                    "vcrpy writes status: {code: 200, message: OK}")
    body = request.get("body")
    return Interaction(  # (fields in order, not by name: a cassette has many of these)
        RecordedRequest(
            _text(request["method"]).upper(),  # method
            _text(request["uri"]),  # uri
            _headers_from(request.get("headers"), index, "request", path),
            "" if body is None else _text(body),
        ),
        RecordedResponse(
            code,  # status
            _text(status.get("message") or "") if status_is_mapping else "",  # reason
            _headers_from(response.get("headers"), index, "response", path),
            _body_bytes(response.get("body")),
        ),
    )


_KNOWN_KEYS = frozenset({
    "meta", "interactions", "version", "request", "response", "method", "uri", "headers",
    "body", "status", "code", "message", "string", "recorded_at", "tool", "source", "botocore",
    "sanitizer", "rules", "Content-Type", "Content-Length", "X-Amz-Target", "Authorization",
})


def _key_name(key: object) -> str:
    # a key is named only when it is one of the cassette's own: a stray key could be a secret
    return f"the key '{key}'" if key in _KNOWN_KEYS else "a key"


def _duplicate(path: Path | str, key: object, line: int | None) -> CassetteError:
    at = f" (line {line})" if line else ""
    return _fail(path, f"has {_key_name(key)} twice in one mapping{at}; readers keep "
                 "only one copy, so the other goes unchecked and unsanitized",
                 "remove the duplicate, or record the cassette again")


def _vet(root: Any, path: Path | str) -> None:
    """Refuse what vcrpy never writes and a reader must not trust: an alias (a node used twice:
    a few hundred bytes of aliases expand into gigabytes) and a key repeated in a mapping."""
    import yaml

    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            line = node.start_mark.line + 1
            raise _fail(path, f"uses a YAML alias (of the anchor at line {line})",
                        "cassettes never need aliases (vcrpy writes none): write the value out")
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    name = (key.tag, key.value)
                    if name in keys:
                        raise _duplicate(path, key.value, key.start_mark.line + 1)
                    keys.add(name)
                todo.append(key)
                todo.append(value)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)


def _full_load(text: str | bytes, path: Path | str) -> Any:
    """libyaml's safe loader (PyYAML's when libyaml is missing): no Python objects, and
    ``!!binary`` (vcrpy's header values) becomes bytes. Imported only when needed."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _vet(node, path)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _fail(path, f"is not valid YAML{at} ({problem}); it may be truncated",
                    "restore it from version control or record it again") from None
    finally:
        loader.dispose()


def _json_pairs(path: Path | str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            seen: set[str] = set()
            key = next(k for k, _ in items if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise _duplicate(path, key, None)
        return result
    return pairs


def _is_json(path: Path | str) -> bool:
    """A JSON cassette is told by its suffix (a YAML one by any other)."""
    return str(path).endswith(".json")


def load_document(text: str | bytes, path: Path | str = "<memory>") -> Any:
    """The cassette document as plain data, read safely and strictly: YAML (a fast path for the
    layout cassettes use, libyaml's safe loader for anything else) or JSON (``.json``).

    Duplicate keys and YAML aliases are errors. Raises :class:`CassetteError`.
    """
    is_json = _is_json(path)
    try:
        if is_json:
            return json.loads(text, object_pairs_hook=_json_pairs(path))
        if isinstance(text, str):
            try:
                return fastyaml.load(text)
            except (fastyaml.Unsupported, fastyaml.DuplicateKey):
                # a duplicate key too: the full loader reads the whole text before it builds,
                # so a syntax error further on is the error it gives, as for any document
                pass
        return _full_load(text, path)
    except RecursionError:
        raise _fail(path, "nests too deeply to read", "cassettes nest a few levels: "
                    "restore it from version control or record it again") from None
    except ValueError as exc:  # JSON syntax, or a YAML value libyaml parsed but cannot build
        what = "JSON" if is_json else "YAML"
        raise _fail(path, f"is not valid {what} ({exc}); it may be truncated",
                    "restore it from version control or record it again") from None


def parse_cassette(text: str | bytes, path: Path | str = "<memory>") -> Cassette:
    """Parse cassette text (YAML, or JSON when ``path`` ends in ``.json``)."""
    if not text or text.isspace():
        raise _fail(path, "is empty", "record it again or delete it")
    data = load_document(text, path)
    if not _is_mapping(data) or "interactions" not in data:
        raise _fail(path, "is not a cassette (no top-level 'interactions' list)",
                    "point aws-replay at vcrpy cassette files")
    if "version" not in data and _looks_cut(text, data, path):
        raise _fail(path, "looks truncated: it ends without the `version: 1` line that vcrpy "
                    "and aws-replay write last", "restore it from version control or record "
                    "it again (if you edited it by hand, end it with a `version: 1` line)")
    version = data.get("version", SUPPORTED_VERSION)
    if version != SUPPORTED_VERSION:
        raise _fail(path, f"has cassette format version {version!r}",
                    f"aws-replay reads vcrpy's version {SUPPORTED_VERSION}")
    raw_interactions = data["interactions"]
    if raw_interactions is None:
        raw_interactions = []
    if not isinstance(raw_interactions, list):
        raise _fail(path, "'interactions' is not a list", "re-record the cassette")
    meta = data.get("meta") or {}
    if not _is_mapping(meta):
        raise _fail(path, "'meta' is not a mapping", "remove or fix the meta block")
    interactions = [_interaction_from(raw, index, path)
                    for index, raw in enumerate(raw_interactions)]
    return Cassette(  # (fields in order: interactions, meta, path, version)
        tuple(interactions),
        meta if type(meta) is dict else dict(meta),  # (a document is read anew each time)
        path if isinstance(path, Path) else (Path(path) if path != "<memory>" else None),
        SUPPORTED_VERSION,
    )


def _looks_cut(text: str | bytes, data: dict[Any, Any], path: Path | str) -> bool:
    """Whether a YAML cassette without ``version`` was cut short rather than written by hand:
    it stops mid-line, or aws-replay wrote it (a body cut at a line break still parses). A
    JSON cassette cut short does not parse at all."""
    if _is_json(path):
        return False
    if not (text.endswith(b"\n") if isinstance(text, bytes) else text.endswith("\n")):
        return True
    meta = data.get("meta")
    return isinstance(meta, Mapping) and str(meta.get("tool", "")).startswith("aws-replay")


def read_text(path: Path) -> str:
    """A cassette file's text, with a clear :class:`CassetteError` when it cannot be read."""
    return _decoded(_read_bytes(path), path)


def _read_bytes(path: Path) -> bytes:
    try:
        # unbuffered: a cassette is read whole, in one call (Path.read_bytes costs ~1.5x)
        with open(path, "rb", buffering=0) as handle:
            return handle.readall()
    except FileNotFoundError:
        raise CassetteNotFoundError(
            f"{path}: no such cassette; record it with `aws-replay record` or check the path"
        ) from None
    except IsADirectoryError:
        raise CassetteError(f"{path}: is a folder, not a cassette file") from None
    except OSError as exc:
        raise CassetteError(f"{path}: cannot be read ({exc.strerror})") from None


def _decoded(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail(path, "is not UTF-8 text", "cassettes are YAML or JSON text") from None


def read_cassette(path: Path) -> Cassette:
    """Read and parse one cassette file, uncached: what a command streaming over many files
    uses (read, use, drop). Raises a clear :class:`CassetteError` when it is bad."""
    return parse_cassette(read_text(path), path)


class CassetteCache:
    """A bounded cache of parsed cassettes (least recently used dropped first), each entry kept
    while its file's (mtime, size) stays the same. Its owner decides its size and life: the
    pytest plugin keeps one per session.

    ``load(path)`` returns the same object for the same file version, so callers may key their
    own per-cassette state on it.
    """

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._entries: BoundedCache[Path, tuple[int, int, Cassette]] = BoundedCache(maxsize)

    def __len__(self) -> int:
        return len(self._entries)

    def load(self, path: Path, *, stat: os.stat_result | None = None,
             name: Path | None = None) -> Cassette:
        """The cassette at ``path`` (named ``name`` in reports, default ``path``)."""
        key = path.resolve() if stat is None else path
        if stat is None:
            try:
                stat = os.stat(key)
            except OSError:
                self.forget(path)
                return read_cassette(path)
        shown = path if name is None else name
        hit = self._entries.get(key)
        if hit is not None and hit[0] == stat.st_mtime_ns and hit[1] == stat.st_size:
            return hit[2] if hit[2].path == shown else replace(hit[2], path=shown)
        cassette = read_cassette(path)
        if cassette.path != shown:
            cassette = replace(cassette, path=shown)
        self._entries.put(key, (stat.st_mtime_ns, stat.st_size, cassette))
        return cassette

    def forget(self, path: Path) -> None:
        """Drop ``path``'s entry (after the file was written)."""
        self._entries.pop(path.resolve())
        self._entries.pop(path)

    def clear(self) -> None:
        self._entries.clear()


_shared = CassetteCache(maxsize=64)


def load_cassette(path: Path, cache: CassetteCache | None = None) -> Cassette:
    """Like :func:`read_cassette`, through ``cache`` (default: a small process-wide one, for
    the few files a command reads more than once). Memory stays bounded either way."""
    return (cache or _shared).load(path)


def forget_cassette(path: Path) -> None:
    """Drop ``path`` from the process-wide cache (a writer calls this after replacing it)."""
    _shared.forget(path)


_SNIFFED_BYTES = 65536


def _holds_cassette(data: bytes) -> bool:
    """Whether a ``.json`` file found in a folder holds a cassette (not a spec lock or a
    report): its first 64 KiB name ``"interactions"``."""
    return b'"interactions"' in data[:_SNIFFED_BYTES]


def _looks_like_cassette_json(path: str) -> bool:
    """:func:`_holds_cassette` from the file's first 64 KiB alone (``os.open`` costs about
    half of ``open``). A file that cannot be read is taken, so that reading it says why."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return True
    try:
        return _holds_cassette(os.read(handle, _SNIFFED_BYTES))
    except OSError:
        return True
    finally:
        os.close(handle)


@dataclass(frozen=True)
class _Listing:
    """The cassette files under some paths, as names, no file read yet: ``unsure`` are the
    ``.json`` files found in folders, each a cassette only if its text says so."""

    names: list[str]
    unsure: frozenset[str]


def map_cassettes(use: Callable[[Path, str, S], R], paths: Iterable[Path], jobs: int | None,
                  shared: S) -> list[tuple[str, R]]:
    """``use(path, text, shared)`` for each cassette file under ``paths`` (as
    :func:`find_cassettes` finds them), spread over ``jobs`` processes (``None``: every CPU)
    by :func:`replay.core.parallel.ordered_map`: each worker reads its own share once, passes
    over a folder's ``.json`` file that holds no cassette, and makes its own paths. Each
    file's name and result (``use`` never returns None), in order; the first error a serial
    run would raise."""
    listing = _list_cassettes(paths)
    parts = ordered_map(_use_listed, listing.names, jobs,
                        shared=(use, shared, listing.unsure))
    results = (result for part in parts for result in part)
    return [(name, result) for name, result in zip(listing.names, results, strict=True)
            if result is not None]


def _use_listed(names: Sequence[str], shared: tuple[Callable[[Path, str, Any], Any], Any,
                                                    frozenset[str]]) -> list[Any]:
    use, context, unsure = shared
    results: list[Any] = []
    for name in names:
        path = Path(name)
        data = _read_bytes(path)
        if name in unsure and not _holds_cassette(data):
            results.append(None)  # a .json file in a folder that holds something else
        else:
            results.append(use(path, _decoded(data, path), context))
    return results


def find_cassettes(paths: Iterable[Path]) -> list[Path]:
    """Expand files and folders into cassette files (folders: ``*.yaml``/``*.yml``/``*.json``).

    Files named explicitly are taken whatever their suffix. In folders (searched recursively,
    hidden folders and files passed over), a ``.json`` file that does not look like a cassette
    (a spec lock, a report) is passed over. Each folder's cassettes come sorted by path.
    """
    listing = _list_cassettes(paths)
    return [Path(name) for name in listing.names
            if name not in listing.unsure or _looks_like_cassette_json(name)]


def _list_cassettes(paths: Iterable[Path]) -> _Listing:
    found: list[str] = []
    unsure: set[str] = set()
    named: set[str] = set()
    for path in paths:
        if path.is_dir():
            names = sorted(_cassette_names(path))
            found.extend(names)
            unsure.update(name for name in names if name.endswith(".json"))
        elif path.exists():
            found.append(str(path))
            named.add(str(path))
        else:
            raise CassetteNotFoundError(f"{path}: no such file or folder")
    return _Listing(found, frozenset(unsure - named))  # a named file is taken as it is


def _cassette_names(folder: Path) -> Iterator[str]:
    # os.walk and plain strings: ~20x faster than Path.rglob on a folder of 10,000 cassettes
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            if name.startswith(".") or not name.endswith(CASSETTE_SUFFIXES):
                continue
            yield os.path.join(root, name)
