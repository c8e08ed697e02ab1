"""Redaction rules: what a recorded exchange must lose before it may touch disk.

A :class:`Sanitizer` rewrites headers, URIs and bodies of interactions in memory. It works on the
raw text (never re-serializing JSON), and every replacement keeps the character class and length
of what it replaces, so a sanitized body still parses, keeps its key order and number formatting,
and still satisfies the model's patterns and lengths (a fake account id is 12 digits).

One instance is one consistency scope: the same real value always gets the same placeholder, and
different values get different ones. Placeholders are numbered in order of first appearance
(account ``000000000001``, ``000000000002``, ...), so nothing can be reversed (no hash of an
account id is ever written). Values that already are placeholders are kept, which makes
sanitizing idempotent; their numbers are reserved so a new value never takes one.

Example::

    sanitizer = Sanitizer.from_settings(load_settings())
    clean = sanitizer.sanitize_cassette(read_cassette(path))
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from replay.cassette.model import (
    Cassette,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    header_value,
    with_header,
    without_body_checksums,
)
from replay.core.detectors import (
    MAYBE_SECRET,
    RULE_NAMES,
    TEXT_RULES,
    Detection,
    TextRule,
    aws_owned_account_ids,
    detect,
    is_placeholder_account,
    is_placeholder_secret,
    mixed,
    spans,
    twelve_digits,
)
from replay.core.errors import CassetteError
from replay.core.jsonbody import JsonBodyError, parse_json_body
from replay.core.jsonpath import PathSet
from replay.sanitize.decoders import (
    COMPRESSIONS,
    brotli_available,
    compress,
    decompress,
    printable,
    rewrite,
)
from replay.sanitize.rules import (
    ACCESS_KEY_FORMAT,
    AMZ_DATE,
    DROPPED_HEADERS,
    HEADER_RULES,
    PLACEHOLDER_PATTERNS,
    REQUEST_ID_HEADERS,
    SANITIZER_VERSION,
    SIGV4,
    STABLE_HEADERS,
    ZERO_SIGNATURE,
    SanitizeRules,
    is_numbered,
    redact_paths,
    rules_from_settings,
)
from replay.sanitize.texts import map_strings, texts_of, with_decoded


class Sanitizer:
    """Redacts secrets and account ids from interactions; one instance, one placeholder scope.

    Thread-safe: recordings under threads share one numbering.
    """

    def __init__(self, rules: SanitizeRules | None = None) -> None:
        self.rules = rules or SanitizeRules()
        self._allowed_accounts = aws_owned_account_ids() | self.rules.allow_account_ids
        self._json_paths = PathSet(self.rules.json_paths) if self.rules.json_paths else None
        self._user_headers = frozenset(h.lower() for h in self.rules.headers)
        self._mapping: dict[tuple[str, str], str] = {}
        self._used: dict[str, set[str]] = {}
        self._counters: dict[str, int] = {}
        self._lock = threading.RLock()
        self._handlers: dict[str, Callable[[str], str]] = {
            "redact": lambda v: "REDACTED",
            "account": self._account,
            "signature": lambda v: ZERO_SIGNATURE,
            "session_token": self._session_token,
            "base64_run": self._base64_run,
            "access_key": self._access_key,
            "kms_key": self._kms_key,
            "kms_mrk": self._kms_mrk,
            "ec2_id": self._ec2_id,
        }

    @classmethod
    def default(cls) -> Sanitizer:
        """The defaults of DESIGN.md, no user rules."""
        return cls()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Sanitizer:
        """Defaults plus the user's ``[tool.aws-replay.sanitize]`` (pass ``[tool.aws-replay]``)."""
        return cls(rules_from_settings(settings))

    def meta(self) -> dict[str, Any]:
        """``{"version": 1, "rules": [...]}`` for the cassette's meta block; never a secret."""
        rules = [*HEADER_RULES, *(RULE_NAMES[rule.name] for rule in TEXT_RULES),
                 "aws-owned-account-allowlist"]
        if self.rules.patterns:
            rules.append(f"user-patterns({len(self.rules.patterns)})")
        if self.rules.json_paths:
            rules.append(f"user-json-paths({len(self.rules.json_paths)})")
        if self.rules.headers:
            rules.append(f"user-headers({len(self.rules.headers)})")
        if self.rules.allow_account_ids:
            rules.append(f"user-allowed-accounts({len(self.rules.allow_account_ids)})")
        return {"version": SANITIZER_VERSION, "rules": rules}

    # ------------------------------------------------------------------ numbering

    def _placeholder(self, category: str, value: str, make: Callable[[int], str]) -> str:
        with self._lock:
            known = self._mapping.get((category, value))
            if known is not None:
                return known
            used = self._used.setdefault(category, set())
            number = self._counters.get(category, 0)
            while True:
                number += 1
                candidate = make(number)
                if candidate not in used:
                    break
            self._counters[category] = number
            used.add(candidate)
            self._mapping[(category, value)] = candidate
            return candidate

    def _keep(self, category: str, value: str) -> str:
        """A value that already is a placeholder: kept, and its number never handed out again."""
        with self._lock:
            self._used.setdefault(category, set()).add(value)
        return value

    def _account(self, value: str) -> str:
        if value in self._allowed_accounts:
            return value
        if is_placeholder_account(value):
            return self._keep("account", value)
        return self._placeholder("account", value, lambda n: f"{n:012d}")

    def _access_key(self, value: str) -> str:
        if is_placeholder_secret(value):
            return self._keep("access-key", value)
        prefix = value[:4]
        return self._placeholder("access-key", value, lambda n: f"{prefix}REDACTED{n:08d}")

    def _secret_key(self, value: str) -> str:
        # A 40-character secret mixes cases and digits; hex digests and words do not qualify.
        if not mixed(value):
            return value
        if is_placeholder_secret(value):
            return self._keep("secret-key", value)
        return self._placeholder("secret-key", value, lambda n: f"REDACTEDSECRETACCESSKEY{n:017d}")

    def _session_token(self, value: str) -> str:
        if is_placeholder_secret(value):
            return self._keep("session-token", value)
        return self._placeholder("session-token", value,
                                 lambda n: f"REDACTEDSESSIONTOKEN{n:08d}")

    def _base64_run(self, value: str) -> str:
        if len(value) == 40:
            return self._secret_key(value)
        if len(value) < 200 or not mixed(value) or is_placeholder_secret(value):
            return value
        return self._session_token(value)

    def _kms_key(self, value: str) -> str:
        if value.startswith("00000000-0000-"):
            return self._keep("kms-key", value)
        return self._placeholder("kms-key", value, lambda n: f"00000000-0000-4000-8000-{n:012d}")

    def _kms_mrk(self, value: str) -> str:
        if value[4:].startswith("00000000"):
            return self._keep("kms-mrk", value)
        return self._placeholder("kms-mrk", value, lambda n: f"mrk-{n:032d}")

    def _ec2_id(self, value: str) -> str:
        prefix, _, digits = value.partition("-")
        if is_numbered(digits):
            return self._keep(f"ec2-{prefix}", value)
        width = len(digits)
        return self._placeholder(f"ec2-{prefix}", value, lambda n: f"{prefix}-{n:0{width}d}")

    def _request_id(self, value: str) -> str:
        if value.startswith("00000000-0000-"):
            return self._keep("request-id", value)
        return self._placeholder("request-id", value,
                                 lambda n: f"00000000-0000-4000-8000-{n:012d}")

    # ------------------------------------------------------------------ text

    def _apply(self, rule: TextRule, text: str) -> str:
        handler = self._handlers[rule.handler]
        pieces: list[str] = []
        last = 0
        for start, end in spans(rule, text):
            value = text[start:end]
            replacement = handler(value)
            if replacement != value:
                pieces += (text[last:start], replacement)
                last = end
        if not pieces:
            return text
        pieces.append(text[last:])
        return "".join(pieces)

    def sanitize_text(self, text: str) -> str:
        """Every secret and account id in ``text`` replaced, the rest untouched; also inside
        encoded runs (base64 at any depth, hex, URL-encoding, JSON escapes), each encoded back
        the way it was (:func:`replay.sanitize.decoders.rewrite`)."""
        if len(text) < 12:
            return self._sanitize_plain(text)
        return rewrite(text, self._sanitize_plain)

    def _sanitize_plain(self, text: str) -> str:
        # Headers and short values mostly hold nothing: one search instead of every rule.
        if len(text) >= 512 or MAYBE_SECRET.search(text):
            text = self._apply_rules(text)
        for user in self.rules.patterns:
            text = user.pattern.sub(user.replacement, text)
        return text

    def _apply_rules(self, text: str) -> str:
        accounts_settled: bool | None = None  # found out at the first account rule
        for rule in TEXT_RULES:
            if rule.handler == "account":
                if accounts_settled is None:
                    accounts_settled = self._accounts_settled(text)
                if accounts_settled:
                    continue
            text = self._apply(rule, text)
        return text

    def _accounts_settled(self, text: str) -> bool:
        """Whether the account rules would change nothing: every run of exactly 12 digits in
        ``text`` (each of their values is one) is allowlisted or a placeholder already kept,
        so neither the text nor the numbering would move."""
        kept = self._used.get("account", ())
        allowed = self._allowed_accounts
        return all(value in allowed or value in kept for value in twelve_digits(text))

    def detect(self, text: str) -> Iterator[Detection]:
        """Every leak in ``text`` the rules would replace, as the leak scanner sees them.

        The shared detectors (:func:`replay.core.detectors.detect`) with this sanitizer's
        allowlist, then the user's patterns (``user_pattern``). Nothing is numbered.
        """
        yield from detect(text, self._allowed_accounts)
        for user in self.rules.patterns:
            for match in user.pattern.finditer(text):
                if match.group(0) != user.replacement:
                    yield Detection("user_pattern", match.group(0), match.start(), match.end())

    def reserve(self, texts: Iterable[str]) -> None:
        """Note the placeholders already in ``texts`` so a new value never takes their number.

        Real values met here are not numbered yet: numbering follows first appearance in what
        is sanitized afterwards.
        """
        with self._lock:
            for text in with_decoded(texts):
                if "0000" not in text and "REDACTED" not in text:
                    continue  # every placeholder this class hands out has one or the other
                for placeholders in PLACEHOLDER_PATTERNS:
                    for value in placeholders.values(text):
                        for category in placeholders.categories:
                            name = category.format(prefix=value.partition("-")[0])
                            self._used.setdefault(name, set()).add(value)

    def _sanitize_body(self, body: bytes, content_encoding: str | None = None) -> bytes:
        if not body:
            return body
        if content_encoding and content_encoding.strip().lower() in COMPRESSIONS:
            return self._sanitize_compressed(body, content_encoding)
        try:
            text = body.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            text, encoding = body.decode("latin-1"), "latin-1"
        if self._json_paths or "\\u" in text:
            structured = self._sanitize_json_structure(text)
            if structured is not None:
                text = structured
        return self.sanitize_text(text).encode(encoding)

    def _sanitize_compressed(self, body: bytes, encoding: str) -> bytes:
        """Inflate, sanitize, compress again: the body still replays, Content-Length is fixed
        by the caller. A body that cannot be inflated cannot be shown clean: bad input."""
        inflated = decompress(body, encoding)
        if inflated is None and printable(body) is not None:
            return self._sanitize_body(body)  # already inflated, the header left behind
        if inflated is None:
            if encoding.strip().lower() == "br" and not brotli_available():
                raise CassetteError("a response body is brotli-compressed (Content-Encoding: br) "
                                    "and the brotli package is not installed; pip install "
                                    "brotli, then sanitize again")
            raise CassetteError(f"a response body says Content-Encoding: {encoding} but does not "
                                "inflate (corrupt, or over the size limit); re-record it")
        clean = self._sanitize_body(inflated)
        return body if clean == inflated else compress(clean, encoding)

    def _sanitize_json_structure(self, text: str) -> str | None:
        """JSON path rules, and secrets hidden behind ``\\u`` escapes (needs a parse)."""
        try:
            parsed = parse_json_body(text)
        except JsonBodyError:
            return None
        if self._json_paths is not None:
            parsed = redact_paths(parsed, self._json_paths)
        cleaned = map_strings(parsed, self.sanitize_text)
        if cleaned == parse_json_body(text):
            return text
        indent = 2 if "\n" in text.strip() else None
        return json.dumps(cleaned, ensure_ascii=False, indent=indent)

    # ------------------------------------------------------------------ headers

    def _sanitize_headers(self, headers: Mapping[str, list[str]]) -> Headers:
        result: Headers = {}
        for name, values in headers.items():
            lower = name.lower()
            if lower in DROPPED_HEADERS:
                continue
            if lower in self._user_headers:
                result[name] = ["REDACTED" for _ in values]
            elif lower == "authorization":
                result[name] = [self._authorization(v) for v in values]
            elif lower == "x-amz-date":
                result[name] = [AMZ_DATE.sub(r"\1T000000Z", v) for v in values]
            elif lower in STABLE_HEADERS:
                result[name] = [STABLE_HEADERS[lower] for _ in values]
            elif lower in REQUEST_ID_HEADERS:
                result[name] = [self._request_id(v) for v in values]
            else:  # a header's name can hold a value too (a key id used as a name)
                result[self.sanitize_text(name)] = [self.sanitize_text(v) for v in values]
        return result

    def _authorization(self, value: str) -> str:
        match = SIGV4.match(value.strip())
        if match is None:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            return f"{scheme} REDACTED".strip()
        key = match.group("key")
        if ACCESS_KEY_FORMAT.fullmatch(key):
            fake_key = self._access_key(key)
        else:
            fake_key = self._placeholder("access-key", key, lambda n: f"AKIAREDACTED{n:08d}")
        rest = match.group("rest")
        signature = "" if match.group("sig") is None else f"Signature={ZERO_SIGNATURE}"
        scope = self.sanitize_text(match.group("scope"))
        return f"{match.group('alg')} Credential={fake_key}{scope}{rest}{signature}"

    # ------------------------------------------------------------------ interactions

    def sanitize_request(self, request: RecordedRequest) -> RecordedRequest:
        body = self._sanitize_body(request.body.encode("utf-8")).decode("utf-8")
        headers = self._sanitize_headers(request.headers)
        if body != request.body and header_value(headers, "Content-Length") is not None:
            headers = with_header(headers, "Content-Length", str(len(body.encode("utf-8"))))
        return replace(request, uri=self.sanitize_text(request.uri), headers=headers, body=body)

    def sanitize_response(self, response: RecordedResponse) -> RecordedResponse:
        body = self._sanitize_body(response.body,
                                   header_value(response.headers, "Content-Encoding"))
        headers = self._sanitize_headers(response.headers)
        if body != response.body:
            if header_value(headers, "Content-Length") is not None:
                headers = with_header(headers, "Content-Length", str(len(body)))
            # A checksum of the body as sent no longer holds for the body as stored, and
            # clients verify it (botocore: S3 ChecksumMode, on by default): drop it.
            headers = without_body_checksums(headers)
        return replace(response, reason=self.sanitize_text(response.reason), headers=headers,
                       body=body)

    def sanitize_interaction(self, interaction: Interaction) -> Interaction:
        """A copy of ``interaction`` with every rule applied (the input is not changed)."""
        return Interaction(request=self.sanitize_request(interaction.request),
                           response=self.sanitize_response(interaction.response))

    def sanitize_cassette(self, cassette: Cassette, *, reserved: bool = False) -> Cassette:
        """A copy of ``cassette`` sanitized; its placeholders are reserved first (idempotent),
        unless the caller ``reserved`` them already."""
        if not reserved:
            self.reserve(texts_of(cassette))
        interactions = tuple(self.sanitize_interaction(i) for i in cassette.interactions)
        meta = map_strings(dict(cassette.meta), self.sanitize_text)  # free text a user added
        if interactions != cassette.interactions:
            meta["sanitizer"] = self.meta()
        return replace(cassette, interactions=interactions, meta=meta)
