"""Writing cassettes: header values as text, the answers of AWS's JSON protocol pretty-printed
(any other body, such as an S3 object or a Lambda result that happens to be JSON, kept byte for
byte), ``Content-Length`` equal to the stored body, and the file replaced atomically (temporary
file in the same folder, then rename) so a failed write never loses the old cassette.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from replay import TOOL_NAME
from replay.cassette.model import (
    BODY_DIGEST_PREFIX,
    Cassette,
    Headers,
    Interaction,
    header_value,
    with_header,
    without_body_checksums,
)
from replay.cassette.read import forget_cassette
from replay.core.atomic import atomic_writer as atomic_writer
from replay.core.jsonbody import JsonBodyError, parse_json_body

_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _CassetteDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Writes multi-line strings (pretty JSON bodies) as readable literal blocks, and a value
    shared twice (one headers dict) out twice: cassettes hold no aliases (readers refuse them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _OneLine(dict[str, Any]):
    """A mapping written on one line, in flow style: ``status: {code: 200, message: OK}``."""


class _OneLineList(list[Any]):
    """A list written on one line, in flow style: ``Content-Type: [application/json]``."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_one_line(dumper: yaml.SafeDumper, value: _OneLine) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


def _represent_one_line_list(dumper: yaml.SafeDumper, value: _OneLineList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_CassetteDumper.add_representer(str, _represent_str)
_CassetteDumper.add_representer(_OneLine, _represent_one_line)
_CassetteDumper.add_representer(_OneLineList, _represent_one_line_list)
# wide enough that no line is folded: a flow collection stays on its one line, and a long
# header or request body is one line to read, grep and diff
_LINE_WIDTH = 1 << 16


# the content type of AWS's JSON protocol (awsJson1_0, awsJson1_1: SageMaker, DynamoDB, ...): its
# answers are the API's own JSON, whose bytes nothing but the parser reads
_AWS_JSON = "application/x-amz-json-"


def pretty_body(body: bytes) -> bytes:
    """A JSON body pretty-printed (2 spaces, key order kept, non-ASCII kept); others unchanged."""
    stripped = body.strip()
    if not stripped or stripped[:1] not in (b"{", b"["):
        return body
    try:
        parsed = parse_json_body(body)
    except JsonBodyError:
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


def _pretty_answer(interaction: Interaction) -> tuple[Headers, bytes]:
    """An answer of AWS's JSON protocol (its request names an ``X-Amz-Target``, or its type is
    ``application/x-amz-json-*``) pretty-printed, without the checksums of the bytes as sent
    (DynamoDB's ``x-amz-crc32``: botocore checks it); any other body as it came."""
    headers, body = interaction.response.headers, interaction.response.body
    content_type = header_value(headers, "Content-Type") or ""
    if not (interaction.request.header("X-Amz-Target")
            or content_type.lower().startswith(_AWS_JSON)):
        return headers, body
    pretty = pretty_body(body)
    return (headers, body) if pretty == body else (without_body_checksums(headers), pretty)


def normalize_interaction(interaction: Interaction) -> Interaction:
    """The interaction as it is written: a JSON protocol answer pretty-printed (other bodies are
    the user's bytes: an S3 object, a Lambda result), ``Content-Length`` matching.

    Two lengths stay as they were sent, because they never described the stored bytes: a HEAD
    response's (the length of the body a GET would return; S3 ``HeadObject`` reads it as
    ``ContentLength``) and a request body stored as its digest (the upload's length).
    """
    headers, body = _pretty_answer(interaction)
    head = interaction.request.method.upper() == "HEAD" and not body
    response = replace(
        interaction.response,
        body=body,
        headers=headers if head else _fix_content_length(headers, body),
    )
    if interaction.request.body.startswith(BODY_DIGEST_PREFIX):
        return Interaction(request=interaction.request, response=response)
    request_body = interaction.request.body.encode("utf-8")
    request = replace(
        interaction.request,
        headers=_fix_content_length(interaction.request.headers, request_body),
    )
    return Interaction(request=request, response=response)


def _one_line_headers(headers: Headers) -> dict[str, _OneLineList]:
    return {name: _OneLineList(values) for name, values in headers.items()}


def _one_line_meta(meta: dict[str, Any]) -> dict[str, Any]:
    sanitizer = meta.get("sanitizer")
    if not isinstance(sanitizer, dict):
        return meta
    sanitizer = _OneLine(sanitizer)
    if isinstance(sanitizer.get("rules"), list):
        sanitizer["rules"] = _OneLineList(sanitizer["rules"])
    return {**meta, "sanitizer": sanitizer}


def cassette_to_dict(cassette: Cassette) -> dict[str, Any]:
    """The plain structure written to disk (vcrpy's, with ``meta`` first). The small
    collections (a header's values, the status, meta's sanitizer) are marked for the YAML
    writer to put on one line each: as many lines fewer to read, for a person and the reader."""
    interactions = []
    for interaction in cassette.interactions:
        written = normalize_interaction(interaction)
        interactions.append({
            "request": {
                "method": written.request.method,
                "uri": written.request.uri,
                "headers": _one_line_headers(written.request.headers),
                "body": written.request.body,
            },
            "response": {
                "status": _OneLine(code=written.response.status,
                                   message=written.response.reason),
                "headers": _one_line_headers(written.response.headers),
                "body": {"string": _body_for_disk(written.response.body)},
            },
        })
    data: dict[str, Any] = {}
    if cassette.meta:
        data["meta"] = _one_line_meta(cassette.meta)
    data["interactions"] = interactions
    data["version"] = cassette.version
    return data


def dump_cassette(cassette: Cassette, *, as_json: bool = False) -> str:
    """The cassette's text as it is written to disk."""
    data = cassette_to_dict(cassette)
    if as_json:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return str(yaml.dump(data, Dumper=_CassetteDumper, sort_keys=False, allow_unicode=True,
                         width=_LINE_WIDTH))


CASSETTE_FORMATS = {"yaml": ".yaml", "json": ".json"}


def cassette_suffix(start: Path | None = None) -> str:
    """The suffix new cassettes get: ``.yaml``, or ``.json`` with ``cassette_format = "json"``
    in ``[tool.aws-replay]`` (the nearest pyproject.toml at or above ``start``). JSON cassettes
    are vcrpy's ``serializer="json"`` format; both are read whatever the setting."""
    from replay.core.config import load_settings
    from replay.core.errors import ConfigError

    chosen = load_settings(start).get("cassette_format", "yaml")
    if chosen not in CASSETTE_FORMATS:
        raise ConfigError(f"[tool.aws-replay] cassette_format = {chosen!r}: choose \"yaml\" or "
                          "\"json\"")
    return CASSETTE_FORMATS[chosen]


def write_cassette(path: Path, cassette: Cassette) -> None:
    """Write ``cassette`` to ``path`` atomically (format by suffix: ``.json`` or YAML)."""
    text = dump_cassette(cassette, as_json=path.suffix == ".json")
    with atomic_writer(path) as handle:
        handle.write(text)
    forget_cassette(path)


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
