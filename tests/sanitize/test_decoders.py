"""The decoders the sanitizer and the scanner share: each encoding found, decoded and encoded
back; recursion bounded by depth and size; compressed bodies inflated within a limit."""

from __future__ import annotations

import base64
import gzip
import zlib

import pytest

from replay.sanitize.decoders import (
    Budget,
    brotli_available,
    compress,
    decompress,
    rewrite,
    sniff,
    views,
)
from tests.support.planted import rng_secret

KEY = rng_secret("access-key", 21)
PLACEHOLDER = "AKIAREDACTED00000001"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def swap(text: str) -> str:
    return text.replace(KEY, PLACEHOLDER)


ENCODINGS = [
    ("base64", lambda s: b64(s), "base64"),
    ("base64 of base64", lambda s: b64(b64(s)), "base64 > base64"),
    ("unpadded base64", lambda s: b64(s + "x").rstrip("="), "base64"),
    ("base64 five deep", lambda s: b64(b64(b64(b64(b64(s))))),
     "base64 > base64 > base64 > base64 > base64"),
    ("lower-case hex", lambda s: s.encode().hex(), "hex"),
    ("upper-case hex", lambda s: s.encode().hex().upper(), "hex"),
    ("URL-encoding", lambda s: "".join(f"%{ord(c):02X}" for c in s), "URL-encoding"),
    ("JSON escapes", lambda s: "".join(f"\\u{ord(c):04x}" for c in s), "JSON escapes"),
    ("base64 of gzip", lambda s: base64.b64encode(gzip.compress(s.encode(), mtime=0)).decode(),
     "base64 > gzip"),
    ("hex of base64", lambda s: b64(s).encode().hex(), "hex > base64"),
]


@pytest.mark.parametrize(("name", "encode", "how"), ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_each_encoding_is_seen_through_and_rewritten_the_same_way(
        name: str, encode: object, how: str) -> None:
    assert callable(encode)
    hidden = encode(f"key={KEY}; rest")
    text = f'{{"Config": "{hidden}", "Other": "plain"}}'
    assert KEY not in text
    found = [view for view in views(text) if KEY in view.text]
    assert [view.how for view in found] == [how]
    assert found[0].start == text.index(hidden)

    clean = rewrite(text, swap)
    assert clean.startswith('{"Config": "') and clean.endswith('", "Other": "plain"}')
    rewritten = clean[len('{"Config": "'):-len('", "Other": "plain"}')]
    assert rewritten == encode(f"key={PLACEHOLDER}; rest")  # encoded back the same way
    [seen] = [view.text for view in views(clean) if PLACEHOLDER in view.text]
    assert seen.startswith(f"key={PLACEHOLDER}; rest")


def test_text_that_only_looks_encoded_is_left_alone() -> None:
    text = ('{"Name": "AutoMLJobSecondaryStatusMaxCandidatesReached", "Hash": "'
            + "ab" * 32 + '", "Digits": "1234567890123456789012345678"}')
    assert rewrite(text, swap) == text
    assert all(KEY not in view.text for view in views(text))


def test_depth_is_bounded() -> None:
    deep = f"key={KEY}"
    for _ in range(12):
        deep = b64(deep)
    assert not any(KEY in view.text for view in views(deep))
    assert any(KEY in view.text for view in views(deep, Budget(depth=12)))


def test_size_is_bounded_over_every_level() -> None:
    blob = b64("x" * 5000 + KEY)
    text = " ".join([blob] * 10)
    budget = Budget()
    budget._left[0] = 3 * 5020  # three blobs' worth
    assert sum(KEY in view.text for view in views(text, budget)) == 3


def test_a_zip_bomb_is_not_inflated() -> None:
    bomb = gzip.compress(b"0" * (2 << 20))
    assert decompress(bomb, "gzip", limit=1 << 20) is None
    assert decompress(bomb, "gzip") == b"0" * (2 << 20)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"]
                         + (["br"] if brotli_available() else []))
def test_compressed_bodies_round_trip(encoding: str) -> None:
    body = f'{{"Key": "{KEY}"}}'.encode()
    packed = compress(body, encoding)
    assert decompress(packed, encoding) == body
    assert decompress(b"not compressed at all", encoding) is None


def test_raw_deflate_and_sniffing() -> None:
    body = b'{"a": 1}'
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decompress(raw.compress(body) + raw.flush(), "deflate") == body
    assert sniff(gzip.compress(body)) == ("gzip", body)
    assert sniff(zlib.compress(body)) == ("deflate", body)
    assert sniff(body) is None


def test_a_base64_run_met_again_decodes_as_it_did_where_it_now_stands() -> None:
    # decoded runs are remembered across texts (a fleet repeats them); where a run stands, and
    # what follows it, is still the new text's
    plain = f"key={KEY}; rest"
    hidden = b64(plain + "x" * ((1 - len(plain.encode())) % 3))  # padded: it ends in "=="
    assert hidden.endswith("==") and not hidden.endswith("===")
    for text in (f"a {hidden} b", f"x: {hidden}\n", f"{hidden}=", f"a {hidden} b"):
        found = [(view.how, view.start) for view in views(text) if KEY in view.text]
        expected = [] if text.endswith("===") else [("base64", text.index(hidden))]
        assert found == expected, text  # three '=' are no padding, remembered run or not
    word = "MaxRuntimePerTrainingJobInSeconds"  # base64's letters, no text inside
    for _ in range(2):
        assert [view for view in views(f"{{{word}: 1}}") if view.how == "base64"] == []
