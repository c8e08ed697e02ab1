"""Reading: uncached by default, a bounded cache for those who want one, strict on keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from replay.cassette.read import CassetteCache, parse_cassette, read_cassette
from replay.cassette.write import write_cassette
from replay.core.errors import CassetteError
from tests.support.cassettes import make_cassette
from tests.support.planted import rng_secret


def test_the_cache_is_bounded_and_drops_the_least_recently_used(
        tmp_path: Path, full_body: dict[str, Any]) -> None:
    paths = [tmp_path / f"c{index}.yaml" for index in range(5)]
    for path in paths:
        write_cassette(path, make_cassette(full_body))
    cache = CassetteCache(maxsize=3)
    first = cache.load(paths[0])
    for path in paths[1:3]:
        cache.load(path)
    assert cache.load(paths[0]) is first  # a hit, and now the most recent
    for path in paths[3:]:
        cache.load(path)
    assert len(cache) == 3
    assert cache.load(paths[0]) is first
    assert cache.load(paths[1]) is not None and len(cache) == 3


def test_the_cache_sees_a_rewritten_file(tmp_path: Path, full_body: dict[str, Any]) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, make_cassette(full_body, "one"))
    cache = CassetteCache()
    before = cache.load(path)
    write_cassette(path, make_cassette(full_body, "a-longer-name"))
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert cache.load(path) is not before
    assert "a-longer-name" in cache.load(path).interactions[0].request.body


def test_read_cassette_is_not_cached(tmp_path: Path, full_body: dict[str, Any]) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, make_cassette(full_body))
    assert read_cassette(path) is not read_cassette(path)


def test_a_duplicate_key_in_a_json_cassette_is_an_error() -> None:
    text = '{"interactions": [], "version": 1, "interactions": []}'
    with pytest.raises(CassetteError, match=r"c\.json: has the key 'interactions' twice"):
        parse_cassette(text, "c.json")


def test_a_duplicate_unknown_key_is_not_quoted() -> None:
    secret_like = rng_secret("access-key")
    text = f"interactions: []\n{secret_like}: 1\n{secret_like}: 2\n"
    with pytest.raises(CassetteError, match=r"has a key twice in one mapping \(line 3\)") as caught:
        parse_cassette(text, "c.yaml")
    assert secret_like not in str(caught.value)


_ROOT = Path(__file__).resolve().parents[2]
_RECORDED = _ROOT / "cassettes" / "automl" / "missing-job.yaml"


def test_an_aws_replay_cassette_cut_anywhere_is_refused_as_truncated() -> None:
    # a cut inside a body's literal block still parses as YAML: without this, check would
    # blame AWS for invalid JSON instead of naming the broken file
    text = _RECORDED.read_text()
    assert text.endswith("version: 1\n")
    for end in range(1, len(text) - 1):  # every cut but the last line break
        with pytest.raises(CassetteError) as caught:
            parse_cassette(text[:end], "cut.yaml")
        assert str(caught.value).startswith("cut.yaml: ")
    body_cut = text[:text.index('"Message"')]
    with pytest.raises(CassetteError, match=r"cut\.yaml: looks truncated: it ends without the "
                                            r"`version: 1` line"):
        parse_cassette(body_cut, "cut.yaml")
    assert parse_cassette(text[:-1], "cut.yaml").interactions  # only the final line break


def test_a_vcrpy_cassette_cut_mid_line_is_refused_and_one_without_version_still_reads() -> None:
    vcrpy = ("interactions:\n- request:\n    body: null\n    headers: {}\n    method: GET\n"
             "    uri: https://example.com/\n  response:\n    body:\n      string: |-\n"
             "        {\"a\": 1,\n        \"b\": 2}\n    headers: {}\n"
             "    status: {code: 200, message: OK}\nversion: 1\n")
    assert parse_cassette(vcrpy, "v.yaml").interactions
    with pytest.raises(CassetteError, match="looks truncated"):
        parse_cassette(vcrpy[:vcrpy.index("2}")], "v.yaml")
    # a hand-written cassette may leave the version out: it is read
    hand = vcrpy.replace("version: 1\n", "")
    assert parse_cassette(hand, "v.yaml").interactions[0].response.body == b'{"a": 1,\n"b": 2}'
