"""The cassette: vcrpy-compatible YAML (or JSON) read safely and written atomically.

A cassette is vcrpy's format (``interactions: [{request, response}]``, ``version: 1``) plus a
top-level ``meta`` block that vcrpy ignores. Reading accepts what vcrpy itself writes for boto3
(header values and bodies as ``!!binary``); writing stores header values as text, pretty-prints
JSON bodies, keeps ``Content-Length`` equal to the stored body, and replaces the file atomically
(temporary file in the same folder, then rename) so a failed write never loses the old cassette.

Example::

    cassette = read_cassette(Path("cassettes/automl/completed-job.yaml"))
    for interaction in cassette.interactions:
        print(interaction.response.status, interaction.response.json())
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from replay import TOOL_NAME
from replay.core.errors import CassetteError, CassetteNotFoundError, InvalidBodyError

Headers = dict[str, list[str]]
"""Header name -> values, as vcrpy stores them (a list per name, usually of one)."""

CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")
SUPPORTED_VERSION = 1

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _text(value: Any) -> str:
    """A header value or body as text; vcrpy stores boto3's as bytes (``!!binary``)."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return str(value)


def header_value(headers: Mapping[str, list[str]], name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or ``None``."""
    wanted = name.lower()
    for key, values in headers.items():
        if key.lower() == wanted:
            return values[0] if values else ""
    return None


def without_header(headers: Mapping[str, list[str]], name: str) -> Headers:
    """A copy of ``headers`` without ``name`` (case-insensitive)."""
    wanted = name.lower()
    return {k: list(v) for k, v in headers.items() if k.lower() != wanted}


def with_header(headers: Mapping[str, list[str]], name: str, value: str) -> Headers:
    """A copy of ``headers`` with ``name`` set to ``value``, keeping the recorded spelling."""
    result: Headers = {}
    placed = False
    for key, values in headers.items():
        if key.lower() == name.lower():
            if not placed:
                result[key] = [value]
                placed = True
        else:
            result[key] = list(values)
    if not placed:
        result[name] = [value]
    return result


@dataclass(frozen=True)
class RecordedRequest:
    """A request as recorded: method, full URI, headers (text), body (text)."""

    method: str
    uri: str
    headers: Headers = field(default_factory=dict)
    body: str = ""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def json(self) -> Any:
        """The body parsed as JSON (an empty body is ``{}``, as botocore sends no body then)."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise InvalidBodyError(
                f"request body to {self.uri} is not JSON ({exc}); AWS JSON protocol requests "
                "carry a JSON object"
            ) from None


@dataclass(frozen=True)
class RecordedResponse:
    """A response as recorded: status code and reason, headers (text), raw body bytes."""

    status: int
    reason: str = "OK"
    headers: Headers = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def text(self) -> str:
        return _text(self.body)

    def json(self) -> Any:
        """The body parsed as JSON; raises :class:`InvalidBodyError` when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise InvalidBodyError(f"response body is not JSON ({exc})") from None


@dataclass(frozen=True)
class Interaction:
    """One recorded request and its response."""

    request: RecordedRequest
    response: RecordedResponse


@dataclass(frozen=True)
class Cassette:
    """A cassette file's content. Treat it as read-only: loaded cassettes are shared."""

    interactions: tuple[Interaction, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    version: int = SUPPORTED_VERSION

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else "<memory>"


# ---------------------------------------------------------------------------------- reading


def _fail(path: Path | str, problem: str, fix: str) -> CassetteError:
    return CassetteError(f"{path}: {problem}; {fix}")


def text_headers(raw: Mapping[Any, Any]) -> Headers:
    """Header names and values as text, each value a list: what vcrpy or botocore hold (bytes,
    single values or lists) in the form cassettes store."""
    return {_text(key): [_text(v) for v in values] if isinstance(values, list | tuple)
            else [_text(values)] for key, values in raw.items()}


def _headers_from(raw: Any, where: str, path: Path | str) -> Headers:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(path, f"{where} headers are not a mapping", "headers map names to lists")
    return text_headers(raw)


def _body_bytes(raw: Any) -> bytes:
    if raw is None:
        return b""
    if isinstance(raw, Mapping):  # vcrpy: body: {string: ...}
        raw = raw.get("string", b"")
        if raw is None:
            return b""
    if isinstance(raw, bytes):
        return raw
    return str(raw).encode("utf-8")


def _interaction_from(raw: Any, index: int, path: Path | str) -> Interaction:
    where = f"interaction {index}"
    if not isinstance(raw, Mapping):
        raise _fail(path, f"{where} is not a mapping", "each interaction has request and response")
    request, response = raw.get("request"), raw.get("response")
    if not isinstance(request, Mapping) or not isinstance(response, Mapping):
        raise _fail(path, f"{where} lacks a request or a response mapping",
                    "each interaction needs both; re-record the cassette")
    for key in ("method", "uri"):
        if not request.get(key):
            raise _fail(path, f"{where} request has no '{key}'", "re-record the cassette")
    status = response.get("status")
    code = status.get("code") if isinstance(status, Mapping) else None
    if not isinstance(code, int):
        raise _fail(path, f"{where} response has no integer status code",
                    "vcrpy writes status: {code: 200, message: OK}")
    body = request.get("body")
    return Interaction(
        request=RecordedRequest(
            method=_text(request["method"]).upper(),
            uri=_text(request["uri"]),
            headers=_headers_from(request.get("headers"), f"{where} request", path),
            body="" if body is None else _text(body),
        ),
        response=RecordedResponse(
            status=code,
            reason=_text(status.get("message") or "") if isinstance(status, Mapping) else "",
            headers=_headers_from(response.get("headers"), f"{where} response", path),
            body=_body_bytes(response.get("body")),
        ),
    )


def parse_cassette(text: str | bytes, path: Path | str = "<memory>") -> Cassette:
    """Parse cassette text (YAML, or JSON when ``path`` ends in ``.json``)."""
    if not text.strip():
        raise _fail(path, "is empty", "record it again or delete it")
    is_json = str(path).endswith(".json")
    try:
        # a safe loader: no Python objects; !!binary (vcrpy's header values) becomes bytes
        data = json.loads(text) if is_json else yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _fail(path, f"is not valid YAML{at} ({problem}); it may be truncated",
                    "restore it from version control or record it again") from None
    except ValueError as exc:  # JSON syntax, or a YAML value libyaml parsed but cannot build
        what = "JSON" if is_json else "YAML"
        raise _fail(path, f"is not valid {what} ({exc}); it may be truncated",
                    "restore it from version control or record it again") from None
    if not isinstance(data, Mapping) or "interactions" not in data:
        raise _fail(path, "is not a cassette (no top-level 'interactions' list)",
                    "point aws-replay at vcrpy cassette files")
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
    if not isinstance(meta, Mapping):
        raise _fail(path, "'meta' is not a mapping", "remove or fix the meta block")
    return Cassette(
        interactions=tuple(_interaction_from(r, i, path) for i, r in enumerate(raw_interactions)),
        meta=dict(meta),
        path=Path(path) if path != "<memory>" else None,
        version=SUPPORTED_VERSION,
    )


def read_cassette(path: Path) -> Cassette:
    """Read and parse one cassette file, with a clear :class:`CassetteError` when it is bad."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CassetteNotFoundError(
            f"{path}: no such cassette; record it with `aws-replay record` or check the path"
        ) from None
    except IsADirectoryError:
        raise CassetteError(f"{path}: is a folder, not a cassette file") from None
    except OSError as exc:
        raise CassetteError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text: str | bytes = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail(path, "is not UTF-8 text", "cassettes are YAML or JSON text") from None
    return parse_cassette(text, path)


_cache: dict[Path, tuple[int, int, Cassette]] = {}


def load_cassette(path: Path) -> Cassette:
    """Like :func:`read_cassette`, parsed at most once per process per (path, mtime, size)."""
    resolved = path.resolve()
    try:
        stat = resolved.stat()
    except FileNotFoundError:
        _cache.pop(resolved, None)
        return read_cassette(path)
    hit = _cache.get(resolved)
    if hit is not None and hit[0] == stat.st_mtime_ns and hit[1] == stat.st_size:
        # shared content, but named the way this caller named it (reports quote the path)
        return hit[2] if hit[2].path == path else replace(hit[2], path=path)
    cassette = read_cassette(path)
    _cache[resolved] = (stat.st_mtime_ns, stat.st_size, cassette)
    return cassette


def _looks_like_cassette_json(path: Path) -> bool:
    with path.open("rb") as handle:
        return b'"interactions"' in handle.read(65536)


def find_cassettes(paths: Iterable[Path]) -> list[Path]:
    """Expand files and folders into cassette files (folders: ``*.yaml``/``*.yml``/``*.json``).

    Files named explicitly are taken whatever their suffix. In folders (searched recursively,
    hidden folders and files passed over), a ``.json`` file that does not look like a cassette
    (a spec lock, a report) is passed over. Each folder's cassettes come sorted by path.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(Path(name) for name in sorted(_cassette_names(path)))
        elif path.exists():
            found.append(path)
        else:
            raise CassetteNotFoundError(f"{path}: no such file or folder")
    return found


def _cassette_names(folder: Path) -> Iterator[str]:
    # os.walk and plain strings: ~20x faster than Path.rglob on a folder of 10,000 cassettes
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            if name.startswith(".") or not name.endswith(CASSETTE_SUFFIXES):
                continue
            full = os.path.join(root, name)
            if name.endswith(".json") and not _looks_like_cassette_json(Path(full)):
                continue
            yield full


# ---------------------------------------------------------------------------------- writing


class _CassetteDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Writes multi-line strings (pretty JSON bodies) as readable literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_CassetteDumper.add_representer(str, _represent_str)


def pretty_body(body: bytes) -> bytes:
    """A JSON body pretty-printed (2 spaces, key order kept, non-ASCII kept); others unchanged."""
    stripped = body.strip()
    if not stripped or stripped[:1] not in (b"{", b"["):
        return body
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    return json.dumps(parsed, indent=2, ensure_ascii=False).encode("utf-8")


def _body_for_disk(body: bytes) -> str | bytes:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def _fix_content_length(headers: Headers, body: bytes) -> Headers:
    if header_value(headers, "Content-Length") is None:
        return headers
    return with_header(headers, "Content-Length", str(len(body)))


def normalize_interaction(interaction: Interaction) -> Interaction:
    """The interaction as it is written: JSON body pretty-printed, ``Content-Length`` matching."""
    body = pretty_body(interaction.response.body)
    response = replace(
        interaction.response,
        body=body,
        headers=_fix_content_length(interaction.response.headers, body),
    )
    request_body = interaction.request.body.encode("utf-8")
    request = replace(
        interaction.request,
        headers=_fix_content_length(interaction.request.headers, request_body),
    )
    return Interaction(request=request, response=response)


def cassette_to_dict(cassette: Cassette) -> dict[str, Any]:
    """The plain structure written to disk (vcrpy's, with ``meta`` first)."""
    interactions = []
    for interaction in cassette.interactions:
        written = normalize_interaction(interaction)
        interactions.append({
            "request": {
                "method": written.request.method,
                "uri": written.request.uri,
                "headers": written.request.headers,
                "body": written.request.body,
            },
            "response": {
                "status": {"code": written.response.status, "message": written.response.reason},
                "headers": written.response.headers,
                "body": {"string": _body_for_disk(written.response.body)},
            },
        })
    data: dict[str, Any] = {}
    if cassette.meta:
        data["meta"] = cassette.meta
    data["interactions"] = interactions
    data["version"] = cassette.version
    return data


def dump_cassette(cassette: Cassette, *, as_json: bool = False) -> str:
    """The cassette's text as it is written to disk."""
    data = cassette_to_dict(cassette)
    if as_json:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return str(yaml.dump(data, Dumper=_CassetteDumper, sort_keys=False, allow_unicode=True,
                         width=100))


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[Any]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename.

    On any exception (or a kill before the rename) the previous file stays byte-for-byte intact.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def write_cassette(path: Path, cassette: Cassette) -> None:
    """Write ``cassette`` to ``path`` atomically (format by suffix: ``.json`` or YAML)."""
    text = dump_cassette(cassette, as_json=path.suffix == ".json")
    with atomic_writer(path) as handle:
        handle.write(text)
    _cache.pop(path.resolve(), None)


def build_meta(source: str, sanitizer: Mapping[str, Any] | None = None,
               recorded_at: datetime | None = None) -> dict[str, Any]:
    """The ``meta`` block: tool, when, botocore version, how it was made, which sanitizer rules.

    ``source`` is ``live``, ``local-endpoint`` or ``synthetic``. ``sanitizer`` names rules and
    their version, never a secret.
    """
    import botocore

    when = (recorded_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta: dict[str, Any] = {
        "tool": TOOL_NAME,
        "recorded_at": when,
        "botocore": botocore.__version__,
        "source": source,
    }
    if sanitizer is not None:
        meta["sanitizer"] = dict(sanitizer)
    return meta
